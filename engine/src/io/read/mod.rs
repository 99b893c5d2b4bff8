//! Reading inputs into the engine's model, reprojected to EPSG:4326 lon/lat.
//!
//! Formats are chosen by extension:
//! - `.csv`, `.txt`: bianca's own CSV readers (comma or semicolon, detected from the header;
//!   see [`csv_units`] for the fast parallel registry reader and [`csv_table`] for the rest);
//! - `.parquet`, `.geoparquet`: the parquet crate (GDAL 3.6 has no Parquet driver); the
//!   geometry is the WKB column named by the `geo` metadata, its CRS comes from there too;
//! - anything else: GDAL/OGR (GeoJSON, GeoJSONSeq, FlatGeobuf, GeoPackage, Shapefile, ...),
//!   first layer only; coverage that GDAL opens as a raster (GeoTIFF...) is read by
//!   [`raster`] instead.
//!
//! Every input whose CRS is not EPSG:4326 / OGC:CRS84 is reprojected; [`ReadOptions::crs`]
//! overrides the file's own CRS, and is required for CSV `x`/`y` columns. A vector layer or
//! GeoParquet file without any CRS is taken to be lon/lat.
//!
//! Errors name the file, the row (CSV: physical line number, header = line 1; other formats:
//! 1-based feature number) and the field. With [`OnError::Skip`] a bad row becomes a
//! [`Reject`] and reading goes on; file-level problems (missing column, unknown CRS, empty
//! file) always fail.

pub mod address_cols;
pub mod areas;
pub mod batches;
pub mod crs;
pub mod csv_header;
pub mod csv_table;
pub mod csv_units;
pub mod fgb;
pub mod geometry;
pub mod geoparquet;
pub mod offer_attrs;
pub mod ogr;
pub mod raster;
pub mod raster_meta;
pub mod records;
pub mod row_map;
pub mod units_build;
pub mod wkb;

mod coverage;
#[cfg(test)]
mod tests;

use std::path::Path;

use crate::error::{OnError, Reject, Result};
use crate::units::Units;

pub use areas::{read_areas, Areas};
pub use batches::{batch_support, estimate_rows, units_batches, UnitBatch, UnitBatches};
pub use coverage::{read_declarations, read_footprints, AddressedDeclaration};
pub use crs::Reprojector;
pub use offer_attrs::parse_offer_attrs;
pub use raster::{is_raster, read_band, read_raster, RasterOptions};
pub use raster_meta::{MetaKey, RasterMeta, RasterMetaError};

/// Options common to every reader.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// CRS of the input (`EPSG:3003`, WKT, PROJ string), overriding the file's own; required
    /// for CSV `x`/`y` columns.
    pub crs: Option<String>,
    /// What to do with a bad row or feature.
    pub on_error: OnError,
}

/// How a file is read, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    Parquet,
    Ogr,
}

impl InputFormat {
    pub fn of(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => InputFormat::Csv,
            "parquet" | "geoparquet" => InputFormat::Parquet,
            _ => InputFormat::Ogr,
        }
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Reads a housing-unit registry (FlatGeobuf through the fast [`fgb`] reader).
///
/// Columns: `id` (required, unique), `lon`/`lat` (CSV; or `x`/`y` with [`ReadOptions::crs`];
/// other formats use the point geometry, or `lon`/`lat` columns in a Parquet file without
/// geometry), `units` (integer >= 1, default 1), `comune` (ISTAT code, 1 to 6 digits,
/// zero-padded to 6), `address`, or the address split in street type, street name, number
/// and suffix columns ([`address_cols`], joined into `address`). A duplicate id is an error naming both rows (skip mode
/// keeps the first). An input with no data rows is [`crate::Error::Empty`].
pub fn read_units(path: &Path, opts: &ReadOptions) -> Result<(Units, Vec<Reject>)> {
    let (units, rejects) = match InputFormat::of(path) {
        InputFormat::Csv => csv_units::read_csv_units(path, opts)?,
        InputFormat::Parquet => geoparquet::read_parquet_units(path, opts)?,
        InputFormat::Ogr if has_extension(path, "fgb") => fgb::read_fgb_units(path, opts)?,
        InputFormat::Ogr => ogr::read_ogr_units(path, opts)?,
    };
    tracing::debug!(
        path = %path.display(),
        units = units.len(),
        rejects = rejects.len(),
        "read registry"
    );
    Ok((units, rejects))
}
