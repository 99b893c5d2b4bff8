//! Assigning units to areas (comuni) by point-in-polygon, for registries without a comune.
//!
//! A unit on the shared border of two areas belongs to the one listed first in the areas
//! file (borders are covered by both; the lower index wins, so the result is deterministic).

use crate::io::read::Areas;
use crate::join::index::{GridIndex, GridOptions};
use crate::stats::AreaInfo;
use crate::units::{Units, NO_AREA};
use rayon::prelude::*;
use std::collections::HashMap;

/// Gives every unit without a comune the code of the area covering it. Returns the number of
/// units that were assigned and the number that no area covers.
pub fn assign(units: &mut Units, areas: &Areas) -> (usize, usize) {
    let index = GridIndex::build(&areas.geometries, GridOptions::default());
    let found: Vec<Option<u32>> = (0..units.len())
        .into_par_iter()
        .map(|i| {
            if units.comune[i] != NO_AREA {
                return None;
            }
            let mut best: Option<u32> = None;
            index.for_each_covering(units.lon[i], units.lat[i], |a| {
                best = Some(best.map_or(a, |b| b.min(a)));
            });
            best
        })
        .collect();
    let (mut assigned, mut missing) = (0, 0);
    for (i, f) in found.into_iter().enumerate() {
        if units.comune[i] != NO_AREA {
            continue;
        }
        match f {
            Some(a) => {
                units.comune[i] = units
                    .comune_codes
                    .intern(&comune_code(&areas.codes[a as usize]));
                assigned += 1;
            }
            None => missing += 1,
        }
    }
    (assigned, missing)
}

/// An area code as a comune code: all-digit codes shorter than 6 characters (an integer
/// field such as `com_istat_code_num`) are zero-padded to ISTAT's 6 digits.
pub fn comune_code(code: &str) -> String {
    if !code.is_empty() && code.len() < 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("{code:0>6}")
    } else {
        code.to_string()
    }
}

/// Names, provinces and regions given by an areas file, by area code.
pub fn info_of(areas: &Areas) -> HashMap<String, AreaInfo> {
    areas
        .codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            (
                comune_code(code),
                AreaInfo {
                    name: areas.names.get(i).cloned().flatten(),
                    province: areas.province.get(i).cloned().flatten(),
                    region: areas.region.get(i).cloned().flatten(),
                },
            )
        })
        .collect()
}
