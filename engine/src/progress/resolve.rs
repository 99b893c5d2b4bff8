//! Comune codes checked against the ISTAT list of June 2023 ([`crate::istat`]), and old
//! codes resolved to the comune that replaced them where the file itself says which.
//!
//! Comuni are merged and renumbered every year: a file written before a merger still uses
//! the old codes (the national BUL export has about 5 % of them). A code is resolved only
//! in one of these ways, in this order, and every resolution is reported:
//!
//! 1. [`Method::Exact`]: the code (zero-padded to 6 digits) is in the list;
//! 2. [`Method::SameName`]: a comune of the same name (case, accents and apostrophes
//!    ignored) in the same region has a new code (Montalcino, 052014 → 052037);
//! 3. [`Method::NamedSuccessor`]: the name reads "X (ex Y)" and X is a comune of the
//!    region ("Montalcino (ex San Giovanni d'Asso)", 052029 → Montalcino 052037);
//! 4. [`Method::MergedName`]: exactly one comune of the old code's province whose name
//!    contains the old name's first word is *absent* from the file under its own code, as
//!    a comune created by a merger after the file was written is ("Tavarnelle Val di
//!    Pesa", 048045 → Barberino Tavarnelle 048054; "Rio Marina", 049015 → Rio 049021).
//!    The first word must have 3 letters or more and not be one that many names share
//!    (San, Santa, Val, Monte, Castel, Borgo...). With two candidates or none the code
//!    stays unresolved.
//!
//! Anything else is unresolved: the caller names the code and rejects (or skips) the row.

use crate::istat::{self, Comune};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// How a code was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Exact,
    SameName,
    NamedSuccessor,
    MergedName,
}

impl Method {
    /// The spelling in reports (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::SameName => "same_name",
            Method::NamedSuccessor => "named_successor",
            Method::MergedName => "merged_name",
        }
    }
}

/// A comune of the reference list, and how the file's code led to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub comune: &'static Comune,
    pub method: Method,
}

/// `"48012"` → `"048012"`; `None` for anything but 1 to 6 digits.
pub fn pad_code(code: &str) -> Option<String> {
    let code = code.trim();
    (!code.is_empty() && code.len() <= 6 && code.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{code:0>6}"))
}

/// Lower case, accents folded, apostrophes, hyphens and slashes as spaces, single spaces.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().to_lowercase().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            '\'' | '’' | '`' | '-' | '/' | '.' | ',' => ' ',
            c => c,
        };
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

/// Comuni by normalised name (several regions may share a name).
fn by_name() -> &'static HashMap<String, Vec<&'static Comune>> {
    static BY_NAME: OnceLock<HashMap<String, Vec<&'static Comune>>> = OnceLock::new();
    BY_NAME.get_or_init(|| {
        let mut m: HashMap<String, Vec<&'static Comune>> = HashMap::new();
        for c in istat::comuni() {
            m.entry(normalise_name(c.name)).or_default().push(c);
            // bilingual comuni ("Bolzano/Bozen") are also found by each name
            if c.name.contains('/') {
                for part in c.name.split('/') {
                    m.entry(normalise_name(part)).or_default().push(c);
                }
            }
        }
        m
    })
}

/// The comuni of the list named `name` (case, accents and apostrophes ignored; several
/// regions may share a name; bilingual comuni are found by either name).
pub fn comuni_named(name: &str) -> &'static [&'static Comune] {
    by_name()
        .get(&normalise_name(name))
        .map_or(&[], Vec::as_slice)
}

/// Whether a region written in a file (`"Toscana"`, `"Trentino Alto Adige"`) is the
/// list's region `c`.
fn same_region(c: &Comune, region: &str) -> bool {
    let a = normalise_name(region);
    let b = normalise_name(c.region_name);
    !a.is_empty() && (a == b || b.starts_with(&a) || a.starts_with(&b))
}

fn named_in_region(name: &str, region: &str) -> Option<&'static Comune> {
    let found: Vec<_> = by_name()
        .get(&normalise_name(name))?
        .iter()
        .copied()
        .filter(|c| same_region(c, region))
        .collect();
    (found.len() == 1).then(|| found[0])
}

/// First words that many comune names share: they name no successor.
const COMMON_WORDS: &[&str] = &[
    "san", "santa", "santo", "sant", "santi", "val", "valle", "monte", "monti", "castel",
    "castello", "borgo", "villa", "porto", "casal", "colle", "poggio", "pieve", "torre", "ponte",
    "campo", "bagni", "bagno", "terme", "rocca", "serra", "vico", "fiume", "isola", "lago",
    "marina", "montagna", "piano", "pian", "cerro", "sala", "costa", "alta", "alto", "bassa",
    "basso", "nuova", "nuovo", "vecchia", "vecchio", "sotto", "sopra", "della", "delle", "dello",
    "degli", "del", "dei",
];

/// Resolves a comune code written in a file. `name` and `region` are what the same row
/// says (empty when the format has none: then only exact codes resolve); `in_file` tells
/// whether a current code appears in the file under its own number.
pub fn resolve(
    code: &str,
    name: &str,
    region: &str,
    in_file: &dyn Fn(&str) -> bool,
) -> Option<Resolved> {
    let padded = pad_code(code)?;
    if let Some(c) = istat::comune(&padded) {
        return Some(Resolved {
            comune: c,
            method: Method::Exact,
        });
    }
    if name.trim().is_empty() {
        return None;
    }
    if !region.trim().is_empty() {
        if let Some(c) = named_in_region(name, region) {
            return Some(Resolved {
                comune: c,
                method: Method::SameName,
            });
        }
        if let Some((successor, _)) = name.split_once("(ex ") {
            if let Some(c) = named_in_region(successor, region) {
                return Some(Resolved {
                    comune: c,
                    method: Method::NamedSuccessor,
                });
            }
        }
    }
    let first = normalise_name(name)
        .split(' ')
        .next()
        .filter(|w| w.chars().count() >= 3 && !COMMON_WORDS.contains(w))?
        .to_string();
    let province = &padded[..3];
    let candidates: Vec<&'static Comune> = istat::comuni()
        .filter(|c| c.province_code == province && !in_file(c.code))
        .filter(|c| normalise_name(c.name).split(' ').any(|w| w == first))
        .collect();
    (candidates.len() == 1).then(|| Resolved {
        comune: candidates[0],
        method: Method::MergedName,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn exact_codes_are_padded() {
        let r = resolve("48017", "", "", &none).unwrap();
        assert_eq!((r.comune.code, r.method), ("048017", Method::Exact));
        assert!(resolve("4801x", "", "", &none).is_none());
        assert!(resolve("", "", "", &none).is_none());
    }

    #[test]
    fn the_tuscan_renumberings_resolve_with_their_method() {
        let r = resolve("52014", "Montalcino", "Toscana", &none).unwrap();
        assert_eq!((r.comune.code, r.method), ("052037", Method::SameName));
        let r = resolve(
            "52029",
            "Montalcino (ex San Giovanni d'Asso)",
            "Toscana",
            &none,
        )
        .unwrap();
        assert_eq!(
            (r.comune.code, r.method),
            ("052037", Method::NamedSuccessor)
        );
        // Barberino di Mugello (048002) is in the file under its own code, so the merged
        // Barberino Tavarnelle is the one candidate left
        let in_file = |c: &str| c == "048002";
        let r = resolve("48003", "Barberino Val d'Elsa", "Toscana", &in_file).unwrap();
        assert_eq!((r.comune.code, r.method), ("048054", Method::MergedName));
        let r = resolve("48045", "Tavarnelle Val di Pesa", "Toscana", &in_file).unwrap();
        assert_eq!((r.comune.code, r.method), ("048054", Method::MergedName));
        // without that, "Barberino" names two comuni: no guess
        assert!(resolve("48003", "Barberino Val d'Elsa", "Toscana", &none).is_none());
    }

    #[test]
    fn unknown_codes_without_a_successor_stay_unresolved() {
        assert!(resolve("48999", "Atlantide", "Toscana", &none).is_none());
        // a name from another region does not resolve
        assert!(resolve("48998", "Montalcino", "Lazio", &none).is_none());
        // no name: only exact codes
        assert!(resolve("52014", "", "", &none).is_none());
    }
}
