//! The `units` layer: one point per address from [`MIN_ZOOM`], with its class under the
//! chosen rule set, its best technology and speed class (and, in the full view, its exact
//! speeds and the number of qualifying networks). Below [`MIN_ZOOM`] the layer holds one
//! point per H3 cell (`cluster: true`) with the cell's counts: a zoom-5 tile of a region
//! stays small.

use super::geom::TileId;
use super::mvt::{LayerBuilder, Prop};
use super::{class_props, hexagons, TileQuery, BUFFER};
use crate::serve::snapshot::Served;
use bianca_engine::model::{TechMask, Technology};
use geozero::mvt::tile::Layer;

/// The first zoom with one point per address.
pub const MIN_ZOOM: u8 = 13;

const TWO32: f64 = 4_294_967_296.0;

/// The rectangle of a tile plus its buffer in 32-bit world units.
pub fn world_rect_u32(t: TileId, buffer: f64) -> [u32; 4] {
    let r = t.world_rect(buffer);
    let f = |v: f64| (v.clamp(0.0, 1.0) * TWO32).min(TWO32 - 1.0) as u32;
    [f(r[0]), f(r[1]), f(r[2]), f(r[3])]
}

/// Tile coordinates of a 32-bit world point.
pub fn tile_xy(t: TileId, x: u32, y: u32) -> (i32, i32) {
    let (tx, ty) = t.project(f64::from(x) / TWO32, f64::from(y) / TWO32);
    (tx.round() as i32, ty.round() as i32)
}

/// The technologies from the fastest kind of network down: the first present is the
/// unit's best technology.
const BEST_FIRST: [Technology; 10] = [
    Technology::Ftth,
    Technology::Fttb,
    Technology::Cable,
    Technology::Fttc,
    Technology::Vdsl,
    Technology::Fwa,
    Technology::Mobile5g,
    Technology::Adsl,
    Technology::Mobile4g,
    Technology::Sat,
];

/// The best technology reaching a unit, if any.
pub fn best_technology(t: TechMask) -> Option<Technology> {
    BEST_FIRST.into_iter().find(|&x| t.contains(x))
}

/// The speed class of a best download speed (Mbit/s): `none`, `<30`, `30-100`, `100-300`,
/// `300-1000`, `1000+`.
pub fn speed_class(down: f32) -> &'static str {
    match down {
        d if d <= 0.0 || d.is_nan() => "none",
        d if d < 30.0 => "<30",
        d if d < 100.0 => "30-100",
        d if d < 300.0 => "100-300",
        d if d < 1000.0 => "300-1000",
        _ => "1000+",
    }
}

pub fn layer(s: &Served, q: &TileQuery) -> Layer {
    let mut l = LayerBuilder::new("units");
    let t = q.tile;
    if t.z < MIN_ZOOM {
        clusters(s, q, &mut l);
        return l.finish();
    }
    let rule = &s.cls.rules[q.rule];
    let names = &s.class_names[q.rule];
    let mut props: Vec<(&str, Prop)> = Vec::with_capacity(12);
    s.points.query(world_rect_u32(t, BUFFER), |i, x, y| {
        let i = i as usize;
        let (tx, ty) = tile_xy(t, x, y);
        let d = rule.decisions[i];
        let reach = &s.cls.reach[i];
        let class = names[s.slots.slot(q.rule, d.class) - s.slots.offsets[q.rule]].as_str();
        props.clear();
        props.push(("id", Prop::Str(s.units.ids.get(i).to_string())));
        props.push(("class", Prop::Str(class.to_string())));
        props.push((
            "tech",
            Prop::Str(
                best_technology(reach.technologies)
                    .map_or("none", |t| t.as_str())
                    .to_string(),
            ),
        ));
        props.push(("speed", Prop::Str(speed_class(reach.best_down).to_string())));
        props.push(("units", Prop::Int(i64::from(s.units.units[i]))));
        let mobile = if reach.networks_5g > 0 {
            "5G"
        } else if reach.networks_4g > 0 {
            "4G"
        } else {
            "none"
        };
        props.push(("mobile", Prop::Str(mobile.to_string())));
        props.push((
            "ftth",
            Prop::Bool(reach.technologies.contains(Technology::Ftth)),
        ));
        if let Some(was) = q.compare.as_ref().and_then(|c| c.class_of(q.rule, i)) {
            props.push(("changed", Prop::Bool(was != class)));
            props.push(("was", Prop::Str(was.to_string())));
        }
        if q.full {
            props.push(("down", Prop::Double(f64::from(reach.best_down))));
            props.push(("up", Prop::Double(f64::from(reach.best_up))));
            props.push(("networks", Prop::Int(i64::from(d.networks))));
            props.push(("networks_4g", Prop::Int(i64::from(reach.networks_4g))));
            props.push(("networks_5g", Prop::Int(i64::from(reach.networks_5g))));
            let techs: Vec<&str> = reach.technologies.iter().map(|t| t.as_str()).collect();
            props.push(("technologies", Prop::Str(techs.join("|"))));
        }
        l.point(Some(i as u64), tx, ty, &props);
    });
    l.finish()
}

/// One point per H3 cell of the zoom's resolution, at the cell's centre.
fn clusters(s: &Served, q: &TileQuery, l: &mut LayerBuilder) {
    let t = q.tile;
    let level = s.hexagons.level(hexagons::resolution(t.z));
    let mut props: Vec<(String, Prop)> = Vec::new();
    level.centres.query(world_rect_u32(t, BUFFER), |k, x, y| {
        let c = &level.cells[k as usize];
        let (tx, ty) = tile_xy(t, x, y);
        props.clear();
        props.push(("cluster".into(), Prop::Bool(true)));
        props.push(("addresses".into(), Prop::Int(c.addresses.into())));
        props.push(("units".into(), Prop::Int(c.units.into())));
        let counts = hexagons::counts(s, c, q.rule);
        class_props(s, q.rule, &counts, c.units.into(), &mut props);
        l.point(Some(u64::from(c.cell)), tx, ty, &props);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_classes_have_closed_lower_bounds() {
        assert_eq!(speed_class(0.0), "none");
        assert_eq!(speed_class(29.9), "<30");
        assert_eq!(speed_class(30.0), "30-100");
        assert_eq!(speed_class(1000.0), "1000+");
    }

    #[test]
    fn fibre_beats_everything() {
        let mut m = TechMask::default();
        assert_eq!(best_technology(m), None);
        m.insert(Technology::Mobile4g);
        m.insert(Technology::Adsl);
        assert_eq!(best_technology(m), Some(Technology::Adsl));
        m.insert(Technology::Ftth);
        assert_eq!(best_technology(m), Some(Technology::Ftth));
    }
}
