//! The static site's address search: the server's search index cut into small JSON files,
//! so that the static map finds addresses with no server behind it.
//!
//! Every address is filed by the words of its street address (normalised by
//! [`normalise`]: lower case, accents folded). Words shorter than 3 characters, numbers and
//! street types or particles ([`STOP`]: via, piazza, della, ...) do not file it (an address
//! made of nothing else is filed by its longest word). A word goes under a *key*, its first
//! [`KEY_CHARS`] characters (the whole word when shorter); a key whose file would hold more
//! than [`MAX_ENTRIES`] addresses is split into keys one character longer (the word equal
//! to the key stays under it), and so on: every word ends under the longest key that
//! begins it. Files:
//!
//! - `data/search/keys.json`: `{"keys": [...]}`, every key, sorted;
//! - `data/search/{key}.json` (a key of other characters than `a-z0-9` is written `x` and
//!   the hex of its UTF-8): `{"comuni": [[code, name], ...], "units": [[id, address,
//!   comune (index into comuni), lon, lat, class], ...]}`, lon/lat to 6 decimals (0.1 m),
//!   the class under the primary rule set, sorted by address.
//!
//! The viewer fetches, for each whole word of the query, the file of the longest key that
//! begins it; for the last word (a prefix of 3 characters or more) also the files of the
//! keys it begins (at most 8). Then it matches and ranks as the server does (`search.rs`):
//! every word whole, the last as a prefix, over the address and its comune's name; but on
//! the words as written: unlike the server, the static search does not expand street-type
//! abbreviations (`p.zza`), leave particles out, read numbers in words, nor correct typos. So a static search finds an address when the query has a word of 3
//! characters or more of its street address that is not a street type ("roma",
//! "garib"...): "via 12 firenze" finds comuni only. For the synthetic demo (200,000
//! addresses) the index is a few thousand files of at most about 100 KB each.

use super::super::search::normalise;
use super::super::snapshot::Served;
use super::{write, FileSet};
use crate::serve::error::ServeError;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Characters of a key.
pub const KEY_CHARS: usize = 4;

/// Words that file no address: street types and particles that many addresses share.
pub const STOP: &str = "via viale vicolo vico piazza piazzale piazzetta largo corso strada \
    stradone localita loc frazione fraz borgo contrada salita podere della delle dello degli \
    dei del dell di da dal dall dalla dalle nell sull san santa santo sant snc lungo traversa";

/// Whether `w` (normalised) is one of the [`STOP`] words.
pub fn is_stop(w: &str) -> bool {
    STOP.split_whitespace().any(|x| x == w)
}

/// The distinct words an address is filed by (normalised).
pub fn key_words(address: &str) -> BTreeSet<String> {
    let norm = normalise(address);
    let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
    let long: Vec<&str> = words
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let mut keys: BTreeSet<String> = long
        .iter()
        .filter(|w| !is_stop(w))
        .map(|w| w.to_string())
        .collect();
    if keys.is_empty() {
        if let Some(w) = long.iter().max_by_key(|w| w.chars().count()) {
            keys.insert(w.to_string());
        }
    }
    keys
}

/// The file name of a key (without `.json`): the key itself when it is plain ASCII letters
/// and digits, else `x` and the hex of its UTF-8.
pub fn file_name(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        key.to_string()
    } else {
        let mut s = String::from("x");
        for b in key.bytes() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// Addresses a file holds at most, unless its words cannot be split further.
pub const MAX_ENTRIES: usize = 1000;

/// The deepest key: files of longer keys are not split.
const MAX_KEY_CHARS: usize = 12;

/// Files `words` (word -> units, sorted by word) under keys of `chars` characters, splitting
/// a key whose file would hold more than [`MAX_ENTRIES`] units into longer keys (the word
/// equal to the key stays under it). Every word ends under the longest key that begins it.
fn split(chars: usize, words: &[(&str, Vec<u32>)], out: &mut Vec<(String, Vec<u32>)>) {
    let mut start = 0;
    while start < words.len() {
        let key: String = words[start].0.chars().take(chars).collect();
        let mut end = start;
        while end < words.len() && words[end].0.chars().take(chars).collect::<String>() == key {
            end += 1;
        }
        let group = &words[start..end];
        let union = |ws: &[(&str, Vec<u32>)]| {
            let mut u: Vec<u32> = ws.iter().flat_map(|(_, l)| l.iter().copied()).collect();
            u.sort_unstable();
            u.dedup();
            u
        };
        let units = union(group);
        let longer: Vec<(&str, Vec<u32>)> = group
            .iter()
            .filter(|(w, _)| w.chars().count() > chars)
            .cloned()
            .collect();
        if units.len() > MAX_ENTRIES && chars < MAX_KEY_CHARS && !longer.is_empty() {
            let exact: Vec<(&str, Vec<u32>)> = group
                .iter()
                .filter(|(w, _)| w.chars().count() <= chars)
                .cloned()
                .collect();
            if !exact.is_empty() {
                out.push((key, union(&exact)));
            }
            split(chars + 1, &longer, out);
        } else {
            out.push((key, units));
        }
        start = end;
    }
}

/// The keys and the units filed under each, for the addresses `address(i)` of `n` units.
pub fn file_addresses<'a>(
    n: usize,
    address: impl Fn(usize) -> &'a str + Sync,
) -> Vec<(String, Vec<u32>)> {
    let keyed: Vec<BTreeSet<String>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let a = address(i);
            if a.is_empty() {
                BTreeSet::new()
            } else {
                key_words(a)
            }
        })
        .collect();
    let mut by_word: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, ws) in keyed.iter().enumerate() {
        for w in ws {
            by_word.entry(w.as_str()).or_default().push(i as u32);
        }
    }
    let words: Vec<(&str, Vec<u32>)> = by_word.into_iter().collect();
    let mut out = Vec::new();
    split(KEY_CHARS, &words, &mut out);
    out
}

/// Writes the index of every address of `s` under `root/data/search`.
pub fn write_index(s: &Served, root: &Path) -> Result<FileSet, ServeError> {
    let Some(addr) = &s.units.address else {
        return Ok(FileSet::default());
    };
    let filed = file_addresses(s.units.len(), |i| addr.get(i));
    let dir = root.join("data/search");
    let class = |i: usize| -> String {
        s.cls.rules.first().map_or_else(String::new, |rr| {
            let d = rr.decisions[i];
            s.class_names[0][s.slots.slot(0, d.class) - s.slots.offsets[0]].clone()
        })
    };
    // six decimals of a degree: 0.1 m
    let round = |v: f64| (v * 1e6).round() / 1e6;
    let sizes: Vec<Result<u64, ServeError>> = filed
        .par_iter()
        .map(|(key, list)| {
            let mut list = list.clone();
            list.sort_by(|&a, &b| addr.get(a as usize).cmp(addr.get(b as usize)));
            let mut comuni: Vec<(&str, &str)> = Vec::new();
            let units: Vec<serde_json::Value> = list
                .iter()
                .map(|&i| {
                    let i = i as usize;
                    let c = (
                        s.units.comune_code(i).unwrap_or(""),
                        s.comune_name(i).unwrap_or(""),
                    );
                    let k = comuni.iter().position(|x| *x == c).unwrap_or_else(|| {
                        comuni.push(c);
                        comuni.len() - 1
                    });
                    serde_json::json!([
                        s.units.ids.get(i),
                        addr.get(i),
                        k,
                        round(s.units.lon[i]),
                        round(s.units.lat[i]),
                        class(i),
                    ])
                })
                .collect();
            let bytes =
                serde_json::to_vec(&serde_json::json!({ "comuni": comuni, "units": units }))
                    .map_err(|e| ServeError::Config(format!("writing the address index: {e}")))?;
            write(&dir.join(format!("{}.json", file_name(key))), &bytes)?;
            Ok(bytes.len() as u64)
        })
        .collect();
    let mut set = FileSet::default();
    for b in sizes {
        set.add(b?);
    }
    let keys: Vec<&str> = filed.iter().map(|(k, _)| k.as_str()).collect();
    let bytes = serde_json::to_vec(&serde_json::json!({ "keys": keys }))
        .map_err(|e| ServeError::Config(format!("writing the address index: {e}")))?;
    write(&dir.join("keys.json"), &bytes)?;
    set.add(bytes.len() as u64);
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_filed_under_their_street_words() {
        let k: Vec<String> = key_words("Via Giuseppe Garibaldi 12").into_iter().collect();
        assert_eq!(k, ["garibaldi", "giuseppe"]);
        let k: Vec<String> = key_words("Piazza della Libertà 3/A").into_iter().collect();
        assert_eq!(k, ["liberta"]);
        // nothing but a street type and a number: its longest word
        let k: Vec<String> = key_words("Piazza 1").into_iter().collect();
        assert_eq!(k, ["piazza"]);
        let k: Vec<String> = key_words("Via Pò").into_iter().collect();
        assert_eq!(k, ["via"]);
        assert!(key_words("12").is_empty());
        let k: Vec<String> = key_words("Vicolo dell'Orto").into_iter().collect();
        assert_eq!(k, ["orto"]);
        assert!(is_stop("podere") && !is_stop("pode"));
    }

    #[test]
    fn big_keys_are_split_and_every_word_ends_under_its_longest_key() {
        // 1500 on "Via Podere N" (N a letter pair), 1200 on "Via Pode", 10 on "Via Roma"
        let mut addresses: Vec<String> = Vec::new();
        for i in 0..1500 {
            addresses.push(format!("Via Podere{} {i}", ["a", "b", "c"][i % 3]));
        }
        addresses.extend((0..1200).map(|i| format!("Via Pode {i}")));
        addresses.extend((0..10).map(|i| format!("Via Roma {i}")));
        let filed = file_addresses(addresses.len(), |i| addresses[i].as_str());
        let keys: Vec<&str> = filed.iter().map(|(k, _)| k.as_str()).collect();
        // "pode" holds the 1200 of the word "pode" only (it cannot split): the others go
        // under "poder", split again, to "poderea", "podereb", "poderec"
        assert_eq!(keys, ["pode", "poderea", "podereb", "poderec", "roma"]);
        assert_eq!(filed[0].1.len(), 1200);
        assert_eq!(filed[1].1.len(), 500);
        assert_eq!(filed[4].1.len(), 10);
        let total: usize = filed.iter().map(|(_, l)| l.len()).sum();
        assert_eq!(total, addresses.len());
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(file_name("roma"), "roma");
        assert_eq!(file_name("mañ"), "x6d61c3b1");
        assert_eq!(file_name(""), "x");
    }
}
