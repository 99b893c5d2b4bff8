//! Reading coverage files, vector or raster, shared by `classify` and `grid`.

use anyhow::{Context, Result};
use bianca_engine::classify::build_index;
use bianca_engine::io::read::{self, RasterOptions, ReadOptions};
use bianca_engine::join::index::{GridIndex, GridOptions};
use bianca_engine::model::Coverage;
use bianca_engine::Reject;
use std::path::PathBuf;

/// Options of coverage rasters: they override the rasters' own GDAL metadata items
/// (`OPERATOR`, `TECHNOLOGY`, ...) for every raster given with --coverage.
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
}

impl RasterArgs {
    pub fn options(&self, crs: Option<String>) -> RasterOptions {
        RasterOptions {
            crs,
            operator: self.raster_operator.clone(),
            infrastructure: self.raster_infrastructure.clone(),
            technology: self.raster_technology.clone(),
            status: self.raster_status.clone(),
            year: self.raster_year.clone(),
            value: self.raster_value.clone(),
            up_mbps: self.raster_up_mbps.clone(),
        }
    }
}

/// Reads every coverage file (footprints, or rasters: any file GDAL opens as a raster) and
/// declarations file into one [`Coverage`], and builds the join index over its footprints.
pub fn read_coverage(
    coverage: &[PathBuf],
    declarations: &[PathBuf],
    opts: &ReadOptions,
    rasters: &RasterArgs,
    grid: GridOptions,
) -> Result<(Coverage, Vec<Reject>, GridIndex)> {
    let mut cov = Coverage::default();
    let mut rejects = Vec::new();
    let raster_opts = rasters.options(opts.crs.clone());
    for f in coverage {
        if read::is_raster(f) {
            let bands = read::read_raster(f, &raster_opts, &mut cov.offers)
                .with_context(|| format!("reading the coverage raster {}", f.display()))?;
            cov.rasters.extend(bands);
            continue;
        }
        let (fps, rj) = read::read_footprints(f, opts, &mut cov.offers)
            .with_context(|| format!("reading coverage from {}", f.display()))?;
        cov.footprints.extend(fps);
        rejects.extend(rj);
    }
    for f in declarations {
        let (decl, rj) = read::read_declarations(f, opts, &mut cov.offers)
            .with_context(|| format!("reading declarations from {}", f.display()))?;
        cov.declarations.extend(decl);
        rejects.extend(rj);
    }
    let index = build_index(&cov, grid);
    Ok((cov, rejects, index))
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
