//! Reading a registry in batches of about N units, for registries larger than memory
//! (`bianca classify --chunk-units`).
//!
//! The batches together are exactly what [`super::read_units`] returns: the same units in
//! the same order, the same rejects. Ids are checked for duplicates across batches: a
//! 64-bit hash of every id seen so far is kept (8 bytes per row of the file, sorted); an id
//! whose hash was seen before is confirmed by reading the earlier batches again and comparing
//! the strings, so a hash collision never rejects a unit, and the message names the row of
//! the first occurrence as the one-shot reader does. In skip mode the later occurrence is
//! rejected and the first kept; in fail mode the first duplicate found is the error.
//!
//! Only GeoParquet (and plain Parquet) registries are read in batches, by whole row groups
//! (a row group larger than N is cut in slices of N rows); see [`batch_support`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::geoparquet::{Piece, UnitsPlan};
use super::units_build::{find_duplicates, hash_bytes, retain_units, UnitsBuilder};
use super::{InputFormat, ReadOptions};
use crate::error::{Error, Location, OnError, Reject, Result};
use crate::units::Units;

/// Whether a registry can be read in batches; `Err` says why not.
pub fn batch_support(path: &Path) -> std::result::Result<(), String> {
    match InputFormat::of(path) {
        InputFormat::Parquet => Ok(()),
        InputFormat::Csv => Err(
            "CSV registries are read whole (convert to GeoParquet to read in chunks, e.g. \
             `ogr2ogr -f Parquet` with GDAL >= 3.8, or DuckDB)"
                .into(),
        ),
        InputFormat::Ogr => Err(
            "only GeoParquet registries can be read in chunks (convert with DuckDB or \
             `ogr2ogr -f Parquet`, GDAL >= 3.8)"
                .into(),
        ),
    }
}

/// Rows of a registry, from the file's metadata, when the format says without reading it
/// (GeoParquet); `None` otherwise.
pub fn estimate_rows(path: &Path) -> Result<Option<u64>> {
    match InputFormat::of(path) {
        InputFormat::Parquet => Ok(Some(UnitsPlan::new(path, &ReadOptions::default())?.rows())),
        _ => Ok(None),
    }
}

/// One batch of a registry.
#[derive(Debug, Default)]
pub struct UnitBatch {
    pub units: Units,
    /// Rejected rows of this batch (skip mode), sorted by row.
    pub rejects: Vec<Reject>,
}

/// The batches of a registry, in file order (see the module documentation).
pub struct UnitBatches {
    plan: UnitsPlan,
    path: PathBuf,
    on_error: OnError,
    batches: Vec<Vec<Piece>>,
    next: usize,
    /// Hashes of the ids of every unit kept so far, sorted.
    seen: Vec<u64>,
    failed: bool,
}

/// Opens `path` for reading in batches of about `n` units. Errors as [`super::read_units`]
/// for a file it cannot read, and [`Error::Invalid`] for a format that cannot be read in
/// batches ([`batch_support`]).
pub fn units_batches(path: &Path, opts: &ReadOptions, n: usize) -> Result<UnitBatches> {
    batch_support(path).map_err(|m| Error::Invalid(format!("{}: {m}", path.display())))?;
    let plan = UnitsPlan::new(path, opts)?;
    if plan.rows() == 0 {
        return Err(Error::Empty(path.to_path_buf()));
    }
    let batches = plan.batches(n);
    let seen = Vec::with_capacity(plan.rows() as usize);
    Ok(UnitBatches {
        plan,
        path: path.to_path_buf(),
        on_error: opts.on_error,
        batches,
        next: 0,
        seen,
        failed: false,
    })
}

impl UnitBatches {
    /// Number of batches.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Rows in the file, bad ones included.
    pub fn rows(&self) -> u64 {
        self.plan.rows()
    }

    /// Batch `b`, decoded, with its row numbers, no duplicate check.
    fn raw(&self, b: usize) -> Result<(Units, Vec<u64>, Vec<Reject>)> {
        let chunks = self.plan.decode(&self.batches[b])?;
        let mut builder = UnitsBuilder::new(self.plan.has_address());
        builder.append_all(chunks);
        Ok(builder.finish_raw())
    }

    fn read_next(&mut self) -> Result<UnitBatch> {
        let b = self.next;
        self.next += 1;
        let (units, rows, mut rejects) = self.raw(b)?;
        let hashes: Vec<u64> = (0..units.len())
            .into_par_iter()
            .map(|i| hash_bytes(units.ids.get(i).as_bytes()))
            .collect();
        // ids whose hash an earlier batch had: confirmed by reading those batches again
        let mut order: Vec<u32> = (0..units.len() as u32).collect();
        order.par_sort_unstable_by_key(|&i| hashes[i as usize]);
        let mut suspects: HashMap<&str, Option<u64>> = HashMap::new();
        let mut k = 0;
        for &i in &order {
            let h = hashes[i as usize];
            while k < self.seen.len() && self.seen[k] < h {
                k += 1;
            }
            if k < self.seen.len() && self.seen[k] == h {
                suspects.insert(units.ids.get(i as usize), None);
            }
        }
        if !suspects.is_empty() {
            for earlier in 0..b {
                let (u, r, _) = self.raw(earlier)?;
                for (id, &row) in u.ids.iter().zip(&r) {
                    if let Some(first @ None) = suspects.get_mut(id) {
                        *first = Some(row);
                    }
                }
            }
        }
        // (index in this batch, row of the first occurrence), by index
        let mut dups: Vec<(usize, u64)> = Vec::new();
        let within = find_duplicates(&units.ids)?;
        let mut w = within.iter().peekable();
        for i in 0..units.len() {
            let earlier = suspects.get(units.ids.get(i)).copied().flatten();
            let here = match w.peek() {
                Some(&&(later, first)) if later == i => {
                    w.next();
                    Some(rows[first])
                }
                _ => None,
            };
            if let Some(first) = earlier.or(here) {
                dups.push((i, first));
            }
        }
        let mut keep = vec![true; units.len()];
        for &(i, first) in &dups {
            let at = Location::file(&self.path).row(rows[i]).field("id");
            let message = format!(
                "duplicate id {:?} (first seen on row {first})",
                units.ids.get(i)
            );
            if self.on_error == OnError::Fail {
                return Err(Error::Input { at, message });
            }
            rejects.push(Reject { at, message });
            keep[i] = false;
        }
        let units = if dups.is_empty() {
            units
        } else {
            retain_units(&units, &keep, self.plan.has_address())
        };
        // remember the kept ids: merge this batch's sorted hashes into `seen`
        let mut fresh: Vec<u64> = order
            .iter()
            .filter(|&&i| keep[i as usize])
            .map(|&i| hashes[i as usize])
            .collect();
        fresh.dedup();
        merge_sorted(&mut self.seen, &fresh);
        rejects.sort_by_key(|r| r.at.row);
        Ok(UnitBatch { units, rejects })
    }
}

/// Merges sorted `b` into sorted `a`, in place (from the back).
fn merge_sorted(a: &mut Vec<u64>, b: &[u64]) {
    let (n, m) = (a.len(), b.len());
    a.resize(n + m, 0);
    let (mut i, mut j, mut k) = (n, m, n + m);
    while j > 0 {
        if i > 0 && a[i - 1] > b[j - 1] {
            a[k - 1] = a[i - 1];
            i -= 1;
        } else {
            a[k - 1] = b[j - 1];
            j -= 1;
        }
        k -= 1;
    }
}

impl Iterator for UnitBatches {
    type Item = Result<UnitBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next >= self.batches.len() {
            return None;
        }
        let r = self.read_next();
        self.failed = r.is_err();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sorted_merges() {
        let mut a = vec![1, 4, 9];
        merge_sorted(&mut a, &[0, 4, 5, 10]);
        assert_eq!(a, vec![0, 1, 4, 4, 5, 9, 10]);
        let mut e = Vec::new();
        merge_sorted(&mut e, &[2, 3]);
        assert_eq!(e, vec![2, 3]);
    }
}
