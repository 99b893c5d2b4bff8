//! Building a [`Units`] registry from chunks read in parallel: per-chunk reprojection and
//! coordinate checks, in-order merging, and the duplicate-id check.
//!
//! Every format's unit reader fills [`UnitChunk`]s (raw x/y in the input CRS, with the row
//! number of each unit), calls [`finish_chunk`] on each (in parallel), then feeds them in
//! file order to a [`UnitsBuilder`].

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use super::crs::Reprojector;
use super::row_map::RowMap;
use crate::error::{Error, Location, OnError, Reject, Result};
use crate::model::Sym;
use crate::units::{StrColumn, Units};

/// [`UnitChunk::comune`] value of a unit without a comune code.
pub const NO_COMUNE: u32 = u32::MAX;

/// Names of the coordinate fields, for messages (`lon`/`lat`, `x`/`y`, or the geometry).
#[derive(Debug, Clone)]
pub struct CoordFields {
    pub x: String,
    pub y: String,
}

/// Units of one chunk of the input, in input order.
#[derive(Debug, Default)]
pub struct UnitChunk {
    pub ids: StrColumn,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub units: Vec<u32>,
    /// ISTAT comune code as a number (`48017` for "048017"), or [`NO_COMUNE`].
    pub comune: Vec<u32>,
    pub address: Option<StrColumn>,
    /// Row (CSV line) or feature number of each unit.
    pub rows: RowMap,
    /// Rows rejected in [`OnError::Skip`] mode.
    pub rejects: Vec<Reject>,
    /// In [`OnError::Fail`] mode: the first bad row; the chunk stops there.
    pub fatal: Option<Error>,
}

impl UnitChunk {
    pub fn new(has_address: bool) -> Self {
        Self {
            address: has_address.then(StrColumn::new),
            ..Self::default()
        }
    }

    /// A chunk with room for `n` units (ids of about 16 bytes) before it grows.
    pub fn with_capacity(has_address: bool, n: usize) -> Self {
        Self {
            ids: StrColumn::with_capacity(n, n * 16),
            x: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            units: Vec::with_capacity(n),
            comune: Vec::with_capacity(n),
            address: has_address.then(StrColumn::new),
            rows: RowMap::new(),
            rejects: Vec::new(),
            fatal: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        row: u64,
        id: &str,
        x: f64,
        y: f64,
        units: u32,
        comune: u32,
        address: Option<&str>,
    ) {
        self.ids.push(id);
        self.x.push(x);
        self.y.push(y);
        self.units.push(units);
        self.comune.push(comune);
        if let Some(col) = self.address.as_mut() {
            col.push(address.unwrap_or(""));
        }
        self.rows.push(row);
    }

    /// Records a bad row. Returns true when reading must stop (fail mode).
    pub fn bad(&mut self, at: Location, message: String, on_error: OnError) -> bool {
        match on_error {
            OnError::Skip => {
                self.rejects.push(Reject { at, message });
                false
            }
            OnError::Fail => {
                self.fatal = Some(Error::Input { at, message });
                true
            }
        }
    }

    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    fn retain(&mut self, keep: &[bool]) {
        let mut ids = StrColumn::new();
        let mut address = self.address.as_ref().map(|_| StrColumn::new());
        let mut k = 0;
        for (i, &ok) in keep.iter().enumerate() {
            if !ok {
                continue;
            }
            ids.push(self.ids.get(i));
            if let (Some(dst), Some(src)) = (address.as_mut(), self.address.as_ref()) {
                dst.push(src.get(i));
            }
            self.x[k] = self.x[i];
            self.y[k] = self.y[i];
            self.units[k] = self.units[i];
            self.comune[k] = self.comune[i];
            k += 1;
        }
        for v in [&mut self.x, &mut self.y] {
            v.truncate(k);
        }
        self.units.truncate(k);
        self.comune.truncate(k);
        self.rows.retain(keep);
        self.ids = ids;
        self.address = address;
    }
}

/// Reprojects a chunk to lon/lat and checks the ranges (lon in [-180, 180], lat in
/// [-90, 90]); when the input is lon/lat and the swapped pair would be valid, the message
/// says the columns look swapped. Input values are already known to be finite.
///
/// Fail mode: returns the first bad row as an error (or the chunk's `fatal` error, which
/// comes after every unit of the chunk). Skip mode: bad rows move to `rejects`.
pub fn finish_chunk(
    c: &mut UnitChunk,
    r: &Reprojector,
    names: &CoordFields,
    file: &Path,
    on_error: OnError,
) -> Result<()> {
    r.transform(&mut c.x, &mut c.y)?;
    let mut keep: Option<Vec<bool>> = None;
    for i in 0..c.len() {
        let (lon, lat) = (c.x[i], c.y[i]);
        let lon_ok = (-180.0..=180.0).contains(&lon);
        let lat_ok = (-90.0..=90.0).contains(&lat);
        if lon_ok && lat_ok {
            continue;
        }
        let at = Location::file(file).row(c.rows.get(i));
        let (field, message) = if !lon.is_finite() || !lat.is_finite() {
            (
                &names.x,
                format!(
                    "coordinates cannot be reprojected from {} (is the CRS right, and are x/y in the right columns?)",
                    r.label()
                ),
            )
        } else if r.is_identity()
            && (-180.0..=180.0).contains(&lat)
            && (-90.0..=90.0).contains(&lon)
        {
            (
                if lat_ok { &names.x } else { &names.y },
                if lat_ok {
                    format!("longitude {lon} is outside [-180, 180]: lon/lat look swapped (lon {lon}, lat {lat})")
                } else {
                    format!("latitude {lat} is outside [-90, 90]: lon/lat look swapped (lon {lon}, lat {lat})")
                },
            )
        } else if !lon_ok {
            (&names.x, format!("longitude {lon} is outside [-180, 180]"))
        } else {
            (&names.y, format!("latitude {lat} is outside [-90, 90]"))
        };
        let at = at.field(field.as_str());
        match on_error {
            OnError::Fail => return Err(Error::Input { at, message }),
            OnError::Skip => {
                c.rejects.push(Reject { at, message });
                keep.get_or_insert_with(|| vec![true; c.len()])[i] = false;
            }
        }
    }
    if let Some(err) = c.fatal.take() {
        return Err(err);
    }
    if let Some(keep) = keep {
        c.retain(&keep);
    }
    Ok(())
}

/// Merges finished chunks in file order into a [`Units`].
pub struct UnitsBuilder {
    units: Units,
    rows: RowMap,
    rejects: Vec<Reject>,
    /// Comune code -> its symbol in [`Units::comune_codes`].
    comune_syms: HashMap<u32, Sym, foldhash::fast::FixedState>,
    has_address: bool,
}

impl UnitsBuilder {
    pub fn new(has_address: bool) -> Self {
        let mut units = Units::new();
        if has_address {
            units.address = Some(StrColumn::new());
        }
        Self {
            units,
            rows: RowMap::new(),
            rejects: Vec::new(),
            comune_syms: HashMap::default(),
            has_address,
        }
    }

    /// Room for `n` more units whose ids take `id_bytes` bytes in all, so that appending
    /// them does not grow (and copy) the columns again and again.
    pub fn reserve(&mut self, n: usize, id_bytes: usize) {
        let u = &mut self.units;
        u.ids.reserve(n, id_bytes);
        u.lon.reserve(n);
        u.lat.reserve(n);
        u.units.reserve(n);
        u.comune.reserve(n);
    }

    /// Room for ids of `bytes` more bytes, unless there is room already.
    pub fn reserve_ids(&mut self, bytes: usize) {
        let ids = &self.units.ids;
        if ids.byte_capacity() - ids.byte_len() < bytes {
            self.units.ids.reserve(0, bytes);
        }
    }

    pub fn append(&mut self, c: UnitChunk) {
        let u = &mut self.units;
        u.ids.extend_from(&c.ids);
        u.lon.extend_from_slice(&c.x);
        u.lat.extend_from_slice(&c.y);
        u.units.extend_from_slice(&c.units);
        // registries come sorted or grouped by comune more often than not: runs of one
        // code look it up once
        let mut last: Option<(u32, Sym)> = None;
        u.comune.extend(c.comune.iter().map(|&code| match last {
            Some((k, sym)) if k == code => sym,
            _ => {
                let sym = if code == NO_COMUNE {
                    crate::units::NO_AREA
                } else {
                    let names = &mut u.comune_codes;
                    *self
                        .comune_syms
                        .entry(code)
                        .or_insert_with(|| names.intern(&format!("{code:06}")))
                };
                last = Some((code, sym));
                sym
            }
        }));
        if let (Some(dst), Some(src)) = (u.address.as_mut(), c.address.as_ref()) {
            dst.extend_from(src);
        }
        self.rows.extend(&c.rows);
        self.rejects.extend(c.rejects);
    }

    /// The units, the row number of each, and the rejects, with no duplicate check (for
    /// [`super::batches`], which checks ids across batches).
    pub(crate) fn finish_raw(self) -> RawUnits {
        (self.units, self.rows, self.rejects)
    }

    /// Checks ids are unique and returns the registry with the rejects sorted by row.
    ///
    /// A repeated id is an error naming both rows; in skip mode the later rows are rejected
    /// and the first occurrence is kept. No rows at all (no units and no rejects) is
    /// [`Error::Empty`].
    pub fn finish(mut self, file: &Path, on_error: OnError) -> Result<(Units, Vec<Reject>)> {
        if self.units.is_empty() && self.rejects.is_empty() {
            return Err(Error::Empty(file.to_path_buf()));
        }
        let t = std::time::Instant::now();
        let dups = find_duplicates(&self.units.ids)?;
        tracing::debug!(target: "bianca::timing", phase = "duplicate ids", secs = t.elapsed().as_secs_f64());
        if !dups.is_empty() {
            let mut keep = vec![true; self.units.len()];
            for &(later, first) in &dups {
                let at = Location::file(file).row(self.rows.get(later)).field("id");
                let message = format!(
                    "duplicate id {:?} (first seen on row {})",
                    self.units.ids.get(later),
                    self.rows.get(first)
                );
                if on_error == OnError::Fail {
                    return Err(Error::Input { at, message });
                }
                self.rejects.push(Reject { at, message });
                keep[later] = false;
            }
            self.units = retain_units(&self.units, &keep, self.has_address);
        }
        self.rejects.sort_by_key(|r| r.at.row);
        Ok((self.units, self.rejects))
    }
}

/// Units, the row number of each, and the rejects, before the duplicate-id check.
pub(crate) type RawUnits = (Units, RowMap, Vec<Reject>);

pub(crate) fn retain_units(u: &Units, keep: &[bool], has_address: bool) -> Units {
    let mut out = Units {
        comune_codes: u.comune_codes.clone(),
        address: has_address.then(StrColumn::new),
        ..Units::default()
    };
    for (i, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        out.ids.push(u.ids.get(i));
        out.lon.push(u.lon[i]);
        out.lat.push(u.lat[i]);
        out.units.push(u.units[i]);
        out.comune.push(u.comune[i]);
        if let (Some(dst), Some(src)) = (out.address.as_mut(), u.address.as_ref()) {
            dst.push(src.get(i));
        }
    }
    out
}

/// Pairs `(later, first)` of unit indices with equal ids, sorted by `later`.
///
/// Hashes every id in parallel, sorts (hash, index) pairs, and compares the strings only
/// within equal hashes: about 16 bytes per unit of temporary memory, no per-id allocation.
pub(crate) fn find_duplicates(ids: &StrColumn) -> Result<Vec<(usize, usize)>> {
    let n = ids.len();
    if n > u32::MAX as usize {
        return Err(Error::Invalid(format!(
            "registry too large: {n} units (at most {} supported)",
            u32::MAX
        )));
    }
    if strictly_increasing(ids) {
        return Ok(Vec::new());
    }
    let keyed: Vec<(u64, u32)> = (0..n)
        .into_par_iter()
        .map(|i| (hash_bytes(ids.get(i).as_bytes()), i as u32))
        .collect();
    let keyed = sort_by_hash(keyed);
    let mut dups = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        let group = &keyed[start..end];
        for (k, &(_, later)) in group.iter().enumerate().skip(1) {
            let s = ids.get(later as usize);
            if let Some(&(_, first)) = group[..k].iter().find(|(_, j)| ids.get(*j as usize) == s) {
                dups.push((later as usize, first as usize));
            }
        }
        start = end;
    }
    dups.sort_unstable();
    Ok(dups)
}

/// True when the ids are strictly increasing as text, or as numbers written without
/// leading zeros (shorter first, then as text): then no two are equal. Registries
/// exported from a database are often in id order, and this one pass over neighbours
/// spares the hash sort and its memory.
fn strictly_increasing(ids: &StrColumn) -> bool {
    let n = ids.len();
    let pairs = |lt: fn(&str, &str) -> bool| {
        (1..n)
            .into_par_iter()
            .with_min_len(1 << 16)
            .all(|i| lt(ids.get(i - 1), ids.get(i)))
    };
    pairs(|a, b| a < b) || pairs(|a, b| (a.len(), a) < (b.len(), b))
}

/// Bits of the hash that pick a bucket in [`sort_by_hash`].
const BUCKET_BITS: u32 = 10;

/// Sorts (hash, index) pairs: one counting pass into 2^[`BUCKET_BITS`] buckets by the top
/// bits of the hash, then each bucket (a few thousand pairs, in cache) sorted in parallel.
/// Several times faster than one comparison sort of millions of pairs.
fn sort_by_hash(keyed: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    let shift = 64 - BUCKET_BITS;
    let mut start = vec![0usize; (1 << BUCKET_BITS) + 1];
    for &(h, _) in &keyed {
        start[(h >> shift) as usize + 1] += 1;
    }
    for b in 1..start.len() {
        start[b] += start[b - 1];
    }
    let mut out = vec![(0u64, 0u32); keyed.len()];
    let mut fill = start.clone();
    for &(h, i) in &keyed {
        let b = (h >> shift) as usize;
        out[fill[b]] = (h, i);
        fill[b] += 1;
    }
    drop(keyed);
    let mut buckets: Vec<&mut [(u64, u32)]> = Vec::with_capacity(1 << BUCKET_BITS);
    let mut rest: &mut [(u64, u32)] = &mut out;
    for b in 0..(1usize << BUCKET_BITS) {
        let (head, tail) = rest.split_at_mut(start[b + 1] - start[b]);
        buckets.push(head);
        rest = tail;
    }
    buckets.into_par_iter().for_each(|b| b.sort_unstable());
    out
}

/// A fast 64-bit hash (FxHash-style mixing with a final avalanche).
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = (b.len() as u64).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let mut w = [0u8; 8];
    let rest = chunks.remainder();
    w[..rest.len()].copy_from_slice(rest);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_with_both_rows() {
        let mut c = StrColumn::new();
        for s in ["a", "b", "a", "c", "b", "a"] {
            c.push(s);
        }
        assert_eq!(find_duplicates(&c).unwrap(), vec![(2, 0), (4, 1), (5, 0)]);
    }

    #[test]
    fn ids_in_order_have_no_duplicates_and_others_are_still_checked() {
        let col = |ids: &[&str]| {
            let mut c = StrColumn::new();
            for s in ids {
                c.push(s);
            }
            c
        };
        // numeric order, text order, and neither
        assert!(strictly_increasing(&col(&["8", "9", "10", "11"])));
        assert!(strictly_increasing(&col(&["a", "ab", "b"])));
        assert!(!strictly_increasing(&col(&["b", "a", "c"])));
        assert!(!strictly_increasing(&col(&["1", "2", "2"])));
        assert!(find_duplicates(&col(&["8", "9", "10", "11"]))
            .unwrap()
            .is_empty());
        // sorted but for one repeat at the end: found by the full check
        assert_eq!(
            find_duplicates(&col(&["1", "2", "3", "2"])).unwrap(),
            vec![(3, 1)]
        );
    }

    #[test]
    fn sort_by_hash_sorts_across_buckets() {
        // hashes spread over every bucket, with ties, in reverse order
        let keyed: Vec<(u64, u32)> = (0..5000u64)
            .rev()
            .map(|i| (hash_bytes(&(i % 1700).to_le_bytes()), i as u32))
            .collect();
        let mut expected = keyed.clone();
        expected.sort_unstable();
        assert_eq!(sort_by_hash(keyed), expected);
        assert!(sort_by_hash(Vec::new()).is_empty());
    }

    #[test]
    fn finds_duplicates_among_many_ids() {
        let mut c = StrColumn::new();
        for i in 0..20_000 {
            c.push(&format!("u{i}"));
        }
        c.push("u123");
        c.push("u19999");
        assert_eq!(
            find_duplicates(&c).unwrap(),
            vec![(20_000, 123), (20_001, 19_999)]
        );
    }
}
