//! How the units of an area moved between classes from another snapshot to the served one
//! (or to the one named by `?snapshot=`).

use super::export::units_in;
use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct MovesParams {
    /// The earlier snapshot.
    pub compare: String,
    /// Rule set (default: the primary one).
    pub rules: Option<String>,
    /// `comune`, `province` or `region` (default: from the code's length).
    pub level: Option<String>,
    /// The later snapshot (default: the one served).
    pub snapshot: Option<String>,
}

/// Units that were in class `from` in the compared snapshot and are in `to` now (`absent`:
/// not in that snapshot's registry).
#[derive(Debug, Serialize, ToSchema)]
pub struct Move {
    pub from: String,
    pub to: String,
    pub addresses: u64,
    pub units: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovesOut {
    pub snapshot: String,
    pub compare: String,
    pub rules: String,
    pub level: String,
    pub code: String,
    /// Addresses whose class is the same in both.
    pub unchanged_addresses: u64,
    /// The changes, most housing units first.
    pub moves: Vec<Move>,
}

/// The moves between classes of an area's units (planners and admins).
#[utoipa::path(get, path = "/api/v1/areas/{code}/moves", tag = "statistics",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "ISTAT code"), MovesParams),
    responses(
        (status = 200, body = MovesOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn moves(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(code): Path<String>,
    Query(p): Query<MovesParams>,
) -> Result<Json<MovesOut>, ApiError> {
    caller.require_full_view()?;
    let level = super::areas::area_level(p.level.as_deref(), &code)?;
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    let s = cur.served.clone();
    let rule = s.rule(p.rules.as_deref()).ok_or_else(|| {
        ApiError::NotFound(format!(
            "snapshot {} has no rule set {:?}",
            s.info.name, p.rules
        ))
    })?;
    let cmp = state.compared(&cur, &p.compare).await?;
    let rule_name = s.rules[rule].name.clone();
    if cmp.rules.get(rule).and_then(|r| r.as_ref()).is_none() {
        return Err(ApiError::NotFound(format!(
            "snapshot {} has no rule set {rule_name}",
            p.compare
        )));
    }
    let out = tokio::task::spawn_blocking(move || {
        let list = units_in(&s, level, &code);
        let mut by: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let mut unchanged = 0u64;
        for i in list {
            let d = s.cls.rules[rule].decisions[i];
            let now = &s.class_names[rule][s.slots.slot(rule, d.class) - s.slots.offsets[rule]];
            let was = cmp.class_of(rule, i).unwrap_or("absent");
            if was == now {
                unchanged += 1;
                continue;
            }
            let e = by.entry((was.to_string(), now.clone())).or_default();
            e.0 += 1;
            e.1 += u64::from(s.units.units[i]);
        }
        let mut moves: Vec<Move> = by
            .into_iter()
            .map(|((from, to), (addresses, units))| Move {
                from,
                to,
                addresses,
                units,
            })
            .collect();
        moves.sort_by_key(|m| std::cmp::Reverse(m.units));
        MovesOut {
            snapshot: s.info.name.clone(),
            compare: cmp.name.clone(),
            rules: rule_name,
            level: level.as_str().into(),
            code,
            unchanged_addresses: unchanged,
            moves,
        }
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(out))
}
