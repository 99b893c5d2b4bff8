//! A snapshot as served: read from the store once, kept in memory with the indexes the
//! tiles and the API need (units in Z-order, ids sorted, footprints and areas in R-trees,
//! hexagon aggregates, the search index).

use super::hexagons::{ClassSlots, Hexagons};
use super::points::PointIndex;
use super::raster_areas::RasterAreas;
use super::search::{Hit, SearchIndex};
use super::tiles::geom::{to_world, world_u32};
use crate::store::{DatasetInfo, SnapshotInfo, Store, StoreError, StoredArea, StoredRasterArea};
use bianca_engine::areas::Boundary;
use bianca_engine::classify::{build_index, Classification};
use bianca_engine::istat;
use bianca_engine::join::index::{GridIndex, GridOptions};
use bianca_engine::model::Coverage;
use bianca_engine::rules::RuleSet;
use bianca_engine::stats::Level;
use bianca_engine::units::Units;
use geo::{Area as _, BoundingRect, Centroid, MultiPolygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashMap;
use std::time::Instant;

/// A bounding box in an R-tree, with the index of what it bounds.
pub type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// One dataset used by the snapshot, as the offers refer to it.
#[derive(Debug, Clone)]
pub struct Source {
    pub dataset: DatasetInfo,
}

/// An area with its boundary in world coordinates and its statistics.
#[derive(Debug)]
pub struct Area {
    pub boundary: Boundary,
    pub world: MultiPolygon<f64>,
    /// West, south, east, north.
    pub bbox: [f64; 4],
    /// lon, lat of the centroid.
    pub centre: [f64; 2],
    /// lon, lat of the label: the pole of inaccessibility of the largest part (always
    /// inside it, unlike a centroid of a crescent or an archipelago).
    pub label: [f64; 2],
    pub stats: Option<StoredArea>,
}

/// A loaded snapshot.
pub struct Served {
    pub info: SnapshotInfo,
    pub rules: Vec<RuleSet>,
    /// Per rule set: its class names then `unknown`.
    pub class_names: Vec<Vec<String>>,
    pub slots: ClassSlots,
    pub units: Units,
    pub cls: Classification,
    /// Units in Z-order.
    pub points: PointIndex,
    /// Unit indices sorted by unit id.
    pub by_id: Vec<u32>,
    pub coverage: Coverage,
    /// Per `coverage.offers.sources` entry: its dataset.
    pub sources: Vec<Source>,
    /// Footprints in world coordinates, and their boxes.
    pub footprints_world: Vec<MultiPolygon<f64>>,
    pub footprint_tree: RTree<BoxEntry>,
    /// The point-in-polygon index of the footprints (lon/lat), for unit lookups.
    pub footprint_index: GridIndex,
    /// The value-class polygons of the coverage rasters, for the coverage layer.
    pub raster_areas: RasterAreas,
    /// Unit index -> declared offers.
    pub declared: HashMap<u32, Vec<u32>>,
    pub hexagons: Hexagons,
    pub areas: Vec<Area>,
    pub area_tree: RTree<BoxEntry>,
    pub area_by_code: HashMap<(Level, String), usize>,
    /// Statistics of the whole snapshot (level `total`).
    pub total: Option<StoredArea>,
    /// Every stored statistics row of the snapshot (all levels).
    pub stats: Vec<StoredArea>,
    pub search: SearchIndex,
    /// West, south, east, north of the units.
    pub bounds: [f64; 4],
    pub load_seconds: f64,
}

fn world_box(mp: &MultiPolygon<f64>) -> Option<Rectangle<[f64; 2]>> {
    let r = mp.bounding_rect()?;
    Some(Rectangle::from_corners(
        [r.min().x, r.min().y],
        [r.max().x, r.max().y],
    ))
}

pub fn parse_level(s: &str) -> Option<Level> {
    match s {
        "comune" => Some(Level::Comune),
        "province" => Some(Level::Province),
        "region" => Some(Level::Region),
        "total" => Some(Level::Total),
        _ => None,
    }
}

impl Served {
    /// Loads snapshot `name` (or the latest) from the store and indexes it.
    pub fn load(store: &mut Store, name: Option<&str>) -> Result<Served, StoreError> {
        let t0 = Instant::now();
        let name = match name {
            Some(n) => n.to_string(),
            None => store
                .snapshots()?
                .pop()
                .map(|s| s.name)
                .ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "the store {} has no snapshot to serve: import a registry and coverage, then `bianca classify --snapshot NAME`",
                        store.url()
                    ))
                })?,
        };
        let snap = store.load_snapshot(&name)?;
        let mut datasets = Vec::new();
        for d in &snap.info.sources {
            datasets.push(store.dataset(d)?);
        }
        let coverage = store.load_coverage(&datasets)?;
        let raster_areas = store.load_raster_areas(&datasets)?;
        let stats = store.snapshot_stats(&name, None)?;
        let boundaries = store.load_areas()?;
        Ok(Self::build(
            snap.info,
            snap.rules,
            snap.units.units,
            snap.classification,
            coverage,
            raster_areas,
            datasets,
            stats,
            boundaries,
            t0,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        info: SnapshotInfo,
        rules: Vec<RuleSet>,
        units: Units,
        cls: Classification,
        coverage: Coverage,
        raster_areas: Vec<StoredRasterArea>,
        datasets: Vec<DatasetInfo>,
        stats: Vec<StoredArea>,
        boundaries: Vec<Boundary>,
        t0: Instant,
    ) -> Served {
        let class_names: Vec<Vec<String>> = rules
            .iter()
            .map(|r| {
                let mut v: Vec<String> = r.class_names().iter().map(|s| s.to_string()).collect();
                v.push("unknown".into());
                v
            })
            .collect();
        let slots = ClassSlots::new(class_names.iter().map(|c| c.len() - 1).collect());
        let n = units.len();
        let points = PointIndex::build(n, |i| world_u32(units.lon[i], units.lat[i]));
        let mut by_id: Vec<u32> = (0..n as u32).collect();
        by_id.par_sort_unstable_by(|&a, &b| {
            units.ids.get(a as usize).cmp(units.ids.get(b as usize))
        });

        let sources: Vec<Source> = coverage
            .offers
            .sources
            .iter()
            .map(|s| Source {
                dataset: datasets
                    .iter()
                    .find(|d| d.name == s.path)
                    .cloned()
                    .unwrap_or_else(|| DatasetInfo {
                        id: -1,
                        kind: crate::store::DatasetKind::Coverage,
                        name: s.path.clone(),
                        source_file: String::new(),
                        checksum: String::new(),
                        crs: String::new(),
                        rows: 0,
                        rejected: 0,
                        imported_at: chrono::NaiveDateTime::default(),
                        imported_by: String::new(),
                        public: false,
                    }),
            })
            .collect();
        let footprints_world: Vec<MultiPolygon<f64>> = coverage
            .footprints
            .par_iter()
            .map(|f| to_world(&f.geometry))
            .collect();
        let footprint_tree = RTree::bulk_load(
            footprints_world
                .iter()
                .enumerate()
                .filter_map(|(i, w)| world_box(w).map(|b| GeomWithData::new(b, i as u32)))
                .collect(),
        );
        let footprint_index = build_index(&coverage, GridOptions::default());
        let raster_areas = RasterAreas::build(raster_areas, &coverage);
        let mut declared: HashMap<u32, Vec<u32>> = HashMap::new();
        if !coverage.declarations.is_empty() {
            let pos: HashMap<&str, u32> = (0..n as u32)
                .map(|i| (units.ids.get(i as usize), i))
                .collect();
            for d in &coverage.declarations {
                if let Some(&i) = pos.get(d.unit_id.as_str()) {
                    declared.entry(i).or_default().push(d.offer);
                }
            }
        }
        let hexagons = Hexagons::build(&units, &cls, &slots);

        let mut stats_by: HashMap<(Level, String), StoredArea> = HashMap::new();
        let mut total = None;
        for s in &stats {
            match parse_level(&s.level) {
                Some(Level::Total) => total = Some(s.clone()),
                Some(l) => {
                    stats_by.insert((l, s.code.clone()), s.clone());
                }
                None => {}
            }
        }
        let mut areas: Vec<Area> = boundaries
            .into_par_iter()
            .map(|b| {
                let world = to_world(&b.geometry);
                let r = b.geometry.bounding_rect();
                let bbox = r.map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
                let centre = b.geometry.centroid().map_or(
                    [(bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0],
                    |c| [c.x(), c.y()],
                );
                let label = b
                    .geometry
                    .0
                    .iter()
                    .max_by(|p, q| p.unsigned_area().total_cmp(&q.unsigned_area()))
                    .and_then(|p| {
                        let c = polylabel::polylabel(p, &1e-4).ok()?;
                        Some([c.x(), c.y()])
                    })
                    .unwrap_or(centre);
                Area {
                    boundary: b,
                    world,
                    bbox,
                    centre,
                    label,
                    stats: None,
                }
            })
            .collect();
        for a in &mut areas {
            a.stats = stats_by.remove(&(a.boundary.level, a.boundary.code.clone()));
        }
        let area_tree = RTree::bulk_load(
            areas
                .iter()
                .enumerate()
                .filter_map(|(i, a)| world_box(&a.world).map(|b| GeomWithData::new(b, i as u32)))
                .collect(),
        );
        let area_by_code = areas
            .iter()
            .enumerate()
            .map(|(i, a)| ((a.boundary.level, a.boundary.code.clone()), i))
            .collect();

        // search: every address (with its comune's name) and every comune
        let comune_name = |i: usize| -> String {
            units
                .comune_code(i)
                .and_then(|c| {
                    areas
                        .iter()
                        .find(|a| a.boundary.level == Level::Comune && a.boundary.code == c)
                        .map(|a| a.boundary.name.clone())
                        .or_else(|| istat::comune(c).map(|c| c.name.to_string()))
                })
                .unwrap_or_default()
        };
        let mut comune_names: HashMap<u32, String> = HashMap::new();
        // comuni first: candidate lists are cut by id, and a comune must never be cut
        let mut texts: Vec<(Hit, String)> = areas
            .iter()
            .enumerate()
            .filter(|(_, a)| a.boundary.level == Level::Comune)
            .map(|(k, a)| (Hit::Comune(k as u32), a.boundary.name.clone()))
            .collect();
        if let Some(addr) = &units.address {
            for i in 0..n {
                let a = addr.get(i);
                if a.is_empty() {
                    continue;
                }
                let c = comune_names
                    .entry(units.comune[i])
                    .or_insert_with(|| comune_name(i));
                texts.push((Hit::Address(i as u32), format!("{a} {c}")));
            }
        }
        let search = SearchIndex::build(texts);

        let mut bounds = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for i in 0..n {
            bounds[0] = bounds[0].min(units.lon[i]);
            bounds[1] = bounds[1].min(units.lat[i]);
            bounds[2] = bounds[2].max(units.lon[i]);
            bounds[3] = bounds[3].max(units.lat[i]);
        }
        if n == 0 {
            bounds = [-180.0, -85.0, 180.0, 85.0];
        }
        Served {
            info,
            rules,
            class_names,
            slots,
            units,
            cls,
            points,
            by_id,
            coverage,
            sources,
            footprints_world,
            footprint_tree,
            footprint_index,
            raster_areas,
            declared,
            hexagons,
            areas,
            area_tree,
            area_by_code,
            total,
            stats,
            search,
            bounds,
            load_seconds: t0.elapsed().as_secs_f64(),
        }
    }

    /// The unit with this id.
    pub fn unit(&self, id: &str) -> Option<usize> {
        let k = self
            .by_id
            .binary_search_by(|&i| self.units.ids.get(i as usize).cmp(id))
            .ok()?;
        Some(self.by_id[k] as usize)
    }

    /// The rule set named `name` (its position), or the primary one for `None`.
    pub fn rule(&self, name: Option<&str>) -> Option<usize> {
        match name {
            None | Some("") => (!self.rules.is_empty()).then_some(0),
            Some(n) => self.rules.iter().position(|r| r.name == n),
        }
    }

    /// Footprints whose box meets the world rectangle `[x0, y0, x1, y1]`.
    pub fn footprints_in(&self, r: [f64; 4]) -> impl Iterator<Item = u32> + '_ {
        self.footprint_tree
            .locate_in_envelope_intersecting(&AABB::from_corners([r[0], r[1]], [r[2], r[3]]))
            .map(|e| e.data)
    }

    /// Areas whose box meets the world rectangle `[x0, y0, x1, y1]`.
    pub fn areas_in(&self, r: [f64; 4]) -> impl Iterator<Item = u32> + '_ {
        self.area_tree
            .locate_in_envelope_intersecting(&AABB::from_corners([r[0], r[1]], [r[2], r[3]]))
            .map(|e| e.data)
    }

    /// The name of the comune of unit `i`, when known.
    pub fn comune_name(&self, i: usize) -> Option<&str> {
        let code = self.units.comune_code(i)?;
        self.area_by_code
            .get(&(Level::Comune, code.to_string()))
            .map(|&k| self.areas[k].boundary.name.as_str())
            .or_else(|| istat::comune(code).map(|c| c.name))
    }
}
