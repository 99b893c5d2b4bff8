//! The static site's answer for each address: what `/api/v1/units/{id}` tells an anonymous
//! caller (classes, technologies, speed class, 4G/5G networks, and the offers of public
//! datasets only), built by the same function as the server's ([`unit_out`]) and written
//! compactly, so that a click on an address of the static map shows what the live public
//! map shows.
//!
//! Units are spread over `N` files by a hash of their id: `data/units/{b}.json` with
//! `b = fnv1a32(id) % N` (FNV-1a, 32 bits, over the id's UTF-8) and `N` =
//! ceil(units / [`UNITS_PER_FILE`]), written into the site's configuration as
//! `unit_files`. A file is `{"offers": [offer, ...], "units": {id: record}}`:
//!
//! - offer: `[operator, technology, down_mbps, up_mbps, peak_down_mbps|null,
//!   peak_up_mbps|null, status, year|null, via, dataset, dataset_imported_at]`;
//! - record: `[address|null, comune|null, comune_name|null, units, lon, lat, [class per rule
//!   set, primary first], technology, [technologies], speed, networks_4g, networks_5g,
//!   [offer index, ...]]`.

use super::super::routes::units::{unit_out, OfferOut, UnitOut};
use super::super::snapshot::Served;
use super::{write, FileSet};
use crate::serve::error::ServeError;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

/// Units per file, on average.
pub const UNITS_PER_FILE: usize = 500;

/// FNV-1a, 32 bits: the viewer computes the same.
pub fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// How many files hold `n` units.
pub fn files_for(n: usize) -> u32 {
    n.div_ceil(UNITS_PER_FILE).max(1) as u32
}

fn offer_row(o: &OfferOut) -> Value {
    json!([
        o.operator,
        o.technology,
        o.down_mbps,
        o.up_mbps,
        o.peak_down_mbps,
        o.peak_up_mbps,
        o.status,
        o.year,
        o.via,
        o.dataset,
        o.dataset_imported_at
    ])
}

/// One unit's record, its offers appended to `offers` (shared by a file).
fn record(u: &UnitOut, offers: &mut Vec<Value>, seen: &mut HashMap<String, usize>) -> Value {
    let refs: Vec<usize> = u
        .offers
        .iter()
        .map(|o| {
            let row = offer_row(o);
            let key = row.to_string();
            *seen.entry(key).or_insert_with(|| {
                offers.push(row);
                offers.len() - 1
            })
        })
        .collect();
    json!([
        u.address,
        u.comune,
        u.comune_name,
        u.units,
        u.lon,
        u.lat,
        u.classes
            .iter()
            .map(|c| c.class.as_str())
            .collect::<Vec<_>>(),
        u.technology,
        u.technologies,
        u.speed,
        u.networks_4g,
        u.networks_5g,
        refs
    ])
}

/// Writes every unit's public answer under `root/data/units`; `public(dataset)` tells the
/// datasets whose offers an anonymous caller sees. Returns the number of files and their
/// sizes.
pub fn write_records(
    s: &Served,
    public: &(dyn Fn(&str) -> bool + Sync),
    root: &Path,
) -> Result<(u32, FileSet), ServeError> {
    let n = s.units.len();
    let files = files_for(n);
    let mut by_file: Vec<Vec<u32>> = vec![Vec::new(); files as usize];
    for i in 0..n {
        by_file[(fnv1a(s.units.ids.get(i)) % files) as usize].push(i as u32);
    }
    let visible = |o: u32| {
        let offer = &s.coverage.offers.offers[o as usize];
        public(&s.sources[offer.source as usize].dataset.name)
    };
    let dir = root.join("data/units");
    let sizes: Vec<Result<u64, ServeError>> = by_file
        .par_iter()
        .enumerate()
        .map(|(b, list)| {
            let mut offers = Vec::new();
            let mut seen = HashMap::new();
            let mut units = serde_json::Map::new();
            for &i in list {
                let u = unit_out(s, i as usize, false, visible);
                units.insert(u.id.clone(), record(&u, &mut offers, &mut seen));
            }
            let bytes = serde_json::to_vec(&json!({ "offers": offers, "units": units }))
                .map_err(|e| ServeError::Config(format!("writing the unit records: {e}")))?;
            write(&dir.join(format!("{b}.json")), &bytes)?;
            Ok(bytes.len() as u64)
        })
        .collect();
    let mut set = FileSet::default();
    for b in sizes {
        set.add(b?);
    }
    Ok((files, set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a() {
        // the published test vectors of FNV-1a 32
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
        assert_eq!(fnv1a("foobar"), 0xbf9c_f968);
        assert_eq!(files_for(0), 1);
        assert_eq!(files_for(500), 1);
        assert_eq!(files_for(501), 2);
    }
}
