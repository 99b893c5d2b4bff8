//! Sampling coverage rasters at points: the unit is reprojected into each raster's CRS (the
//! raster never is), and the pixel holding it gives the value.

use crate::model::RasterCoverage;

/// Samples every raster of a run at batches of lon/lat points.
///
/// Rasters in the same CRS share one reprojection of the batch. A point gets no value
/// (NaN) when it is outside a raster's extent, when its pixel is nodata, or when it cannot
/// be transformed into the raster's CRS (outside the projection's domain): callers treat
/// all three as *unknown*, never as "no coverage".
#[derive(Debug)]
pub struct Sampler<'a> {
    rasters: &'a [RasterCoverage],
    /// Rasters grouped by CRS: (CRS key, indices into `rasters`).
    groups: Vec<(String, Vec<usize>)>,
}

/// Reusable buffers of [`Sampler::sample`].
#[derive(Debug, Default)]
pub struct Scratch {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl<'a> Sampler<'a> {
    pub fn new(rasters: &'a [RasterCoverage]) -> Self {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, r) in rasters.iter().enumerate() {
            match groups.iter_mut().find(|(k, _)| *k == r.band.crs_key) {
                Some((_, v)) => v.push(i),
                None => groups.push((r.band.crs_key.clone(), vec![i])),
            }
        }
        Self { rasters, groups }
    }

    /// Number of rasters (bands) sampled.
    pub fn len(&self) -> usize {
        self.rasters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rasters.is_empty()
    }

    /// Samples every raster at the points `(lon[i], lat[i])`: `out[r * n + i]` is raster `r`'s
    /// value at point `i` (n = `lon.len()`), NaN when unknown (see [`Sampler`]).
    pub fn sample(&self, lon: &[f64], lat: &[f64], out: &mut Vec<f32>, s: &mut Scratch) {
        self.sample_with(lon, lat, None, out, s)
    }

    /// Like [`Sampler::sample`], with the same points also given in a projected CRS
    /// (`(crs_key, x, y)`, e.g. the centres of an EPSG:3035 grid): rasters in that CRS use
    /// them directly instead of a round trip through lon/lat.
    pub fn sample_with(
        &self,
        lon: &[f64],
        lat: &[f64],
        projected: Option<(&str, &[f64], &[f64])>,
        out: &mut Vec<f32>,
        s: &mut Scratch,
    ) {
        let n = lon.len().min(lat.len());
        out.clear();
        out.resize(self.rasters.len() * n, f32::NAN);
        for (key, members) in &self.groups {
            let (xs, ys): (&[f64], &[f64]) = match projected {
                Some((k, x, y)) if k == key => (&x[..n], &y[..n]),
                _ => {
                    let to = &self.rasters[members[0]].band.to_crs;
                    s.x.clear();
                    s.x.extend_from_slice(&lon[..n]);
                    s.y.clear();
                    s.y.extend_from_slice(&lat[..n]);
                    if to.transform(&mut s.x, &mut s.y).is_err() {
                        // the transform was built when the raster was read, so this only
                        // happens if PROJ fails on another thread: the values stay unknown
                        continue;
                    }
                    (&s.x, &s.y)
                }
            };
            for &r in members {
                let band = &self.rasters[r].band;
                let dst = &mut out[r * n..(r + 1) * n];
                for (i, v) in dst.iter_mut().enumerate() {
                    *v = band.value_at(xs[i], ys[i]).unwrap_or(f32::NAN);
                }
            }
        }
    }
}

/// Everything that reaches arbitrary points (grid cells' centres): footprints through the join
/// index and raster pixels. Declarations name units, not places, so they play no part.
#[derive(Debug)]
pub struct PointProbe<'a> {
    coverage: &'a crate::model::Coverage,
    index: &'a crate::join::GridIndex,
    fp_offer: Vec<u32>,
    sampler: Sampler<'a>,
}

impl<'a> PointProbe<'a> {
    /// `index` must have been built over `coverage.footprints` in order
    /// ([`crate::classify::build_index`]).
    pub fn new(coverage: &'a crate::model::Coverage, index: &'a crate::join::GridIndex) -> Self {
        Self {
            coverage,
            index,
            fp_offer: coverage.footprints.iter().map(|f| f.offer).collect(),
            sampler: Sampler::new(&coverage.rasters),
        }
    }

    /// Calls `f(i, offers, samples)` for every point `(lon[i], lat[i])`: the offers whose
    /// footprints cover it (boundary included) and a sample of every raster (NaN values where
    /// unknown). `projected` as in [`Sampler::sample_with`].
    pub fn visit(
        &self,
        lon: &[f64],
        lat: &[f64],
        projected: Option<(&str, &[f64], &[f64])>,
        mut f: impl FnMut(usize, &[u32], &[crate::rules::RasterSample]),
    ) {
        let mut values = Vec::new();
        self.sampler
            .sample_with(lon, lat, projected, &mut values, &mut Scratch::default());
        let n = lon.len().min(lat.len());
        let mut hits = Vec::with_capacity(16);
        let mut samples = Vec::with_capacity(self.sampler.len());
        for i in 0..n {
            hits.clear();
            self.index
                .for_each_covering(lon[i], lat[i], |fp| hits.push(self.fp_offer[fp as usize]));
            fill_samples(&self.coverage.rasters, &values, n, i, &mut samples);
            f(i, &hits, &samples);
        }
    }
}

/// Sets `out` to the samples of point `i` of a batch of `n` points whose raster values
/// [`Sampler::sample`] wrote into `values`.
pub fn fill_samples(
    rasters: &[RasterCoverage],
    values: &[f32],
    n: usize,
    i: usize,
    out: &mut Vec<crate::rules::RasterSample>,
) {
    out.clear();
    out.extend(
        rasters
            .iter()
            .enumerate()
            .map(|(r, rc)| crate::rules::RasterSample {
                offer: rc.offer,
                kind: rc.kind,
                value: values[r * n + i],
                up_mbps: rc.up_mbps,
            }),
    );
}
