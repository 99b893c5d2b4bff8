//! Vector tiles of a served snapshot: four layers, each its own module (and a fifth,
//! [`mobile`], of areas read from a file rather than the snapshot), encoded as MVT
//! ([`mvt`]) from geometry prepared by [`geom`]. Tiles follow the usual conventions: Web
//! Mercator XYZ, extent 4096, a buffer of [`BUFFER`] tile units around the tile, polygons
//! clipped to it and simplified for the zoom.

pub mod areas;
pub mod coverage;
pub mod geom;
pub mod hexagons;
pub mod mobile;
pub mod mvt;
pub mod tilejson;
pub mod units;

use super::snapshot::Served;
use geom::TileId;
use mvt::Prop;

/// Tile units kept around each tile (of 4096).
pub const BUFFER: f64 = 64.0;

/// The layers served at `/tiles/{layer}/...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerName {
    Units,
    Hexagons,
    Areas,
    Coverage,
    /// The Italia 5G eligible areas given to `bianca serve --mobile-areas`.
    MobileWhite,
}

impl LayerName {
    pub const ALL: [LayerName; 5] = [
        LayerName::Units,
        LayerName::Hexagons,
        LayerName::Areas,
        LayerName::Coverage,
        LayerName::MobileWhite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LayerName::Units => "units",
            LayerName::Hexagons => "hexagons",
            LayerName::Areas => "areas",
            LayerName::Coverage => "coverage",
            LayerName::MobileWhite => "mobile_white",
        }
    }

    pub fn parse(s: &str) -> Option<LayerName> {
        LayerName::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// What a tile is asked for: the tile, the rule set whose classes it shows, whether the
/// caller gets the full view (planners, admins) and, for coverage, the offers it selects.
#[derive(Debug, Clone)]
pub struct TileQuery {
    pub tile: TileId,
    pub rule: usize,
    pub full: bool,
    pub filter: coverage::Filter,
    /// Units layer: another snapshot's classes, to mark the units whose class changed.
    pub compare: Option<std::sync::Arc<super::compare::Compared>>,
    /// Mobile white layer: the areas (the route answers 404 when the server has none).
    pub mobile: Option<std::sync::Arc<mobile::MobileWhite>>,
}

/// Renders one layer's tile: the encoded (not yet compressed) MVT.
pub fn render(s: &Served, layer: LayerName, q: &TileQuery) -> Vec<u8> {
    let l = match layer {
        LayerName::Units => units::layer(s, q),
        LayerName::Hexagons => hexagons::layer(s, q),
        LayerName::Areas => areas::layer(s, q),
        LayerName::Coverage => coverage::layer(s, q),
        LayerName::MobileWhite => match &q.mobile {
            Some(m) => mobile::layer(m, q),
            None => mvt::LayerBuilder::new("mobile_white").finish(),
        },
    };
    mvt::encode(vec![l])
}

/// Douglas–Peucker tolerance for polygons at a zoom, in tile units: half a pixel of a
/// 512-pixel tile, and none at the deepest zooms.
pub fn tolerance(z: u8) -> f64 {
    if z >= 16 {
        0.0
    } else {
        4.0
    }
}

/// The class counts of one rule set as properties: `class` (the class with most housing
/// units), and per class `n_<class>` (housing units) and `share_<class>` (of all units,
/// three decimals). `counts` has one entry per class, then unknown.
pub fn class_props(
    s: &Served,
    rule: usize,
    counts: &[i64],
    total: i64,
    props: &mut Vec<(String, Prop)>,
) {
    let names = &s.class_names[rule];
    let mut best = 0usize;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    if total > 0 {
        props.push(("class".into(), Prop::Str(names[best].clone())));
    }
    for (i, &c) in counts.iter().enumerate() {
        props.push((format!("n_{}", names[i]), Prop::Int(c)));
        let share = if total > 0 {
            c as f64 / total as f64
        } else {
            0.0
        };
        props.push((
            format!("share_{}", names[i]),
            Prop::Double((share * 1000.0).round() / 1000.0),
        ));
    }
}
