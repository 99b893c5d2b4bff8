//! The value-class polygons of a served snapshot's coverage rasters (see
//! [`bianca_engine::mobile::value_areas`]), in world coordinates and indexed by their
//! boxes, each tied to the offer of its band: the coverage tile layer draws them beside the
//! footprints.

use crate::store::StoredRasterArea;
use bianca_engine::mobile::value_areas;
use bianca_engine::model::{Coverage, ValueKind};
use geo::{BoundingRect, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashMap;

use super::snapshot::BoxEntry;
use super::tiles::geom::to_world;

/// One polygon of a band's value class.
#[derive(Debug)]
pub struct RasterArea {
    /// The band's offer in the snapshot's coverage.
    pub offer: u32,
    pub kind: ValueKind,
    /// The class's lowest value, and the next class's (none for the top class).
    pub min: f64,
    pub max: Option<f64>,
    /// The class's rank among its kind's classes, from 1 (the lowest values).
    pub level: u8,
    pub world: MultiPolygon<f64>,
}

/// Every value-class polygon of a snapshot.
#[derive(Debug, Default)]
pub struct RasterAreas {
    pub areas: Vec<RasterArea>,
    tree: RTree<BoxEntry>,
}

impl RasterAreas {
    /// Ties each stored polygon to its band's offer in `cov`: band `b` of dataset `d` is the
    /// `b`-th raster of the source named `d`. Polygons of a band `cov` lacks are left out.
    pub fn build(stored: Vec<StoredRasterArea>, cov: &Coverage) -> RasterAreas {
        let mut bands: HashMap<(&str, u32), (u32, ValueKind)> = HashMap::new();
        let mut seen: HashMap<u32, u32> = HashMap::new();
        for r in &cov.rasters {
            let source = cov.offers.offers[r.offer as usize].source;
            let k = seen.entry(source).or_insert(0);
            *k += 1;
            let name = cov.offers.sources[source as usize].path.as_str();
            bands.insert((name, *k), (r.offer, r.kind));
        }
        let areas: Vec<RasterArea> = stored
            .into_iter()
            .filter_map(|s| {
                let &(offer, kind) = bands.get(&(s.dataset.as_str(), s.band))?;
                let level = value_areas::level(kind, s.class_min as f32).clamp(1, 255) as u8;
                Some(RasterArea {
                    offer,
                    kind,
                    level,
                    min: s.class_min,
                    max: s.class_max,
                    world: to_world(&s.geometry),
                })
            })
            .collect();
        let tree = RTree::bulk_load(
            areas
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    let r = a.world.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i as u32,
                    ))
                })
                .collect(),
        );
        RasterAreas { areas, tree }
    }

    /// Polygons whose box meets the world rectangle `[x0, y0, x1, y1]`.
    pub fn within(&self, r: [f64; 4]) -> impl Iterator<Item = u32> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners([r[0], r[1]], [r[2], r[3]]))
            .map(|e| e.data)
    }
}
