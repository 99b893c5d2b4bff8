//! Administrative areas (comuni, provinces, regions): polygons with a code.

use std::collections::HashMap;
use std::path::Path;

use geo::{Geometry, MultiPolygon};
use rayon::prelude::*;

use super::crs::Reprojector;
use super::geometry::{reproject_multipolygon, to_multipolygon};
use super::records::{visit, Columns, Record};
use super::ReadOptions;
use crate::error::{Error, Location, Result};

/// Areas read from a polygon layer, one entry per distinct code, in first-seen order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Areas {
    pub codes: Vec<String>,
    pub names: Vec<Option<String>>,
    /// ISTAT province code (`prov_istat_code`), when the input has it.
    pub province: Vec<Option<String>>,
    /// ISTAT region code (`reg_istat_code`), when the input has it.
    pub region: Vec<Option<String>>,
    /// Lon/lat polygons.
    pub geometries: Vec<MultiPolygon<f64>>,
}

impl Areas {
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// One feature as read: (row, code, name, province, region, geometry in the input CRS).
type RawArea = (
    u64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Geometry<f64>,
);

/// Columns tried, in order, for an area's name.
const NAME_COLUMNS: [&str; 5] = ["name", "nome", "denominazione", "den_uts", "comune_name"];

/// Reads areas whose code is in column `code_field` (case-insensitive).
///
/// - Codes are trimmed; a numeric code is zero-padded to the ISTAT width when the column is
///   a comune code (`pro_com`, `pro_com_t`, `comune`, `istat`: 6 digits); province codes
///   (`prov_istat_code`) to 3, region codes (`reg_istat_code`) to 2.
/// - Features sharing a code are merged into one MultiPolygon (islands split across
///   features); the first name seen wins.
/// - Every bad feature is an error (there is no skip mode for areas): missing code, a
///   non-polygonal or empty geometry, a coordinate that cannot be reprojected. Polygon
///   validity is not checked (official boundaries are trusted).
pub fn read_areas(path: &Path, code_field: &str, opts: &ReadOptions) -> Result<Areas> {
    let code_key = code_field.trim().to_lowercase();
    let code_width = match code_key.as_str() {
        "pro_com" | "pro_com_t" | "comune" | "istat" | "cod_istat" => Some(6),
        "prov_istat_code" | "cod_prov" => Some(3),
        "reg_istat_code" | "cod_reg" => Some(2),
        _ => None,
    };
    let mut raw: Vec<RawArea> = Vec::new();
    let mut reprojector = Reprojector::identity();
    visit(
        path,
        opts,
        true,
        &mut |cols: &Columns| {
            cols.require(path, &[code_key.as_str()])?;
            reprojector = cols.reprojector.clone();
            Ok(())
        },
        &mut |cols: &Columns, rec: Record| {
            let at = Location::file(path).row(rec.row);
            if let Some(p) = &rec.problem {
                return Err(Error::input(at, p.clone()));
            }
            let code = rec
                .get(cols, &code_key)
                .map(|c| pad(&c, code_width))
                .ok_or_else(|| Error::input(at.clone().field(code_field), "missing value"))?;
            let name = NAME_COLUMNS.iter().find_map(|k| rec.get(cols, k));
            let prov = rec.get(cols, "prov_istat_code").map(|c| pad(&c, Some(3)));
            let reg = rec.get(cols, "reg_istat_code").map(|c| pad(&c, Some(2)));
            let g = match rec.geometry {
                Some(Ok(g)) => g,
                Some(Err(m)) => return Err(Error::input(at.field("geometry"), m)),
                None => return Err(Error::input(at.field("geometry"), "missing geometry")),
            };
            raw.push((rec.row, code, name, prov, reg, g));
            Ok(())
        },
    )?;
    let geoms: Vec<Result<MultiPolygon<f64>>> = raw
        .par_iter_mut()
        .map(|(row, .., g)| {
            let at = Location::file(path).row(*row).field("geometry");
            let g = std::mem::replace(g, Geometry::Point(geo::Point::new(0.0, 0.0)));
            let mp = to_multipolygon(g).map_err(|m| Error::input(at.clone(), m))?;
            reproject_multipolygon(&reprojector, mp)?.map_err(|m| Error::input(at, m))
        })
        .collect();
    let mut areas = Areas::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    for ((_, code, name, prov, reg, _), mp) in raw.into_iter().zip(geoms) {
        let mp = mp?;
        match index.get(&code) {
            Some(&i) => {
                areas.geometries[i].0.extend(mp.0);
                if areas.names[i].is_none() {
                    areas.names[i] = name;
                }
            }
            None => {
                index.insert(code.clone(), areas.codes.len());
                areas.codes.push(code);
                areas.names.push(name);
                areas.province.push(prov);
                areas.region.push(reg);
                areas.geometries.push(mp);
            }
        }
    }
    Ok(areas)
}

/// Zero-pads an all-digit code to `width` (`48017` -> `048017`); `48017.0` counts as
/// digits. Other codes are returned trimmed.
fn pad(code: &str, width: Option<usize>) -> String {
    let c = code.trim();
    let c = c.strip_suffix(".0").unwrap_or(c);
    match width {
        Some(w) if !c.is_empty() && c.len() < w && c.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{c:0>w$}")
        }
        _ => c.to_string(),
    }
}
