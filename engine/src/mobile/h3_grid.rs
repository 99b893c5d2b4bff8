//! FCC style coverage on H3 hexagons: a hexagon is covered by an operator's technology when
//! the hexagon's centre is inside that operator's coverage, polygon or raster, with an offer
//! that qualifies under the rule set (e.g. the presets `fcc-4g-5-1`, `fcc-5g-7-1`,
//! `fcc-5g-35-3`: 4G at 5/1 Mbit/s, 5G-NR at 7/1 and 35/3).
//!
//! - Hexagons: those whose centre lies in the territory's polygons ([`cells_in_areas`]), or
//!   those holding at least one unit ([`cells_of_points`]); resolution 9 by default
//!   (about 0.1 km²).
//! - The centre is reached exactly as a pixel centre in [`super::grid_5g`]: footprints
//!   covering it (boundary included) and the pixel of every raster holding it.
//! - Per hexagon, rule set, operator and technology: [`COVERED`] when an offer of that
//!   operator and technology qualifies there, else [`UNKNOWN`] when one might (a raster has
//!   no value there, or a speed is missing), else [`NOT_COVERED`].

use std::collections::HashMap;

use geo::MultiPolygon;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use super::sample::PointProbe;
use crate::error::{Error, Result};
use crate::join::GridIndex;
use crate::model::{Coverage, Sym, Technology};
use crate::rules::{PreparedRules, Qual, RuleSet};
use crate::table::{Column, ColumnType, Table, Value};

pub const NOT_COVERED: u8 = 0;
pub const COVERED: u8 = 1;
pub const UNKNOWN: u8 = 2;

/// The FCC's hexagon resolution.
pub const DEFAULT_RESOLUTION: Resolution = Resolution::Nine;

/// The hexagons of resolution `res` whose centre lies in one of the lon/lat polygons, sorted
/// and without repeats.
pub fn cells_in_areas(areas: &[MultiPolygon<f64>], res: Resolution) -> Result<Vec<CellIndex>> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for (i, mp) in areas.iter().enumerate() {
        for p in mp.iter() {
            tiler.add(p.clone()).map_err(|e| {
                Error::Invalid(format!(
                    "area {}: cannot cover it with hexagons: {e}",
                    i + 1
                ))
            })?;
        }
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    Ok(cells)
}

/// The hexagons of resolution `res` holding at least one of the points, sorted, without
/// repeats; points that are not valid lon/lat are skipped.
pub fn cells_of_points(lon: &[f64], lat: &[f64], res: Resolution) -> Vec<CellIndex> {
    let mut cells: Vec<CellIndex> = lon
        .par_iter()
        .zip(lat)
        .filter_map(|(&x, &y)| LatLng::new(y, x).ok().map(|ll| ll.to_cell(res)))
        .collect();
    cells.par_sort_unstable();
    cells.dedup();
    cells
}

/// The centre (lon, lat) of every cell.
pub fn centres(cells: &[CellIndex]) -> Vec<(f64, f64)> {
    cells
        .par_iter()
        .map(|&c| {
            let ll = LatLng::from(c);
            (ll.lng(), ll.lat())
        })
        .collect()
}

/// One column of the result: a rule set, an operator and a technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HexLayer {
    /// Index into the rule sets given to [`classify_hexagons`].
    pub rule: usize,
    pub operator: Sym,
    pub technology: Technology,
}

/// The coverage of every hexagon by every (rule set, operator, technology).
#[derive(Debug, Clone)]
pub struct HexCoverage {
    pub cells: Vec<CellIndex>,
    /// Centre of each cell, lon/lat.
    pub centres: Vec<(f64, f64)>,
    /// The (rule set, operator, technology) layers whose technology the rule set counts,
    /// sorted by rule set, operator name, technology.
    pub layers: Vec<HexLayer>,
    /// `status[cell * layers.len() + layer]`: [`COVERED`], [`UNKNOWN`] or [`NOT_COVERED`].
    pub status: Vec<u8>,
    /// Rule set names, in the order given.
    pub rules: Vec<String>,
}

impl HexCoverage {
    /// Hexagons per layer: (covered, unknown).
    pub fn counts(&self) -> Vec<(u64, u64)> {
        let nl = self.layers.len();
        let mut c = vec![(0u64, 0u64); nl];
        for row in self.status.chunks(nl.max(1)) {
            for (l, &s) in row.iter().enumerate() {
                match s {
                    COVERED => c[l].0 += 1,
                    UNKNOWN => c[l].1 += 1,
                    _ => {}
                }
            }
        }
        c
    }
}

/// Classifies every cell under every rule set, per operator and technology.
pub fn classify_hexagons(
    cells: Vec<CellIndex>,
    coverage: &Coverage,
    index: &GridIndex,
    rules: &[RuleSet],
    reference_year: i32,
    progress: &(dyn Fn(u64) + Sync),
) -> HexCoverage {
    let offers = &coverage.offers.offers;
    let names = &coverage.offers.names;
    let prepared: Vec<PreparedRules> = rules
        .iter()
        .map(|r| PreparedRules::new(r, offers, reference_year))
        .collect();
    let mut layers: Vec<HexLayer> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        for o in offers {
            let l = HexLayer {
                rule: r,
                operator: o.operator,
                technology: o.technology,
            };
            if rule.qualify.technologies.contains(o.technology) && !layers.contains(&l) {
                layers.push(l);
            }
        }
    }
    layers.sort_by(|a, b| {
        (a.rule, names.name(a.operator), a.technology).cmp(&(
            b.rule,
            names.name(b.operator),
            b.technology,
        ))
    });
    let layer_ix: HashMap<HexLayer, usize> =
        layers.iter().enumerate().map(|(i, l)| (*l, i)).collect();
    // per rule set and offer: its layer
    let layer_of: Vec<Vec<Option<usize>>> = (0..rules.len())
        .map(|r| {
            offers
                .iter()
                .map(|o| {
                    layer_ix
                        .get(&HexLayer {
                            rule: r,
                            operator: o.operator,
                            technology: o.technology,
                        })
                        .copied()
                })
                .collect()
        })
        .collect();
    let centres = centres(&cells);
    let nl = layers.len();
    let mut status = vec![NOT_COVERED; cells.len() * nl];
    let probe = PointProbe::new(coverage, index);
    const CHUNK: usize = 4096;
    if nl > 0 {
        status
            .par_chunks_mut(CHUNK * nl)
            .zip(centres.par_chunks(CHUNK))
            .for_each(|(out, pts)| {
                let lon: Vec<f64> = pts.iter().map(|p| p.0).collect();
                let lat: Vec<f64> = pts.iter().map(|p| p.1).collect();
                probe.visit(&lon, &lat, None, |i, hits, samples| {
                    let row = &mut out[i * nl..(i + 1) * nl];
                    let mut mark = |layer: Option<usize>, q: Qual| {
                        let (Some(l), code) = (
                            layer,
                            match q {
                                Qual::Yes => COVERED,
                                Qual::Unknown => UNKNOWN,
                                Qual::No => return,
                            },
                        ) else {
                            return;
                        };
                        if row[l] != COVERED {
                            row[l] = code;
                        }
                    };
                    for (r, pr) in prepared.iter().enumerate() {
                        for &h in hits {
                            mark(layer_of[r][h as usize], pr.qual(h));
                        }
                        for s in samples {
                            mark(layer_of[r][s.offer as usize], pr.sample_qual(s, offers).0);
                        }
                    }
                });
                progress(pts.len() as u64);
            });
    }
    HexCoverage {
        cells,
        centres,
        layers,
        status,
        rules: rules.iter().map(|r| r.name.clone()).collect(),
    }
}

/// The covered and unknown (hexagon, rule set, operator, technology) rows of a
/// [`HexCoverage`], as a table with the hexagon's centre as its point: `h3`, `rules`,
/// `operator`, `technology`, `coverage` (`covered` / `unknown`), and with a registry the
/// hexagon's `addresses` and `units`.
pub struct HexTable<'a> {
    hex: &'a HexCoverage,
    names: &'a crate::model::Interner,
    /// (cell, layer) of every row.
    rows: Vec<(u32, u32)>,
    cell_names: Vec<String>,
    /// Per cell: addresses and housing units.
    units: Option<Vec<(u64, u64)>>,
    columns: Vec<Column>,
}

impl<'a> HexTable<'a> {
    /// `units`: with a registry, its lon/lat points and dwellings, counted per hexagon.
    pub fn new(
        hex: &'a HexCoverage,
        names: &'a crate::model::Interner,
        units: Option<&crate::units::Units>,
    ) -> Self {
        let nl = hex.layers.len();
        let mut rows = Vec::new();
        for c in 0..hex.cells.len() {
            for l in 0..nl {
                if hex.status[c * nl + l] != NOT_COVERED {
                    rows.push((c as u32, l as u32));
                }
            }
        }
        let units = units.map(|u| {
            let res = hex
                .cells
                .first()
                .map_or(DEFAULT_RESOLUTION, |c| c.resolution());
            let pos: HashMap<CellIndex, usize> =
                hex.cells.iter().enumerate().map(|(i, c)| (*c, i)).collect();
            let mut counts = vec![(0u64, 0u64); hex.cells.len()];
            for i in 0..u.len() {
                let cell = LatLng::new(u.lat[i], u.lon[i])
                    .ok()
                    .map(|ll| ll.to_cell(res))
                    .and_then(|c| pos.get(&c));
                if let Some(&p) = cell {
                    counts[p].0 += 1;
                    counts[p].1 += u64::from(u.units[i]);
                }
            }
            counts
        });
        let mut columns = vec![
            Column::new("h3", ColumnType::Str),
            Column::new("rules", ColumnType::Str),
            Column::new("operator", ColumnType::Str),
            Column::new("technology", ColumnType::Str),
            Column::new("coverage", ColumnType::Str),
        ];
        if units.is_some() {
            columns.push(Column::new("addresses", ColumnType::Int));
            columns.push(Column::new("units", ColumnType::Int));
        }
        Self {
            hex,
            names,
            rows,
            cell_names: hex.cells.iter().map(|c| c.to_string()).collect(),
            units,
            columns,
        }
    }
}

impl Table for HexTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let (c, l) = self.rows[row];
        let (c, l) = (c as usize, l as usize);
        let layer = &self.hex.layers[l];
        match col {
            0 => Value::Str(&self.cell_names[c]),
            1 => Value::Str(&self.hex.rules[layer.rule]),
            2 => Value::Str(self.names.name(layer.operator)),
            3 => Value::Str(layer.technology.as_str()),
            4 => Value::Str(
                if self.hex.status[c * self.hex.layers.len() + l] == COVERED {
                    "covered"
                } else {
                    "unknown"
                },
            ),
            5 => self
                .units
                .as_ref()
                .map_or(Value::Null, |u| Value::Int(u[c].0 as i64)),
            6 => self
                .units
                .as_ref()
                .map_or(Value::Null, |u| Value::Int(u[c].1 as i64)),
            _ => Value::Null,
        }
    }
    fn point(&self, row: usize) -> Option<(f64, f64)> {
        Some(self.hex.centres[self.rows[row].0 as usize])
    }
    fn has_geometry(&self) -> bool {
        true
    }
}
