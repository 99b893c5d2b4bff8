//! One area: its names, parents, extent and statistics under every rule set.

use super::stats::{figures, Figures};
use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::snapshot::{parse_level, Served};
use crate::serve::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use bianca_engine::stats::Level;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaParams {
    /// `comune`, `province` or `region` (default: from the code's length: 6, 3 or 2 digits).
    pub level: Option<String>,
    /// Include the boundary as GeoJSON.
    pub geometry: Option<bool>,
    /// Another stored snapshot to show instead of the served one (planners and admins;
    /// the served snapshot's name is the same as none).
    pub snapshot: Option<String>,
}

/// Figures under one rule set.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleFigures {
    pub rules: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaOut {
    pub level: String,
    pub code: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// West, south, east, north (absent when no boundary is stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// lon, lat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub centre: Option<[f64; 2]>,
    /// The snapshot's figures, per rule set (empty when it has no unit there).
    pub stats: Vec<RuleFigures>,
    /// GeoJSON MultiPolygon, with `?geometry=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub geometry: Option<serde_json::Value>,
}

fn geojson(mp: &geo::MultiPolygon<f64>) -> serde_json::Value {
    let polys: Vec<Vec<Vec<[f64; 2]>>> =
        mp.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect();
    serde_json::json!({"type": "MultiPolygon", "coordinates": polys})
}

/// An area (comune, province, region) by ISTAT code.
#[utoipa::path(get, path = "/api/v1/areas/{code}", tag = "statistics",
    params(("code" = String, Path, description = "ISTAT code"), AreaParams),
    responses(
        (status = 200, body = AreaOut),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn area(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(code): Path<String>,
    Query(p): Query<AreaParams>,
) -> Result<Json<AreaOut>, ApiError> {
    let level = area_level(p.level.as_deref(), &code)?;
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    area_out(&cur.served, level, &code, p.geometry.unwrap_or(false))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no {} with code {code}", level.as_str())))
}

/// The level of an area: as given (`comune`, `province`, `region`), or from the length of
/// its ISTAT code (6, 3 or 2 digits).
pub fn area_level(level: Option<&str>, code: &str) -> Result<Level, ApiError> {
    match level {
        Some(l) => parse_level(l).filter(|l| *l != Level::Total).ok_or_else(|| {
            ApiError::BadRequest(format!("level {l:?}: expected comune, province or region"))
        }),
        None => match code.len() {
            6 => Ok(Level::Comune),
            3 => Ok(Level::Province),
            2 => Ok(Level::Region),
            _ => Err(ApiError::BadRequest(format!(
                "code {code:?}: give ?level= or an ISTAT code of 6 (comune), 3 (province) or 2 (region) digits"
            ))),
        },
    }
}

/// An area as the API gives it; `None` when the snapshot knows neither its boundary nor
/// statistics for it.
pub fn area_out(s: &Served, level: Level, code: &str, geometry: bool) -> Option<AreaOut> {
    let boundary = s
        .area_by_code
        .get(&(level, code.to_string()))
        .map(|&k| &s.areas[k]);
    let row = s
        .stats
        .iter()
        .find(|a| a.level == level.as_str() && a.code == code);
    if boundary.is_none() && row.is_none() {
        return None;
    }
    let stats = row
        .map(|a| {
            s.rules
                .iter()
                .enumerate()
                .map(|(i, r)| RuleFigures {
                    rules: r.name.clone(),
                    figures: figures(a, i, &s.class_names[i]),
                })
                .collect()
        })
        .unwrap_or_default();
    let name = boundary
        .map(|b| b.boundary.name.clone())
        .or_else(|| row.map(|r| r.name.clone()))
        .unwrap_or_default();
    Some(AreaOut {
        level: level.as_str().into(),
        code: code.to_string(),
        name,
        province: boundary.and_then(|b| b.boundary.province.clone()),
        region: boundary.and_then(|b| b.boundary.region.clone()),
        bbox: boundary.map(|b| b.bbox),
        centre: boundary.map(|b| b.centre),
        stats,
        geometry: boundary
            .filter(|_| geometry)
            .map(|b| geojson(&b.boundary.geometry)),
    })
}
