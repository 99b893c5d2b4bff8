//! Probing the index with many points: every point placed in its cell once, and a visiting
//! order along a Hilbert curve over the index's cells, so that the points of one cell are
//! consecutive (they share the cell's candidates and, mostly, their answers) and
//! neighbouring cells, whose polygons overlap, follow each other.

use super::counting;
use super::index::GridIndex;
use crate::scatter::Scatter;
use rayon::prelude::*;

/// The cell of a point outside the index's grid.
pub const OUTSIDE: u32 = u32::MAX;

/// Beyond this many keys the order is sorted by comparison instead of by counting.
const MAX_COUNTING_KEYS: u64 = (1 << 22) + 1;

/// Position of (x, y) on a Hilbert curve over a `2^bits x 2^bits` grid (`bits` <= 31).
pub fn hilbert_d(bits: u32, mut x: u32, mut y: u32) -> u64 {
    let n = 1u32 << bits;
    let mut d = 0u64;
    let mut s = n >> 1;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - (x & (s - 1));
                y = s - 1 - (y & (s - 1));
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

/// Points placed in an index, and the order to visit them in.
#[derive(Debug, Clone)]
pub struct CellOrder {
    /// Point indices in visiting order: points outside the grid (and non-finite ones)
    /// first, then cell by cell along a Hilbert curve over the grid; within a cell, input
    /// order.
    pub order: Vec<u32>,
    /// Per point (input order), its cell, or [`OUTSIDE`].
    pub cell: Vec<u32>,
    /// Per point (input order), its sub-cell in the cell (see [`GridIndex::place`]).
    pub sub: Vec<u8>,
}

/// Places every point (`xs[i]`, `ys[i]`) in `index` and orders them cell by cell (see
/// [`CellOrder`]): for grids up to 2048 cells a side the cells are ranked along the curve
/// (a parallel sort of the cells) and the points counting-sorted by rank in parallel
/// blocks (`join::counting`); beyond, the points are sorted by their cell's curve
/// position in parallel.
pub fn cell_order(index: &GridIndex, xs: &[f64], ys: &[f64]) -> CellOrder {
    let n = xs.len();
    let (nx, ny) = index.dims();
    let side = nx.max(ny).max(2);
    let bits = usize::BITS - (side - 1).leading_zeros();
    let (cell, sub): (Vec<u32>, Vec<u8>) = (0..n)
        .into_par_iter()
        .map(|i| index.place(xs[i], ys[i]).unwrap_or((OUTSIDE, 0)))
        .unzip();
    let curve = |c: u32| match c {
        OUTSIDE => 0,
        c => 1 + hilbert_d(bits, c % nx as u32, c / nx as u32),
    };
    let n_keys = 1 + (1u64 << (2 * bits));
    let order = if n_keys <= MAX_COUNTING_KEYS {
        // each cell's rank along the curve (0 is outside the grid), once per cell rather
        // than per point
        let mut by_curve: Vec<(u64, u32)> = (0..(nx * ny) as u32)
            .into_par_iter()
            .map(|c| (curve(c), c))
            .collect();
        by_curve.par_sort_unstable();
        let mut rank = counting::filled(nx * ny, 0u32);
        {
            let out = Scatter::new(&mut rank);
            by_curve.par_iter().enumerate().for_each(|(r, &(_, c))| {
                // SAFETY: every cell is in `by_curve` once
                unsafe { out.write(c as usize, r as u32 + 1) }
            });
        }
        drop(by_curve);
        let key = |c: u32| match c {
            OUTSIDE => 0,
            c => rank[c as usize] as usize,
        };
        // a counting sort by rank, in parallel blocks of points
        let keys = nx * ny + 1;
        let ranges = counting::ranges(n, counting::blocks(n, keys, n));
        let mut counts = counting::count(&ranges, keys, |r, f| {
            cell[r.clone()].iter().for_each(|&c| f(key(c)))
        });
        counting::offsets(&mut counts, keys);
        let mut order = counting::filled(n, 0u32);
        {
            let out = Scatter::new(&mut order);
            ranges.par_iter().zip(counts).for_each(|(r, mut at)| {
                for i in r.clone() {
                    let k = key(cell[i]);
                    // SAFETY: `offsets` gives every point of every block its own position
                    unsafe { out.write(at[k] as usize, i as u32) };
                    at[k] += 1;
                }
            });
        }
        order
    } else {
        let mut pairs: Vec<(u64, u32)> = cell
            .par_iter()
            .map(|&c| curve(c))
            .zip(0..n as u32)
            .collect();
        pairs.par_sort_unstable();
        pairs.into_iter().map(|(_, i)| i).collect()
    };
    CellOrder { order, cell, sub }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hilbert_visits_every_cell_once_and_neighbours_are_adjacent() {
        let bits = 3;
        let n = 1u32 << bits;
        let mut pos = vec![(0u32, 0u32); (n * n) as usize];
        let mut seen = vec![false; (n * n) as usize];
        for x in 0..n {
            for y in 0..n {
                let d = hilbert_d(bits, x, y) as usize;
                assert!(!seen[d]);
                seen[d] = true;
                pos[d] = (x, y);
            }
        }
        for w in pos.windows(2) {
            let dist = w[0].0.abs_diff(w[1].0) + w[0].1.abs_diff(w[1].1);
            assert_eq!(dist, 1, "{:?} -> {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn cell_order_is_a_permutation_that_keeps_cells_together() {
        use crate::join::index::{GridIndex, GridOptions};
        use geo::{polygon, MultiPolygon};
        let polys: Vec<MultiPolygon<f64>> = (0..20)
            .map(|k| {
                let (x, y) = ((k % 5) as f64 * 100.0, (k / 5) as f64 * 200.0);
                MultiPolygon(vec![
                    polygon![(x: x, y: y), (x: x + 90.0, y: y), (x: x, y: y + 150.0)],
                ])
            })
            .collect();
        let xs: Vec<f64> = (0..1000).map(|i| (i * 7919 % 1000) as f64 - 20.0).collect();
        let mut ys: Vec<f64> = (0..1000).map(|i| (i * 104729 % 997) as f64).collect();
        ys[3] = f64::NAN;
        for opts in [
            GridOptions::default(),
            // a grid too large for the counting sort
            GridOptions {
                cells_per_footprint: 400.0,
                max_cells: 1 << 24,
                entries_per_footprint: 1e12,
            },
        ] {
            let index = GridIndex::build(&polys, opts);
            let co = cell_order(&index, &xs, &ys);
            let mut o = co.order.clone();
            o.sort();
            assert_eq!(o, (0..1000).collect::<Vec<u32>>());
            // outside points first, then every cell's points in one run, in input order
            let cells: Vec<u32> = co.order.iter().map(|&i| co.cell[i as usize]).collect();
            assert_eq!(co.cell[3], OUTSIDE);
            assert_eq!(cells[0], OUTSIDE);
            let mut seen = std::collections::HashSet::new();
            for (k, w) in cells.windows(2).enumerate() {
                if w[0] != w[1] {
                    assert!(seen.insert(w[0]), "cell {} visited twice", w[0]);
                } else {
                    assert!(co.order[k] < co.order[k + 1]);
                }
            }
            for (i, (&c, &s)) in co.cell.iter().zip(&co.sub).enumerate() {
                assert_eq!(index.place(xs[i], ys[i]).unwrap_or((OUTSIDE, 0)), (c, s));
            }
        }
    }
}
