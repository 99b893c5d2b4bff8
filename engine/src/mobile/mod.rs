//! Mobile coverage from rasters, and classification on grids as the mobile plans do it.
//!
//! - [`Band`]: one raster band in memory (read by [`crate::io::read::read_raster`]) and the
//!   pixel holding a point;
//! - [`sample`]: sampling every raster of a run at units (each unit is reprojected into the
//!   raster's CRS; the raster is never resampled);
//! - [`grid_5g`]: Italia 5G style: 100 m pixels of the EPSG:3035 grid, classified at their
//!   centres, eligible pixels written as a raster and dissolved into polygons;
//! - [`h3_grid`]: FCC style: H3 hexagons covered by an operator's technology when their
//!   centre is inside its coverage (polygon or raster);
//! - [`value_areas`]: the polygons of a band's pixels by class of value, for the map;
//! - [`polygonize`]: outlines of labelled pixels in lon/lat (GDAL's polygonizer).
//!
//! How a pixel's value becomes speeds under a rule set: see
//! [`crate::rules::PreparedRules::sample_qual`]. A unit outside a raster, or on a nodata
//! pixel, is *unknown* for that raster, never "not covered": a rule set's class is then
//! `unknown` unless the other offers already decide it.

mod band;
pub mod grid_5g;
pub mod h3_grid;
pub mod polygonize;
pub mod sample;
#[cfg(test)]
mod tests;
pub mod value_areas;

pub use band::{Band, NO_DATA};
pub use sample::Sampler;

use crate::model::ValueKind;

/// Below this signal level (dBm) a raster of RSRP is taken as not reaching a unit, for the
/// rule-independent facts of a unit (technologies, 4G / 5G networks). Rule sets decide with
/// their own `[[signal]]` table.
pub const RSRP_FLOOR_DBM: f32 = -120.0;

/// True when a pixel's value means the network reaches the point at all: a speed above 0, or
/// a signal of at least [`RSRP_FLOOR_DBM`]. False for unknown (NaN) values.
pub fn reaches(kind: ValueKind, value: f32) -> bool {
    match kind {
        ValueKind::DownMbps | ValueKind::PeakDownMbps => value > 0.0,
        ValueKind::RsrpDbm => value >= RSRP_FLOOR_DBM,
    }
}
