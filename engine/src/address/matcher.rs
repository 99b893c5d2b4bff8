//! Matching an address (comune, street, civico) to a registry unit.
//!
//! The comune must be known: an ISTAT code, or a name of the ISTAT list (case, accents and
//! apostrophes ignored; a name shared by comuni of several regions is resolved only when
//! the registry has addresses in exactly one of them). The street is looked up within the
//! comune ([`StreetIndex::find`]), then the civico on that street:
//!
//! | method | when | unit | score |
//! |---|---|---|---|
//! | `exact` | street letters and digits as written, same civico | the unit | 1 |
//! | `normalised` | street found after normalisation (types, particles, titles, saints, numbers in words, first names and initials), same civico | the unit | 0.95 (0.9 for first names, initials, order) |
//! | `fuzzy_street` | street found within the edit threshold, same civico | the unit | 0.85, 0.8, 0.75 for 1, 2, 3 edits |
//! | `nearest_number` | street found, civico not on it: the closest number on the street (same number with another suffix first, then the nearer number, then the same side) | that unit | street score x 0.7 / (1 + difference / 10) |
//! | `street_only` | street found, no civico (`SNC`, `0`, blank, `KM` not in the registry) or no numbered civico on the street | none; the point of the street's middle civico | street score x 0.5 |
//! | `comune_only` | street not found, or ambiguous (the candidates are named) | none; the point of the comune's most central unit | 0.2 |
//! | `unmatched` | comune unknown, missing, or without addresses in the registry | none | 0 |
//!
//! Several units at the very same civico: the first one in registry order is given and the
//! note says how many there are.

use std::collections::HashMap;

use rayon::prelude::*;

use super::normalise::{fold_char, Word};
use super::number::{split_words, Civico, NoNumber};
use super::street_index::{Entry, Level, Lookup, StreetIndex};
use crate::progress::resolve::{comuni_named, normalise_name, pad_code};
use crate::units::{Units, NO_AREA};

/// How an address was matched, from the surest to the least sure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Exact,
    Normalised,
    FuzzyStreet,
    NearestNumber,
    StreetOnly,
    ComuneOnly,
    Unmatched,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::Exact,
        Method::Normalised,
        Method::FuzzyStreet,
        Method::NearestNumber,
        Method::StreetOnly,
        Method::ComuneOnly,
        Method::Unmatched,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Normalised => "normalised",
            Method::FuzzyStreet => "fuzzy_street",
            Method::NearestNumber => "nearest_number",
            Method::StreetOnly => "street_only",
            Method::ComuneOnly => "comune_only",
            Method::Unmatched => "unmatched",
        }
    }

    /// Whether the match names the very civico asked for (exact, normalised, fuzzy street):
    /// the methods to trust for joining data to a unit.
    pub fn is_civico(self) -> bool {
        matches!(
            self,
            Method::Exact | Method::Normalised | Method::FuzzyStreet
        )
    }
}

/// The answer for one address.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub method: Method,
    /// In [0, 1]; see the module documentation.
    pub score: f32,
    /// The matched unit (index into the registry), for civico-level methods and
    /// `nearest_number`.
    pub unit: Option<u32>,
    /// The unit whose point places the address (the matched unit, the street's middle
    /// civico, or the comune's central unit).
    pub place: Option<u32>,
    /// The registry's street, as written there (street-level methods).
    pub street: Option<String>,
    /// Why, for anything but a plain match: candidates of an ambiguous street, the civico
    /// asked for when another was given, duplicate units.
    pub note: String,
}

impl Match {
    fn none(method: Method, note: impl Into<String>) -> Match {
        Match {
            method,
            score: 0.0,
            unit: None,
            place: None,
            street: None,
            note: note.into(),
        }
    }
}

/// What the registry gave the matcher.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryStats {
    pub units: usize,
    /// Units with a comune and a street: the ones that can be matched.
    pub indexed: usize,
    pub no_comune: usize,
    pub no_address: usize,
    pub comuni: usize,
    pub streets: usize,
}

/// The registry indexed by comune and street.
pub struct Matcher {
    comuni: HashMap<String, (StreetIndex, u32)>,
    pub stats: RegistryStats,
}

/// The unit of `set` closest to the set's mean point.
fn central(units: &Units, set: &[u32]) -> u32 {
    let n = set.len().max(1) as f64;
    let (sx, sy) = set.iter().fold((0.0, 0.0), |(x, y), &u| {
        (x + units.lon[u as usize], y + units.lat[u as usize])
    });
    let (mx, my) = (sx / n, sy / n);
    set.iter()
        .copied()
        .min_by(|&a, &b| {
            let d = |u: u32| {
                let (x, y) = (units.lon[u as usize] - mx, units.lat[u as usize] - my);
                x * x + y * y
            };
            d(a).total_cmp(&d(b)).then(a.cmp(&b))
        })
        .unwrap_or(0)
}

impl Matcher {
    /// Indexes a registry: each unit's `address` is split into street and civico
    /// ([`split_words`]) and filed under its comune. Units without a comune or an address
    /// cannot be matched (counted in [`Matcher::stats`]). Comuni are indexed in parallel.
    pub fn new(units: &Units) -> Matcher {
        let mut stats = RegistryStats {
            units: units.len(),
            ..RegistryStats::default()
        };
        let Some(addresses) = units.address.as_ref() else {
            stats.no_address = units.len();
            return Matcher {
                comuni: HashMap::new(),
                stats,
            };
        };
        let mut by_comune: Vec<Vec<u32>> = vec![Vec::new(); units.comune_codes.len()];
        for (i, &c) in units.comune.iter().enumerate() {
            if c == NO_AREA {
                stats.no_comune += 1;
            } else if addresses.get(i).trim().is_empty() {
                stats.no_address += 1;
            } else {
                by_comune[c as usize].push(i as u32);
            }
        }
        let built: Vec<(String, StreetIndex, u32)> = by_comune
            .into_par_iter()
            .enumerate()
            .filter(|(_, list)| !list.is_empty())
            .map(|(c, list)| {
                let entries = list
                    .iter()
                    .map(|&u| {
                        let text = addresses.get(u as usize);
                        let (ws, civico) = split_words(super::normalise::words(text));
                        entry(u, &ws, civico)
                    })
                    .collect();
                let display = |u: u32| {
                    let text = addresses.get(u as usize);
                    let (ws, _) = split_words(super::normalise::words(text));
                    street_display(text, &ws)
                };
                let idx = StreetIndex::build(entries, &|set| central(units, set), &display);
                let place = central(units, &list);
                (units.comune_codes.name(c as u32).to_string(), idx, place)
            })
            .collect();
        let mut comuni = HashMap::with_capacity(built.len());
        for (code, idx, place) in built {
            stats.indexed += idx
                .streets
                .iter()
                .map(|s| s.civici.len() + s.km.len() + s.others.len())
                .sum::<usize>();
            stats.streets += idx.streets.len();
            comuni.insert(code, (idx, place));
        }
        stats.comuni = comuni.len();
        Matcher { comuni, stats }
    }

    /// The registry's code for a comune written as an ISTAT code (1 to 6 digits) or a name.
    pub fn resolve_comune(&self, value: &str) -> Result<String, String> {
        let v = value.trim();
        if v.is_empty() {
            return Err("no comune".into());
        }
        if let Some(code) = pad_code(v) {
            return if self.comuni.contains_key(&code) {
                Ok(code)
            } else {
                Err(format!("comune {code} has no address in the registry"))
            };
        }
        let named = comuni_named(v);
        let present: Vec<&str> = named
            .iter()
            .map(|c| c.code)
            .filter(|c| self.comuni.contains_key(*c))
            .collect();
        match (present.as_slice(), named.len()) {
            ([code], _) => Ok(code.to_string()),
            ([], 0) => Err(format!(
                "no comune named {:?} in the ISTAT list",
                normalise_name(v)
            )),
            ([], _) => Err(format!(
                "comune {} has no address in the registry",
                named.iter().map(|c| c.code).collect::<Vec<_>>().join(" / ")
            )),
            (many, _) => Err(format!(
                "several comuni are named {v:?}: {}; give the ISTAT code",
                many.join(", ")
            )),
        }
    }

    /// Matches one address. `civico` is the house-number field when the input has one;
    /// otherwise (or when it is blank) the civico is read from the end of `street`.
    pub fn find(&self, comune: &str, street: &str, civico: Option<&str>) -> Match {
        let code = match self.resolve_comune(comune) {
            Ok(c) => c,
            Err(m) => return Match::none(Method::Unmatched, m),
        };
        let Some((idx, place)) = self.comuni.get(&code) else {
            return Match::none(Method::Unmatched, format!("comune {code} not indexed"));
        };
        let comune_only = |note: String| Match {
            method: Method::ComuneOnly,
            score: 0.2,
            unit: None,
            place: Some(*place),
            street: None,
            note,
        };
        let field = civico.map(str::trim).filter(|c| !c.is_empty());
        let (ws, civ) = match field {
            Some(c) => match super::number::parse_civico(c) {
                Some(civ) => (super::normalise::words(street), civ),
                None => {
                    // not a house number: read as written, reported below
                    let (ws, _) = split_words(super::normalise::words(street));
                    return self.on_street(idx, &ws, None, Some(c), &comune_only);
                }
            },
            None => split_words(super::normalise::words(street)),
        };
        if ws.is_empty() {
            return comune_only("no street".into());
        }
        self.on_street(idx, &ws, Some(civ), None, &comune_only)
    }

    /// The civico on the street named by `ws` (`civ` `None`: a civico that is not one,
    /// given as `raw`).
    fn on_street(
        &self,
        idx: &StreetIndex,
        ws: &[Word],
        civ: Option<Civico>,
        raw: Option<&str>,
        comune_only: &dyn Fn(String) -> Match,
    ) -> Match {
        let (s, level) = match idx.find(ws) {
            Lookup::Found { street, level } => (street, level),
            Lookup::Ambiguous(list) => {
                let names: Vec<&str> = list
                    .iter()
                    .map(|&s| idx.streets[s as usize].display.as_str())
                    .collect();
                return comune_only(format!("ambiguous street: {}", names.join(" | ")));
            }
            Lookup::NotFound => return comune_only("street not found".into()),
        };
        let st = &idx.streets[s as usize];
        let street_score = level.score();
        let method = match level {
            Level::Exact => Method::Exact,
            Level::Normalised | Level::Variant => Method::Normalised,
            Level::Fuzzy(_) => Method::FuzzyStreet,
        };
        let street_note = match level {
            Level::Fuzzy(d) => format!("street within {d} edit(s)"),
            _ => String::new(),
        };
        let street_only = |why: String| Match {
            method: Method::StreetOnly,
            score: street_score * 0.5,
            unit: None,
            place: Some(st.place),
            street: Some(st.display.clone()),
            note: join(&street_note, &why),
        };
        let found = |unit: u32, count: usize| Match {
            method,
            score: street_score,
            unit: Some(unit),
            place: Some(unit),
            street: Some(st.display.clone()),
            note: join(
                &street_note,
                &if count > 1 {
                    format!("{count} units at this address: the first is given")
                } else {
                    String::new()
                },
            ),
        };
        match civ {
            None => street_only(format!("civico {:?} not understood", raw.unwrap_or(""))),
            Some(Civico::None(why)) => street_only(
                match why {
                    NoNumber::Blank => "no civico",
                    NoNumber::Snc => "civico SNC (no number)",
                    NoNumber::Zero => "civico 0 (no number)",
                }
                .into(),
            ),
            Some(Civico::Km(k)) => {
                let lo = st.km.partition_point(|e| e.0 < k);
                let hi = st.km.partition_point(|e| e.0 <= k);
                if hi > lo {
                    found(st.km[lo].1, hi - lo)
                } else {
                    street_only(format!("{} not in the registry", Civico::Km(k)))
                }
            }
            Some(Civico::Number { n, suffix }) => {
                let lo = st.civici.partition_point(|e| (e.0, e.1) < (n, suffix));
                let hi = st.civici.partition_point(|e| (e.0, e.1) <= (n, suffix));
                if hi > lo {
                    return found(st.civici[lo].2, hi - lo);
                }
                let Some(&(m, msuf, unit)) = nearest(&st.civici, n) else {
                    return street_only(format!(
                        "civico {} asked, the street has no numbered civico",
                        Civico::Number { n, suffix }
                    ));
                };
                let diff = n.abs_diff(m);
                Match {
                    method: Method::NearestNumber,
                    score: street_score * 0.7 / (1.0 + diff as f32 / 10.0),
                    unit: Some(unit),
                    place: Some(unit),
                    street: Some(st.display.clone()),
                    note: join(
                        &street_note,
                        &format!(
                            "civico {} not in the registry: {} given",
                            Civico::Number { n, suffix },
                            Civico::Number { n: m, suffix: msuf }
                        ),
                    ),
                }
            }
        }
    }

    /// Matches many addresses in parallel (comune, street, civico field), in order.
    pub fn find_all(&self, queries: &[(&str, &str, Option<&str>)]) -> Vec<Match> {
        queries
            .par_iter()
            .map(|(c, s, n)| self.find(c, s, *n))
            .collect()
    }
}

/// The civico closest to number `n`: the same number (any suffix), then the smaller
/// difference, then the same side (parity), then the lower number.
fn nearest(
    civici: &[(u32, super::number::Suffix, u32)],
    n: u32,
) -> Option<&(u32, super::number::Suffix, u32)> {
    let i = civici.partition_point(|e| e.0 < n);
    // the closest distinct numbers are next to the partition point; several entries may
    // share a number, so look a few entries either way
    let lo = i.saturating_sub(8);
    let hi = (i + 8).min(civici.len());
    civici[lo..hi].iter().min_by_key(|e| {
        let d = n.abs_diff(e.0);
        (d, (d % 2 != 0) as u8, e.0, e.1, e.2)
    })
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}; {b}"),
    }
}

/// One registry unit, parsed.
fn entry(unit: u32, ws: &[Word], civico: Civico) -> Entry {
    let light: String = ws.iter().map(|w| w.text.as_str()).collect();
    Entry {
        unit,
        light,
        street: super::normalise::Street::from_words(ws),
        civico,
    }
}

/// The street as written in `text` (the address without its civico): the shortest prefix
/// of `text` holding the street's letters and digits, trimmed of punctuation.
fn street_display(text: &str, ws: &[Word]) -> String {
    let want: usize = ws.iter().map(|w| w.text.len()).sum();
    let mut seen = 0usize;
    for (i, c) in text.char_indices() {
        seen += fold_char(c).map_or(0, char::len_utf8);
        if seen >= want {
            let end = i + c.len_utf8();
            return text[..end].trim().trim_end_matches([',', ' ']).to_string();
        }
    }
    text.trim().to_string()
}
