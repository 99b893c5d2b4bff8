//! Address and comune search.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::search::Hit;
use crate::serve::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// The text: an address ("via roma 12 firenze") or a comune name; accents and case do
    /// not matter, the last word may be a prefix.
    pub q: String,
    /// Results at most (default 10, at most 50).
    pub limit: Option<usize>,
    /// Another stored snapshot to show instead of the served one (planners and admins;
    /// the served snapshot's name is the same as none).
    pub snapshot: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// `address` or `comune`.
    pub kind: String,
    pub label: String,
    /// The unit id (addresses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The ISTAT code (comuni), or the comune of an address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// West, south, east, north (comuni).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// The address's class under the primary rule set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Higher is better.
    pub score: f64,
}

/// Ranked matches of a text among addresses and comuni.
#[utoipa::path(get, path = "/api/v1/search", tag = "units", params(SearchParams),
    responses(
        (status = 200, body = Vec<SearchResult>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn search(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<SearchResult>>, ApiError> {
    if p.q.trim().is_empty() {
        return Err(ApiError::BadRequest("q is empty".into()));
    }
    if p.q.len() > 200 {
        return Err(ApiError::BadRequest("q is longer than 200 bytes".into()));
    }
    let limit = p.limit.unwrap_or(10).clamp(1, 50);
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    let s = &cur.served;
    // a confidential registry: comuni only
    let addresses = state.may_see_addresses(&caller, s);
    let out = s
        .search
        .search(&p.q, if addresses { limit } else { limit + 200 })
        .into_iter()
        .filter(|r| addresses || matches!(r.hit, Hit::Comune(_)))
        .take(limit)
        .map(|r| match r.hit {
            Hit::Address(i) => {
                let i = i as usize;
                let addr = s.units.address.as_ref().map_or("", |a| a.get(i));
                let label = match s.comune_name(i) {
                    Some(c) => format!("{addr}, {c}"),
                    None => addr.to_string(),
                };
                let class = s.cls.rules.first().map(|rr| {
                    let d = rr.decisions[i];
                    s.class_names[0][s.slots.slot(0, d.class)].clone()
                });
                SearchResult {
                    kind: "address".into(),
                    label,
                    id: Some(s.units.ids.get(i).to_string()),
                    code: s.units.comune_code(i).map(str::to_string),
                    lon: s.units.lon[i],
                    lat: s.units.lat[i],
                    bbox: None,
                    class,
                    score: r.score,
                }
            }
            Hit::Comune(k) => {
                let a = &s.areas[k as usize];
                SearchResult {
                    kind: "comune".into(),
                    label: a.boundary.name.clone(),
                    id: None,
                    code: Some(a.boundary.code.clone()),
                    lon: a.centre[0],
                    lat: a.centre[1],
                    bbox: Some(a.bbox),
                    class: None,
                    score: r.score,
                }
            }
        })
        .collect();
    Ok(Json(out))
}
