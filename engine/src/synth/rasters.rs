//! Mobile coverage rasters for the synthetic Tuscany: antenna sites of four operators and a
//! simple path-loss model, written as GeoTIFFs in projected CRSs (UTM 32N, UTM 33N and
//! ETRS89-LAEA, so that every run exercises reprojection), plus a 1 km population grid.
//!
//! The model, per site: RSRP (dBm) = EIRP - (A + B log10(d_km)), d >= 30 m, with
//! A = 120, B = 30 for 4G (low bands, EIRP about 30 dBm) and A = 128, B = 35 for 5G (3.5 GHz,
//! EIRP about 35 dBm); each pixel takes its best server. Rasters of speed turn the signal into
//! Mbit/s with a linear ramp (see [`speed_of`]). The same seed gives the same rasters.

use std::path::{Path, PathBuf};

use geo::BoundingRect;
use rayon::prelude::*;

use super::gen::{ARIA5, MOBITRE, ONDAWEB, TELCOUNO};
use super::rng::Rng;
use super::Synth;
use crate::error::{Error, Result};
use crate::io::read::Reprojector;
use crate::io::write::{write_geotiff, RasterOut};
use crate::mobile::grid_5g::Grid;
use crate::model::{Technology, ValueKind};

/// Stream key of the raster sites (beside the generator's own keys).
const SITES: u64 = 6;

/// Persons per dwelling of the population grid (Tuscany, 2021 census: about 2.2).
pub const PERSONS_PER_DWELLING: f64 = 2.2;

/// One synthetic raster: who, what, where.
#[derive(Debug, Clone, Copy)]
pub struct RasterSpec {
    pub operator: &'static str,
    pub technology: Technology,
    pub crs: &'static str,
    pub value: ValueKind,
    pub up_mbps: Option<f32>,
    /// Planned rasters: the year.
    pub planned: Option<i32>,
    /// Sites per town (for towns over `min_town_pop`) and rural towers.
    pub town_sites: f64,
    pub min_town_pop: f64,
    pub rural_sites: usize,
}

/// The rasters `bianca synth --rasters` writes, four operators, one file each.
pub const RASTERS: [RasterSpec; 6] = [
    RasterSpec {
        operator: TELCOUNO,
        technology: Technology::Mobile4g,
        crs: "EPSG:32632",
        value: ValueKind::RsrpDbm,
        up_mbps: None,
        planned: None,
        town_sites: 1.0,
        min_town_pop: 0.0,
        rural_sites: 220,
    },
    RasterSpec {
        operator: TELCOUNO,
        technology: Technology::Mobile5g,
        crs: "EPSG:32632",
        value: ValueKind::PeakDownMbps,
        up_mbps: Some(30.0),
        planned: None,
        town_sites: 2.0,
        min_town_pop: 5_000.0,
        rural_sites: 0,
    },
    RasterSpec {
        operator: MOBITRE,
        technology: Technology::Mobile4g,
        crs: "EPSG:3035",
        value: ValueKind::PeakDownMbps,
        up_mbps: Some(10.0),
        planned: None,
        town_sites: 1.0,
        min_town_pop: 0.0,
        rural_sites: 70,
    },
    RasterSpec {
        operator: MOBITRE,
        technology: Technology::Mobile5g,
        crs: "EPSG:3035",
        value: ValueKind::PeakDownMbps,
        up_mbps: Some(30.0),
        planned: Some(2026),
        town_sites: 2.0,
        min_town_pop: 3_000.0,
        rural_sites: 40,
    },
    RasterSpec {
        operator: ARIA5,
        technology: Technology::Mobile4g,
        crs: "EPSG:32633",
        value: ValueKind::RsrpDbm,
        up_mbps: None,
        planned: None,
        town_sites: 0.6,
        min_town_pop: 2_000.0,
        rural_sites: 120,
    },
    RasterSpec {
        operator: ONDAWEB,
        technology: Technology::Mobile4g,
        crs: "EPSG:32632",
        value: ValueKind::RsrpDbm,
        up_mbps: None,
        planned: None,
        town_sites: 0.5,
        min_town_pop: 1_000.0,
        rural_sites: 150,
    },
];

/// File name of a raster: `mobile_TelcoUno_4G.tif`.
pub fn file_name(s: &RasterSpec) -> String {
    format!("mobile_{}_{}.tif", s.operator, s.technology.as_str())
}

/// Path-loss constants (A, B) and a typical EIRP of a technology.
fn model(t: Technology) -> (f64, f64, f64) {
    match t {
        Technology::Mobile5g => (128.0, 35.0, 35.0),
        _ => (120.0, 30.0, 30.0),
    }
}

/// The pixel value of a signal level for a raster of `value`.
pub fn speed_of(value: ValueKind, t: Technology, rsrp: f64) -> f32 {
    let ramp = |floor: f64, slope: f64, cap: f64| ((rsrp - floor) * slope).clamp(0.0, cap) as f32;
    match (value, t) {
        (ValueKind::RsrpDbm, _) => rsrp.max(-140.0) as f32,
        (ValueKind::PeakDownMbps, Technology::Mobile5g) => ramp(-112.0, 10.0, 600.0),
        (ValueKind::PeakDownMbps, _) => ramp(-112.0, 3.0, 120.0),
        (ValueKind::DownMbps, _) => ramp(-118.0, 5.0, 150.0),
    }
}

/// Antenna sites of one raster: (lon, lat, EIRP dBm).
fn sites(
    seed: u64,
    k: usize,
    spec: &RasterSpec,
    synth: &Synth,
    prepared: &[super::geom::Prepared],
) -> Vec<(f64, f64, f64)> {
    let mut rng = Rng::stream(seed, &[SITES, k as u64]);
    let (_, _, eirp) = model(spec.technology);
    let mut out = Vec::new();
    for t in &synth.towns {
        if t.pop < spec.min_town_pop {
            continue;
        }
        let lp = (t.pop / 1000.0).max(1.0).log10().min(3.0);
        let n = (spec.town_sites * (0.5 + lp) + rng.range(0.0, 1.0)) as usize;
        for _ in 0..n {
            let km = t.sigma_km * 1.5;
            let lon = t.lon + km * rng.range(-1.0, 1.0) * super::geom::km_to_deg_lon(t.lat);
            let lat = t.lat + km * rng.range(-1.0, 1.0) / super::geom::KM_PER_DEG;
            out.push((lon, lat, eirp + rng.range(-3.0, 3.0)));
        }
    }
    for _ in 0..spec.rural_sites {
        // a comune drawn at random, a point inside it: towers follow the land, not the sea
        let p = &prepared[rng.below(prepared.len())];
        if let Some((lon, lat)) = p.sample(&mut rng, 1_000) {
            out.push((lon, lat, eirp + 3.0 + rng.range(-3.0, 3.0)));
        }
    }
    out
}

/// Lon/lat bounding box of the comuni: (west, south, east, north).
fn tuscany_bbox(synth: &Synth) -> (f64, f64, f64, f64) {
    let mut b = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for c in &synth.comuni {
        if let Some(r) = c.geometry.bounding_rect() {
            b = (
                b.0.min(r.min().x),
                b.1.min(r.min().y),
                b.2.max(r.max().x),
                b.3.max(r.max().y),
            );
        }
    }
    b
}

fn rect(b: (f64, f64, f64, f64)) -> geo::Rect<f64> {
    geo::Rect::new((b.0, b.1), (b.2, b.3))
}

/// Computes the pixels of one raster on `grid` (CRS `spec.crs`).
pub fn render(
    spec: &RasterSpec,
    grid: &Grid,
    sites_lonlat: &[(f64, f64, f64)],
) -> Result<Vec<f32>> {
    let srs = gdal::spatial_ref::SpatialRef::from_definition(spec.crs).map_err(|e| Error::Crs {
        crs: spec.crs.into(),
        message: e.to_string(),
    })?;
    let to = Reprojector::from_lon_lat_to(&srs, spec.crs)?;
    let mut xs: Vec<f64> = sites_lonlat.iter().map(|s| s.0).collect();
    let mut ys: Vec<f64> = sites_lonlat.iter().map(|s| s.1).collect();
    to.transform(&mut xs, &mut ys)?;
    let (a, b, _) = model(spec.technology);
    // reach: where the signal falls under -130 dBm
    let sites: Vec<(f64, f64, f64, f64)> = (0..sites_lonlat.len())
        .filter(|&i| xs[i].is_finite() && ys[i].is_finite())
        .map(|i| {
            let eirp = sites_lonlat[i].2;
            let reach_m = 1000.0 * 10f64.powf((eirp + 130.0 - a) / b);
            (xs[i], ys[i], eirp, reach_m)
        })
        .collect();
    let floor = -140.0;
    let mut pixels = vec![0f32; grid.len()];
    pixels
        .par_chunks_mut(grid.cols.max(1))
        .enumerate()
        .for_each(|(row, out)| {
            let y = grid.centre(0, row).1;
            let mut best = vec![floor; grid.cols];
            for &(sx, sy, eirp, reach) in &sites {
                if (y - sy).abs() > reach {
                    continue;
                }
                let c0 = (((sx - reach - grid.west) / grid.size).floor().max(0.0)) as usize;
                let c1 = (((sx + reach - grid.west) / grid.size).ceil().max(0.0) as usize)
                    .min(grid.cols);
                for (c, bv) in best.iter_mut().enumerate().take(c1).skip(c0) {
                    let x = grid.centre(c, row).0;
                    let d2 = (x - sx).powi(2) + (y - sy).powi(2);
                    let d_km = (d2.sqrt() / 1000.0).max(0.03);
                    let rsrp = eirp - (a + b * d_km.log10());
                    if rsrp > *bv {
                        *bv = rsrp;
                    }
                }
            }
            for (o, &r) in out.iter_mut().zip(&best) {
                *o = speed_of(spec.value, spec.technology, r);
            }
        });
    Ok(pixels)
}

/// Writes the mobile rasters ([`RASTERS`]) and `population.tif` into `dir` with `pixel_m`
/// pixels; returns the files written with their sizes.
pub fn write_rasters(synth: &Synth, dir: &Path, pixel_m: f64) -> Result<Vec<(PathBuf, u64)>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let bbox = rect(tuscany_bbox(synth));
    let prepared: Vec<super::geom::Prepared> = synth
        .comuni
        .iter()
        .map(|c| super::geom::Prepared::new(&c.geometry))
        .collect();
    let mut files = Vec::new();
    for (k, spec) in RASTERS.iter().enumerate() {
        let grid = Grid::covering_in(bbox, pixel_m, spec.crs)?;
        let s = sites(synth.seed, k, spec, synth, &prepared);
        let pixels = render(spec, &grid, &s)?;
        let mut md: Vec<(&str, String)> = vec![
            ("OPERATOR", spec.operator.to_string()),
            ("TECHNOLOGY", spec.technology.as_str().to_string()),
            ("VALUE", spec.value.as_str().to_string()),
            ("SITES", s.len().to_string()),
        ];
        if let Some(u) = spec.up_mbps {
            md.push(("UP_MBPS", u.to_string()));
        }
        if let Some(y) = spec.planned {
            md.push(("STATUS", "planned".into()));
            md.push(("YEAR", y.to_string()));
        }
        let p = dir.join(file_name(spec));
        write_geotiff(
            &p,
            &RasterOut {
                width: grid.cols,
                height: grid.rows,
                geo_transform: grid.geo_transform(),
                crs: spec.crs,
                pixels: &pixels,
                nodata: Some(-9999.0),
                metadata: &md,
            },
        )?;
        let n = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
        files.push((p, n));
    }
    let p = dir.join("population.tif");
    write_population(synth, &p)?;
    let n = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
    files.push((p, n));
    Ok(files)
}

/// A 1 km EPSG:3035 grid of persons: the dwellings of the units in each cell times
/// [`PERSONS_PER_DWELLING`].
fn write_population(synth: &Synth, path: &Path) -> Result<()> {
    let crs = crate::mobile::grid_5g::GRID_CRS;
    let grid = Grid::covering_in(rect(tuscany_bbox(synth)), 1000.0, crs)?;
    let srs = gdal::spatial_ref::SpatialRef::from_definition(crs).map_err(|e| Error::Crs {
        crs: crs.into(),
        message: e.to_string(),
    })?;
    let to = Reprojector::from_lon_lat_to(&srs, crs)?;
    let u = &synth.units;
    let (mut xs, mut ys) = (u.lon.clone(), u.lat.clone());
    to.transform(&mut xs, &mut ys)?;
    let mut persons = vec![0f32; grid.len()];
    for i in 0..u.len() {
        if let Some((c, r)) = grid.pixel(xs[i], ys[i]) {
            persons[r * grid.cols + c] += (f64::from(u.units[i]) * PERSONS_PER_DWELLING) as f32;
        }
    }
    write_geotiff(
        path,
        &RasterOut {
            width: grid.cols,
            height: grid.rows,
            geo_transform: grid.geo_transform(),
            crs,
            pixels: &persons,
            nodata: None,
            metadata: &[("UNIT", "persons".to_string())],
        },
    )
}
