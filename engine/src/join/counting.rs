//! A stable counting sort run in parallel blocks: each block of the input counts its keys,
//! one serial pass over the keys turns the counts into every block's first position per
//! key, then every block writes its items at its own positions (through
//! [`crate::scatter::Scatter`]). The output is the same as a serial stable sort's: a key's
//! items in input order.

use rayon::prelude::*;

/// Blocks `items` items with `keys` keys (`writes` items written in all) are cut into:
/// two per thread, but no more than there are items, and fewer when the per-block counts
/// (`keys` each) would outweigh the items written.
pub(crate) fn blocks(items: usize, keys: usize, writes: usize) -> usize {
    (rayon::current_num_threads() * 2)
        .min(writes / keys.max(1))
        .clamp(1, items.max(1))
}

/// `0..n` cut into `blocks` ranges of (nearly) equal length.
pub(crate) fn ranges(n: usize, blocks: usize) -> Vec<std::ops::Range<usize>> {
    let per = n.div_ceil(blocks.max(1)).max(1);
    (0..n).step_by(per).map(|s| s..(s + per).min(n)).collect()
}

/// The key counts of every block turned into positions: on return `counts[b][k]` is where
/// block `b`'s first item of key `k` goes, and the result is where each key's items start
/// (`keys + 1` long, the last being the number of items).
pub(crate) fn offsets(counts: &mut [Vec<u32>], keys: usize) -> Vec<u32> {
    let mut start = vec![0u32; keys + 1];
    let mut at = 0u32;
    for (k, s) in start.iter_mut().enumerate().take(keys) {
        *s = at;
        for block in counts.iter_mut() {
            let c = block[k];
            block[k] = at;
            at += c;
        }
    }
    start[keys] = at;
    start
}

/// Per block of `ranges`, the count of every key of `0..keys` that `each(range, f)` calls
/// `f` with, in parallel.
pub(crate) fn count<R: Sync>(
    ranges: &[R],
    keys: usize,
    each: impl Fn(&R, &mut dyn FnMut(usize)) + Sync,
) -> Vec<Vec<u32>> {
    ranges
        .par_iter()
        .map(|r| {
            let mut c = vec![0u32; keys];
            each(r, &mut |k| c[k] += 1);
            c
        })
        .collect()
}

/// A vector of `n` copies of `v`, its pages first touched in parallel.
pub(crate) fn filled<T: Copy + Send + Sync>(n: usize, v: T) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    out.par_extend(rayon::iter::repeat_n(v, n));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scatter::Scatter;

    #[test]
    fn parallel_blocks_sort_like_a_serial_stable_sort() {
        let keys = 37;
        let items: Vec<usize> = (0..10_000).map(|i| (i * 7919 + i / 3) % keys).collect();
        for nb in [1, 2, 3, 8] {
            let ranges = ranges(items.len(), nb);
            let mut counts = count(&ranges, keys, |r, f| {
                items[r.clone()].iter().for_each(|&k| f(k))
            });
            let start = offsets(&mut counts, keys);
            let mut out = filled(items.len(), usize::MAX);
            {
                let s = Scatter::new(&mut out);
                ranges.par_iter().zip(counts).for_each(|(r, mut at)| {
                    for i in r.clone() {
                        let k = items[i];
                        // SAFETY: offsets give every item of every block its own position
                        unsafe { s.write(at[k] as usize, i) };
                        at[k] += 1;
                    }
                });
            }
            let mut want: Vec<usize> = (0..items.len()).collect();
            want.sort_by_key(|&i| items[i]);
            assert_eq!(out, want, "{nb} blocks");
            for k in 0..keys {
                let n = items.iter().filter(|&&x| x == k).count() as u32;
                assert_eq!(start[k + 1] - start[k], n);
            }
        }
    }
}
