//! Web Mercator tile geometry: projecting lon/lat, the frame of one tile, and turning
//! polygons into tile rings (projected, clipped to the tile plus a buffer, simplified for
//! the zoom, oriented for MVT).
//!
//! "World" coordinates are Web Mercator normalised to [0, 1] on both axes, y down (the
//! top left corner of tile 0/0/0 is (0, 0)). Latitudes beyond ±85.0511° are clamped.

use super::mvt::EXTENT;
use geo::{Coord, LineString, MultiPolygon, Simplify};

/// The latitude limit of Web Mercator.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// lon/lat to world coordinates.
pub fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = 0.5 - (lat.tan() + 1.0 / lat.cos()).ln() / (2.0 * std::f64::consts::PI);
    (x.clamp(0.0, 1.0), y.clamp(0.0, 1.0))
}

/// World coordinates to lon/lat.
pub fn unmercator(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * y);
    (lon, n.sinh().atan().to_degrees())
}

/// World coordinates as 32-bit fixed point (for the point indexes).
pub fn world_u32(lon: f64, lat: f64) -> (u32, u32) {
    let (x, y) = mercator(lon, lat);
    let s = 4_294_967_296.0;
    ((x * s).min(s - 1.0) as u32, (y * s).min(s - 1.0) as u32)
}

/// A tile address. Valid when `z <= MAX_ZOOM` and `x, y < 2^z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// The deepest zoom served.
pub const MAX_ZOOM: u8 = 20;

impl TileId {
    pub fn new(z: u8, x: u32, y: u32) -> Option<TileId> {
        (z <= MAX_ZOOM && x < (1u32 << z) && y < (1u32 << z)).then_some(TileId { z, x, y })
    }

    /// Tiles per world side.
    pub fn n(self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// World coordinates to tile coordinates (0..EXTENT inside the tile).
    pub fn project(self, wx: f64, wy: f64) -> (f64, f64) {
        let n = self.n();
        let e = f64::from(EXTENT);
        (
            (wx * n - f64::from(self.x)) * e,
            (wy * n - f64::from(self.y)) * e,
        )
    }

    /// The tile's world rectangle grown by `buffer` tile units on each side:
    /// `[x0, y0, x1, y1]`.
    pub fn world_rect(self, buffer: f64) -> [f64; 4] {
        let n = self.n();
        let b = buffer / f64::from(EXTENT);
        [
            (f64::from(self.x) - b) / n,
            (f64::from(self.y) - b) / n,
            (f64::from(self.x) + 1.0 + b) / n,
            (f64::from(self.y) + 1.0 + b) / n,
        ]
    }

    /// West, south, east, north in degrees.
    pub fn bounds(self) -> [f64; 4] {
        let n = self.n();
        let (w, nn) = unmercator(f64::from(self.x) / n, f64::from(self.y) / n);
        let (e, s) = unmercator(f64::from(self.x + 1) / n, f64::from(self.y + 1) / n);
        [w, s, e, nn]
    }
}

/// Twice the signed area of a ring (surveyor's formula); positive for a ring that turns
/// clockwise on screen in tile coordinates (y down), which MVT calls an exterior ring.
pub fn area2(ring: &[[i32; 2]]) -> i64 {
    let mut s = 0i64;
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        s += i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1]);
    }
    s
}

/// Sutherland–Hodgman clipping of a ring to the square `[lo, hi]²`. The window is convex,
/// so the result is one ring (a concave ring cut in two pieces keeps a zero-width seam
/// along the edge, which renders as nothing).
pub fn clip_ring(ring: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = ring.to_vec();
    // each edge: (axis, bound, keep when value >= bound?)
    for (axis, bound, keep_ge) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)] {
        if out.is_empty() {
            break;
        }
        let input = std::mem::take(&mut out);
        let val = |p: (f64, f64)| if axis == 0 { p.0 } else { p.1 };
        let inside = |p: (f64, f64)| {
            if keep_ge {
                val(p) >= bound
            } else {
                val(p) <= bound
            }
        };
        let mut prev = input[input.len() - 1];
        for &cur in &input {
            let (pi, ci) = (inside(prev), inside(cur));
            if ci != pi {
                let t = (bound - val(prev)) / (val(cur) - val(prev));
                let cut = (prev.0 + t * (cur.0 - prev.0), prev.1 + t * (cur.1 - prev.1));
                out.push(if axis == 0 {
                    (bound, cut.1)
                } else {
                    (cut.0, bound)
                });
            }
            if ci {
                out.push(cur);
            }
            prev = cur;
        }
    }
    out
}

/// How polygons are reduced for a tile.
#[derive(Debug, Clone, Copy)]
pub struct Reduce {
    /// Tile units around the tile kept by clipping.
    pub buffer: f64,
    /// Douglas–Peucker tolerance in tile units (0: none).
    pub tolerance: f64,
    /// Rings smaller than this (in square tile units) are dropped.
    pub min_area: f64,
}

/// One ring of world coordinates as an oriented tile ring, or `None` when it vanishes at
/// this zoom (clipped away, or smaller than `min_area`).
pub fn tile_ring(
    tile: TileId,
    world: &LineString<f64>,
    r: Reduce,
    exterior: bool,
) -> Option<Vec<[i32; 2]>> {
    // project, and drop the vertices that fall on the previous one at this zoom's
    // resolution: at low zoom a detailed boundary shrinks by orders of magnitude here
    let step = (r.tolerance / 2.0).max(0.5);
    let mut pts: Vec<(f64, f64)> = Vec::new();
    let ring = &world.0;
    let n = if ring.len() > 1 && ring.first() == ring.last() {
        ring.len() - 1
    } else {
        ring.len()
    };
    for c in &ring[..n] {
        let p = tile.project(c.x, c.y);
        if let Some(q) = pts.last() {
            if (p.0 - q.0).abs() < step && (p.1 - q.1).abs() < step {
                continue;
            }
        }
        pts.push(p);
    }
    if pts.len() < 3 {
        return None;
    }
    let e = f64::from(EXTENT);
    let clipped = clip_ring(&pts, -r.buffer, e + r.buffer);
    if clipped.len() < 3 {
        return None;
    }
    let simplified: Vec<(f64, f64)> = if r.tolerance > 0.0 && clipped.len() > 4 {
        let mut ls: Vec<Coord<f64>> = clipped.iter().map(|&(x, y)| Coord { x, y }).collect();
        ls.push(ls[0]);
        let s = LineString(ls).simplify(r.tolerance);
        let mut v: Vec<(f64, f64)> = s.0.iter().map(|c| (c.x, c.y)).collect();
        v.pop();
        v
    } else {
        clipped
    };
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(simplified.len());
    for (x, y) in simplified {
        let p = [x.round() as i32, y.round() as i32];
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    if out.len() < 3 {
        return None;
    }
    let a = area2(&out);
    if (a.unsigned_abs() as f64) < 2.0 * r.min_area.max(0.5) {
        return None;
    }
    if (a > 0) != exterior {
        out.reverse();
    }
    Some(out)
}

/// A multipolygon of world coordinates as MVT rings (exterior, its holes, next exterior...).
pub fn tile_polygon(tile: TileId, world: &MultiPolygon<f64>, r: Reduce) -> Vec<Vec<[i32; 2]>> {
    let mut rings = Vec::new();
    for p in &world.0 {
        let Some(ext) = tile_ring(tile, p.exterior(), r, true) else {
            continue;
        };
        rings.push(ext);
        for h in p.interiors() {
            if let Some(h) = tile_ring(tile, h, r, false) {
                rings.push(h);
            }
        }
    }
    rings
}

/// A lon/lat multipolygon in world coordinates.
pub fn to_world(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::MapCoords;
    mp.map_coords(|c| {
        let (x, y) = mercator(c.x, c.y);
        Coord { x, y }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn mercator_round_trips_and_puts_the_origin_at_the_centre() {
        assert_eq!(mercator(0.0, 0.0), (0.5, 0.5));
        let (x, y) = mercator(11.25, 43.77);
        let (lon, lat) = unmercator(x, y);
        assert!((lon - 11.25).abs() < 1e-9 && (lat - 43.77).abs() < 1e-9);
        assert!(mercator(0.0, 89.9).1.abs() < 1e-12);
    }

    #[test]
    fn tile_bounds_of_a_known_tile() {
        // z1: the north-west quarter
        let b = TileId::new(1, 0, 0).unwrap().bounds();
        assert!((b[0] + 180.0).abs() < 1e-9 && b[1].abs() < 1e-9);
        assert!(b[2].abs() < 1e-9 && (b[3] - MAX_LAT).abs() < 1e-9);
        assert!(TileId::new(3, 8, 0).is_none());
        assert!(TileId::new(21, 0, 0).is_none());
    }

    #[test]
    fn clipping_keeps_the_part_inside_the_window() {
        let sq = [(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0), (-10.0, 10.0)];
        let c = clip_ring(&sq, 0.0, 100.0);
        let mut c: Vec<(i32, i32)> = c.iter().map(|p| (p.0 as i32, p.1 as i32)).collect();
        c.sort();
        assert_eq!(c, [(0, 0), (0, 10), (10, 0), (10, 10)]);
        // fully outside
        assert!(clip_ring(
            &[(200.0, 200.0), (300.0, 200.0), (300.0, 300.0)],
            0.0,
            100.0
        )
        .is_empty());
    }

    #[test]
    fn exteriors_come_out_positive_and_holes_negative() {
        let t = TileId::new(0, 0, 0).unwrap();
        // a square with a hole, both given counter-clockwise on screen
        let world = MultiPolygon(vec![polygon!(
            exterior: [(x: 0.25, y: 0.25), (x: 0.25, y: 0.75), (x: 0.75, y: 0.75), (x: 0.75, y: 0.25)],
            interiors: [[(x: 0.4, y: 0.4), (x: 0.4, y: 0.6), (x: 0.6, y: 0.6), (x: 0.6, y: 0.4)]],
        )]);
        let r = Reduce {
            buffer: 64.0,
            tolerance: 0.0,
            min_area: 1.0,
        };
        let rings = tile_polygon(t, &world, r);
        assert_eq!(rings.len(), 2);
        assert!(area2(&rings[0]) > 0);
        assert!(area2(&rings[1]) < 0);
        assert_eq!(area2(&rings[0]), 2 * 2048 * 2048);
        // at a zoom where it is tiny, it vanishes
        let tiny = MultiPolygon(vec![
            polygon![(x: 0.5, y: 0.5), (x: 0.5000001, y: 0.5), (x: 0.5000001, y: 0.5000001)],
        ]);
        assert!(tile_polygon(t, &tiny, r).is_empty());
    }
}
