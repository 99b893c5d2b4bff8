//! A static index of points for rectangle queries: the points sorted along a Z-order
//! (Morton) curve of 2^16 × 2^16 cells over the Web Mercator world, so that every quadtree
//! cell (and so every tile down to zoom 16) is one contiguous run of the sorted array.
//!
//! A query descends the quadtree from the root: a cell inside the rectangle is emitted as
//! a whole run, a cell outside is skipped, a cell crossing the edge is split until it is a
//! leaf or holds few points, whose coordinates are then tested one by one. Points on the
//! rectangle's edge are inside.

use rayon::prelude::*;

const LEVELS: u32 = 16;
/// A cell with at most this many points is filtered point by point instead of split.
const SMALL: usize = 48;

/// Interleaves the bits of two 16-bit numbers: x in the even bits, y in the odd ones.
fn morton(x: u32, y: u32) -> u32 {
    fn spread(mut v: u32) -> u32 {
        v &= 0xffff;
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        v = (v | (v << 1)) & 0x5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

/// Points in Z-order. Coordinates are 32-bit world coordinates ([`super::tiles::geom::world_u32`]).
#[derive(Debug, Default)]
pub struct PointIndex {
    keys: Vec<u32>,
    x: Vec<u32>,
    y: Vec<u32>,
    items: Vec<u32>,
}

impl PointIndex {
    /// Indexes points `0..n`; `at(i)` gives point i's world coordinates.
    pub fn build(n: usize, at: impl Fn(usize) -> (u32, u32) + Sync) -> PointIndex {
        let mut all: Vec<(u32, u32, u32, u32)> = (0..n)
            .into_par_iter()
            .map(|i| {
                let (x, y) = at(i);
                (morton(x >> LEVELS, y >> LEVELS), x, y, i as u32)
            })
            .collect();
        all.par_sort_unstable();
        PointIndex {
            keys: all.iter().map(|p| p.0).collect(),
            x: all.iter().map(|p| p.1).collect(),
            y: all.iter().map(|p| p.2).collect(),
            items: all.iter().map(|p| p.3).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Calls `f(item, x, y)` for every point in the rectangle `[x0, y0, x1, y1]` (inclusive),
    /// in Z-order.
    pub fn query(&self, rect: [u32; 4], mut f: impl FnMut(u32, u32, u32)) {
        if rect[0] > rect[2] || rect[1] > rect[3] || self.items.is_empty() {
            return;
        }
        self.visit(0, 0, 0, rect, &mut f);
    }

    fn visit(&self, level: u32, cx: u32, cy: u32, r: [u32; 4], f: &mut impl FnMut(u32, u32, u32)) {
        let shift = 32 - level;
        let (x0, y0) = (u64::from(cx) << shift, u64::from(cy) << shift);
        let size = 1u64 << shift;
        let (x1, y1) = (x0 + size - 1, y0 + size - 1);
        let (rx0, ry0, rx1, ry1) = (
            u64::from(r[0]),
            u64::from(r[1]),
            u64::from(r[2]),
            u64::from(r[3]),
        );
        if x1 < rx0 || x0 > rx1 || y1 < ry0 || y0 > ry1 {
            return;
        }
        let down = LEVELS - level;
        let lo_key = u64::from(morton(cx << down, cy << down));
        let hi_key = lo_key + (1u64 << (2 * down));
        let lo = self.keys.partition_point(|&k| u64::from(k) < lo_key);
        let hi = lo + self.keys[lo..].partition_point(|&k| u64::from(k) < hi_key);
        if lo == hi {
            return;
        }
        let inside = x0 >= rx0 && x1 <= rx1 && y0 >= ry0 && y1 <= ry1;
        if inside {
            for i in lo..hi {
                f(self.items[i], self.x[i], self.y[i]);
            }
        } else if level == LEVELS || hi - lo <= SMALL {
            for i in lo..hi {
                let (x, y) = (self.x[i], self.y[i]);
                if x >= r[0] && x <= r[2] && y >= r[1] && y <= r[3] {
                    f(self.items[i], x, y);
                }
            }
        } else {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                self.visit(level + 1, cx * 2 + dx, cy * 2 + dy, r, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morton_interleaves() {
        assert_eq!(morton(0b11, 0), 0b0101);
        assert_eq!(morton(0, 0b11), 0b1010);
        assert_eq!(morton(0xffff, 0xffff), u32::MAX);
    }

    /// Every query answers what a scan of all points answers.
    #[test]
    fn queries_match_a_brute_force_scan() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        // clustered points (a city) and spread ones, with duplicates
        let pts: Vec<(u32, u32)> = (0..20_000)
            .map(|i| {
                let r = next();
                if i % 3 == 0 {
                    (
                        0x8000_0000 + (r as u32 & 0xfffff),
                        0x6000_0000 + ((r >> 32) as u32 & 0xfffff),
                    )
                } else if i % 50 == 1 {
                    (0x1234_5678, 0x1234_5678)
                } else {
                    (r as u32, (r >> 32) as u32)
                }
            })
            .collect();
        let idx = PointIndex::build(pts.len(), |i| pts[i]);
        for q in 0..300 {
            let (a, b, c, d) = (next() as u32, next() as u32, next() as u32, next() as u32);
            let rect = match q % 3 {
                0 => [a.min(b), c.min(d), a.max(b), c.max(d)],
                1 => [
                    0x8000_0000,
                    0x6000_0000,
                    0x8000_0000 + (a & 0x7ffff),
                    0x6000_0000 + (b & 0x7ffff),
                ],
                _ => [0x1234_5678, 0x1234_5678, 0x1234_5678, 0x1234_5678],
            };
            let mut got = Vec::new();
            idx.query(rect, |i, _, _| got.push(i));
            got.sort_unstable();
            let want: Vec<u32> = (0..pts.len() as u32)
                .filter(|&i| {
                    let (x, y) = pts[i as usize];
                    x >= rect[0] && x <= rect[2] && y >= rect[1] && y <= rect[3]
                })
                .collect();
            assert_eq!(got, want, "query {q} {rect:?}");
        }
    }
}
