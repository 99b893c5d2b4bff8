//! Assigning units to areas (comuni) by point-in-polygon, for registries without a comune.
//!
//! A unit on the shared border of two areas belongs to the one listed first in the areas
//! file (borders are covered by both; the lower index wins, so the result is deterministic).

use crate::io::read::Areas;
use crate::istat;
use crate::join::index::{GridIndex, GridOptions};
use crate::stats::{AreaInfo, Level};
use crate::units::{Units, NO_AREA};
use geo::{unary_union, MultiPolygon, Polygon};
use rayon::prelude::*;
use std::collections::BTreeMap;
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

/// One administrative area and its boundary: a comune from an areas file, or a province or
/// region dissolved from its comuni.
#[derive(Debug, Clone)]
pub struct Boundary {
    pub level: Level,
    /// ISTAT code: 6 digits (comune), 3 (province), 2 (region).
    pub code: String,
    pub name: String,
    /// The parent province's code (comuni only).
    pub province: Option<String>,
    /// The parent region's code (comuni and provinces).
    pub region: Option<String>,
    pub geometry: MultiPolygon<f64>,
}

/// The comuni of an areas file and the provinces and regions they make up, each dissolved
/// (unioned) from its comuni. A comune's province and region come from the file
/// (`prov_istat_code`, `reg_istat_code`) or else from the ISTAT list; a comune with neither
/// belongs to no province. Names likewise: the file's, else ISTAT's, else the code.
/// Ordered regions, then provinces, then comuni, each by code.
pub fn boundaries(areas: &Areas) -> Vec<Boundary> {
    let mut comuni: Vec<Boundary> = (0..areas.len())
        .map(|i| {
            let code = comune_code(&areas.codes[i]);
            let istat = istat::comune(&code);
            // the file's value, else ISTAT's
            let given = |column: &[Option<String>]| column.get(i).cloned().flatten();
            let province =
                given(&areas.province).or_else(|| istat.map(|c| c.province_code.to_string()));
            let region = given(&areas.region).or_else(|| istat.map(|c| c.region_code.to_string()));
            let name = given(&areas.names)
                .or_else(|| istat.map(|c| c.name.to_string()))
                .unwrap_or_else(|| code.clone());
            Boundary {
                level: Level::Comune,
                code,
                name,
                province,
                region,
                geometry: areas.geometries[i].clone(),
            }
        })
        .collect();
    comuni.sort_by(|a, b| a.code.cmp(&b.code));
    let mut provinces: BTreeMap<String, (Option<String>, Vec<&Polygon<f64>>)> = BTreeMap::new();
    let mut regions: BTreeMap<String, Vec<&Polygon<f64>>> = BTreeMap::new();
    for c in &comuni {
        if let Some(p) = &c.province {
            let e = provinces
                .entry(p.clone())
                .or_insert_with(|| (c.region.clone(), Vec::new()));
            e.1.extend(c.geometry.0.iter());
        }
        if let Some(r) = &c.region {
            regions
                .entry(r.clone())
                .or_default()
                .extend(c.geometry.0.iter());
        }
    }
    let mut out: Vec<Boundary> = regions
        .into_par_iter()
        .map(|(code, polys)| Boundary {
            level: Level::Region,
            name: istat::region_name(&code)
                .map(str::to_string)
                .unwrap_or_else(|| code.clone()),
            code,
            province: None,
            region: None,
            geometry: unary_union(polys),
        })
        .collect();
    out.par_extend(provinces.into_par_iter().map(|(code, (region, polys))| {
        Boundary {
            level: Level::Province,
            name: istat::province_name(&code)
                .map(str::to_string)
                .unwrap_or_else(|| code.clone()),
            code,
            province: None,
            region,
            geometry: unary_union(polys),
        }
    }));
    out.extend(comuni);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    fn square(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0)
        ]])
    }

    #[test]
    fn provinces_and_regions_are_dissolved_from_their_comuni() {
        // two adjacent comuni of Firenze (048) and one of Prato (100), all in Toscana (09)
        let areas = Areas {
            codes: vec!["48017".into(), "048001".into(), "100005".into()],
            names: vec![None, Some("Bagno".into()), None],
            province: vec![None, None, None],
            region: vec![None, None, None],
            geometries: vec![square(0.0, 0.0), square(1.0, 0.0), square(5.0, 5.0)],
        };
        let b = boundaries(&areas);
        let levels: Vec<(Level, &str)> = b.iter().map(|b| (b.level, b.code.as_str())).collect();
        assert_eq!(
            levels,
            [
                (Level::Region, "09"),
                (Level::Province, "048"),
                (Level::Province, "100"),
                (Level::Comune, "048001"),
                (Level::Comune, "048017"),
                (Level::Comune, "100005"),
            ]
        );
        assert_eq!(b[0].name, "Toscana");
        assert_eq!(b[1].name, "Firenze");
        assert_eq!(b[1].region.as_deref(), Some("09"));
        // the shared edge is gone: one 2x1 polygon
        assert_eq!(b[1].geometry.0.len(), 1);
        assert!((b[1].geometry.unsigned_area() - 2.0).abs() < 1e-9);
        assert_eq!(b[0].geometry.0.len(), 2);
        assert!((b[0].geometry.unsigned_area() - 3.0).abs() < 1e-9);
        // names: the file's, else ISTAT's
        assert_eq!(b[3].name, "Bagno");
        assert_eq!(b[4].name, "Firenze");
        assert_eq!(b[3].province.as_deref(), Some("048"));
    }
}
