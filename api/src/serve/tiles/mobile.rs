//! The `mobile_white` layer: the Italia 5G eligible areas (mobile white areas) that
//! `bianca grid italia-5g --out-polygons` wrote, given to `bianca serve --mobile-areas FILE`.
//! They do not belong to a snapshot: the same areas are served whatever the snapshot.

use std::path::Path;

use bianca_engine::mobile::grid_5g::{read_areas, EligibleArea};
use geo::{BoundingRect, MultiPolygon};
use geozero::mvt::tile::Layer;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::geom::{tile_polygon, to_world, Reduce};
use super::mvt::{LayerBuilder, Prop};
use super::{tolerance, TileQuery, BUFFER};
use crate::serve::snapshot::BoxEntry;

/// The mobile white areas, in world coordinates, indexed by their boxes.
#[derive(Debug)]
pub struct MobileWhite {
    pub areas: Vec<EligibleArea>,
    world: Vec<MultiPolygon<f64>>,
    tree: RTree<BoxEntry>,
    /// West, south, east, north (lon/lat) of all areas.
    pub bounds: [f64; 4],
    /// The file they were read from, for messages and the TileJSON.
    pub source: String,
}

impl MobileWhite {
    /// Reads the areas file (see [`read_areas`]).
    pub fn load(path: &Path) -> Result<MobileWhite, bianca_engine::Error> {
        let areas = read_areas(path)?;
        let world: Vec<MultiPolygon<f64>> = areas.iter().map(|a| to_world(&a.geometry)).collect();
        let tree = RTree::bulk_load(
            world
                .iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    let r = w.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i as u32,
                    ))
                })
                .collect(),
        );
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for r in areas.iter().filter_map(|a| a.geometry.bounding_rect()) {
            b = [
                b[0].min(r.min().x),
                b[1].min(r.min().y),
                b[2].max(r.max().x),
                b[3].max(r.max().y),
            ];
        }
        if areas.is_empty() {
            b = [-180.0, -85.0, 180.0, 85.0];
        }
        Ok(MobileWhite {
            areas,
            world,
            tree,
            bounds: b,
            source: path.display().to_string(),
        })
    }
}

/// The tile: each area clipped and simplified for the zoom, with `id`, `pixels`,
/// `area_km2` (100 m pixels), `addresses`, `units` and, when known, `population`.
pub fn layer(m: &MobileWhite, q: &TileQuery) -> Layer {
    let mut l = LayerBuilder::new("mobile_white");
    let t = q.tile;
    let reduce = Reduce {
        buffer: BUFFER,
        tolerance: tolerance(t.z),
        min_area: 4.0,
    };
    let r = t.world_rect(BUFFER);
    let mut hits: Vec<u32> = m
        .tree
        .locate_in_envelope_intersecting(&AABB::from_corners([r[0], r[1]], [r[2], r[3]]))
        .map(|e| e.data)
        .collect();
    hits.sort_unstable();
    for i in hits {
        let rings = tile_polygon(t, &m.world[i as usize], reduce);
        if rings.is_empty() {
            continue;
        }
        let a = &m.areas[i as usize];
        let mut props: Vec<(&str, Prop)> = vec![
            ("id", Prop::Int(a.id.into())),
            ("pixels", Prop::Int(a.pixels as i64)),
            ("addresses", Prop::Int(a.addresses as i64)),
            ("units", Prop::Int(a.units as i64)),
        ];
        if let Some(p) = a.population {
            props.push(("population", Prop::Double((p * 10.0).round() / 10.0)));
        }
        l.polygon(Some(u64::from(i)), &rings, &props);
    }
    l.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::tiles::coverage::Filter;
    use crate::serve::tiles::geom::TileId;
    use bianca_engine::io::write::{write_polygons, PolygonRow};
    use bianca_engine::table::{Column, ColumnType, Value};
    use geo::{LineString, Polygon};

    fn square(x0: f64, y0: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (x0, y0),
                (x0 + d, y0),
                (x0 + d, y0 + d),
                (x0, y0 + d),
                (x0, y0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn tiles_hold_the_areas_they_meet_with_their_figures() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("white.geojson");
        let (a, b) = (square(11.0, 43.0, 0.05), square(12.0, 43.5, 0.05));
        let cols = [
            Column::new("id", ColumnType::Int),
            Column::new("pixels", ColumnType::Int),
            Column::new("units", ColumnType::Int),
            Column::new("population", ColumnType::Float),
        ];
        let rows = [
            PolygonRow {
                geometry: &a,
                values: vec![
                    Value::Int(1),
                    Value::Int(220),
                    Value::Int(4),
                    Value::Float(9.04),
                ],
            },
            PolygonRow {
                geometry: &b,
                values: vec![Value::Int(2), Value::Int(230), Value::Int(0), Value::Null],
            },
        ];
        write_polygons(&p, &cols, &rows).unwrap();
        let m = MobileWhite::load(&p).unwrap();
        assert_eq!(m.areas.len(), 2);
        assert!((m.bounds[0] - 11.0).abs() < 1e-9 && (m.bounds[3] - 43.55).abs() < 1e-9);
        let q = |z: u8, lon: f64, lat: f64| {
            let n = f64::from(1u32 << z);
            let x = ((lon + 180.0) / 360.0 * n) as u32;
            let lr = lat.to_radians();
            let y =
                ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
            TileQuery {
                tile: TileId::new(z, x, y).unwrap(),
                rule: 0,
                full: false,
                filter: Filter::default(),
                compare: None,
                mobile: None,
            }
        };
        // zoom 10 at the first square: one feature, with its figures
        let l = layer(&m, &q(10, 11.02, 43.02));
        assert_eq!(l.name, "mobile_white");
        assert_eq!(l.features.len(), 1);
        for k in ["id", "pixels", "addresses", "units", "population"] {
            assert!(l.keys.iter().any(|x| x == k), "{k} in {:?}", l.keys);
        }
        // the zoom 4 tile of Italy holds both; a tile far away none
        assert_eq!(layer(&m, &q(4, 11.5, 43.3)).features.len(), 2);
        assert_eq!(layer(&m, &q(10, 8.0, 45.0)).features.len(), 0);
        // a bad file is named
        let e = MobileWhite::load(&dir.path().join("nope.gpkg")).unwrap_err();
        assert!(e.to_string().contains("nope.gpkg"), "{e}");
    }
}
