//! The catalog: snapshots, the served snapshot's rule sets, datasets.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// A stored snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotOut {
    pub name: String,
    pub reference_year: i32,
    /// UTC, ISO 8601.
    pub created_at: String,
    /// Who made it (full view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// The registry classified (when the caller may see it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Coverage and declarations datasets (the public ones only, for the public view).
    pub sources: Vec<String>,
    /// Rule sets, primary first.
    pub rules: Vec<String>,
    pub addresses: i64,
    pub housing_units: i64,
    /// True for the snapshot this server serves.
    pub served: bool,
}

/// Every snapshot in the store, oldest first.
#[utoipa::path(get, path = "/api/v1/snapshots", tag = "catalog",
    responses(
        (status = 200, body = Vec<SnapshotOut>),
        (status = 401, description = "A bad token", body = ErrorBody),
    ))]
pub async fn snapshots(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<SnapshotOut>>, ApiError> {
    let list = state.with_store(|s| s.snapshots()).await?;
    let served = state.current().served.info.name.clone();
    Ok(Json(
        list.into_iter()
            .map(|s| SnapshotOut {
                served: s.name == served,
                sources: s
                    .sources
                    .into_iter()
                    .filter(|d| state.may_see(&caller, d))
                    .collect(),
                created_at: s.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                created_by: caller.full_view().then_some(s.created_by),
                name: s.name,
                reference_year: s.reference_year,
                registry: state
                    .may_see(&caller, &s.units_dataset)
                    .then_some(s.units_dataset),
                rules: s.rules,
                addresses: s.addresses,
                housing_units: s.housing_units,
            })
            .collect(),
    ))
}

/// A rule set of the served snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    /// 0 for the primary rule set.
    pub position: usize,
    pub name: String,
    pub version: u32,
    pub title: String,
    pub description: String,
    /// Class names, in order, then `unknown`.
    pub classes: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RulesParams {
    /// Another stored snapshot to show instead of the served one (planners and admins;
    /// the served snapshot's name is the same as none).
    pub snapshot: Option<String>,
}

/// The rule sets of the served snapshot (or of another, for planners), primary first.
#[utoipa::path(get, path = "/api/v1/rules", tag = "catalog", params(RulesParams),
    responses(
        (status = 200, body = Vec<RuleOut>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn rules(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<RulesParams>,
) -> Result<Json<Vec<RuleOut>>, ApiError> {
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    Ok(Json(rules_out(&cur.served)))
}

/// The rule sets of a snapshot as the API gives them.
pub fn rules_out(s: &crate::serve::snapshot::Served) -> Vec<RuleOut> {
    s.rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleOut {
            position: i,
            name: r.name.clone(),
            version: r.version,
            title: r.title.clone(),
            description: r.description.clone(),
            classes: s.class_names[i].clone(),
        })
        .collect()
}

/// A dataset of the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetOut {
    pub name: String,
    /// `units`, `coverage` or `declarations`.
    pub kind: String,
    pub public: bool,
    pub rows: i64,
    /// UTC, ISO 8601.
    pub imported_at: String,
    /// True when the served snapshot uses it.
    pub in_snapshot: bool,
    /// The file it came from (full view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Who imported it (full view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_by: Option<String>,
}

/// The datasets the caller may see: all for planners and admins, the public ones for others.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "catalog",
    responses(
        (status = 200, body = Vec<DatasetOut>),
        (status = 401, description = "A bad token", body = ErrorBody),
    ))]
pub async fn datasets(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<DatasetOut>>, ApiError> {
    let list = state.with_store(|s| s.datasets()).await?;
    let cur = state.current();
    let info = &cur.served.info;
    let full = caller.full_view();
    Ok(Json(
        list.into_iter()
            .filter(|d| full || d.public)
            .map(|d| DatasetOut {
                in_snapshot: info.units_dataset == d.name || info.sources.contains(&d.name),
                kind: d.kind.as_str().into(),
                public: d.public,
                rows: d.rows,
                imported_at: d.imported_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                source_file: full.then_some(d.source_file),
                imported_by: full.then_some(d.imported_by),
                name: d.name,
            })
            .collect(),
    ))
}

/// One kind of offer in the served snapshot: a dataset's offers of one operator, technology
/// and status.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferKind {
    pub dataset: String,
    pub operator: String,
    pub technology: String,
    /// `existing` or `planned`.
    pub status: String,
    /// The year a planned network is expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Footprints (coverage datasets) of these offers.
    pub footprints: usize,
    /// Declared addresses (declarations datasets).
    pub declarations: usize,
    /// Raster bands (coverage rasters: speeds vary per pixel).
    pub raster_bands: usize,
    /// Best download among the footprints and declarations, Mbit/s.
    pub max_down_mbps: f32,
}

/// The operators, technologies and statuses of the served snapshot's offers, from the
/// datasets the caller may see (an uploader also sees its own operator's): what the map's
/// coverage filters offer.
#[utoipa::path(get, path = "/api/v1/offers", tag = "catalog",
    responses(
        (status = 200, body = Vec<OfferKind>),
        (status = 401, description = "A bad token", body = ErrorBody),
    ))]
pub async fn offers(State(state): State<Arc<AppState>>, caller: Caller) -> Json<Vec<OfferKind>> {
    let cur = state.current();
    let s = &cur.served;
    let offers = &s.coverage.offers;
    let mut by: std::collections::BTreeMap<
        (String, String, String, String, Option<i32>),
        OfferKind,
    > = std::collections::BTreeMap::new();
    let visible: Vec<bool> = offers
        .offers
        .iter()
        .map(|o| {
            state.may_see(&caller, &s.sources[o.source as usize].dataset.name)
                || caller
                    .operator()
                    .is_some_and(|op| op == offers.names.name(o.operator))
        })
        .collect();
    let mut add = |o: u32, fp: usize, decl: usize, bands: usize| {
        if !visible[o as usize] {
            return;
        }
        let offer = &offers.offers[o as usize];
        let key = (
            s.sources[offer.source as usize].dataset.name.clone(),
            offers.names.name(offer.operator).to_string(),
            offer.technology.as_str().to_string(),
            offer.status.as_str().to_string(),
            offer.year,
        );
        let e = by.entry(key.clone()).or_insert_with(|| OfferKind {
            dataset: key.0,
            operator: key.1,
            technology: key.2,
            status: key.3,
            year: key.4,
            footprints: 0,
            declarations: 0,
            raster_bands: 0,
            max_down_mbps: 0.0,
        });
        e.footprints += fp;
        e.declarations += decl;
        e.raster_bands += bands;
        e.max_down_mbps = e.max_down_mbps.max(offer.down_mbps);
    };
    for f in &s.coverage.footprints {
        add(f.offer, 1, 0, 0);
    }
    for d in &s.coverage.declarations {
        add(d.offer, 0, 1, 0);
    }
    for r in &s.coverage.rasters {
        add(r.offer, 0, 0, 1);
    }
    Json(by.into_values().collect())
}
