//! Coverage rasters (GeoTIFF or any raster GDAL reads): each band is one offer whose speed
//! (or signal level) varies per pixel.
//!
//! What a band stands for comes from GDAL metadata items, as `gdal_translate -mo KEY=VALUE`
//! writes them. The first of these that gives an item wins:
//!
//! 1. the items of this one file ([`RasterOptions::per_file`], `--raster-meta FILE:KEY=VALUE`);
//! 2. the items of every raster of the run ([`RasterOptions::operator`]..., `--raster-*`);
//! 3. the band's own metadata item;
//! 4. the dataset's (the file's) own metadata item.
//!
//! Items:
//!
//! | item | meaning |
//! |---|---|
//! | `OPERATOR` | the operator (required) |
//! | `INFRASTRUCTURE` | owner of the network (default: the operator) |
//! | `TECHNOLOGY` | `4G`, `5G` (or any technology bianca knows) (required) |
//! | `STATUS` | `existing` (default) or `planned` |
//! | `YEAR` | year of availability; required when planned |
//! | `VALUE` | `down_mbps`, `peak_down_mbps` or `rsrp_dbm`: what the pixels measure (required) |
//! | `UP_MBPS` | upload speed of the whole band (optional; unknown otherwise) |
//!
//! Pixels equal to the band's nodata value (and NaN pixels) have no data; the band's scale
//! and offset, when set, are applied. The raster must have a CRS (or [`RasterOptions::crs`])
//! and a geotransform. Bands are read into memory as `f32`: whole, or only the pixels
//! around [`RasterOptions::window`] (a national raster read for one region's registry).
//! Reading is split in two so that several files decode in parallel: [`decode_raster`]
//! (no shared state) then [`register`] (adds the offers).

use std::path::Path;
use std::sync::Arc;

use gdal::raster::RasterBand;
use gdal::spatial_ref::SpatialRef;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags, Metadata};

use super::crs::Reprojector;
use super::raster_meta::{parse_up_mbps, parse_year, MetaKey, RasterMeta, RasterMetaError};
use crate::error::{Error, Result};
use crate::mobile::Band;
use crate::model::{OfferAttrs, Offers, RasterCoverage, SourceKind, Status, Technology, ValueKind};

/// Command-line overrides of the rasters' metadata items (see the module's order of
/// precedence): the fields for every raster of a run, [`RasterOptions::per_file`] for one.
#[derive(Debug, Clone, Default)]
pub struct RasterOptions {
    /// The raster's CRS, overriding (or supplying) the file's own.
    pub crs: Option<String>,
    pub operator: Option<String>,
    pub infrastructure: Option<String>,
    pub technology: Option<String>,
    pub status: Option<String>,
    pub year: Option<String>,
    pub value: Option<String>,
    pub up_mbps: Option<String>,
    /// Read only the pixels covering this lon/lat box (west, south, east, north), plus one
    /// pixel around: points outside it then find no pixel (unknown), so give the extent
    /// of everything that will be sampled.
    pub window: Option<[f64; 4]>,
    /// Items of single rasters, winning over the fields above for the raster they name:
    /// [`RasterOptions::for_files`] gives each raster of a run its options. Read alone,
    /// [`read_raster`] / [`decode_raster`] take their file to be the run's only raster.
    pub per_file: Vec<RasterMeta>,
}

impl RasterOptions {
    /// The options of each of `files`, every raster of a run as given: the items of the
    /// [`RasterMeta`]s naming a raster (see [`RasterMeta::find`]) replace the run's, and
    /// `per_file` is left empty. Fails when one names no raster of `files` or a file name
    /// that several have, or when two give one raster the same item.
    pub fn for_files(
        &self,
        files: &[std::path::PathBuf],
    ) -> std::result::Result<Vec<RasterOptions>, RasterMetaError> {
        let base = RasterOptions {
            per_file: Vec::new(),
            ..self.clone()
        };
        let mut out = vec![base; files.len()];
        let mut given: Vec<Vec<MetaKey>> = vec![Vec::new(); files.len()];
        for m in &self.per_file {
            let i = m.find(files)?;
            for (key, value) in &m.items {
                if given[i].contains(key) {
                    return Err(RasterMetaError::Repeated {
                        text: m.text.clone(),
                        key: *key,
                        path: files[i].display().to_string(),
                    });
                }
                given[i].push(*key);
                *out[i].field(*key) = Some(value.clone());
            }
        }
        Ok(out)
    }

    fn field(&mut self, key: MetaKey) -> &mut Option<String> {
        match key {
            MetaKey::Operator => &mut self.operator,
            MetaKey::Infrastructure => &mut self.infrastructure,
            MetaKey::Technology => &mut self.technology,
            MetaKey::Status => &mut self.status,
            MetaKey::Year => &mut self.year,
            MetaKey::Value => &mut self.value,
            MetaKey::UpMbps => &mut self.up_mbps,
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "OPERATOR" => self.operator.as_deref(),
            "INFRASTRUCTURE" => self.infrastructure.as_deref(),
            "TECHNOLOGY" => self.technology.as_deref(),
            "STATUS" => self.status.as_deref(),
            "YEAR" => self.year.as_deref(),
            "VALUE" => self.value.as_deref(),
            "UP_MBPS" => self.up_mbps.as_deref(),
            _ => None,
        }
    }
}

fn open_raster(path: &Path) -> Option<Dataset> {
    let opts = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_READONLY,
        ..Default::default()
    };
    Dataset::open_ex(path, opts).ok()
}

/// True when GDAL opens `path` as a raster with at least one band (CSV and Parquet files
/// never are). A GeoPackage with only vector tables is not a raster.
pub fn is_raster(path: &Path) -> bool {
    if matches!(
        super::InputFormat::of(path),
        super::InputFormat::Csv | super::InputFormat::Parquet
    ) {
        return false;
    }
    open_raster(path).is_some_and(|ds| ds.raster_count() > 0)
}

/// Reads every band of the raster at `path` as a coverage raster; each band gets its own
/// offer in `offers` (one source, of kind [`SourceKind::Raster`], added only on success).
///
/// Fails with [`Error::Raster`] naming the file (and the band) when the raster has no CRS,
/// no geotransform or no band, a metadata item is missing or bad, or an entry of
/// [`RasterOptions::per_file`] names another file.
pub fn read_raster(
    path: &Path,
    opts: &RasterOptions,
    offers: &mut Offers,
) -> Result<Vec<RasterCoverage>> {
    let decoded = decode_raster(path, opts)?;
    Ok(register(path, decoded, offers))
}

/// One band as decoded, before its offer is registered.
#[derive(Debug, Clone)]
pub struct DecodedBand {
    pub attrs: OfferAttrs,
    pub kind: ValueKind,
    pub up_mbps: Option<f32>,
    pub band: Band,
}

/// The first half of [`read_raster`]: opens, checks and reads every band, touching nothing
/// shared (several files may decode at once).
pub fn decode_raster(path: &Path, opts: &RasterOptions) -> Result<Vec<DecodedBand>> {
    let err = |band: Option<usize>, message: String| Error::Raster {
        path: path.to_path_buf(),
        band,
        message,
    };
    let own;
    let opts = if opts.per_file.is_empty() {
        opts
    } else {
        own = opts
            .for_files(&[path.to_path_buf()])
            .map_err(|e| err(None, e.to_string()))?;
        &own[0]
    };
    let g = open_grid(path, opts.crs.as_deref())?;
    let ds = &g.dataset;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let (w, h) = ds.raster_size();
    let window = match opts.window {
        Some(b) => pixel_window(&g, b, (w, h))?,
        None => (0, 0, w, h),
    };
    let mut read = Vec::new();
    for b in 1..=ds.raster_count() {
        let band = ds
            .rasterband(b)
            .map_err(|e| err(Some(b), format!("cannot open the band ({e})")))?;
        let (attrs, kind, up_mbps) = band_attrs(ds, &band, opts).map_err(|m| err(Some(b), m))?;
        read.push(DecodedBand {
            attrs,
            kind,
            up_mbps,
            band: g.band(&band, b, &name, window)?,
        });
    }
    Ok(read)
}

/// The second half of [`read_raster`]: one source for the file, one offer per band.
pub fn register(path: &Path, bands: Vec<DecodedBand>, offers: &mut Offers) -> Vec<RasterCoverage> {
    let source = offers.add_source(&path.display().to_string(), SourceKind::Raster);
    bands
        .into_iter()
        .map(|d| RasterCoverage {
            offer: offers.push(&d.attrs, source),
            kind: d.kind,
            up_mbps: d.up_mbps,
            band: Arc::new(d.band),
        })
        .collect()
}

/// The pixels `(col, row, width, height)` of a raster of `size` covering the lon/lat box
/// `[west, south, east, north]`, one pixel wider on every side, clipped to the raster
/// (empty when they do not meet). The box's edges are densified before projecting; a box
/// that cannot be projected at all gives the whole raster.
fn pixel_window(
    g: &OpenGrid,
    b: [f64; 4],
    size: (usize, usize),
) -> Result<(usize, usize, usize, usize)> {
    let steps = 32;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for k in 0..=steps {
        let t = f64::from(k) / f64::from(steps);
        let lon = b[0] + t * (b[2] - b[0]);
        let lat = b[1] + t * (b[3] - b[1]);
        for (x, y) in [(lon, b[1]), (lon, b[3]), (b[0], lat), (b[2], lat)] {
            xs.push(x);
            ys.push(y);
        }
    }
    g.to_crs.transform(&mut xs, &mut ys)?;
    let (mut c0, mut r0, mut c1, mut r1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for (&x, &y) in xs.iter().zip(&ys) {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        let (c, r) = crate::mobile::Band::fractional_pixel(&g.geo_transform, x, y);
        (c0, c1, r0, r1) = (c0.min(c), c1.max(c), r0.min(r), r1.max(r));
    }
    if !c0.is_finite() {
        return Ok((0, 0, size.0, size.1));
    }
    let clamp = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
    let (c0, c1) = (
        clamp(c0.floor() - 1.0, size.0),
        clamp(c1.ceil() + 1.0, size.0),
    );
    let (r0, r1) = (
        clamp(r0.floor() - 1.0, size.1),
        clamp(r1.ceil() + 1.0, size.1),
    );
    Ok((c0, r0, c1.saturating_sub(c0), r1.saturating_sub(r0)))
}

/// An open raster with its grid: CRS and geotransform.
struct OpenGrid {
    dataset: Dataset,
    path: std::path::PathBuf,
    crs_key: String,
    to_crs: Reprojector,
    geo_transform: [f64; 6],
}

/// Opens `path` as a raster and checks its CRS (`crs` overrides the file's) and geotransform.
fn open_grid(path: &Path, crs: Option<&str>) -> Result<OpenGrid> {
    let err = |message: String| Error::Raster {
        path: path.to_path_buf(),
        band: None,
        message,
    };
    // GDAL's virtual file systems (/vsimem/, /vsizip/...) are not on disk
    if !path.exists() && !path.starts_with("/vsimem") {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let ds = open_raster(path).ok_or_else(|| err("GDAL cannot read it as a raster".into()))?;
    if ds.raster_count() == 0 {
        return Err(err("the raster has no band".into()));
    }
    let srs = match crs {
        Some(def) => SpatialRef::from_definition(def).map_err(|e| Error::Crs {
            crs: def.to_string(),
            message: format!("unknown or invalid CRS ({e})"),
        })?,
        None => ds.spatial_ref().map_err(|_| {
            err("the raster has no CRS: give it one (--coverage-crs EPSG:N)".into())
        })?,
    };
    let crs_key = match (srs.auth_name(), srs.auth_code()) {
        (Some(a), Ok(c)) => format!("{a}:{c}"),
        _ => srs
            .to_wkt()
            .map_err(|e| err(format!("cannot export its CRS ({e})")))?,
    };
    let to_crs = Reprojector::from_lon_lat_to(&srs, &crs_key)?;
    let gt = ds
        .geo_transform()
        .map_err(|_| err("the raster has no geotransform (pixel size and origin)".into()))?;
    if gt[1] * gt[5] - gt[2] * gt[4] == 0.0 {
        return Err(err(format!("degenerate geotransform {gt:?}")));
    }
    Ok(OpenGrid {
        dataset: ds,
        path: path.to_path_buf(),
        crs_key,
        to_crs,
        geo_transform: gt,
    })
}

impl OpenGrid {
    /// Band `b` (1-based) of the raster: the pixels of `window` (col, row, width, height),
    /// with the geotransform moved to the window's corner.
    fn band(
        &self,
        band: &RasterBand,
        b: usize,
        name: &str,
        window: (usize, usize, usize, usize),
    ) -> Result<Band> {
        let values = band_values(band, window).map_err(|message| Error::Raster {
            path: self.path.clone(),
            band: Some(b),
            message,
        })?;
        let (c, r, width, height) = window;
        let [x0, a, bb, y0, d, e] = self.geo_transform;
        let (c, r) = (c as f64, r as f64);
        Ok(Band {
            width,
            height,
            geo_transform: [x0 + c * a + r * bb, a, bb, y0 + c * d + r * e, d, e],
            to_crs: self.to_crs.clone(),
            crs_key: self.crs_key.clone(),
            values,
            label: format!("{name} band {b}"),
        })
    }
}

/// Reads band `b` (1-based) of any raster (e.g. a population grid), without the metadata
/// items of coverage rasters. `crs` overrides the file's CRS.
pub fn read_band(path: &Path, b: usize, crs: Option<&str>) -> Result<Band> {
    let g = open_grid(path, crs)?;
    let band = g.dataset.rasterband(b).map_err(|e| Error::Raster {
        path: path.to_path_buf(),
        band: Some(b),
        message: format!("cannot open the band ({e})"),
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let size = g.dataset.raster_size();
    g.band(&band, b, &name, (0, 0, size.0, size.1))
}

/// The offer a band stands for, what its pixels measure and its upload speed.
fn band_attrs(
    ds: &Dataset,
    band: &RasterBand,
    opts: &RasterOptions,
) -> std::result::Result<(OfferAttrs, ValueKind, Option<f32>), String> {
    let item = |key: &str| -> Option<String> {
        opts.get(key)
            .map(str::to_string)
            .or_else(|| band.metadata_item(key, ""))
            .or_else(|| ds.metadata_item(key, ""))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let required = |key: &str, flag: &str| {
        item(key).ok_or_else(|| {
            format!(
                "no {key} metadata item (write it with gdal_translate -mo {key}=..., or give \
                 {flag}, or --raster-meta FILE:{key}=... for this file)"
            )
        })
    };
    let operator = required("OPERATOR", "--raster-operator")?;
    let technology: Technology = required("TECHNOLOGY", "--raster-technology")?
        .parse()
        .map_err(|e| format!("TECHNOLOGY: {e}"))?;
    let kind: ValueKind = required("VALUE", "--raster-value")?
        .parse()
        .map_err(|e| format!("VALUE: {e}"))?;
    let status: Status = match item("STATUS") {
        Some(s) => s.parse().map_err(|e| format!("STATUS: {e}"))?,
        None => Status::Existing,
    };
    let year = item("YEAR").map(|y| parse_year(&y)).transpose()?;
    if status == Status::Planned && year.is_none() {
        return Err("STATUS is planned but there is no YEAR metadata item".into());
    }
    let up = item("UP_MBPS").map(|u| parse_up_mbps(&u)).transpose()?;
    let infrastructure = item("INFRASTRUCTURE").unwrap_or_else(|| operator.clone());
    Ok((
        OfferAttrs {
            operator,
            infrastructure,
            technology,
            // per pixel: see crate::mobile for how a sample becomes speeds
            down_mbps: f64::NAN,
            up_mbps: up.map_or(f64::NAN, f64::from),
            peak_down_mbps: None,
            peak_up_mbps: None,
            status,
            year,
            licensed: true,
        },
        kind,
        up,
    ))
}

/// The pixels of `window` (col, row, width, height) as f32, nodata as NaN, scale and offset
/// applied.
fn band_values(
    band: &RasterBand,
    (c, r, w, h): (usize, usize, usize, usize),
) -> std::result::Result<Vec<f32>, String> {
    if w == 0 || h == 0 {
        return Ok(Vec::new());
    }
    let at = |v: usize| isize::try_from(v).map_err(|_| format!("window offset {v} too large"));
    let buf = band
        .read_as::<f32>((at(c)?, at(r)?), (w, h), (w, h), None)
        .map_err(|e| format!("cannot read the pixels ({e})"))?;
    let (_, mut values) = buf.into_shape_and_vec();
    let nodata = band.no_data_value().map(|v| v as f32);
    let scale = band.scale().unwrap_or(1.0) as f32;
    let offset = band.offset().unwrap_or(0.0) as f32;
    let rescale = scale != 1.0 || offset != 0.0;
    for v in &mut values {
        if nodata.is_some_and(|nd| *v == nd) {
            *v = f32::NAN;
        } else if rescale {
            *v = *v * scale + offset;
        }
    }
    Ok(values)
}
