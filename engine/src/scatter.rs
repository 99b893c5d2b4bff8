//! Writes to one slice from parallel tasks at positions known to be distinct: results
//! scattered from a visiting order back to the input order, entries of a parallel counting
//! sort. Each task writes its own positions, so nothing is copied or gathered afterwards.

use std::marker::PhantomData;

/// A slice that several threads write at distinct positions.
pub(crate) struct Scatter<'a, T> {
    ptr: *mut T,
    len: usize,
    _slice: PhantomData<&'a mut [T]>,
}

// SAFETY: a `Scatter` only hands out writes of `T: Send` values; `write`'s contract keeps
// the positions written by different threads apart.
unsafe impl<T: Send> Sync for Scatter<'_, T> {}
unsafe impl<T: Send> Send for Scatter<'_, T> {}

impl<'a, T: Copy> Scatter<'a, T> {
    pub(crate) fn new(slice: &'a mut [T]) -> Self {
        Scatter {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            _slice: PhantomData,
        }
    }

    /// Writes `v` at position `i`.
    ///
    /// # Panics
    /// When `i` is out of bounds.
    ///
    /// # Safety
    /// While this `Scatter` lives, no other call (on any thread) writes position `i`.
    #[inline]
    pub(crate) unsafe fn write(&self, i: usize, v: T) {
        assert!(i < self.len, "scatter to {i} of {}", self.len);
        // SAFETY: in bounds (checked above); the caller guarantees no concurrent write to
        // `i`, and nothing reads the slice while the `Scatter` borrows it mutably.
        unsafe { self.ptr.add(i).write(v) }
    }
}

#[cfg(test)]
mod tests {
    use super::Scatter;
    use rayon::prelude::*;

    #[test]
    fn parallel_writes_at_a_permutation_fill_every_position() {
        let n = 100_000usize;
        // a permutation: i -> i * 7919 mod n (7919 is prime, coprime with n)
        let order: Vec<usize> = (0..n).map(|i| i * 7919 % n).collect();
        let mut out = vec![usize::MAX; n];
        {
            let s = Scatter::new(&mut out);
            order.par_chunks(1000).for_each(|chunk| {
                for &i in chunk {
                    // SAFETY: `order` is a permutation, so every position is written once
                    unsafe { s.write(i, i * 2) };
                }
            });
        }
        assert!(out.iter().enumerate().all(|(i, &v)| v == i * 2));
    }

    #[test]
    #[should_panic(expected = "scatter to 3 of 3")]
    fn a_write_out_of_bounds_panics() {
        let mut out = [0u8; 3];
        let s = Scatter::new(&mut out);
        // SAFETY: single-threaded
        unsafe { s.write(3, 1) };
    }
}
