//! The housing-unit registry in columnar form (struct of arrays).
//!
//! Tens of millions of address points must fit in a few GB, so ids and addresses live in
//! one byte buffer each ([`StrColumn`]) instead of one heap string per unit.

use crate::model::{Interner, Sym};

/// Many strings in one buffer: string `i` is `bytes[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone)]
pub struct StrColumn {
    bytes: String,
    offsets: Vec<u64>,
}

impl Default for StrColumn {
    fn default() -> Self {
        Self {
            bytes: String::new(),
            offsets: vec![0],
        }
    }
}

impl StrColumn {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        Self {
            bytes: String::with_capacity(bytes),
            offsets,
        }
    }
    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.offsets.push(self.bytes.len() as u64);
    }
    /// Room for `n` more strings of `bytes` bytes in all (exactly: a column sized from an
    /// estimate does not double past it).
    pub fn reserve(&mut self, n: usize, bytes: usize) {
        self.offsets.reserve_exact(n);
        self.bytes.reserve_exact(bytes);
    }
    /// Bytes of all the strings together.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }
    /// Bytes the column holds without growing.
    pub fn byte_capacity(&self) -> usize {
        self.bytes.capacity()
    }
    pub fn get(&self, i: usize) -> &str {
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
    /// Appends every string of `other` (used to merge chunks read in parallel).
    pub fn extend_from(&mut self, other: &StrColumn) {
        let base = self.bytes.len() as u64;
        self.bytes.push_str(&other.bytes);
        self.offsets
            .extend(other.offsets[1..].iter().map(|o| o + base));
    }
}

/// Value of [`Units::comune`] for a unit whose area is not known.
pub const NO_AREA: Sym = Sym::MAX;

/// The housing-unit registry: one entry per address point, all columns the same length.
///
/// Coordinates are lon/lat in EPSG:4326, already reprojected by the reader.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Stable id from the source.
    pub ids: StrColumn,
    pub lon: Vec<f64>,
    pub lat: Vec<f64>,
    /// Dwellings or premises at the address, >= 1.
    pub units: Vec<u32>,
    /// Index into `comune_codes`, or [`NO_AREA`].
    pub comune: Vec<Sym>,
    /// ISTAT comune codes (6 characters, zero padded) seen in the registry.
    pub comune_codes: Interner,
    /// Address text, when the registry has an `address` column.
    pub address: Option<StrColumn>,
}

impl Units {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.lon.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lon.is_empty()
    }

    /// Appends one unit. `comune` is the ISTAT code or `None`; `address` is stored only if the
    /// registry has an address column (the first call decides, and all calls must agree).
    pub fn push(
        &mut self,
        id: &str,
        lon: f64,
        lat: f64,
        units: u32,
        comune: Option<&str>,
        address: Option<&str>,
    ) {
        self.ids.push(id);
        self.lon.push(lon);
        self.lat.push(lat);
        self.units.push(units);
        let c = match comune {
            Some(code) if !code.is_empty() => self.comune_codes.intern(code),
            _ => NO_AREA,
        };
        self.comune.push(c);
        if let Some(a) = address {
            self.address
                .get_or_insert_with(|| {
                    let mut col = StrColumn::new();
                    for _ in 0..self.lon.len() - 1 {
                        col.push("");
                    }
                    col
                })
                .push(a);
        } else if let Some(col) = self.address.as_mut() {
            col.push("");
        }
    }

    /// The comune code of unit `i`, if known.
    pub fn comune_code(&self, i: usize) -> Option<&str> {
        match self.comune[i] {
            NO_AREA => None,
            c => Some(self.comune_codes.name(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_column_round_trips_and_merges() {
        let mut a = StrColumn::new();
        a.push("x");
        a.push("");
        a.push("yz");
        let mut b = StrColumn::new();
        b.push("w");
        a.extend_from(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec!["x", "", "yz", "w"]);
    }

    #[test]
    fn units_push_interns_comuni_and_backfills_addresses() {
        let mut u = Units::new();
        u.push("1", 11.0, 43.0, 2, Some("048017"), None);
        u.push("2", 11.1, 43.1, 1, Some("048017"), Some("VIA ROMA 1"));
        u.push("3", 11.2, 43.2, 1, None, None);
        assert_eq!(u.comune_codes.len(), 1);
        assert_eq!(u.comune_code(1), Some("048017"));
        assert_eq!(u.comune_code(2), None);
        let addr = u.address.as_ref().unwrap();
        assert_eq!(addr.iter().collect::<Vec<_>>(), vec!["", "VIA ROMA 1", ""]);
    }
}
