//! Probing the index with many points: a spatially coherent visiting order, so that
//! consecutive points fall in the same or neighbouring cells and the polygons they test stay
//! in cache.

use rayon::prelude::*;

/// Side of the coarse grid used to order points (cells per side, a power of two).
const ORDER_BITS: u32 = 10;

/// Position of (x, y) on a Hilbert curve over a `2^bits x 2^bits` grid.
pub fn hilbert_d(bits: u32, mut x: u32, mut y: u32) -> u32 {
    let n = 1u32 << bits;
    let mut d = 0;
    let mut s = n >> 1;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
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

/// A visiting order of the points (indices into `xs`/`ys`) along a Hilbert curve over their
/// extent, by a stable counting sort: O(n), points in one coarse cell keep input order.
/// Non-finite coordinates sort first.
pub fn spatial_order(xs: &[f64], ys: &[f64]) -> Vec<u32> {
    let n = xs.len();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for i in 0..n {
        if xs[i].is_finite() && ys[i].is_finite() {
            x0 = x0.min(xs[i]);
            x1 = x1.max(xs[i]);
            y0 = y0.min(ys[i]);
            y1 = y1.max(ys[i]);
        }
    }
    let side = (1u32 << ORDER_BITS) as f64;
    let sx = if x1 > x0 {
        (side - 1.0) / (x1 - x0)
    } else {
        0.0
    };
    let sy = if y1 > y0 {
        (side - 1.0) / (y1 - y0)
    } else {
        0.0
    };
    let keys: Vec<u32> = (0..n)
        .into_par_iter()
        .map(|i| {
            if !(xs[i].is_finite() && ys[i].is_finite()) {
                return 0;
            }
            let cx = ((xs[i] - x0) * sx) as u32;
            let cy = ((ys[i] - y0) * sy) as u32;
            hilbert_d(ORDER_BITS, cx, cy)
        })
        .collect();
    let mut start = vec![0u32; (1usize << (2 * ORDER_BITS)) + 1];
    for &k in &keys {
        start[k as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut order = vec![0u32; n];
    for (i, &k) in keys.iter().enumerate() {
        order[start[k as usize] as usize] = i as u32;
        start[k as usize] += 1;
    }
    order
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
    fn spatial_order_is_a_permutation() {
        let xs: Vec<f64> = (0..1000).map(|i| (i * 7919 % 1000) as f64).collect();
        let ys: Vec<f64> = (0..1000).map(|i| (i * 104729 % 997) as f64).collect();
        let mut o = spatial_order(&xs, &ys);
        o.sort();
        assert_eq!(o, (0..1000).collect::<Vec<u32>>());
    }
}
