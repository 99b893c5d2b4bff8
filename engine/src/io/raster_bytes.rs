//! Coverage rasters as bytes, for the store: a raster file (any format GDAL reads) becomes
//! one self-describing GeoTIFF, and such bytes decode back into bands.
//!
//! [`to_geotiff`] copies the raster into a DEFLATE-compressed, tiled GeoTIFF in memory and
//! writes on every band the metadata items it was read with, once resolved (the file's own
//! items, the band's, and the [`RasterOptions`] overrides; see [`super::read::raster`]), and
//! the CRS given for a raster without one. Decoding the copy with no options
//! ([`decode_geotiff`]) therefore gives the same offers and pixels as reading the original
//! with its options, whatever format it came in (a VRT or a multi-file format included:
//! the copy holds the pixels, not references to other files).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use gdal::raster::RasterCreationOptions;
use gdal::spatial_ref::SpatialRef;
use gdal::{Dataset, DriverManager, Metadata};

use super::read::raster::{decode_raster, DecodedBand, RasterOptions};
use crate::error::{Error, Result};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A unique path in GDAL's in-memory file system, ending with `name`.
fn mem_path(name: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let safe: String = name
        .chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    format!("/vsimem/bianca-{}-{n}/{safe}", std::process::id())
}

/// A coverage raster copied for the store.
#[derive(Debug)]
pub struct GeoTiffCopy {
    /// The GeoTIFF's bytes.
    pub bytes: Vec<u8>,
    /// The bands as read from the original (whole: no window), metadata resolved.
    pub bands: Vec<DecodedBand>,
}

/// Reads the raster at `path` with `opts` (its `window` is ignored: the whole raster is
/// copied) and makes its self-describing GeoTIFF copy. Fails like
/// [`super::read::raster::read_raster`] on a raster it cannot use, and with
/// [`Error::Raster`] when GDAL cannot write the copy.
pub fn to_geotiff(path: &Path, opts: &RasterOptions) -> Result<GeoTiffCopy> {
    let opts = RasterOptions {
        window: None,
        ..opts.clone()
    };
    let bands = decode_raster(path, &opts)?;
    let err = |message: String| Error::Raster {
        path: path.to_path_buf(),
        band: None,
        message,
    };
    let src = Dataset::open(path).map_err(|e| err(format!("cannot open it ({e})")))?;
    let driver = DriverManager::get_driver_by_name("GTiff")
        .map_err(|e| err(format!("GTiff driver: {e}")))?;
    let out = mem_path("coverage.tif");
    let creation =
        RasterCreationOptions::from_iter(["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER"]);
    let written = (|| -> std::result::Result<(), String> {
        let mut copy = src
            .create_copy(&driver, &out, &creation)
            .map_err(|e| format!("cannot copy it to a GeoTIFF ({e})"))?;
        if let Some(def) = &opts.crs {
            let srs = SpatialRef::from_definition(def).map_err(|e| format!("CRS {def}: {e}"))?;
            copy.set_spatial_ref(&srs)
                .map_err(|e| format!("cannot set the CRS of the copy ({e})"))?;
        }
        for (i, d) in bands.iter().enumerate() {
            let mut band = copy
                .rasterband(i + 1)
                .map_err(|e| format!("band {}: {e}", i + 1))?;
            let a = &d.attrs;
            let mut items = vec![
                ("OPERATOR", a.operator.clone()),
                ("INFRASTRUCTURE", a.infrastructure.clone()),
                ("TECHNOLOGY", a.technology.as_str().to_string()),
                ("STATUS", a.status.as_str().to_string()),
                ("VALUE", d.kind.as_str().to_string()),
            ];
            if let Some(y) = a.year {
                items.push(("YEAR", y.to_string()));
            }
            if let Some(u) = d.up_mbps {
                items.push(("UP_MBPS", u.to_string()));
            }
            for (k, v) in items {
                band.set_metadata_item(k, &v, "")
                    .map_err(|e| format!("band {}: cannot write {k} ({e})", i + 1))?;
            }
        }
        copy.flush_cache()
            .map_err(|e| format!("cannot write the copy ({e})"))?;
        Ok(())
    })();
    let bytes = match written {
        Ok(()) => gdal::vsi::get_vsi_mem_file_bytes_owned(&out)
            .map_err(|e| err(format!("cannot read the copy back ({e})"))),
        Err(m) => Err(err(m)),
    };
    let _ = gdal::vsi::unlink_mem_file(&out);
    Ok(GeoTiffCopy {
        bytes: bytes?,
        bands,
    })
}

/// Decodes the bands of a GeoTIFF made by [`to_geotiff`]; `name` names it in messages and
/// band labels (`name band 1`), `window` as in [`RasterOptions::window`].
pub fn decode_geotiff(
    name: &str,
    mut bytes: Vec<u8>,
    window: Option<[f64; 4]>,
) -> Result<Vec<DecodedBand>> {
    let path = mem_path(name);
    // lent, not given: GDAL would free a given buffer with its own allocator, which is not
    // the one that allocated it (bianca's binary runs on mimalloc); unlinked when dropped
    let file =
        gdal::vsi::create_mem_file_from_ref(&path, &mut bytes).map_err(|e| Error::Raster {
            path: name.into(),
            band: None,
            message: format!("cannot hand it to GDAL ({e})"),
        })?;
    let out = decode_raster(
        Path::new(&path),
        &RasterOptions {
            window,
            ..RasterOptions::default()
        },
    );
    drop(file);
    // name the raster, not its temporary in-memory path
    out.map_err(|e| match e {
        Error::Raster { band, message, .. } => Error::Raster {
            path: name.into(),
            band,
            message,
        },
        other => other,
    })
}
