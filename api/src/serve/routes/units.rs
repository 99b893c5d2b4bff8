//! One housing unit: where it is, its class under every rule set, and the offers that
//! reach it.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::snapshot::Served;
use crate::serve::tiles::units::{best_technology, speed_class};
use crate::serve::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use bianca_engine::model::{RasterCoverage, ValueKind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct UnitParams {
    /// Another stored snapshot to show instead of the served one (planners and admins;
    /// the served snapshot's name is the same as none).
    pub snapshot: Option<String>,
}

/// The unit's class under one rule set.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitClass {
    pub rules: String,
    pub class: String,
    /// Qualifying networks (full view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub networks: Option<u8>,
}

/// An offer reaching the unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferOut {
    pub operator: String,
    pub technology: String,
    /// Download and upload, Mbit/s; left out when unknown (a coverage raster's upload
    /// without UP_MBPS, a signal level the rule set has no table for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_mbps: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_mbps: Option<f32>,
    /// Peak speeds, when the dataset gives them (FWA, mobile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_down_mbps: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_up_mbps: Option<f32>,
    /// `existing` or `planned`.
    pub status: String,
    /// The year a planned network is expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// `footprint` (the unit lies in a coverage polygon), `declaration` (declared for the
    /// unit's id) or `raster` (the pixel holding the unit, in a coverage raster).
    pub via: String,
    /// Rasters: what the pixels measure (`down_mbps`, `peak_down_mbps`, `rsrp_dbm`) and the
    /// value of the unit's pixel. The speeds of a signal level (RSRP) are those of the
    /// primary rule set's signal table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f32>,
    /// The dataset it comes from, and when that was imported (UTC, ISO 8601).
    pub dataset: String,
    pub dataset_imported_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    /// Housing units at the address.
    pub units: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comune: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comune_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub classes: Vec<UnitClass>,
    /// The best technology reaching the unit (`none` if nothing does).
    pub technology: String,
    /// Every technology reaching it.
    pub technologies: Vec<String>,
    /// The speed class of the best download.
    pub speed: String,
    /// Best download and upload, Mbit/s (full view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_down_mbps: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_up_mbps: Option<f32>,
    pub networks_4g: u8,
    pub networks_5g: u8,
    /// The offers the caller may see: all for planners and admins; from public datasets
    /// (and, for an uploader, its own operator's) for others.
    pub offers: Vec<OfferOut>,
    pub snapshot: String,
}

fn offer_out(s: &Served, o: u32, via: &str) -> OfferOut {
    let offer = &s.coverage.offers.offers[o as usize];
    let ds = &s.sources[offer.source as usize].dataset;
    OfferOut {
        operator: s.coverage.offers.names.name(offer.operator).to_string(),
        technology: offer.technology.as_str().into(),
        down_mbps: Some(offer.down_mbps).filter(|v| !v.is_nan()),
        up_mbps: Some(offer.up_mbps).filter(|v| !v.is_nan()),
        peak_down_mbps: offer.peak_down_mbps,
        peak_up_mbps: offer.peak_up_mbps,
        status: offer.status.as_str().into(),
        year: offer.year,
        via: via.into(),
        value_kind: None,
        value: None,
        dataset: ds.name.clone(),
        dataset_imported_at: ds.imported_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

/// The offer of raster `r` at lon/lat, when its pixel there has a value that reaches the
/// point at all (see [`bianca_engine::mobile::reaches`]).
fn raster_offer_out(s: &Served, r: &RasterCoverage, lon: f64, lat: f64) -> Option<OfferOut> {
    let (x, y) = r.band.to_crs.transform_point(lon, lat).ok().flatten()?;
    let v = r.band.value_at(x, y)?;
    if !bianca_engine::mobile::reaches(r.kind, v) {
        return None;
    }
    let mut o = offer_out(s, r.offer, "raster");
    o.value_kind = Some(r.kind.as_str().into());
    o.value = Some(v);
    o.up_mbps = r.up_mbps;
    match r.kind {
        ValueKind::DownMbps => o.down_mbps = Some(v),
        ValueKind::PeakDownMbps => {
            o.down_mbps = Some(v);
            o.peak_down_mbps = Some(v);
        }
        ValueKind::RsrpDbm => {
            let tech = s.coverage.offers.offers[r.offer as usize].technology;
            let speeds = s.rules.first().and_then(|rs| rs.signal_speeds(tech, v));
            o.down_mbps = speeds.map(|(d, _)| d);
            o.up_mbps = speeds.map(|(_, u)| u).or(r.up_mbps);
        }
    }
    Some(o)
}

/// A housing unit by its registry id.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units",
    params(("id" = String, Path, description = "The unit's id in the registry"), UnitParams),
    responses(
        (status = 200, body = UnitOut),
        (status = 401, description = "A bad token, a confidential registry or another snapshot asked anonymously", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn unit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(p): Query<UnitParams>,
) -> Result<Json<UnitOut>, ApiError> {
    let cur = state.snapshot_for(&caller, p.snapshot.as_deref()).await?;
    let s = &cur.served;
    if !state.may_see_addresses(&caller, s) {
        return Err(ApiError::denied(
            &caller,
            "the addresses of this registry are confidential",
        ));
    }
    let i = s
        .unit(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no unit {id:?} in snapshot {}", s.info.name)))?;
    let visible = |o: u32| {
        let offer = &s.coverage.offers.offers[o as usize];
        let ds = &s.sources[offer.source as usize].dataset.name;
        state.may_see(&caller, ds)
            || caller
                .operator()
                .is_some_and(|op| op == s.coverage.offers.names.name(offer.operator))
    };
    Ok(Json(unit_out(s, i, caller.full_view(), visible)))
}

/// Unit `i` as the API gives it: exact speeds and network counts in the `full` view; the
/// offers for which `visible(offer)` is true. `bianca export-public` writes the same answer
/// (public view, public datasets' offers) for its static map.
pub fn unit_out(s: &Served, i: usize, full: bool, visible: impl Fn(u32) -> bool) -> UnitOut {
    let reach = &s.cls.reach[i];
    let mut offers = Vec::new();
    let mut via_fp: Vec<u32> = Vec::new();
    s.footprint_index
        .for_each_covering(s.units.lon[i], s.units.lat[i], |f| {
            via_fp.push(s.coverage.footprints[f as usize].offer)
        });
    via_fp.sort_unstable();
    via_fp.dedup();
    for &o in &via_fp {
        if visible(o) {
            offers.push(offer_out(s, o, "footprint"));
        }
    }
    if let Some(d) = s.declared.get(&(i as u32)) {
        for &o in d {
            if visible(o) {
                offers.push(offer_out(s, o, "declaration"));
            }
        }
    }
    for r in s.coverage.rasters.iter().filter(|r| visible(r.offer)) {
        if let Some(o) = raster_offer_out(s, r, s.units.lon[i], s.units.lat[i]) {
            offers.push(o);
        }
    }
    UnitOut {
        id: s.units.ids.get(i).to_string(),
        lon: s.units.lon[i],
        lat: s.units.lat[i],
        units: s.units.units[i],
        comune: s.units.comune_code(i).map(str::to_string),
        comune_name: s.comune_name(i).map(str::to_string),
        address: s
            .units
            .address
            .as_ref()
            .map(|a| a.get(i).to_string())
            .filter(|a| !a.is_empty()),
        classes: s
            .cls
            .rules
            .iter()
            .enumerate()
            .map(|(r, rr)| {
                let d = rr.decisions[i];
                UnitClass {
                    rules: rr.name.clone(),
                    class: s.class_names[r][s.slots.slot(r, d.class) - s.slots.offsets[r]].clone(),
                    networks: full.then_some(d.networks),
                }
            })
            .collect(),
        technology: best_technology(reach.technologies)
            .map_or("none", |t| t.as_str())
            .into(),
        technologies: reach
            .technologies
            .iter()
            .map(|t| t.as_str().to_string())
            .collect(),
        speed: speed_class(reach.best_down).into(),
        best_down_mbps: full.then_some(reach.best_down),
        best_up_mbps: full.then_some(reach.best_up),
        networks_4g: reach.networks_4g,
        networks_5g: reach.networks_5g,
        offers,
        snapshot: s.info.name.clone(),
    }
}
