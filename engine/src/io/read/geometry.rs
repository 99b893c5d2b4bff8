//! Geometry checks shared by the readers: point extraction, polygon flattening, emptiness,
//! validity and reprojection. Errors are plain messages; readers add the location.

use geo::{Geometry, LineString, MultiPolygon, Polygon, Validation};

use super::crs::Reprojector;
use crate::error::Result;

/// Name of a geometry's type, for messages.
pub fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// The coordinates of a point geometry (a MultiPoint with exactly one point is accepted).
///
/// Errors: "empty geometry" for an empty point (WKB NaN coordinates) or an empty MultiPoint,
/// and "expected a point geometry, got X" for anything else.
pub fn point_xy(g: &Geometry<f64>) -> Result<(f64, f64), String> {
    let p = match g {
        Geometry::Point(p) => *p,
        Geometry::MultiPoint(mp) if mp.0.len() == 1 => mp.0[0],
        Geometry::MultiPoint(mp) if mp.0.is_empty() => return Err("empty geometry".into()),
        other => {
            return Err(format!(
                "expected a point geometry, got {}",
                type_name(other)
            ))
        }
    };
    if p.x().is_nan() && p.y().is_nan() {
        return Err("empty geometry".into());
    }
    Ok((p.x(), p.y()))
}

/// A polygonal geometry as a MultiPolygon: Polygon, MultiPolygon, or a GeometryCollection
/// (nested too) whose members are all polygonal. Empty polygons (no exterior ring) are
/// dropped; an empty result is the error "empty geometry".
pub fn to_multipolygon(g: Geometry<f64>) -> Result<MultiPolygon<f64>, String> {
    let mut out = Vec::new();
    collect_polygons(g, &mut out)?;
    out.retain(|p| !p.exterior().0.is_empty());
    if out.is_empty() {
        return Err("empty geometry".into());
    }
    Ok(MultiPolygon(out))
}

fn collect_polygons(g: Geometry<f64>, out: &mut Vec<Polygon<f64>>) -> Result<(), String> {
    match g {
        Geometry::Polygon(p) => out.push(p),
        Geometry::MultiPolygon(mp) => out.extend(mp.0),
        Geometry::Rect(r) => out.push(r.to_polygon()),
        Geometry::Triangle(t) => out.push(t.to_polygon()),
        Geometry::GeometryCollection(gc) => {
            for m in gc.0 {
                collect_polygons(m, out)?;
            }
        }
        other => {
            return Err(format!(
                "expected a Polygon or MultiPolygon, got {}",
                type_name(&other)
            ))
        }
    }
    Ok(())
}

/// Checks that every coordinate, after reprojection, is a longitude in [-180, 180] and a
/// latitude in [-90, 90]: coordinates outside mean a projected file read as lon/lat (its CRS
/// is missing or wrong), which would otherwise silently cover nothing.
pub fn check_lon_lat(mp: &MultiPolygon<f64>) -> Result<(), String> {
    for p in &mp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            if let Some(c) =
                r.0.iter()
                    .find(|c| !(c.x.abs() <= 180.0 && c.y.abs() <= 90.0))
            {
                return Err(format!(
                    "coordinate ({}, {}) is not a longitude/latitude: the file seems to be in a \
                     projected CRS; give it (e.g. --coverage-crs EPSG:32632)",
                    c.x, c.y
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every coordinate is finite and the MultiPolygon is valid (OGC rules as
/// implemented by geo's [`Validation`]: closed rings with 3+ distinct points, no
/// self-intersection, holes inside their shell, members not overlapping).
pub fn check_valid(mp: &MultiPolygon<f64>) -> Result<(), String> {
    for p in &mp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            if r.0.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
                return Err("invalid geometry: a coordinate is not a finite number".into());
            }
        }
    }
    // Most footprints are one simple ring: prove that in O(n log n) and skip geo's
    // quadratic self-intersection check; anything else gets the full check (and its message).
    if mp.0.len() == 1 && mp.0[0].interiors().is_empty() && ring_is_simple(&mp.0[0].exterior().0) {
        return Ok(());
    }
    mp.check_validation()
        .map_err(|e| format!("invalid geometry: {e}"))
}

/// `x`'s bits as an unsigned integer in the order of [`f64::total_cmp`].
#[inline]
fn total_order_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// True only when the closed ring `c` (first == last) certainly has at least three distinct
/// vertices and no two edges meet except consecutive edges at their shared vertex. False
/// means "not proven": the caller runs the full validation.
fn ring_is_simple(c: &[geo::Coord<f64>]) -> bool {
    use robust::{orient2d, Coord as R};
    let n = c.len();
    if n < 4 || c[0] != c[n - 1] {
        return false;
    }
    let m = n - 1; // edges
    if (0..m).any(|i| c[i] == c[i + 1]) {
        return false; // repeated vertex: let the full check judge
    }
    let r = |p: geo::Coord<f64>| R { x: p.x, y: p.y };
    // every edge's box, sorted by its left end: a sweep meets only edges whose x-ranges
    // overlap, and the box test reads neighbouring memory
    // (sorted as integer keys, a third of the work of sorting the boxes with `total_cmp`)
    let mut order: Vec<(u64, usize)> = (0..m)
        .map(|i| (total_order_bits(c[i].x.min(c[i + 1].x)), i))
        .collect();
    order.sort_unstable();
    let boxes: Vec<EdgeBox> = order
        .iter()
        .map(|&(_, i)| {
            let (a, b) = (c[i], c[i + 1]);
            EdgeBox {
                xmin: a.x.min(b.x),
                xmax: a.x.max(b.x),
                ymin: a.y.min(b.y),
                ymax: a.y.max(b.y),
                edge: i,
            }
        })
        .collect();
    for (k, e) in boxes.iter().enumerate() {
        let i = e.edge;
        let (a, b) = (c[i], c[i + 1]);
        for f in &boxes[k + 1..] {
            if f.xmin > e.xmax {
                break;
            }
            if f.ymin > e.ymax || f.ymax < e.ymin {
                continue;
            }
            let j = f.edge;
            let (p, q) = (c[j], c[j + 1]);
            let adjacent =
                j == i + 1 || i == j + 1 || (i == 0 && j == m - 1) || (j == 0 && i == m - 1);
            let o1 = orient2d(r(a), r(b), r(p));
            let o2 = orient2d(r(a), r(b), r(q));
            let o3 = orient2d(r(p), r(q), r(a));
            let o4 = orient2d(r(p), r(q), r(b));
            if adjacent {
                // consecutive edges may only share their common vertex: not collinear
                // (a collinear pair could fold back over itself)
                if o1 == 0.0 && o2 == 0.0 {
                    return false;
                }
                continue;
            }
            // any contact, proper or touching, between non-consecutive edges
            let straddle_ab = (o1 <= 0.0 && o2 >= 0.0) || (o1 >= 0.0 && o2 <= 0.0);
            let straddle_pq = (o3 <= 0.0 && o4 >= 0.0) || (o3 >= 0.0 && o4 <= 0.0);
            if straddle_ab && straddle_pq {
                return false;
            }
        }
    }
    true
}

/// One edge's bounding box, for [`ring_is_simple`]'s sweep.
struct EdgeBox {
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    /// The edge from vertex `edge` to vertex `edge + 1`.
    edge: usize,
}

/// Reprojects a MultiPolygon to lon/lat. A coordinate that cannot be transformed is an error.
pub fn reproject_multipolygon(
    r: &Reprojector,
    mp: MultiPolygon<f64>,
) -> Result<Result<MultiPolygon<f64>, String>> {
    if r.is_identity() {
        return Ok(Ok(mp));
    }
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for p in &mp.0 {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for c in &ring.0 {
                xs.push(c.x);
                ys.push(c.y);
            }
        }
    }
    r.transform(&mut xs, &mut ys)?;
    if xs.iter().chain(&ys).any(|v| !v.is_finite()) {
        return Ok(Err(format!(
            "a coordinate cannot be reprojected from {} (is the CRS right?)",
            r.label()
        )));
    }
    let mut k = 0;
    let mut ring_from = |ring: &LineString<f64>| {
        let n = ring.0.len();
        let ls: LineString<f64> = (k..k + n).map(|i| (xs[i], ys[i])).collect();
        k += n;
        ls
    };
    let polys =
        mp.0.iter()
            .map(|p| {
                let ext = ring_from(p.exterior());
                let holes = p.interiors().iter().map(&mut ring_from).collect();
                Polygon::new(ext, holes)
            })
            .collect();
    Ok(Ok(MultiPolygon(polys)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn total_order_bits_sort_like_total_cmp() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            12.25,
            1e300,
            f64::INFINITY,
        ];
        for a in xs {
            for b in xs {
                assert_eq!(
                    super::total_order_bits(a).cmp(&super::total_order_bits(b)),
                    a.total_cmp(&b),
                    "{a} {b}"
                );
            }
        }
    }

    use super::*;
    use geo::{point, polygon, GeometryCollection};

    #[test]
    fn flattens_collections_and_rejects_other_types() {
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 0.)];
        let gc = Geometry::GeometryCollection(GeometryCollection(vec![
            Geometry::Polygon(p.clone()),
            Geometry::MultiPolygon(MultiPolygon(vec![p.clone()])),
        ]));
        assert_eq!(to_multipolygon(gc).unwrap().0.len(), 2);
        let e = to_multipolygon(Geometry::Point(point!(x: 1., y: 2.))).unwrap_err();
        assert!(e.contains("got Point"), "{e}");
        let e = to_multipolygon(Geometry::MultiPolygon(MultiPolygon(vec![]))).unwrap_err();
        assert_eq!(e, "empty geometry");
    }

    #[test]
    fn reports_why_a_polygon_is_invalid() {
        let bowtie = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let e = check_valid(&MultiPolygon(vec![bowtie])).unwrap_err();
        assert!(e.starts_with("invalid geometry: "), "{e}");
        assert!(e.len() > "invalid geometry: ".len());
    }
}

#[cfg(test)]
mod simple_ring_tests {
    use super::ring_is_simple;
    use crate::synth::rng::Rng;
    use geo::{Coord, LineString, Polygon, Validation};

    /// Whenever the fast path says "simple", geo's full validation must agree; and it must
    /// say so for ordinary star-shaped footprints, or it would be useless.
    #[test]
    fn the_fast_path_never_accepts_an_invalid_ring() {
        let mut rng = Rng::new(5);
        let (mut accepted, mut stars) = (0, 0);
        for k in 0..4000 {
            let n = 3 + rng.below(12);
            let star = k % 2 == 0;
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|i| {
                    if star {
                        let a = (i as f64 + rng.f64() * 0.9) / n as f64 * std::f64::consts::TAU;
                        let r = 0.5 + rng.f64();
                        Coord {
                            x: r * a.cos(),
                            y: r * a.sin(),
                        }
                    } else {
                        // small integer grid: many touching and collinear cases
                        Coord {
                            x: rng.below(4) as f64,
                            y: rng.below(4) as f64,
                        }
                    }
                })
                .collect();
            pts.push(pts[0]);
            let fast = ring_is_simple(&pts);
            let valid = Polygon::new(LineString(pts), vec![]).is_valid();
            if fast {
                assert!(valid, "case {k}: fast path accepted an invalid ring");
                accepted += 1;
                stars += usize::from(star);
            }
        }
        assert!(
            stars > 1900,
            "the fast path should accept star polygons ({stars})"
        );
        assert!(accepted > stars, "and some grid polygons");
    }
}
