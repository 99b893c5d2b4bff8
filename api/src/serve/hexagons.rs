//! H3 hexagon aggregates of a snapshot: per cell, addresses, housing units, units per class
//! of every rule set, mobile coverage and speed, at the resolutions the map uses
//! ([`resolution_for_zoom`]). Computed once when a snapshot is loaded, so that a zoom-5 tile
//! of a region is a few hundred small polygons, not a million points.

use super::points::PointIndex;
use super::tiles::geom::world_u32;
use bianca_engine::classify::Classification;
use bianca_engine::model::Technology;
use bianca_engine::rules::UNKNOWN_CLASS;
use bianca_engine::units::Units;
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use std::collections::HashMap;

/// The coarsest and finest resolutions aggregated.
pub const MIN_RES: u8 = 5;
pub const MAX_RES: u8 = 9;

/// The H3 resolution drawn at a zoom: cells some 10 to 25 pixels across.
pub fn resolution_for_zoom(z: u8) -> u8 {
    match z {
        0..=5 => 5,
        6 | 7 => 6,
        8 | 9 => 7,
        10 | 11 => 8,
        _ => 9,
    }
}

/// Where a rule set's class counts sit in [`Cell::class_units`]: class `c` of rule `r` is at
/// `offsets[r] + c`, its unknown class at `offsets[r] + classes[r]`.
#[derive(Debug, Clone)]
pub struct ClassSlots {
    pub offsets: Vec<usize>,
    pub classes: Vec<usize>,
    pub total: usize,
}

impl ClassSlots {
    pub fn new(classes: Vec<usize>) -> ClassSlots {
        let mut offsets = Vec::with_capacity(classes.len());
        let mut total = 0;
        for &c in &classes {
            offsets.push(total);
            total += c + 1;
        }
        ClassSlots {
            offsets,
            classes,
            total,
        }
    }

    /// The slot of a decision's class under rule `r`.
    pub fn slot(&self, r: usize, class: u8) -> usize {
        if class == UNKNOWN_CLASS || usize::from(class) >= self.classes[r] {
            self.offsets[r] + self.classes[r]
        } else {
            self.offsets[r] + usize::from(class)
        }
    }
}

/// One cell's totals.
#[derive(Debug, Clone)]
pub struct Cell {
    pub cell: CellIndex,
    pub addresses: u32,
    pub units: u32,
    /// Housing units per class slot ([`ClassSlots`]).
    pub class_units: Vec<u32>,
    pub units_4g: u32,
    pub units_5g: u32,
    /// Housing units reached by fibre to the home (FTTH).
    pub units_ftth: u32,
    /// Sum over addresses of the best download speed (for the mean).
    pub sum_best_down: f64,
}

/// The cells of one resolution, with an index of their centres.
#[derive(Debug, Default)]
pub struct Level {
    pub cells: Vec<Cell>,
    pub centres: PointIndex,
    /// The largest distance from a centre to a vertex, in 32-bit world units (for the
    /// buffer of a tile query).
    pub reach: u32,
}

/// Aggregates at every resolution from [`MIN_RES`] to [`MAX_RES`].
#[derive(Debug, Default)]
pub struct Hexagons {
    pub levels: Vec<Level>,
}

impl Hexagons {
    pub fn level(&self, res: u8) -> &Level {
        &self.levels[usize::from(res.clamp(MIN_RES, MAX_RES) - MIN_RES)]
    }

    pub fn build(units: &Units, cls: &Classification, slots: &ClassSlots) -> Hexagons {
        let finest = Resolution::try_from(MAX_RES).unwrap_or(Resolution::Nine);
        // units whose coordinates H3 refuses (NaN) are left out of the aggregates
        let cells: Vec<Option<CellIndex>> = (0..units.len())
            .into_par_iter()
            .map(|i| {
                LatLng::new(units.lat[i], units.lon[i])
                    .ok()
                    .map(|ll| ll.to_cell(finest))
            })
            .collect();
        let levels = (MIN_RES..=MAX_RES)
            .into_par_iter()
            .map(|res| {
                let r = Resolution::try_from(res).unwrap_or(finest);
                let mut at: HashMap<CellIndex, usize> = HashMap::new();
                let mut out: Vec<Cell> = Vec::new();
                for (i, c) in cells.iter().enumerate() {
                    let Some(c) = c.and_then(|c| c.parent(r)) else {
                        continue;
                    };
                    let k = *at.entry(c).or_insert_with(|| {
                        out.push(Cell {
                            cell: c,
                            addresses: 0,
                            units: 0,
                            class_units: vec![0; slots.total],
                            units_4g: 0,
                            units_5g: 0,
                            units_ftth: 0,
                            sum_best_down: 0.0,
                        });
                        out.len() - 1
                    });
                    let cell = &mut out[k];
                    let n = units.units[i];
                    cell.addresses += 1;
                    cell.units += n;
                    for (ri, rule) in cls.rules.iter().enumerate() {
                        cell.class_units[slots.slot(ri, rule.decisions[i].class)] += n;
                    }
                    let reach = &cls.reach[i];
                    if reach.networks_4g > 0 {
                        cell.units_4g += n;
                    }
                    if reach.networks_5g > 0 {
                        cell.units_5g += n;
                    }
                    if reach.technologies.contains(Technology::Ftth) {
                        cell.units_ftth += n;
                    }
                    cell.sum_best_down += f64::from(reach.best_down);
                }
                let centre = |c: CellIndex| {
                    let ll = LatLng::from(c);
                    world_u32(ll.lng(), ll.lat())
                };
                let mut reach = 0u32;
                for c in &out {
                    let (cx, cy) = centre(c.cell);
                    for v in c.cell.boundary().iter() {
                        let (vx, vy) = world_u32(v.lng(), v.lat());
                        reach = reach.max(cx.abs_diff(vx)).max(cy.abs_diff(vy));
                    }
                }
                let centres = PointIndex::build(out.len(), |k| centre(out[k].cell));
                Level {
                    cells: out,
                    centres,
                    reach,
                }
            })
            .collect();
        Hexagons { levels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions_get_finer_with_zoom() {
        let mut last = 0;
        for z in 0..=20 {
            let r = resolution_for_zoom(z);
            assert!(r >= last && (MIN_RES..=MAX_RES).contains(&r));
            last = r;
        }
    }

    #[test]
    fn class_slots_put_unknown_after_each_rules_classes() {
        let s = ClassSlots::new(vec![3, 2]);
        assert_eq!(s.total, 7);
        assert_eq!(s.slot(0, 2), 2);
        assert_eq!(s.slot(0, UNKNOWN_CLASS), 3);
        assert_eq!(s.slot(1, 0), 4);
        assert_eq!(s.slot(1, UNKNOWN_CLASS), 6);
    }
}
