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
//! GeoParquet (and plain Parquet) registries are read by whole row groups (a row group
//! larger than N is cut in slices of N rows); CSV registries N lines at a time (blank and
//! bad lines count). Other formats are read whole; see [`batch_support`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::csv_units::{estimate_csv_rows, CsvBatchReader};
use super::geoparquet::{Piece, UnitsPlan};
use super::row_map::RowMap;
use super::units_build::{find_duplicates, hash_bytes, retain_units, RawUnits, UnitsBuilder};
use super::{InputFormat, ReadOptions};
use crate::error::{Error, Location, OnError, Reject, Result};
use crate::units::Units;

/// Whether a registry can be read in batches; `Err` says why not.
pub fn batch_support(path: &Path) -> std::result::Result<(), String> {
    match InputFormat::of(path) {
        InputFormat::Parquet | InputFormat::Csv => Ok(()),
        InputFormat::Ogr => Err(
            "only GeoParquet and CSV registries can be read in chunks (convert with DuckDB, \
             `ogr2ogr -f Parquet` (GDAL >= 3.8) or `ogr2ogr -f CSV -lco GEOMETRY=AS_XY`)"
                .into(),
        ),
    }
}

/// Rows of a registry without reading it: GeoParquet from the file's metadata, CSV from
/// its size and the lines of its first 4 MiB (an estimate); `None` for other formats.
pub fn estimate_rows(path: &Path) -> Result<Option<u64>> {
    match InputFormat::of(path) {
        InputFormat::Parquet => Ok(Some(UnitsPlan::new(path, &ReadOptions::default())?.rows())),
        InputFormat::Csv => Ok(Some(estimate_csv_rows(path)?)),
        InputFormat::Ogr => Ok(None),
    }
}

/// Where batches come from.
enum Source {
    Parquet {
        plan: UnitsPlan,
        batches: Vec<Vec<Piece>>,
    },
    Csv {
        reader: CsvBatchReader,
        opts: ReadOptions,
        n: usize,
    },
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
    source: Source,
    path: PathBuf,
    on_error: OnError,
    next: usize,
    /// Hashes of the ids of every unit kept so far, sorted.
    seen: Vec<u64>,
    /// Units and rejects so far (none at all: the file is empty).
    read: u64,
    done: bool,
}

/// Opens `path` for reading in batches of about `n` units. Errors as [`super::read_units`]
/// for a file it cannot read, and [`Error::Invalid`] for a format that cannot be read in
/// batches ([`batch_support`]).
pub fn units_batches(path: &Path, opts: &ReadOptions, n: usize) -> Result<UnitBatches> {
    batch_support(path).map_err(|m| Error::Invalid(format!("{}: {m}", path.display())))?;
    let (source, seen) = if InputFormat::of(path) == InputFormat::Csv {
        let reader = CsvBatchReader::open(path, opts)?;
        let source = Source::Csv {
            reader,
            opts: opts.clone(),
            n,
        };
        (source, Vec::new())
    } else {
        let plan = UnitsPlan::new(path, opts)?;
        if plan.rows() == 0 {
            return Err(Error::Empty(path.to_path_buf()));
        }
        let batches = plan.batches(n);
        let seen = Vec::with_capacity(plan.rows() as usize);
        (Source::Parquet { plan, batches }, seen)
    };
    Ok(UnitBatches {
        source,
        path: path.to_path_buf(),
        on_error: opts.on_error,
        next: 0,
        seen,
        read: 0,
        done: false,
    })
}

impl UnitBatches {
    /// Number of batches, when known before reading (GeoParquet).
    pub fn planned(&self) -> Option<usize> {
        match &self.source {
            Source::Parquet { batches, .. } => Some(batches.len()),
            Source::Csv { .. } => None,
        }
    }

    /// Rows in the file, bad ones included, when known before reading (GeoParquet).
    pub fn rows(&self) -> Option<u64> {
        match &self.source {
            Source::Parquet { plan, .. } => Some(plan.rows()),
            Source::Csv { .. } => None,
        }
    }

    fn has_address(&self) -> bool {
        match &self.source {
            Source::Parquet { plan, .. } => plan.has_address(),
            Source::Csv { reader, .. } => reader.has_address(),
        }
    }

    /// The next batch, decoded, with its row numbers, no duplicate check.
    fn raw_next(&mut self) -> Result<Option<RawUnits>> {
        match &mut self.source {
            Source::Parquet { plan, batches } => match batches.get(self.next) {
                None => Ok(None),
                Some(pieces) => {
                    let mut builder = UnitsBuilder::new(plan.has_address());
                    plan.decode_into(pieces, &mut builder)?;
                    Ok(Some(builder.finish_raw()))
                }
            },
            Source::Csv { reader, n, .. } => reader.next_raw(*n),
        }
    }

    /// Calls `f` with each of the first `upto` batches again, in order.
    fn reread(&self, upto: usize, f: &mut dyn FnMut(&Units, &RowMap)) -> Result<()> {
        match &self.source {
            Source::Parquet { plan, batches } => {
                for pieces in &batches[..upto] {
                    let mut builder = UnitsBuilder::new(plan.has_address());
                    plan.decode_into(pieces, &mut builder)?;
                    let (u, r, _) = builder.finish_raw();
                    f(&u, &r);
                }
            }
            Source::Csv { opts, n, .. } => {
                let mut again = CsvBatchReader::open(&self.path, opts)?;
                for _ in 0..upto {
                    match again.next_raw(*n)? {
                        Some((u, r, _)) => f(&u, &r),
                        None => break,
                    }
                }
            }
        }
        Ok(())
    }

    fn read_next(&mut self) -> Result<Option<UnitBatch>> {
        let b = self.next;
        let Some((units, rows, mut rejects)) = self.raw_next()? else {
            if self.read == 0 {
                return Err(Error::Empty(self.path.clone()));
            }
            return Ok(None);
        };
        self.next += 1;
        self.read += (units.len() + rejects.len()) as u64;
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
            self.reread(b, &mut |u, r| {
                for (id, row) in u.ids.iter().zip(r.iter()) {
                    if let Some(first @ None) = suspects.get_mut(id) {
                        *first = Some(row);
                    }
                }
            })?;
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
                    Some(rows.get(first))
                }
                _ => None,
            };
            if let Some(first) = earlier.or(here) {
                dups.push((i, first));
            }
        }
        let mut keep = vec![true; units.len()];
        for &(i, first) in &dups {
            let at = Location::file(&self.path).row(rows.get(i)).field("id");
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
            retain_units(&units, &keep, self.has_address())
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
        Ok(Some(UnitBatch { units, rejects }))
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
        if self.done {
            return None;
        }
        let r = self.read_next();
        self.done = !matches!(r, Ok(Some(_)));
        r.transpose()
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
