//! Geometry helpers of the generator: a prepared polygon for fast point-in-polygon tests,
//! and the generated shapes (irregular town blobs, antenna discs).

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};

use crate::join::refine::PolygonSet;

use super::rng::Rng;

/// Kilometres per degree of latitude (mean Earth radius 6371.0088 km).
pub const KM_PER_DEG: f64 = 111.195;

/// Rounds a coordinate to 7 decimals, the precision of every output file.
pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A polygon (or multipolygon) prepared for many point-in-polygon tests: its bounding box
/// and the join's banded exact test ([`PolygonSet`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
    set: PolygonSet,
}

impl Prepared {
    pub fn new(mp: &MultiPolygon<f64>) -> Self {
        let (min_x, min_y, max_x, max_y) = match mp.bounding_rect() {
            Some(r) => (r.min().x, r.min().y, r.max().x, r.max().y),
            None => (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ),
        };
        Prepared {
            min_x,
            min_y,
            max_x,
            max_y,
            set: PolygonSet::new(std::slice::from_ref(mp)),
        }
    }

    /// Even-odd test (holes and several parts handled), exact; a point on an edge counts as
    /// inside.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.min_x && x <= self.max_x && self.set.covers(0, x, y)
    }

    /// A uniform random point inside, by rejection from the bounding box (7 decimals).
    /// `None` after `tries` misses.
    pub fn sample(&self, rng: &mut Rng, tries: usize) -> Option<(f64, f64)> {
        for _ in 0..tries {
            let x = round7(rng.range(self.min_x, self.max_x));
            let y = round7(rng.range(self.min_y, self.max_y));
            if self.contains(x, y) {
                return Some((x, y));
            }
        }
        None
    }
}

/// Degrees of longitude per km at latitude `lat` (degrees).
pub fn km_to_deg_lon(lat: f64) -> f64 {
    1.0 / (KM_PER_DEG * lat.to_radians().cos())
}

fn ring(points: Vec<Coord<f64>>) -> Polygon<f64> {
    let mut pts = points;
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    Polygon::new(LineString::from(pts), vec![])
}

/// A disc of `radius_km` around (lon, lat) as a 64-vertex polygon (counter-clockwise,
/// vertices rounded to 7 decimals).
pub fn disc(lon: f64, lat: f64, radius_km: f64) -> MultiPolygon<f64> {
    let dx = radius_km * km_to_deg_lon(lat);
    let dy = radius_km / KM_PER_DEG;
    let pts = (0..64)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / 64.0;
            Coord {
                x: round7(lon + dx * a.cos()),
                y: round7(lat + dy * a.sin()),
            }
        })
        .collect();
    MultiPolygon(vec![ring(pts)])
}

/// An irregular, star-shaped blob of mean radius `radius_km` around (lon, lat): the radius
/// varies with a few random harmonics, as a cabled area following a town's streets would.
pub fn blob(lon: f64, lat: f64, radius_km: f64, rng: &mut Rng) -> MultiPolygon<f64> {
    const N: usize = 48;
    let dx = km_to_deg_lon(lat);
    let dy = 1.0 / KM_PER_DEG;
    let harmonics: Vec<(f64, f64, f64)> = (1..=4)
        .map(|k| {
            let amp = rng.range(0.0, 0.28) / k as f64;
            (k as f64, amp, rng.range(0.0, std::f64::consts::TAU))
        })
        .collect();
    let pts = (0..N)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / N as f64;
            let mut f = 1.0 + rng.range(-0.06, 0.06);
            for &(k, amp, ph) in &harmonics {
                f += amp * (k * a + ph).sin();
            }
            let r = radius_km * f.max(0.35);
            Coord {
                x: round7(lon + r * dx * a.cos()),
                y: round7(lat + r * dy * a.sin()),
            }
        })
        .collect();
    MultiPolygon(vec![ring(pts)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Contains;

    #[test]
    fn prepared_agrees_with_geo_on_a_polygon_with_a_hole() {
        let outer = LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        let hole = LineString::from(vec![(3.0, 3.0), (6.0, 3.0), (6.0, 6.0), (3.0, 6.0)]);
        let mp = MultiPolygon(vec![
            Polygon::new(outer, vec![hole]),
            ring(vec![
                Coord { x: 20.0, y: 0.0 },
                Coord { x: 25.0, y: 5.0 },
                Coord { x: 20.0, y: 9.0 },
            ]),
        ]);
        let p = Prepared::new(&mp);
        let mut rng = Rng::new(3);
        let mut inside = 0;
        for _ in 0..20_000 {
            let (x, y) = (rng.range(-1.0, 26.0), rng.range(-1.0, 11.0));
            let expected = mp.contains(&geo::Point::new(x, y));
            assert_eq!(p.contains(x, y), expected, "({x}, {y})");
            inside += expected as usize;
        }
        assert!(inside > 5000);
        assert!(!p.contains(4.5, 4.5));
        assert!(p.contains(1.0, 1.0));
        assert!(p.contains(21.0, 4.0));
    }

    #[test]
    fn disc_has_64_vertices_and_the_right_size() {
        let d = disc(11.0, 43.5, 5.0);
        assert_eq!(d.0[0].exterior().0.len(), 65);
        let p = Prepared::new(&d);
        assert!(p.contains(11.0, 43.5));
        assert!(p.contains(11.0, 43.5 + 4.9 / KM_PER_DEG));
        assert!(!p.contains(11.0, 43.5 + 5.1 / KM_PER_DEG));
    }
}
