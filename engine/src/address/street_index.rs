//! The streets of one comune, indexed for each way a street name can be found:
//!
//! 1. **exact**: the letters and digits of the name as written ([`light_key`]);
//! 2. **normalised**: the kind and the name tokens ([`Street`]); a query without a kind
//!    ("ROMA") finds a street of any kind, but only if one kind has it;
//! 3. **variant**: a street whose tokens are a [`variant_of`] the query's (first names left
//!    out, initials, another order), found through the streets sharing a token;
//! 4. **fuzzy**: the closest name key within [`max_edits`], found through shared trigrams,
//!    with the same numbers in both names (`VIA 1 MAGGIO` is never `VIA 2 MAGGIO`).
//!
//! A street is one spelling of the registry (its letters and digits): two spellings that
//! normalise alike (`VIA GUANTO`, `VIA DEL GUANTO`) stay two streets, as an official
//! registry names each street once. A query that normalises to both finds the one with its
//! particles (`V. DEL GUANTO`), or is ambiguous (`VIA VINCENZO GUANTO`).
//!
//! Kinds must be compatible at every level but the exact one ([`kinds_compatible`]: `VIA
//! MARCONI` is never `VIALE MARCONI`). When two streets or more fit at the first level that
//! finds any, the lookup is [`Lookup::Ambiguous`] and names them; a fuzzy lookup is
//! ambiguous when two streets are at the smallest distance.

use std::collections::HashMap;

use super::fuzzy::{distance, letters, max_edits, min_shared, same_ends, trigrams};
use super::normalise::{kinds_compatible, variant_of, Street, Word};
use super::number::Suffix;

/// One street of the registry and its civici.
#[derive(Debug, Clone)]
pub struct IndexedStreet {
    pub street: Street,
    /// The name as first written in the registry (without the civico).
    pub display: String,
    /// (number, suffix, unit), sorted.
    pub civici: Vec<(u32, Suffix, u32)>,
    /// (kilometre in tenths, unit), sorted.
    pub km: Vec<(u32, u32)>,
    /// Units on the street without a number (or with one that could not be read).
    pub others: Vec<u32>,
    /// The unit whose point stands for the street: the middle one by number.
    pub place: u32,
}

/// How a street was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Exact,
    Normalised,
    /// First names, initials or order differ.
    Variant,
    /// Within this many edits.
    Fuzzy(usize),
}

impl Level {
    /// How sure the street is, in [0, 1].
    pub fn score(self) -> f32 {
        match self {
            Level::Exact => 1.0,
            Level::Normalised => 0.95,
            Level::Variant => 0.9,
            Level::Fuzzy(d) => 0.9 - 0.05 * d as f32,
        }
    }
}

/// The answer of [`StreetIndex::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found {
        street: u32,
        level: Level,
    },
    /// Several streets fit equally well (indices, at most [`MAX_CANDIDATES`]).
    Ambiguous(Vec<u32>),
    NotFound,
}

/// Candidates named at most in an ambiguous answer.
pub const MAX_CANDIDATES: usize = 5;

/// The streets of one comune.
#[derive(Debug, Default)]
pub struct StreetIndex {
    pub streets: Vec<IndexedStreet>,
    light: HashMap<String, u32>,
    by_key: HashMap<String, Vec<u32>>,
    by_token: HashMap<String, Vec<u32>>,
    grams: HashMap<u32, Vec<u32>>,
}

/// One registry unit of the comune, parsed.
pub struct Entry {
    pub unit: u32,
    pub light: String,
    pub street: Street,
    pub civico: super::number::Civico,
}

impl StreetIndex {
    /// Builds the index of one comune from its parsed units; `mid` gives the unit that
    /// stands for a set of units (the caller's choice of a central one), `display` the
    /// street of a unit as written in the registry.
    pub fn build(
        entries: Vec<Entry>,
        mid: &dyn Fn(&[u32]) -> u32,
        display: &dyn Fn(u32) -> String,
    ) -> StreetIndex {
        use super::number::Civico;
        let mut idx = StreetIndex::default();
        for e in entries {
            let key = e.street.name_key();
            // one street per spelling (letters and digits)
            let s = *idx.light.entry(e.light).or_insert_with(|| {
                let s = idx.streets.len() as u32;
                idx.streets.push(IndexedStreet {
                    street: e.street.clone(),
                    display: display(e.unit),
                    civici: Vec::new(),
                    km: Vec::new(),
                    others: Vec::new(),
                    place: e.unit,
                });
                idx.by_key.entry(key).or_default().push(s);
                s
            });
            let st = &mut idx.streets[s as usize];
            match e.civico {
                Civico::Number { n, suffix } => st.civici.push((n, suffix, e.unit)),
                Civico::Km(k) => st.km.push((k, e.unit)),
                Civico::None(_) => st.others.push(e.unit),
            }
        }
        for (s, st) in idx.streets.iter_mut().enumerate() {
            st.civici.sort_unstable();
            st.km.sort_unstable();
            let units: Vec<u32> = if st.civici.is_empty() {
                st.km
                    .iter()
                    .map(|k| k.1)
                    .chain(st.others.iter().copied())
                    .collect()
            } else {
                vec![st.civici[st.civici.len() / 2].2]
            };
            if !units.is_empty() {
                st.place = mid(&units);
            }
            let s = s as u32;
            for t in &st.street.tokens {
                if is_word(t) {
                    let list = idx.by_token.entry(t.clone()).or_default();
                    if list.last() != Some(&s) {
                        list.push(s);
                    }
                }
            }
            for g in trigrams(&st.street.name_key()) {
                idx.grams.entry(g).or_default().push(s);
            }
        }
        idx
    }

    /// Finds the street named by `words` (the street part of an address, already folded).
    pub fn find(&self, words: &[Word]) -> Lookup {
        let light: String = words.iter().map(|w| w.text.as_str()).collect();
        if let Some(&s) = self.light.get(&light) {
            return Lookup::Found {
                street: s,
                level: Level::Exact,
            };
        }
        let q = Street::from_words(words);
        if q.tokens.is_empty() {
            return Lookup::NotFound;
        }
        let key = q.name_key();
        // normalised: same key; a street of the very same kind first
        if let Some(list) = self.by_key.get(&key) {
            let same: Vec<u32> = list
                .iter()
                .copied()
                .filter(|&s| self.kind(s) == q.kind)
                .collect();
            let fits: Vec<u32> = if same.is_empty() {
                list.iter()
                    .copied()
                    .filter(|&s| kinds_compatible(q.kind, self.kind(s)))
                    .collect()
            } else {
                same
            };
            // two spellings alike but for particles: the one with the query's particles
            let fits = if fits.len() > 1 {
                let same: Vec<u32> = fits
                    .iter()
                    .copied()
                    .filter(|&s| self.streets[s as usize].street.with_particles == q.with_particles)
                    .collect();
                if same.len() == 1 {
                    same
                } else {
                    fits
                }
            } else {
                fits
            };
            if let Some(found) = settle(&fits, Level::Normalised) {
                return found;
            }
        }
        // variants: streets sharing a word with the query
        let mut cands: Vec<u32> = q
            .tokens
            .iter()
            .filter(|t| is_word(t))
            .filter_map(|t| self.by_token.get(t))
            .flatten()
            .copied()
            .collect();
        cands.sort_unstable();
        cands.dedup();
        let fits: Vec<u32> = cands
            .into_iter()
            .filter(|&s| {
                let st = &self.streets[s as usize].street;
                kinds_compatible(q.kind, st.kind) && variant_of(&q.tokens, &st.tokens)
            })
            .collect();
        if let Some(found) = settle(&fits, Level::Variant) {
            return found;
        }
        self.fuzzy(&q, &key)
    }

    fn fuzzy(&self, q: &Street, key: &str) -> Lookup {
        let allowed = max_edits(letters(key));
        if allowed == 0 {
            return Lookup::NotFound;
        }
        let mut shared: HashMap<u32, usize> = HashMap::new();
        for g in trigrams(key) {
            for &s in self.grams.get(&g).map_or(&[][..], Vec::as_slice) {
                *shared.entry(s).or_default() += 1;
            }
        }
        let qn = numbers(&q.tokens);
        let mut best: Option<usize> = None;
        let mut at_best: Vec<u32> = Vec::new();
        let mut ids: Vec<(&u32, &usize)> = shared.iter().collect();
        ids.sort_unstable();
        for (&s, &n) in ids {
            let st = &self.streets[s as usize].street;
            let sk = st.name_key();
            // a transposition is one edit but changes as many trigrams as two
            if n < min_shared(key.len(), sk.len(), 2 * allowed)
                || !kinds_compatible(q.kind, st.kind)
                || !same_ends(key, &sk)
                || numbers(&st.tokens) != qn
            {
                continue;
            }
            // both names must be long enough for the edits
            let d = distance(key, &sk);
            if d == 0 || d > allowed.min(max_edits(letters(&sk))) {
                continue;
            }
            match best {
                Some(b) if d > b => {}
                Some(b) if d == b => at_best.push(s),
                _ => {
                    best = Some(d);
                    at_best = vec![s];
                }
            }
        }
        match (best, at_best.as_slice()) {
            (Some(d), [s]) => Lookup::Found {
                street: *s,
                level: Level::Fuzzy(d),
            },
            (Some(_), many) if many.len() > 1 => Lookup::Ambiguous(cap(many)),
            _ => Lookup::NotFound,
        }
    }

    fn kind(&self, s: u32) -> Option<super::normalise::Kind> {
        self.streets[s as usize].street.kind
    }
}

/// The numbers of a name, sorted.
fn numbers(t: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = t
        .iter()
        .filter(|x| x.bytes().all(|b| b.is_ascii_digit()))
        .map(String::as_str)
        .collect();
    v.sort_unstable();
    v
}

/// A token that can anchor a variant: letters only, 3 or more.
fn is_word(t: &str) -> bool {
    t.len() >= 3 && t.bytes().all(|b| !b.is_ascii_digit())
}

/// The answer of one level: none (`None`: try the next level), one street, or several.
fn settle(fits: &[u32], level: Level) -> Option<Lookup> {
    match fits {
        [] => None,
        [s] => Some(Lookup::Found { street: *s, level }),
        many => Some(Lookup::Ambiguous(cap(many))),
    }
}

fn cap(v: &[u32]) -> Vec<u32> {
    v.iter().copied().take(MAX_CANDIDATES).collect()
}
