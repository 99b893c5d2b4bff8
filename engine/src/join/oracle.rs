//! The brute-force reference: every point against every polygon with `geo`'s own exact
//! `Intersects` (boundary included). Quadratic; for tests only.

use geo::{Coord, Intersects, MultiPolygon, Point};

/// For each point, the sorted indices of the polygons that cover it.
pub fn covering(polygons: &[MultiPolygon<f64>], xs: &[f64], ys: &[f64]) -> Vec<Vec<u32>> {
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            let p = Point(Coord { x, y });
            polygons
                .iter()
                .enumerate()
                .filter(|(_, mp)| mp.intersects(&p))
                .map(|(i, _)| i as u32)
                .collect()
        })
        .collect()
}
