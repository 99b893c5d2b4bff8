//! The units of an area (a comune, province or region, or a drawn polygon) with their
//! results, as CSV or GeoJSON, for planners.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::snapshot::Served;
use crate::serve::tiles::geom::world_u32;
use crate::serve::tiles::units::best_technology;
use crate::serve::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bianca_engine::stats::Level;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportParams {
    /// `csv` (default) or `geojson`.
    pub format: Option<String>,
    /// `comune`, `province` or `region` (default: from the code's length).
    pub level: Option<String>,
    /// Another stored snapshot (default: the one served).
    pub snapshot: Option<String>,
}

/// The units of a comune, a province or a region.
pub fn units_in(s: &Served, level: Level, code: &str) -> Vec<usize> {
    // which of the registry's comuni (few hundred) lie in the area, then one lookup per unit
    let codes = s.units.comune_codes.names();
    let inside: Vec<bool> = codes
        .iter()
        .map(|c| match level {
            Level::Comune => c == code,
            _ => {
                let pick = |province: Option<&str>, region: Option<&str>| {
                    if level == Level::Province {
                        province
                    } else {
                        region
                    }
                    .map(str::to_string)
                };
                let parent = s
                    .area_by_code
                    .get(&(Level::Comune, c.clone()))
                    .map(|&k| &s.areas[k].boundary)
                    .and_then(|b| pick(b.province.as_deref(), b.region.as_deref()))
                    .or_else(|| {
                        bianca_engine::istat::comune(c)
                            .and_then(|x| pick(Some(x.province_code), Some(x.region_code)))
                    });
                parent.as_deref() == Some(code)
            }
        })
        .collect();
    (0..s.units.len())
        .filter(|&i| {
            inside
                .get(s.units.comune[i] as usize)
                .copied()
                .unwrap_or(false)
        })
        .collect()
}

fn csv_field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

/// Units as CSV or a GeoJSON FeatureCollection, with their classes under every rule set,
/// best speeds and technologies.
fn render(s: &Served, list: &[usize], geojson: bool) -> String {
    let class = |r: usize, i: usize| {
        let d = s.cls.rules[r].decisions[i];
        s.class_names[r][s.slots.slot(r, d.class) - s.slots.offsets[r]].clone()
    };
    let techs = |i: usize| {
        let t: Vec<&str> = s.cls.reach[i]
            .technologies
            .iter()
            .map(|t| t.as_str())
            .collect();
        t.join("|")
    };
    if geojson {
        let features: Vec<serde_json::Value> = list
            .iter()
            .map(|&i| {
                let reach = &s.cls.reach[i];
                let mut props = serde_json::Map::new();
                props.insert("id".into(), s.units.ids.get(i).into());
                props.insert("units".into(), s.units.units[i].into());
                props.insert("comune".into(), s.units.comune_code(i).unwrap_or("").into());
                if let Some(a) = &s.units.address {
                    props.insert("address".into(), a.get(i).into());
                }
                for (r, rule) in s.rules.iter().enumerate() {
                    props.insert(format!("class_{}", rule.name), class(r, i).into());
                }
                props.insert("best_down_mbps".into(), reach.best_down.into());
                props.insert("best_up_mbps".into(), reach.best_up.into());
                props.insert("technologies".into(), techs(i).into());
                serde_json::json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [s.units.lon[i], s.units.lat[i]]},
                    "properties": props,
                })
            })
            .collect();
        return serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    }
    let mut out = String::with_capacity(list.len() * 120);
    out.push_str("id,lon,lat,units,comune,address");
    for rule in &s.rules {
        let _ = write!(out, ",class_{}", rule.name);
    }
    out.push_str(",best_down_mbps,best_up_mbps,best_technology,technologies\n");
    for &i in list {
        let reach = &s.cls.reach[i];
        csv_field(&mut out, s.units.ids.get(i));
        let _ = write!(
            out,
            ",{},{},{},",
            s.units.lon[i], s.units.lat[i], s.units.units[i]
        );
        csv_field(&mut out, s.units.comune_code(i).unwrap_or(""));
        out.push(',');
        csv_field(&mut out, s.units.address.as_ref().map_or("", |a| a.get(i)));
        for r in 0..s.rules.len() {
            out.push(',');
            csv_field(&mut out, &class(r, i));
        }
        let _ = writeln!(
            out,
            ",{},{},{},{}",
            reach.best_down,
            reach.best_up,
            best_technology(reach.technologies).map_or("", |t| t.as_str()),
            techs(i)
        );
    }
    out
}

/// The response of an export: its content type and a file name.
fn attachment(body: String, geojson: bool, name: &str) -> Response {
    let (ctype, ext) = if geojson {
        ("application/geo+json", "geojson")
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"bianca-{name}.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn format_of(f: Option<&str>) -> Result<bool, ApiError> {
    match f.unwrap_or("csv") {
        "csv" => Ok(false),
        "geojson" => Ok(true),
        f => Err(ApiError::BadRequest(format!(
            "format {f:?}: csv or geojson"
        ))),
    }
}

/// Every unit of an area with its classes under every rule set, best speeds and
/// technologies (planners and admins).
#[utoipa::path(get, path = "/api/v1/areas/{code}/units", tag = "statistics",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "ISTAT code"), ExportParams),
    responses(
        (status = 200, description = "CSV (text/csv) or GeoJSON FeatureCollection", content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn area_units(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(code): Path<String>,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    caller.require_full_view()?;
    let level = super::areas::area_level(p.level.as_deref(), &code)?;
    let geojson = format_of(p.format.as_deref())?;
    let s = state
        .snapshot_for(&caller, p.snapshot.as_deref())
        .await?
        .served
        .clone();
    let code2 = code.clone();
    let body = tokio::task::spawn_blocking(move || {
        let list = units_in(&s, level, &code2);
        if list.is_empty() && !s.area_by_code.contains_key(&(level, code2.clone())) {
            return Err(ApiError::NotFound(format!(
                "no {} with code {code2}",
                level.as_str()
            )));
        }
        Ok(render(&s, &list, geojson))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(attachment(
        body,
        geojson,
        &format!("{}-{code}", level.as_str()),
    ))
}

/// A drawn area and the format of its export.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PolygonExport {
    /// A GeoJSON Polygon or MultiPolygon geometry, lon/lat (EPSG:4326).
    #[schema(value_type = Object)]
    pub polygon: serde_json::Value,
    /// `csv` (default) or `geojson`.
    pub format: Option<String>,
    /// Another stored snapshot (default: the one served).
    pub snapshot: Option<String>,
}

fn ring(v: &serde_json::Value) -> Option<geo::LineString<f64>> {
    let coords: Option<Vec<geo::Coord<f64>>> = v
        .as_array()?
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            let (x, y) = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
            (x.is_finite() && y.is_finite()).then_some(geo::Coord { x, y })
        })
        .collect();
    let coords = coords?;
    (coords.len() >= 3).then_some(geo::LineString(coords))
}

fn polygon(v: &serde_json::Value) -> Option<geo::Polygon<f64>> {
    let (ext, holes) = v.as_array()?.split_first()?;
    Some(geo::Polygon::new(
        ring(ext)?,
        holes.iter().map(ring).collect::<Option<Vec<_>>>()?,
    ))
}

/// A GeoJSON Polygon or MultiPolygon geometry as geo's.
pub fn parse_polygon(v: &serde_json::Value) -> Result<geo::MultiPolygon<f64>, ApiError> {
    let bad = |m: &str| ApiError::BadRequest(format!("polygon: {m}"));
    let coords = v.get("coordinates").ok_or_else(|| bad("no coordinates"))?;
    match v.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => polygon(coords)
            .map(|p| geo::MultiPolygon(vec![p]))
            .ok_or_else(|| bad("a Polygon needs rings of at least 3 [lon, lat] positions")),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or_else(|| bad("MultiPolygon coordinates must be an array"))?
            .iter()
            .map(polygon)
            .collect::<Option<Vec<_>>>()
            .map(geo::MultiPolygon)
            .ok_or_else(|| {
                bad("a MultiPolygon needs polygons of rings of at least 3 [lon, lat] positions")
            }),
        _ => Err(bad("type must be Polygon or MultiPolygon")),
    }
}

/// The units inside a polygon; a unit on its boundary is inside.
pub fn units_within(s: &Served, mp: &geo::MultiPolygon<f64>) -> Vec<usize> {
    use geo::{BoundingRect, Intersects};
    let Some(r) = mp.bounding_rect() else {
        return Vec::new();
    };
    let (x0, y1) = world_u32(r.min().x, r.min().y);
    let (x1, y0) = world_u32(r.max().x, r.max().y);
    let mut out = Vec::new();
    s.points.query([x0, y0, x1, y1], |i, _, _| {
        let i = i as usize;
        if mp.intersects(&geo::Point::new(s.units.lon[i], s.units.lat[i])) {
            out.push(i);
        }
    });
    out.sort_unstable();
    out
}

/// The units inside a drawn polygon with their results (planners and admins).
#[utoipa::path(post, path = "/api/v1/units/export", tag = "units",
    security(("bearer" = [])),
    request_body = PolygonExport,
    responses(
        (status = 200, description = "CSV (text/csv) or GeoJSON FeatureCollection", content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub async fn polygon_units(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(p): Json<PolygonExport>,
) -> Result<Response, ApiError> {
    caller.require_full_view()?;
    let geojson = format_of(p.format.as_deref())?;
    let mp = parse_polygon(&p.polygon)?;
    let s = state
        .snapshot_for(&caller, p.snapshot.as_deref())
        .await?
        .served
        .clone();
    let body = tokio::task::spawn_blocking(move || render(&s, &units_within(&s, &mp), geojson))
        .await
        .map_err(ApiError::internal)?;
    Ok(attachment(body, geojson, "drawn-area"))
}
