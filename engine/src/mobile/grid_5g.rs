//! Italia 5G style grid classification: 100 m x 100 m pixels of the EPSG:3035 (ETRS89-LAEA)
//! grid, each classified at its centre under a rule set counting networks (by default
//! `it-5g`: a pixel is *eligible* where no 4G/5G network gives a peak download of at least
//! 30 Mbit/s by the horizon).
//!
//! - The grid is aligned on multiples of the pixel size in EPSG:3035, like the EU reference
//!   grids, and covers the territory's bounding box; with a territory (area polygons) only
//!   pixels whose centre lies in an area (boundary included) are classified, the others are
//!   [`OUTSIDE`].
//! - A pixel's centre is reached by the footprints covering it and by every raster's pixel
//!   holding it (a raster in EPSG:3035 is sampled with the centre's own coordinates, others
//!   through lon/lat). Declarations name addresses, not places: they play no part.
//! - Codes: [`NOT_ELIGIBLE`], [`ELIGIBLE`] (class 0 of the rule set: no qualifying
//!   network), [`UNKNOWN`] (a raster has no value there, or peak speeds are missing, and
//!   it could change the answer), [`OUTSIDE`].
//! - [`dissolve`] merges eligible pixels that share an edge (4-connectivity) into polygons,
//!   with the addresses, housing units and population inside.

use gdal::spatial_ref::SpatialRef;
use gdal::vector::LayerAccess;
use geo::{MultiPolygon, Polygon, Rect};
use rayon::prelude::*;

use super::band::Band;
use super::sample::PointProbe;
use crate::error::{Error, Result};
use crate::io::read::Reprojector;
use crate::join::GridIndex;
use crate::model::Coverage;
use crate::rules::{Classes, PreparedRules, RuleSet, UNKNOWN_CLASS};
use crate::units::Units;

/// The grid's CRS.
pub const GRID_CRS: &str = "EPSG:3035";
/// The Italia 5G pixel size, metres.
pub const PIXEL_M: f64 = 100.0;

/// Pixel codes of [`PixelClasses::codes`] (and of the GeoTIFF written from them).
pub const NOT_ELIGIBLE: u8 = 0;
pub const ELIGIBLE: u8 = 1;
pub const UNKNOWN: u8 = 2;
/// Outside the territory; the GeoTIFF's nodata value.
pub const OUTSIDE: u8 = 255;

/// A north-up grid of square pixels in a projected CRS (EPSG:3035 for Italia 5G).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// West edge and north edge, CRS units (multiples of `size`).
    pub west: f64,
    pub north: f64,
    pub cols: usize,
    pub rows: usize,
    pub size: f64,
}

impl Grid {
    /// The smallest grid of `size` m pixels, aligned on multiples of `size`, that covers the
    /// lon/lat rectangle `bbox` (its edges are densified before projecting, so the curved
    /// image of the rectangle is covered).
    pub fn covering(bbox: Rect<f64>, size: f64) -> Result<Grid> {
        Self::covering_in(bbox, size, GRID_CRS)
    }

    /// Like [`Grid::covering`], in the projected CRS `crs` (`EPSG:N`).
    pub fn covering_in(bbox: Rect<f64>, size: f64, crs: &str) -> Result<Grid> {
        if size.is_nan() || size <= 0.0 {
            return Err(Error::Invalid(format!("pixel size {size}: expected > 0")));
        }
        let srs = SpatialRef::from_definition(crs).map_err(|e| Error::Crs {
            crs: crs.into(),
            message: e.to_string(),
        })?;
        let to = Reprojector::from_lon_lat_to(&srs, crs)?;
        let (min, max) = (bbox.min(), bbox.max());
        let steps = 64;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            let lon = min.x + t * (max.x - min.x);
            let lat = min.y + t * (max.y - min.y);
            for (x, y) in [(lon, min.y), (lon, max.y), (min.x, lat), (max.x, lat)] {
                xs.push(x);
                ys.push(y);
            }
        }
        to.transform(&mut xs, &mut ys)?;
        let fin = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| {
            v.iter().copied().filter(|v| v.is_finite()).fold(init, f)
        };
        let (x0, x1) = (
            fin(&xs, f64::min, f64::INFINITY),
            fin(&xs, f64::max, f64::NEG_INFINITY),
        );
        let (y0, y1) = (
            fin(&ys, f64::min, f64::INFINITY),
            fin(&ys, f64::max, f64::NEG_INFINITY),
        );
        if !(x0.is_finite() && x1.is_finite() && y0.is_finite() && y1.is_finite()) {
            return Err(Error::Invalid(format!(
                "the area {bbox:?} cannot be projected to {crs}"
            )));
        }
        let west = (x0 / size).floor() * size;
        let south = (y0 / size).floor() * size;
        let east = (x1 / size).floor() * size + size;
        let north = (y1 / size).floor() * size + size;
        Ok(Grid {
            west,
            north,
            cols: ((east - west) / size).round() as usize,
            rows: ((north - south) / size).round() as usize,
            size,
        })
    }

    pub fn len(&self) -> usize {
        self.cols * self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The centre of pixel `(col, row)`, EPSG:3035 metres.
    pub fn centre(&self, col: usize, row: usize) -> (f64, f64) {
        (
            self.west + (col as f64 + 0.5) * self.size,
            self.north - (row as f64 + 0.5) * self.size,
        )
    }

    /// The pixel holding `(x, y)` (EPSG:3035), with the convention of [`Band::pixel`].
    pub fn pixel(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let c = ((x - self.west) / self.size).floor();
        let r = ((self.north - y) / self.size).floor();
        (c >= 0.0 && r >= 0.0 && c < self.cols as f64 && r < self.rows as f64)
            .then_some((c as usize, r as usize))
    }

    pub fn geo_transform(&self) -> [f64; 6] {
        [self.west, self.size, 0.0, self.north, 0.0, -self.size]
    }
}

fn grid_srs() -> Result<SpatialRef> {
    SpatialRef::from_epsg(3035).map_err(|e| Error::Crs {
        crs: GRID_CRS.into(),
        message: e.to_string(),
    })
}

/// The classified pixels of a [`Grid`], row-major.
#[derive(Debug, Clone)]
pub struct PixelClasses {
    pub grid: Grid,
    pub codes: Vec<u8>,
    /// Name of the rule set that classified them.
    pub rules: String,
}

impl PixelClasses {
    /// Pixels per code: not eligible, eligible, unknown, outside.
    pub fn counts(&self) -> [u64; 4] {
        let mut c = [0u64; 4];
        for &v in &self.codes {
            let k = match v {
                NOT_ELIGIBLE => 0,
                ELIGIBLE => 1,
                UNKNOWN => 2,
                _ => 3,
            };
            c[k] += 1;
        }
        c
    }
}

/// Classifies every pixel of `grid` whose centre lies in `territory` (every pixel when
/// `None`) under `rule`, which must classify by networks (class 0 = eligible).
/// `progress` is called with the number of pixels just done.
pub fn classify_pixels(
    grid: Grid,
    territory: Option<&GridIndex>,
    coverage: &Coverage,
    index: &GridIndex,
    rule: &RuleSet,
    reference_year: i32,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PixelClasses> {
    if !matches!(rule.classes, Classes::Networks { .. }) {
        return Err(Error::Invalid(format!(
            "rule set {}: pixel classification needs a rule set that classifies by networks \
             (class 0 = no qualifying network = eligible)",
            rule.name
        )));
    }
    let to_lon_lat = Reprojector::from_crs(GRID_CRS)?;
    let offers = &coverage.offers.offers;
    let prepared = PreparedRules::new(rule, offers, reference_year);
    let probe = PointProbe::new(coverage, index);
    let mut codes = vec![OUTSIDE; grid.len()];
    codes
        .par_chunks_mut(grid.cols.max(1))
        .enumerate()
        .try_for_each(|(row, out)| -> Result<()> {
            let xs: Vec<f64> = (0..grid.cols).map(|c| grid.centre(c, row).0).collect();
            let ys: Vec<f64> = vec![grid.centre(0, row).1; grid.cols];
            let (mut lon, mut lat) = (xs.clone(), ys.clone());
            to_lon_lat.transform(&mut lon, &mut lat)?;
            let mut scratch = Vec::with_capacity(8);
            probe.visit(
                &lon,
                &lat,
                Some((GRID_CRS, &xs, &ys)),
                |c, hits, samples| {
                    let inside =
                        territory.is_none_or(|t| t.for_each_covering(lon[c], lat[c], |_| {}) > 0);
                    if !inside || !lon[c].is_finite() {
                        return;
                    }
                    let d = prepared.decide_with(hits, samples, offers, &mut scratch);
                    out[c] = match d.class {
                        0 => ELIGIBLE,
                        UNKNOWN_CLASS => UNKNOWN,
                        _ => NOT_ELIGIBLE,
                    };
                },
            );
            progress(grid.cols as u64);
            Ok(())
        })?;
    Ok(PixelClasses {
        grid,
        codes,
        rules: rule.name.clone(),
    })
}

/// One dissolved area of eligible pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct EligibleArea {
    /// 1-based label of the area (its connected component).
    pub id: u32,
    pub pixels: u64,
    /// Lon/lat (EPSG:4326) outline, holes included.
    pub geometry: MultiPolygon<f64>,
    pub addresses: u64,
    pub units: u64,
    /// Population inside, when a population raster was given.
    pub population: Option<f64>,
}

/// Labels the 4-connected components of eligible pixels: 0 for other pixels, 1..=n for the
/// components in the order of their first pixel (row-major). Returns the labels and n.
pub fn label_components(pc: &PixelClasses) -> (Vec<u32>, u32) {
    let (w, h) = (pc.grid.cols, pc.grid.rows);
    let mut labels = vec![0u32; w * h];
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if pc.codes[start] != ELIGIBLE || labels[start] != 0 {
            continue;
        }
        next += 1;
        labels[start] = next;
        stack.push(start);
        while let Some(p) = stack.pop() {
            let (c, r) = (p % w, p / w);
            let mut visit = |q: usize| {
                if pc.codes[q] == ELIGIBLE && labels[q] == 0 {
                    labels[q] = next;
                    stack.push(q);
                }
            };
            if c > 0 {
                visit(p - 1);
            }
            if c + 1 < w {
                visit(p + 1);
            }
            if r > 0 {
                visit(p - w);
            }
            if r + 1 < h {
                visit(p + w);
            }
        }
    }
    (labels, next)
}

/// Dissolves the eligible pixels into areas (4-connected components, outlined by GDAL's
/// polygonizer), with the registry's addresses and housing units whose point lies in them,
/// and, with `population` (a raster of persons per pixel in a projected CRS, e.g. the
/// 1 km EPSG:3035 census grid), the population: each eligible pixel takes the population
/// raster's value at its centre times the ratio of the two pixels' areas.
pub fn dissolve(
    pc: &PixelClasses,
    units: Option<&Units>,
    population: Option<&Band>,
) -> Result<Vec<EligibleArea>> {
    let (labels, n) = label_components(pc);
    let grid = pc.grid;
    let mut areas: Vec<EligibleArea> = (1..=n)
        .map(|id| EligibleArea {
            id,
            pixels: 0,
            geometry: MultiPolygon::new(Vec::new()),
            addresses: 0,
            units: 0,
            population: population.map(|_| 0.0),
        })
        .collect();
    for &l in labels.iter().filter(|&&l| l > 0) {
        areas[l as usize - 1].pixels += 1;
    }
    if let Some(u) = units {
        let srs = grid_srs()?;
        let to = Reprojector::from_lon_lat_to(&srs, GRID_CRS)?;
        let (mut xs, mut ys) = (u.lon.clone(), u.lat.clone());
        xs.par_chunks_mut(1 << 16)
            .zip(ys.par_chunks_mut(1 << 16))
            .try_for_each(|(x, y)| to.transform(x, y))?;
        for i in 0..u.len() {
            if let Some((c, r)) = grid.pixel(xs[i], ys[i]) {
                let l = labels[r * grid.cols + c];
                if l > 0 {
                    let a = &mut areas[l as usize - 1];
                    a.addresses += 1;
                    a.units += u64::from(u.units[i]);
                }
            }
        }
    }
    if let Some(pop) = population {
        add_population(pc, &labels, pop, &mut areas)?;
    }
    let outlines = polygonize(&labels, grid)?;
    for (label, p) in outlines {
        if let Some(a) = areas.get_mut(label as usize - 1) {
            a.geometry.0.push(p);
        }
    }
    Ok(areas)
}

fn add_population(
    pc: &PixelClasses,
    labels: &[u32],
    pop: &Band,
    areas: &mut [EligibleArea],
) -> Result<()> {
    let grid = pc.grid;
    // pixel areas compare only in metres
    let geographic = SpatialRef::from_definition(&pop.crs_key)
        .map(|s| s.is_geographic())
        .unwrap_or(false);
    if geographic {
        return Err(Error::Invalid(format!(
            "{}: the population raster is in a geographic CRS ({}); give one in a projected CRS \
             (e.g. the 1 km EPSG:3035 census grid) so that pixel areas compare",
            pop.label, pop.crs_key
        )));
    }
    let [_, a, b, _, d, e] = pop.geo_transform;
    let ratio = grid.size * grid.size / (a * e - b * d).abs();
    let to_lon_lat = Reprojector::from_crs(GRID_CRS)?;
    let same_crs = pop.crs_key == GRID_CRS;
    for row in 0..grid.rows {
        let line = &labels[row * grid.cols..(row + 1) * grid.cols];
        if line.iter().all(|&l| l == 0) {
            continue;
        }
        let mut xs: Vec<f64> = (0..grid.cols).map(|c| grid.centre(c, row).0).collect();
        let mut ys: Vec<f64> = vec![grid.centre(0, row).1; grid.cols];
        if !same_crs {
            to_lon_lat.transform(&mut xs, &mut ys)?;
            pop.to_crs.transform(&mut xs, &mut ys)?;
        }
        for (c, &l) in line.iter().enumerate() {
            if l == 0 {
                continue;
            }
            if let (Some(v), Some(p)) = (
                pop.value_at(xs[c], ys[c]),
                areas[l as usize - 1].population.as_mut(),
            ) {
                *p += f64::from(v) * ratio;
            }
        }
    }
    Ok(())
}

/// Outlines of the labelled components (label > 0), in lon/lat.
fn polygonize(labels: &[u32], grid: Grid) -> Result<Vec<(u32, Polygon<f64>)>> {
    super::polygonize::polygonize(
        &super::polygonize::Labels {
            labels,
            cols: grid.cols,
            rows: grid.rows,
            geo_transform: grid.geo_transform(),
            crs: GRID_CRS,
        },
        "the eligible pixels",
    )
}

/// Reads back the eligible areas written by `bianca grid italia-5g --out-polygons` (any
/// polygon layer GDAL reads, first layer): `id`, `pixels`, `addresses`, `units` (integers,
/// 0 when absent), `population` (optional) and the (multi)polygon, reprojected to lon/lat
/// when the layer has another CRS. Errors name the file, the feature and the field.
pub fn read_areas(path: &std::path::Path) -> Result<Vec<EligibleArea>> {
    use crate::error::Location;
    let ds = gdal::Dataset::open(path).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        message: format!("cannot open it as a vector layer ({e})"),
    })?;
    let mut layer = ds.layer(0).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        message: format!("no layer ({e})"),
    })?;
    let reproject = match layer.spatial_ref() {
        Some(srs) => Some(Reprojector::from_spatial_ref(&srs, "the layer's CRS")?),
        None => None,
    };
    let defn = layer.defn();
    let index = |name: &str| defn.field_index(name).ok();
    let (fid, fpix, faddr, funits, fpop) = (
        index("id"),
        index("pixels"),
        index("addresses"),
        index("units"),
        index("population"),
    );
    let mut out = Vec::new();
    for (k, f) in layer.features().enumerate() {
        let at = || Location::file(path).row(k as u64 + 1);
        let int = |i: Option<usize>, name: &str| -> Result<u64> {
            match i {
                None => Ok(0),
                Some(i) => match f.field_as_integer64(i) {
                    Ok(Some(v)) if v >= 0 => Ok(v as u64),
                    Ok(None) => Ok(0),
                    _ => Err(Error::input(at().field(name), "not a whole number >= 0")),
                },
            }
        };
        let geometry = f
            .geometry()
            .ok_or_else(|| Error::input(at().field("geometry"), "missing geometry"))?
            .to_geo()
            .map_err(|e| Error::input(at().field("geometry"), e.to_string()))?;
        let mp = match geometry {
            geo::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => {
                return Err(Error::input(
                    at().field("geometry"),
                    "not a polygon or multipolygon",
                ))
            }
        };
        let mp = match &reproject {
            Some(r) if !r.is_identity() => MultiPolygon::new(
                mp.0.into_iter()
                    .map(|p| super::polygonize::reproject_polygon(r, p))
                    .collect::<Result<_>>()?,
            ),
            _ => mp,
        };
        let population = match fpop.map(|i| f.field_as_double(i)) {
            Some(Ok(v)) => v,
            Some(Err(_)) => {
                return Err(Error::input(at().field("population"), "not a number"));
            }
            None => None,
        };
        out.push(EligibleArea {
            id: u32::try_from(int(fid, "id")?).unwrap_or(u32::MAX),
            pixels: int(fpix, "pixels")?,
            geometry: mp,
            addresses: int(faddr, "addresses")?,
            units: int(funits, "units")?,
            population,
        });
    }
    Ok(out)
}
