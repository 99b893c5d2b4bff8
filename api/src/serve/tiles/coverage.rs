//! The `coverage` layer: operators' footprints, simplified for the zoom, with their offer
//! (operator, technology, speeds, status, dataset), and the value-class polygons of their
//! coverage rasters (`raster` true, `value` what the pixels measure, `min` / `max` the
//! class's bounds, `level` its rank from 1, the lowest; `down` is `min` for rasters of
//! speed). A [`Filter`] selects datasets,
//! operators and technologies; access to confidential datasets is checked by the route
//! before a tile is made.

use super::geom::{tile_polygon, Reduce};
use super::mvt::{LayerBuilder, Prop};
use super::{tolerance, TileQuery, BUFFER};
use crate::serve::snapshot::Served;
use crate::store::DatasetKind;
use bianca_engine::model::ValueKind;
use geozero::mvt::tile::Layer;

/// Which offers the layer shows: empty lists select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub datasets: Vec<String>,
    pub operators: Vec<String>,
    pub technologies: Vec<String>,
}

impl Filter {
    /// Parses comma-separated lists (sorted, so that equal filters share cache entries).
    pub fn parse(
        datasets: Option<&str>,
        operators: Option<&str>,
        technologies: Option<&str>,
    ) -> Filter {
        let list = |s: Option<&str>| {
            let mut v: Vec<String> = s
                .unwrap_or("")
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        Filter {
            datasets: list(datasets),
            operators: list(operators),
            technologies: list(technologies)
                .into_iter()
                .map(|t| t.to_uppercase())
                .collect(),
        }
    }

    /// The coverage datasets (by source index) the filter selects: declarations datasets
    /// have no footprints and are never part of this layer.
    pub fn sources(&self, s: &Served) -> Vec<usize> {
        (0..s.sources.len())
            .filter(|&i| s.sources[i].dataset.kind == DatasetKind::Coverage)
            .filter(|&i| {
                self.datasets.is_empty() || self.datasets.contains(&s.sources[i].dataset.name)
            })
            .collect()
    }

    /// True when the filter selects offer `o`.
    pub fn selects(&self, s: &Served, o: u32) -> bool {
        let offer = &s.coverage.offers.offers[o as usize];
        let ds = &s.sources[offer.source as usize].dataset.name;
        (self.datasets.is_empty() || self.datasets.contains(ds))
            && (self.operators.is_empty()
                || self
                    .operators
                    .iter()
                    .any(|op| op == s.coverage.offers.names.name(offer.operator)))
            && (self.technologies.is_empty()
                || self
                    .technologies
                    .iter()
                    .any(|t| t == offer.technology.as_str()))
    }
}

pub fn layer(s: &Served, q: &TileQuery) -> Layer {
    let mut l = LayerBuilder::new("coverage");
    let t = q.tile;
    let reduce = Reduce {
        buffer: BUFFER,
        tolerance: tolerance(t.z),
        min_area: 4.0,
    };
    let mut hits: Vec<u32> = s.footprints_in(t.world_rect(BUFFER)).collect();
    hits.sort_unstable();
    let mut props: Vec<(&str, Prop)> = Vec::new();
    for f in hits {
        let fp = &s.coverage.footprints[f as usize];
        if !q.filter.selects(s, fp.offer) {
            continue;
        }
        let rings = tile_polygon(t, &s.footprints_world[f as usize], reduce);
        if rings.is_empty() {
            continue;
        }
        let o = &s.coverage.offers.offers[fp.offer as usize];
        offer_props(s, fp.offer, &mut props);
        props.push(("down", Prop::Double(f64::from(o.down_mbps))));
        props.push(("up", Prop::Double(f64::from(o.up_mbps))));
        l.polygon(Some(u64::from(f)), &rings, &props);
    }
    let mut hits: Vec<u32> = s.raster_areas.within(t.world_rect(BUFFER)).collect();
    hits.sort_unstable();
    for k in hits {
        let a = &s.raster_areas.areas[k as usize];
        if !q.filter.selects(s, a.offer) {
            continue;
        }
        let rings = tile_polygon(t, &a.world, reduce);
        if rings.is_empty() {
            continue;
        }
        offer_props(s, a.offer, &mut props);
        props.push(("raster", Prop::Bool(true)));
        props.push(("value", Prop::Str(a.kind.as_str().into())));
        props.push(("min", Prop::Double(a.min)));
        props.push(("level", Prop::Int(a.level.into())));
        if let Some(m) = a.max {
            props.push(("max", Prop::Double(m)));
        }
        if a.kind != ValueKind::RsrpDbm {
            props.push(("down", Prop::Double(a.min)));
        }
        l.polygon(Some(RASTER_IDS + u64::from(k)), &rings, &props);
    }
    l.finish()
}

/// Feature ids of raster polygons start here (footprints' ids are their index).
const RASTER_IDS: u64 = 1 << 32;

/// The properties every feature of the layer has: operator, technology, status, year (when
/// planned) and dataset.
fn offer_props(s: &Served, offer: u32, props: &mut Vec<(&str, Prop)>) {
    let o = &s.coverage.offers.offers[offer as usize];
    props.clear();
    props.push((
        "operator",
        Prop::Str(s.coverage.offers.names.name(o.operator).into()),
    ));
    props.push(("technology", Prop::Str(o.technology.as_str().into())));
    props.push(("status", Prop::Str(o.status.as_str().into())));
    if let Some(y) = o.year {
        props.push(("year", Prop::Int(y.into())));
    }
    props.push((
        "dataset",
        Prop::Str(s.sources[o.source as usize].dataset.name.clone()),
    ));
}
