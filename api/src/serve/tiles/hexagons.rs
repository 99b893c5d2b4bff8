//! The `hexagons` layer: H3 cells with their counts and shares of housing units per class
//! (of the chosen rule set), mobile coverage and mean best speed; the resolution follows
//! the zoom ([`crate::serve::hexagons::resolution_for_zoom`]).

use super::geom::{mercator, tile_ring, Reduce};
use super::mvt::{LayerBuilder, Prop};
use super::units::world_rect_u32;
use super::{class_props, TileQuery, BUFFER};
use crate::serve::hexagons::{resolution_for_zoom, Cell};
use crate::serve::snapshot::Served;
use geo::{Coord, LineString};
use geozero::mvt::tile::Layer;

/// The resolution drawn at zoom `z`.
pub fn resolution(z: u8) -> u8 {
    resolution_for_zoom(z)
}

/// A cell's housing units per class of rule `rule` (then unknown).
pub fn counts(s: &Served, c: &Cell, rule: usize) -> Vec<i64> {
    let o = s.slots.offsets[rule];
    c.class_units[o..=o + s.slots.classes[rule]]
        .iter()
        .map(|&v| i64::from(v))
        .collect()
}

pub fn layer(s: &Served, q: &TileQuery) -> Layer {
    let mut l = LayerBuilder::new("hexagons");
    let t = q.tile;
    let res = resolution(t.z);
    let level = s.hexagons.level(res);
    // centres up to one cell radius outside the buffered tile can still reach into it
    let mut r = world_rect_u32(t, BUFFER);
    r[0] = r[0].saturating_sub(level.reach);
    r[1] = r[1].saturating_sub(level.reach);
    r[2] = r[2].saturating_add(level.reach);
    r[3] = r[3].saturating_add(level.reach);
    let reduce = Reduce {
        buffer: BUFFER,
        tolerance: 0.0,
        min_area: 0.5,
    };
    let mut props: Vec<(String, Prop)> = Vec::new();
    level.centres.query(r, |k, _, _| {
        let c = &level.cells[k as usize];
        let ring = LineString(
            c.cell
                .boundary()
                .iter()
                .map(|v| {
                    let (x, y) = mercator(v.lng(), v.lat());
                    Coord { x, y }
                })
                .collect(),
        );
        let Some(ring) = tile_ring(t, &ring, reduce, true) else {
            return;
        };
        props.clear();
        props.push(("h3".into(), Prop::Str(c.cell.to_string())));
        props.push(("res".into(), Prop::Int(res.into())));
        props.push(("addresses".into(), Prop::Int(c.addresses.into())));
        props.push(("units".into(), Prop::Int(c.units.into())));
        let counts = counts(s, c, q.rule);
        class_props(s, q.rule, &counts, c.units.into(), &mut props);
        props.push(("units_4g".into(), Prop::Int(c.units_4g.into())));
        props.push(("units_5g".into(), Prop::Int(c.units_5g.into())));
        props.push(("units_ftth".into(), Prop::Int(c.units_ftth.into())));
        let share = |n: u32| {
            if c.units > 0 {
                (f64::from(n) / f64::from(c.units) * 1000.0).round() / 1000.0
            } else {
                0.0
            }
        };
        props.push(("share_ftth".into(), Prop::Double(share(c.units_ftth))));
        props.push(("share_4g".into(), Prop::Double(share(c.units_4g))));
        props.push(("share_5g".into(), Prop::Double(share(c.units_5g))));
        let mean = if c.addresses > 0 {
            c.sum_best_down / f64::from(c.addresses)
        } else {
            0.0
        };
        props.push(("mean_down".into(), Prop::Double(mean.round())));
        l.polygon(Some(u64::from(c.cell)), &[ring], &props);
    });
    l.finish()
}
