//! `/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json`.
//!
//! Tiles are cached gzipped (bounded memory, keyed by snapshot generation, so a new
//! snapshot never serves old tiles); concurrent requests for the same missing tile wait
//! for one rendering. Clients that do not accept gzip get the tile inflated.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::snapshot::Served;
use crate::serve::tiles::coverage::Filter;
use crate::serve::tiles::geom::TileId;
use crate::serve::tiles::{mvt, render, tilejson, LayerName, TileQuery};
use crate::serve::{AppState, TileKey};
use crate::store::DatasetKind;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use flate2::read::GzDecoder;
use serde::Deserialize;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use utoipa::{IntoParams, OpenApi};

pub const MVT: &str = "application/vnd.mapbox-vector-tile";

#[derive(Debug, Deserialize, IntoParams)]
pub struct TileParams {
    /// Rule set whose classes the tile shows (default: the primary one).
    pub rules: Option<String>,
    /// Coverage only: datasets, comma separated (default: all of the snapshot).
    pub dataset: Option<String>,
    /// Coverage only: operators, comma separated.
    pub operator: Option<String>,
    /// Coverage only: technologies, comma separated (FTTH, FWA, 5G, ...).
    pub technology: Option<String>,
    /// Units only (planners and admins): another snapshot; each unit gets `was` (its class
    /// there, or `absent`) and `changed`.
    pub compare: Option<String>,
    /// Another stored snapshot to show instead of the served one (planners and admins;
    /// the served snapshot's name is the same as none).
    pub snapshot: Option<String>,
}

fn layer_of(name: &str) -> Result<LayerName, ApiError> {
    LayerName::parse(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no tile layer {name:?}: units, hexagons, areas, coverage, mobile_white"
        ))
    })
}

/// The rule set and filter of a request, after checking that the caller may see what the
/// filter selects.
fn query_of(
    state: &AppState,
    s: &Served,
    caller: &Caller,
    layer: LayerName,
    p: &TileParams,
) -> Result<(usize, Filter), ApiError> {
    let rule = s.rule(p.rules.as_deref()).ok_or_else(|| {
        ApiError::NotFound(format!(
            "snapshot {} has no rule set {:?}",
            s.info.name,
            p.rules.as_deref().unwrap_or("")
        ))
    })?;
    if layer != LayerName::Coverage {
        return Ok((rule, Filter::default()));
    }
    let filter = Filter::parse(
        p.dataset.as_deref(),
        p.operator.as_deref(),
        p.technology.as_deref(),
    );
    // the same refusal for a confidential dataset and for a name that does not exist, so
    // that the answers do not tell which confidential datasets there are
    const REFUSED: &str = "this coverage is confidential: it needs a planner token";
    let own_operator_only = caller
        .operator()
        .is_some_and(|op| filter.operators.len() == 1 && filter.operators[0] == op);
    let is_coverage = |d: &str| {
        s.sources
            .iter()
            .any(|x| x.dataset.name == d && x.dataset.kind == DatasetKind::Coverage)
    };
    for d in &filter.datasets {
        let visible = caller.full_view() || own_operator_only || state.may_see(caller, d);
        if !visible {
            return Err(ApiError::denied(caller, REFUSED));
        }
        if !is_coverage(d) {
            return Err(ApiError::NotFound(format!(
                "snapshot {} has no coverage dataset {d:?}",
                s.info.name
            )));
        }
    }
    for i in filter.sources(s) {
        let name = &s.sources[i].dataset.name;
        if !state.may_see(caller, name) && !own_operator_only {
            return Err(ApiError::denied(caller, REFUSED));
        }
    }
    Ok((rule, filter))
}

/// The mobile white areas, for that layer: 404 when the server was started without them.
fn mobile_of(
    state: &AppState,
    layer: LayerName,
) -> Result<Option<Arc<crate::serve::tiles::mobile::MobileWhite>>, ApiError> {
    if layer != LayerName::MobileWhite {
        return Ok(None);
    }
    state.mobile_white.clone().map(Some).ok_or_else(|| {
        ApiError::NotFound(
            "this server has no mobile white areas (bianca serve --mobile-areas FILE)".into(),
        )
    })
}

fn accepts_gzip(h: &HeaderMap) -> bool {
    h.get_all(header::ACCEPT_ENCODING).iter().any(|v| {
        v.to_str().unwrap_or("").split(',').any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q0 = parts.any(|q| q.trim().replace(' ', "") == "q=0");
            (name == "gzip" || name == "*") && !q0
        })
    })
}

/// A vector tile (Mapbox Vector Tile 2.1).
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}.mvt", tag = "tiles",
    params(
        ("layer" = String, Path, description = "units, hexagons, areas, coverage or mobile_white"),
        ("z" = u8, Path, description = "zoom, 0 to 20"),
        ("x" = u32, Path), ("y" = u32, Path),
        TileParams,
    ),
    responses(
        (status = 200, description = "The tile (gzip when accepted)", content_type = "application/vnd.mapbox-vector-tile", body = Vec<u8>),
        (status = 204, description = "Nothing in this tile"),
        (status = 400, body = ErrorBody),
        (status = 401, description = "A bad token, or confidential coverage or another snapshot asked anonymously", body = ErrorBody),
        (status = 403, description = "Confidential coverage, or another snapshot asked without a planner or admin token", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn tile(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    Query(p): Query<TileParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layer = layer_of(&layer)?;
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::NotFound(format!("tiles end in .mvt, not {y:?}")))?;
    let bad = || ApiError::BadRequest(format!("tile {z}/{x}/{y} does not exist"));
    let (z, x, y): (u8, u32, u32) = (
        z.parse().map_err(|_| bad())?,
        x.parse().map_err(|_| bad())?,
        y.parse().map_err(|_| bad())?,
    );
    let tile = TileId::new(z, x, y).ok_or_else(bad)?;
    let mobile = mobile_of(&state, layer)?;
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    let (rule, filter) = query_of(&state, &cur.served, &caller, layer, &p)?;
    if layer == LayerName::Units
        && z >= crate::serve::tiles::units::MIN_ZOOM
        && !state.may_see_addresses(&caller, &cur.served)
    {
        return Err(ApiError::denied(
            &caller,
            "single addresses of this registry are confidential: below zoom 13 the layer has the public aggregates",
        ));
    }
    let full = caller.full_view() && layer == LayerName::Units;
    let compare_name = p
        .compare
        .as_deref()
        .filter(|c| !c.is_empty() && layer == LayerName::Units);
    let compare = match compare_name {
        Some(name) => {
            caller.require_full_view()?;
            Some(state.compared(&cur, name).await?)
        }
        None => None,
    };
    let key = TileKey {
        generation: cur.generation,
        layer,
        z,
        x,
        y,
        full,
        rule,
        filter: filter.clone(),
        compare: compare_name.map(str::to_string),
    };
    let made = Arc::new(AtomicBool::new(false));
    let made2 = made.clone();
    let served = cur.served.clone();
    let st = state.clone();
    let bytes = state
        .cache
        .get_or_insert_async(&key, async move {
            made2.store(true, Ordering::Relaxed);
            let _permit = st.renders.acquire().await.map_err(ApiError::internal)?;
            tokio::task::spawn_blocking(move || {
                let q = TileQuery {
                    tile,
                    rule,
                    full,
                    filter,
                    compare,
                    mobile,
                };
                mvt::gzip(&render(&served, layer, &q)).map(Bytes::from)
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
        })
        .await?;
    if made.load(Ordering::Relaxed) {
        state.metrics.tile_misses.fetch_add(1, Ordering::Relaxed);
    } else {
        state.metrics.tile_hits.fetch_add(1, Ordering::Relaxed);
    }
    let cache_control = if layer == LayerName::Units && full || layer == LayerName::Coverage {
        "private, max-age=60"
    } else {
        "public, max-age=60"
    };
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Encoding, Authorization"),
    );
    if bytes.is_empty() {
        return Ok((StatusCode::NO_CONTENT, h).into_response());
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT));
    if accepts_gzip(&headers) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        Ok((h, bytes).into_response())
    } else {
        let mut raw = Vec::new();
        GzDecoder::new(&bytes[..])
            .read_to_end(&mut raw)
            .map_err(ApiError::internal)?;
        Ok((h, raw).into_response())
    }
}

/// A layer's TileJSON 3.0.0 document.
#[utoipa::path(get, path = "/tiles/{layer}.json", tag = "tiles",
    params(("layer" = String, Path, description = "units, hexagons, areas, coverage or mobile_white"), TileParams),
    responses(
        (status = 200, description = "TileJSON 3.0.0", content_type = "application/json"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn tilejson(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(file): Path<String>,
    Query(p): Query<TileParams>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let name = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound(format!("no such document {file:?}: /tiles/{{layer}}.json"))
    })?;
    let layer = layer_of(name)?;
    let mobile = mobile_of(&state, layer)?;
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    let s = &cur.served;
    let (rule, _) = query_of(&state, s, &caller, layer, &p)?;
    let base = match &state.opts.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            // only a plain host[:port] and http or https make it into the URL
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    !h.is_empty()
                        && h.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
                })
                .unwrap_or("localhost");
            let proto = headers
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .filter(|p| *p == "https")
                .unwrap_or("http");
            format!("{proto}://{host}")
        }
    };
    let q = raw.map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt{q}", layer.as_str());
    let mut doc = tilejson::document(
        s,
        layer,
        url,
        rule,
        caller.full_view(),
        &state.opts.attribution,
    );
    if let Some(m) = mobile {
        // the areas are the server's, not the snapshot's: their own extent
        let b = m.bounds;
        doc["bounds"] = serde_json::json!(b);
        doc["center"] = serde_json::json!([(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 8]);
        doc["description"] = serde_json::json!(format!(
            "Mobile white areas (Italia 5G eligible pixels, dissolved) from {}",
            m.source
        ));
    }
    Ok(Json(doc).into_response())
}

#[derive(OpenApi)]
#[openapi(paths(tile, tilejson))]
pub struct TileDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance_follows_the_header() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0"),
        );
        assert!(!accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("deflate"));
        assert!(!accepts_gzip(&h));
    }
}
