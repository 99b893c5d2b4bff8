//! Writing single-band GeoTIFFs (coverage rasters of `bianca synth`, the Italia 5G eligible
//! pixels), atomically.

use std::path::Path;

use gdal::raster::{Buffer, GdalType, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::{DriverManager, Metadata};

use super::atomic::AtomicFile;
use crate::error::{Error, Result};

/// A north-up raster to write: its grid, CRS, pixels and GDAL metadata items.
#[derive(Debug, Clone)]
pub struct RasterOut<'a, T> {
    pub width: usize,
    pub height: usize,
    /// GDAL geotransform.
    pub geo_transform: [f64; 6],
    /// `EPSG:N` or any definition GDAL accepts.
    pub crs: &'a str,
    /// Row-major pixels, `width * height` of them.
    pub pixels: &'a [T],
    pub nodata: Option<f64>,
    /// Dataset-level metadata items (default domain), e.g. `OPERATOR`, `VALUE`.
    pub metadata: &'a [(&'a str, String)],
}

/// Writes a tiled, DEFLATE-compressed GeoTIFF at `path` (to a temporary name first, renamed
/// when complete).
pub fn write_geotiff<T: GdalType + Copy>(path: &Path, r: &RasterOut<'_, T>) -> Result<()> {
    let err = |what: &str, e: gdal::errors::GdalError| Error::Format {
        path: path.to_path_buf(),
        message: format!("GTiff {what}: {e}"),
    };
    if r.pixels.len() != r.width * r.height {
        return Err(Error::Invalid(format!(
            "{}: {} pixels for a {} x {} raster",
            path.display(),
            r.pixels.len(),
            r.width,
            r.height
        )));
    }
    let file = AtomicFile::for_external_writer(path)?;
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(|e| err("driver", e))?;
    let options = RasterCreationOptions::from_iter(["TILED=YES", "COMPRESS=DEFLATE"]);
    {
        let mut ds = driver
            .create_with_band_type_with_options::<T, _>(file.path(), r.width, r.height, 1, &options)
            .map_err(|e| err("creating the file", e))?;
        ds.set_geo_transform(&r.geo_transform)
            .map_err(|e| err("geotransform", e))?;
        let srs = SpatialRef::from_definition(r.crs).map_err(|e| Error::Crs {
            crs: r.crs.to_string(),
            message: e.to_string(),
        })?;
        ds.set_spatial_ref(&srs).map_err(|e| err("CRS", e))?;
        for (k, v) in r.metadata {
            ds.set_metadata_item(k, v, "")
                .map_err(|e| err(&format!("metadata item {k}"), e))?;
        }
        let mut band = ds.rasterband(1).map_err(|e| err("band", e))?;
        band.set_no_data_value(r.nodata)
            .map_err(|e| err("nodata value", e))?;
        let mut buf = Buffer::new((r.width, r.height), r.pixels.to_vec());
        band.write((0, 0), (r.width, r.height), &mut buf)
            .map_err(|e| err("writing the pixels", e))?;
        ds.close().map_err(|e| err("closing", e))?;
    }
    file.commit()
}
