//! Reading coverage files, vector or raster, shared by `classify` and `grid`: footprints and
//! declarations first (beside the registry), then the rasters, of which only the pixels
//! around what will be sampled are read.

use anyhow::{anyhow, Context, Result};
use bianca_engine::classify::build_index;
use bianca_engine::io::read::{self, AddressedDeclaration, RasterMeta, RasterOptions, ReadOptions};
use bianca_engine::join::index::{GridIndex, GridOptions};
use bianca_engine::model::Coverage;
use bianca_engine::units::Units;
use bianca_engine::Reject;
use rayon::prelude::*;
use std::path::PathBuf;

/// Options of coverage rasters: they override the rasters' own GDAL metadata items
/// (`OPERATOR`, `TECHNOLOGY`, ...), the `--raster-*` ones for every raster given with
/// --coverage, `--raster-meta` for one. Order: --raster-meta, then --raster-*, then the
/// band's items, then the file's.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RasterArgs {
    /// Operator of the coverage rasters (overrides their OPERATOR metadata item).
    #[arg(long, value_name = "NAME")]
    pub raster_operator: Option<String>,
    /// Owner of the rasters' network (INFRASTRUCTURE; default: the operator).
    #[arg(long, value_name = "NAME")]
    pub raster_infrastructure: Option<String>,
    /// Technology of the rasters: 4G, 5G... (TECHNOLOGY).
    #[arg(long, value_name = "TECH")]
    pub raster_technology: Option<String>,
    /// existing or planned (STATUS).
    #[arg(long, value_name = "STATUS")]
    pub raster_status: Option<String>,
    /// Year of planned rasters (YEAR).
    #[arg(long, value_name = "YYYY")]
    pub raster_year: Option<String>,
    /// What the pixels measure: down_mbps, peak_down_mbps or rsrp_dbm (VALUE).
    #[arg(long, value_name = "KIND")]
    pub raster_value: Option<String>,
    /// Upload speed of the rasters' network, Mbit/s (UP_MBPS).
    #[arg(long, value_name = "MBPS")]
    pub raster_up_mbps: Option<String>,
    /// Metadata items of one raster, winning over the --raster-* options and the file's
    /// own items: FILE:KEY=VALUE[,KEY=VALUE...], KEY one of OPERATOR, INFRASTRUCTURE,
    /// TECHNOLOGY, STATUS, YEAR, VALUE, UP_MBPS (any case); FILE is a raster given with
    /// --coverage, by the same path or by its file name when no other raster has it.
    /// Repeatable, e.g. --raster-meta a.tif:OPERATOR=TelcoUno,TECHNOLOGY=4G,VALUE=rsrp_dbm
    #[arg(long, value_name = "FILE:KEY=VALUE,...")]
    pub raster_meta: Vec<RasterMeta>,
}

impl RasterArgs {
    /// True when any option is given.
    pub fn any(&self) -> bool {
        [
            &self.raster_operator,
            &self.raster_infrastructure,
            &self.raster_technology,
            &self.raster_status,
            &self.raster_year,
            &self.raster_value,
            &self.raster_up_mbps,
        ]
        .iter()
        .any(|o| o.is_some())
            || !self.raster_meta.is_empty()
    }

    /// The options of every raster of a run: `crs` for rasters without one, `window` the
    /// lon/lat box that will be sampled (only its pixels are read); the --raster-meta items
    /// are in `per_file`, given to each raster by [`add_rasters`].
    pub fn options(&self, crs: Option<String>, window: Option<[f64; 4]>) -> RasterOptions {
        RasterOptions {
            crs,
            operator: self.raster_operator.clone(),
            infrastructure: self.raster_infrastructure.clone(),
            technology: self.raster_technology.clone(),
            status: self.raster_status.clone(),
            year: self.raster_year.clone(),
            value: self.raster_value.clone(),
            up_mbps: self.raster_up_mbps.clone(),
            window,
            per_file: self.raster_meta.clone(),
        }
    }
}

/// Coverage files sorted by kind: rasters are those GDAL opens as one.
pub fn split(files: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    files.iter().cloned().partition(|f| !read::is_raster(f))
}

/// Reads the footprint and declarations files into one [`Coverage`] and builds the join
/// index over its footprints (rasters come after, with [`add_rasters`]); declarations keyed
/// by address come back apart, to be matched once the registry is read.
pub fn read_vectors(
    coverage: &[PathBuf],
    declarations: &[PathBuf],
    opts: &ReadOptions,
    grid: GridOptions,
) -> Result<(Coverage, Vec<Reject>, GridIndex, Vec<AddressedDeclaration>)> {
    let t = std::time::Instant::now();
    let mut cov = Coverage::default();
    let mut rejects = Vec::new();
    let mut addressed = Vec::new();
    for f in coverage {
        let (fps, rj) = read::read_footprints(f, opts, &mut cov.offers)
            .with_context(|| format!("reading coverage from {}", f.display()))?;
        cov.footprints.extend(fps);
        rejects.extend(rj);
    }
    for f in declarations {
        let (decl, by_address, rj) = read::read_declarations(f, opts, &mut cov.offers)
            .with_context(|| format!("reading declarations from {}", f.display()))?;
        cov.declarations.extend(decl);
        addressed.extend(by_address);
        rejects.extend(rj);
    }
    tracing::debug!(target: "bianca::timing", phase = "read coverage", secs = t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let index = build_index(&cov, grid);
    tracing::debug!(target: "bianca::timing", phase = "build index", secs = t.elapsed().as_secs_f64());
    Ok((cov, rejects, index, addressed))
}

/// Adds the coverage rasters to `cov`: the files decode in parallel, then their offers are
/// added in the order given. `opts.window`: only the pixels around it are read;
/// `opts.per_file` (--raster-meta) must each name one of `files` (every raster of the run).
pub fn add_rasters(cov: &mut Coverage, files: &[PathBuf], opts: &RasterOptions) -> Result<()> {
    let each = opts
        .for_files(files)
        .map_err(|e| anyhow!("--raster-meta {e}"))?;
    // every result kept, then the first error in the order given: collecting into a
    // Result in parallel would report whichever failing file finished first
    let decoded: Vec<Result<_>> = files
        .par_iter()
        .zip(&each)
        .map(|(f, opts)| {
            read::raster::decode_raster(f, opts)
                .with_context(|| format!("reading the coverage raster {}", f.display()))
        })
        .collect();
    let decoded = decoded.into_iter().collect::<Result<Vec<_>>>()?;
    for (f, d) in files.iter().zip(decoded) {
        let bands = read::raster::register(f, d, &mut cov.offers);
        cov.rasters.extend(bands);
    }
    Ok(())
}

/// The lon/lat box (west, south, east, north) of the units, `None` when there are none.
pub fn units_box(u: &Units) -> Option<[f64; 4]> {
    if u.is_empty() {
        return None;
    }
    let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
    Some([
        fold(&u.lon, f64::min, f64::INFINITY),
        fold(&u.lat, f64::min, f64::INFINITY),
        fold(&u.lon, f64::max, f64::NEG_INFINITY),
        fold(&u.lat, f64::max, f64::NEG_INFINITY),
    ])
}

/// One line per raster for a run's summary: `file band 1: TelcoUno 4G rsrp_dbm (EPSG:32632, 2874 x 2602 px)`.
pub fn describe_rasters(cov: &Coverage) -> Vec<String> {
    cov.rasters
        .iter()
        .map(|r| {
            let o = &cov.offers.offers[r.offer as usize];
            format!(
                "{}: {} {} {}{} ({}, {} x {} px)",
                r.band.label,
                cov.offers.names.name(o.operator),
                o.technology,
                r.kind.as_str(),
                o.year.map_or(String::new(), |y| format!(", planned {y}")),
                r.band.crs_key.chars().take(40).collect::<String>(),
                r.band.width,
                r.band.height
            )
        })
        .collect()
}
