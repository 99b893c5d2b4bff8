//! The `areas` layer: regions, provinces and comuni with their statistics under the chosen
//! rule set. Which levels a tile holds depends on the zoom ([`levels_at`]); every feature
//! says its `level`, so a map can style or filter each. Each area also has one label point
//! (`label: true`) inside its largest part, in the one tile that holds it.

use super::geom::{mercator, tile_polygon, Reduce};
use super::mvt::EXTENT;
use super::mvt::{LayerBuilder, Prop};
use super::{class_props, tolerance, TileQuery, BUFFER};
use crate::serve::snapshot::Served;
use bianca_engine::stats::Level;
use geozero::mvt::tile::Layer;

/// The levels drawn at a zoom: regions to 7, provinces 5 to 10, comuni from 7.
pub fn levels_at(z: u8) -> &'static [Level] {
    match z {
        0..=4 => &[Level::Region],
        5 | 6 => &[Level::Region, Level::Province],
        7 => &[Level::Region, Level::Province, Level::Comune],
        8..=10 => &[Level::Province, Level::Comune],
        _ => &[Level::Comune],
    }
}

pub fn layer(s: &Served, q: &TileQuery) -> Layer {
    let mut l = LayerBuilder::new("areas");
    let t = q.tile;
    let levels = levels_at(t.z);
    let reduce = Reduce {
        buffer: BUFFER,
        tolerance: tolerance(t.z),
        min_area: 4.0,
    };
    let mut hits: Vec<u32> = s.areas_in(t.world_rect(BUFFER)).collect();
    hits.sort_unstable();
    let mut props: Vec<(String, Prop)> = Vec::new();
    for k in hits {
        let a = &s.areas[k as usize];
        if !levels.contains(&a.boundary.level) {
            continue;
        }
        let rings = tile_polygon(t, &a.world, reduce);
        if rings.is_empty() {
            continue;
        }
        props.clear();
        props.push(("level".into(), Prop::Str(a.boundary.level.as_str().into())));
        props.push(("code".into(), Prop::Str(a.boundary.code.clone())));
        props.push(("name".into(), Prop::Str(a.boundary.name.clone())));
        if let Some(st) = &a.stats {
            props.push(("addresses".into(), Prop::Int(st.addresses)));
            props.push(("units".into(), Prop::Int(st.housing_units)));
            let names = &s.class_names[q.rule];
            let counts: Vec<i64> = names
                .iter()
                .map(|n| {
                    st.classes
                        .iter()
                        .filter(|(p, c, _, _)| *p as usize == q.rule && c == n)
                        .map(|c| c.3)
                        .sum()
                })
                .collect();
            class_props(s, q.rule, &counts, st.housing_units, &mut props);
            props.push(("units_4g".into(), Prop::Int(st.units_4g)));
            props.push(("units_5g".into(), Prop::Int(st.units_5g)));
            let mean = if st.addresses > 0 {
                st.sum_best_down / st.addresses as f64
            } else {
                0.0
            };
            props.push(("mean_down".into(), Prop::Double(mean.round())));
        }
        l.polygon(Some(u64::from(k)), &rings, &props);
        // one label point per area, in the tile that holds its centre (a polygon label
        // would repeat in every tile and on every island)
        let (wx, wy) = mercator(a.label[0], a.label[1]);
        let (tx, ty) = t.project(wx, wy);
        let e = f64::from(EXTENT);
        if (0.0..e).contains(&tx) && (0.0..e).contains(&ty) {
            let label: Vec<(String, Prop)> = vec![
                ("level".into(), Prop::Str(a.boundary.level.as_str().into())),
                ("code".into(), Prop::Str(a.boundary.code.clone())),
                ("name".into(), Prop::Str(a.boundary.name.clone())),
                ("label".into(), Prop::Bool(true)),
            ];
            l.point(None, tx.round() as i32, ty.round() as i32, &label);
        }
    }
    l.finish()
}
