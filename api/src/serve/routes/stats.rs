//! Per-area statistics of a snapshot, or of two compared.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::snapshot::parse_level;
use crate::serve::AppState;
use crate::store::StoredArea;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    /// `comune`, `province`, `region` or `total` (default: every level).
    pub level: Option<String>,
    /// Area codes, comma separated (default: every area of the level).
    pub code: Option<String>,
    /// Rule set (default: the snapshot's primary rule set).
    pub rules: Option<String>,
    /// Snapshot (default: the one served; another needs a planner or admin token).
    pub snapshot: Option<String>,
    /// A second snapshot to compare with: each area gets its figures there and the change.
    pub compare: Option<String>,
}

/// Addresses and housing units of one class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassCount {
    pub class: String,
    pub addresses: i64,
    pub units: i64,
    /// Share of the area's housing units, 0 to 1.
    pub share: f64,
}

/// One area's figures in one snapshot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figures {
    pub addresses: i64,
    pub units: i64,
    pub classes: Vec<ClassCount>,
    pub units_4g: i64,
    pub units_5g: i64,
    /// Mean best download over addresses, Mbit/s.
    pub mean_down: f64,
}

/// Change of housing units in one class, from `compare` to `snapshot`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassChange {
    pub class: String,
    pub units: i64,
}

/// One area.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaStats {
    pub level: String,
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// The figures in the compared snapshot (absent when the area is not in it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<Figures>,
    /// This snapshot minus the compared one, per class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Vec<ClassChange>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub snapshot: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<String>,
    pub rules: String,
    /// The rule set's classes, then `unknown`.
    pub classes: Vec<String>,
    pub areas: Vec<AreaStats>,
}

/// Figures of `a` under the rule set at `position` with classes `names`.
pub fn figures(a: &StoredArea, position: usize, names: &[String]) -> Figures {
    let classes = names
        .iter()
        .map(|n| {
            let (addresses, units) = a
                .classes
                .iter()
                .filter(|(p, c, _, _)| *p as usize == position && c == n)
                .fold((0, 0), |(x, y), c| (x + c.2, y + c.3));
            ClassCount {
                class: n.clone(),
                addresses,
                units,
                share: if a.housing_units > 0 {
                    (units as f64 / a.housing_units as f64 * 10_000.0).round() / 10_000.0
                } else {
                    0.0
                },
            }
        })
        .collect();
    Figures {
        addresses: a.addresses,
        units: a.housing_units,
        classes,
        units_4g: a.units_4g,
        units_5g: a.units_5g,
        mean_down: if a.addresses > 0 {
            (a.sum_best_down / a.addresses as f64 * 10.0).round() / 10.0
        } else {
            0.0
        },
    }
}

/// A snapshot's rows and rule names: from memory when it is loaded (served or viewed),
/// else from the store.
async fn rows_of(
    state: &Arc<AppState>,
    name: &str,
) -> Result<(Vec<StoredArea>, Vec<String>), ApiError> {
    if let Some(c) = state.in_memory(name) {
        return Ok((c.served.stats.clone(), c.served.info.rules.clone()));
    }
    let name = name.to_string();
    state
        .with_store(move |s| {
            let info = s.snapshot(&name)?;
            Ok((s.snapshot_stats(&name, None)?, info.rules))
        })
        .await
}

/// Statistics per area: addresses, housing units per class, mobile coverage, mean speed.
#[utoipa::path(get, path = "/api/v1/stats", tag = "statistics", params(StatsParams),
    responses(
        (status = 200, body = StatsOut),
        (status = 400, body = ErrorBody),
        (status = 401, description = "Another snapshot asked anonymously (or a bad token)", body = ErrorBody),
        (status = 403, description = "Another snapshot asked without a planner or admin token", body = ErrorBody),
        (status = 404, description = "No such snapshot or rule set", body = ErrorBody),
    ))]
pub async fn stats(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<StatsParams>,
) -> Result<Json<StatsOut>, ApiError> {
    let level = match p.level.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(parse_level(l).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "level {l:?}: expected comune, province, region or total"
            ))
        })?),
        None => None,
    };
    let codes: Vec<&str> = p
        .code
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let served = state.current().served.info.name.clone();
    let name = match p
        .snapshot
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) if n != served => {
            caller.require_full_view()?;
            n.to_string()
        }
        _ => served,
    };
    let (rows, rule_names) = rows_of(&state, &name).await?;
    // class names come from the snapshot's rule sets when it is in memory (else the served
    // one's) and has the rule set
    let cur = state.in_memory(&name).unwrap_or_else(|| state.current());
    let rule = match p.rules.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => r.to_string(),
        None => rule_names.first().cloned().unwrap_or_default(),
    };
    let position = rule_names.iter().position(|r| *r == rule).ok_or_else(|| {
        ApiError::NotFound(format!(
            "snapshot {name} has no rule set {rule:?} (it has {})",
            rule_names.join(", ")
        ))
    })?;
    let names: Vec<String> = match cur.served.rule(Some(&rule)) {
        Some(i) => cur.served.class_names[i].clone(),
        None => {
            let mut v: Vec<String> = Vec::new();
            for (pos, c, _, _) in rows.iter().flat_map(|r| r.classes.iter()) {
                if *pos as usize == position && !v.contains(c) {
                    v.push(c.clone());
                }
            }
            v
        }
    };
    let compared = match &p.compare {
        Some(other) if !other.is_empty() => {
            let (rows2, rules2) = rows_of(&state, other).await?;
            let pos2 = rules2.iter().position(|r| *r == rule).ok_or_else(|| {
                ApiError::NotFound(format!("snapshot {other} has no rule set {rule:?}"))
            })?;
            let map: HashMap<(String, String), StoredArea> = rows2
                .into_iter()
                .map(|a| ((a.level.clone(), a.code.clone()), a))
                .collect();
            Some((other.clone(), map, pos2))
        }
        _ => None,
    };
    let areas = rows
        .iter()
        .filter(|a| level.is_none_or(|l| l.as_str() == a.level))
        .filter(|a| codes.is_empty() || codes.contains(&a.code.as_str()))
        .map(|a| {
            let now = figures(a, position, &names);
            let (compared, change) = match &compared {
                Some((_, map, pos2)) => {
                    let before = map
                        .get(&(a.level.clone(), a.code.clone()))
                        .map(|b| figures(b, *pos2, &names));
                    let change = names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| ClassChange {
                            class: n.clone(),
                            units: now.classes[i].units
                                - before.as_ref().map_or(0, |b| b.classes[i].units),
                        })
                        .collect();
                    (before, Some(change))
                }
                None => (None, None),
            };
            AreaStats {
                level: a.level.clone(),
                code: a.code.clone(),
                name: a.name.clone(),
                figures: now,
                compared,
                change,
            }
        })
        .collect();
    Ok(Json(StatsOut {
        snapshot: name,
        compare: compared.map(|c| c.0),
        rules: rule,
        classes: names,
        areas,
    }))
}
