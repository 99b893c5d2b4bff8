//! Reprojection of input coordinates to EPSG:4326 lon/lat.
//!
//! A [`Reprojector`] is built once per input from a CRS definition (`EPSG:3003`, WKT, a
//! PROJ string, PROJJSON: anything GDAL's `OSRSetFromUserInput` accepts) and is `Send + Sync`:
//! GDAL's `CoordTransform` is neither, so each thread lazily builds its own transform and
//! keeps it in a small thread-local cache (rayon worker threads are long-lived, so a
//! transform is built once per thread, not once per chunk).
//!
//! Both spatial references use the traditional GIS axis order: input is always x/easting/lon
//! first, output is always lon first.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

use crate::error::{Error, Result};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Transforms per thread kept alive at most (each is keyed by [`Reprojector`] id).
const CACHE_SIZE: usize = 8;

thread_local! {
    static TRANSFORMS: RefCell<Vec<(u64, CoordTransform)>> = const { RefCell::new(Vec::new()) };
}

/// Reprojects x/y coordinates of one CRS to EPSG:4326 lon/lat (or, built with
/// [`Reprojector::from_lon_lat_to`], lon/lat to that CRS).
#[derive(Debug, Clone)]
pub struct Reprojector {
    /// WKT of the source CRS; `None` when the input is already lon/lat.
    source_wkt: Option<String>,
    /// True when the transform goes the other way: EPSG:4326 lon/lat to `source_wkt`.
    inverse: bool,
    /// The CRS as the user or the file named it, for messages.
    label: String,
    /// Key of this reprojector in the per-thread transform caches.
    id: u64,
}

impl Reprojector {
    /// The identity: the input is already EPSG:4326 lon/lat.
    pub fn identity() -> Self {
        Self {
            source_wkt: None,
            inverse: false,
            label: "EPSG:4326".to_string(),
            id: 0,
        }
    }

    /// A reprojector from the CRS `definition` (`EPSG:3003`, WKT, PROJ string, PROJJSON).
    ///
    /// Fails with [`Error::Crs`] when GDAL does not know the CRS or cannot transform it to
    /// EPSG:4326. `EPSG:4326`, `OGC:CRS84` and their URN spellings give the identity.
    pub fn from_crs(definition: &str) -> Result<Self> {
        let def = definition.trim();
        if def.is_empty() {
            return Err(Error::Crs {
                crs: definition.to_string(),
                message: "empty CRS definition".to_string(),
            });
        }
        if is_lon_lat_name(def) {
            return Ok(Self::identity());
        }
        let srs = SpatialRef::from_definition(def).map_err(|e| Error::Crs {
            crs: def.to_string(),
            message: format!("unknown or invalid CRS ({e})"),
        })?;
        Self::from_spatial_ref(&srs, def)
    }

    /// A reprojector from a GDAL spatial reference (a layer's CRS). `label` names it in
    /// messages.
    pub fn from_spatial_ref(srs: &SpatialRef, label: &str) -> Result<Self> {
        Self::new(srs, label, false)
    }

    /// The other way round: a reprojector from EPSG:4326 lon/lat to `srs` (x/easting first),
    /// e.g. to find the pixel of a raster in its own CRS. `label` names the CRS in messages.
    pub fn from_lon_lat_to(srs: &SpatialRef, label: &str) -> Result<Self> {
        Self::new(srs, label, true)
    }

    fn new(srs: &SpatialRef, label: &str, inverse: bool) -> Result<Self> {
        let crs_err = |message: String| Error::Crs {
            crs: label.to_string(),
            message,
        };
        if srs_is_lon_lat(srs) {
            return Ok(Self::identity());
        }
        let wkt = srs
            .to_wkt()
            .map_err(|e| crs_err(format!("cannot export the CRS as WKT ({e})")))?;
        let r = Self {
            source_wkt: Some(wkt),
            inverse,
            label: label.to_string(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        };
        // Build one transform now so that an unusable CRS fails here, not per row.
        r.with_transform(|_| Ok(()))?;
        Ok(r)
    }

    /// True when coordinates are already lon/lat and [`Reprojector::transform`] does nothing.
    pub fn is_identity(&self) -> bool {
        self.source_wkt.is_none()
    }

    /// The source CRS as named by the user or the file.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Transforms `x`/`y` in place to lon/lat (or from lon/lat, see
    /// [`Reprojector::from_lon_lat_to`]). Slices must have the same length (the shorter
    /// length is used otherwise).
    ///
    /// A point that cannot be transformed (outside the projection's domain) becomes NaN:
    /// callers check `is_finite` and report the row. An error is returned only when the
    /// transform itself cannot be created.
    pub fn transform(&self, x: &mut [f64], y: &mut [f64]) -> Result<()> {
        if self.is_identity() {
            return Ok(());
        }
        let n = x.len().min(y.len());
        let (x, y) = (&mut x[..n], &mut y[..n]);
        self.with_transform(|ct| {
            // Batches of bounded size: OCTTransform takes an int count.
            for (xs, ys) in x.chunks_mut(1 << 20).zip(y.chunks_mut(1 << 20)) {
                let (x0, y0) = (xs.to_vec(), ys.to_vec());
                if ct.transform_coords(xs, ys, &mut []).is_err() {
                    // Some point failed: redo one by one so that only the bad ones are NaN.
                    for i in 0..xs.len() {
                        let mut px = [x0[i]];
                        let mut py = [y0[i]];
                        let ok = ct.transform_coords(&mut px, &mut py, &mut []).is_ok();
                        xs[i] = if ok { px[0] } else { f64::NAN };
                        ys[i] = if ok { py[0] } else { f64::NAN };
                    }
                }
            }
            Ok(())
        })
    }

    /// Transforms one point; `None` when it cannot be transformed.
    pub fn transform_point(&self, x: f64, y: f64) -> Result<Option<(f64, f64)>> {
        let mut xs = [x];
        let mut ys = [y];
        self.transform(&mut xs, &mut ys)?;
        Ok((xs[0].is_finite() && ys[0].is_finite()).then_some((xs[0], ys[0])))
    }

    fn with_transform<T>(&self, f: impl FnOnce(&CoordTransform) -> Result<T>) -> Result<T> {
        let Some(wkt) = &self.source_wkt else {
            return Err(Error::Invalid("internal: identity reprojector".into()));
        };
        TRANSFORMS.with(|cell| {
            let mut cache = cell.borrow_mut();
            let pos = match cache.iter().position(|(id, _)| *id == self.id) {
                Some(p) => p,
                None => {
                    let ct = build_transform(wkt, &self.label, self.inverse)?;
                    if cache.len() >= CACHE_SIZE {
                        cache.remove(0);
                    }
                    cache.push((self.id, ct));
                    cache.len() - 1
                }
            };
            f(&cache[pos].1)
        })
    }
}

fn build_transform(wkt: &str, label: &str, inverse: bool) -> Result<CoordTransform> {
    let crs_err = |message: String| Error::Crs {
        crs: label.to_string(),
        message,
    };
    let mut src = SpatialRef::from_wkt(wkt).map_err(|e| crs_err(e.to_string()))?;
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut dst = SpatialRef::from_epsg(4326).map_err(|e| crs_err(e.to_string()))?;
    dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    if inverse {
        return CoordTransform::new(&dst, &src)
            .map_err(|e| crs_err(format!("cannot transform from EPSG:4326 ({e})")));
    }
    CoordTransform::new(&src, &dst)
        .map_err(|e| crs_err(format!("cannot transform to EPSG:4326 ({e})")))
}

/// Names of lon/lat CRSs that need no transform.
fn is_lon_lat_name(def: &str) -> bool {
    let d = def.to_ascii_uppercase();
    matches!(
        d.as_str(),
        "EPSG:4326"
            | "OGC:CRS84"
            | "CRS84"
            | "WGS84"
            | "URN:OGC:DEF:CRS:OGC:1.3:CRS84"
            | "URN:OGC:DEF:CRS:EPSG::4326"
            | "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84"
            | "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/4326"
    )
}

/// True for EPSG:4326 and OGC:CRS84 (which GDAL reads with lon first in traditional order).
fn srs_is_lon_lat(srs: &SpatialRef) -> bool {
    let auth = srs.auth_name().unwrap_or_default().to_ascii_uppercase();
    let code = srs.auth_code().ok();
    (auth == "EPSG" && code == Some(4326))
        || (auth == "OGC" && srs.name().is_some_and(|n| n.contains("CRS84")))
        || srs
            .name()
            .is_some_and(|n| n.contains("CRS 84") || n == "WGS 84 (CRS84)")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently with PROJ 9.1.1:
    // `echo "681000 4850000" | cs2cs -f "%.10f" EPSG:32632 EPSG:4326`
    // `echo "1681000 4850000" | cs2cs -f "%.10f" EPSG:3003 EPSG:4326`
    #[test]
    fn utm32_and_monte_mario_match_cs2cs() {
        let r = Reprojector::from_crs("EPSG:32632").unwrap();
        assert!(!r.is_identity());
        let (lon, lat) = r.transform_point(681000.0, 4850000.0).unwrap().unwrap();
        assert!((lon - 11.2493011654).abs() < 1e-7, "{lon}");
        assert!((lat - 43.7809251015).abs() < 1e-7, "{lat}");

        let r = Reprojector::from_crs("EPSG:3003").unwrap();
        let (lon, lat) = r.transform_point(1681000.0, 4850000.0).unwrap().unwrap();
        assert!((lon - 11.2489186106).abs() < 1e-7, "{lon}");
        assert!((lat - 43.7807900521).abs() < 1e-7, "{lat}");
    }

    #[test]
    fn the_inverse_goes_back_to_utm() {
        let srs = SpatialRef::from_epsg(32632).unwrap();
        let r = Reprojector::from_lon_lat_to(&srs, "EPSG:32632").unwrap();
        let (x, y) = r
            .transform_point(11.2493011654, 43.7809251015)
            .unwrap()
            .unwrap();
        assert!((x - 681000.0).abs() < 1e-3, "{x}");
        assert!((y - 4850000.0).abs() < 1e-3, "{y}");
    }

    #[test]
    fn lon_lat_crs_is_identity_and_unknown_crs_is_an_error() {
        assert!(Reprojector::from_crs("EPSG:4326").unwrap().is_identity());
        assert!(Reprojector::from_crs("OGC:CRS84").unwrap().is_identity());
        let e = Reprojector::from_crs("EPSG:999999").unwrap_err();
        assert!(matches!(e, Error::Crs { .. }), "{e}");
        assert!(e.to_string().contains("EPSG:999999"));
    }

    #[test]
    fn transforms_in_parallel_threads() {
        use rayon::prelude::*;
        let r = Reprojector::from_crs("EPSG:32632").unwrap();
        let mut x = vec![681000.0; 100_000];
        let mut y = vec![4850000.0; 100_000];
        x.par_chunks_mut(1000)
            .zip(y.par_chunks_mut(1000))
            .try_for_each(|(xs, ys)| r.transform(xs, ys))
            .unwrap();
        assert!(x.iter().all(|v| (v - 11.2493011654).abs() < 1e-7));
        assert!(y.iter().all(|v| (v - 43.7809251015).abs() < 1e-7));
    }
}
