//! Reading inputs (registries, coverage, declarations, areas) and writing outputs.
//!
//! `read` turns files of any supported format into the engine's model, reprojected to
//! EPSG:4326; `write` writes any [`crate::table::Table`] to a file, atomically;
//! `raster_bytes` turns coverage rasters into self-describing GeoTIFF bytes for the store.

pub mod raster_bytes;
pub mod read;
pub mod write;
