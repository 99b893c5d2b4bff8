//! A synthetic registry made from a list of civici (Infratel's lists of uncovered civici:
//! comune, street, civico), to measure the address matcher on real street names.
//!
//! Every distinct (comune, street, civico) of the list becomes one unit of the registry,
//! placed along a synthetic straight street inside its comune (Tuscan comuni only: the
//! boundaries are the synthetic Tuscany's), with the list's spelling *changed* as an
//! official registry and Infratel's export would differ:
//!
//! - a share of the streets ([`CiviciOptions::respell`]) is written another way, one
//!   [`Variant`] each, drawn among those that apply: the street type abbreviated (`VIA` →
//!   `V.`, `PIAZZA` → `P.ZZA`, `LOCALITA'` → `LOC.`...), a particle left out (`VIA DI
//!   CANNETO` → `VIA CANNETO`), a first name (of the matcher's list) before a surname as
//!   an initial or left out (`VIA ALDO MORO` → `VIA A. MORO`, `VIA MORO`), or after it
//!   (`VIA MORO ALDO`), accents and case
//!   (`LOCALITA'` → `Località`), a number in words (`VIA XX SETTEMBRE` → `VIA VENTI
//!   SETTEMBRE`), or a typo (two neighbouring letters swapped in a word of 8 letters or
//!   more);
//! - suffixes are written in another form at random (`7/A`, `7A`, `7 A`: the same civico);
//! - a share of the civici ([`CiviciOptions::drop_civici`]) and of the streets
//!   ([`CiviciOptions::drop_streets`]) is left out of the registry, as civici and streets
//!   missing from a registry are.
//!
//! Streets of one comune that the list writes with the same letters and digits (spaces and
//! punctuation aside) are one street. Civici without a number in the list (`0`, `0/SNC`)
//! become units at the start of their
//! street with the civico `SNC`. The truth is kept: each unit carries the street and civico
//! as listed, and [`CiviciRegistry::streets`] says how each street was respelled or dropped,
//! so that a benchmark can tell a right match from a wrong one.
//!
//! The variants are mechanical and drawn at random, so the shares they give describe the
//! matcher on this mix, not on a real registry, whose differences from Infratel's spelling
//! are not known here.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::geom::{km_to_deg_lon, round7, Prepared, KM_PER_DEG};
use super::reference;
use super::rng::Rng;
use crate::address::normalise::{light_key, number_in_words, roman, FIRST_NAMES};
use crate::address::number::{parse_civico, Civico, NoNumber};
use crate::error::{Error, Location, Result};
use crate::io::read::address_cols::{QueryCols, QueryFields};
use crate::io::read::records::{visit, Columns, Record};
use crate::io::read::ReadOptions;
use crate::units::Units;

/// How the registry departs from the list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CiviciOptions {
    pub seed: u64,
    /// Share of streets respelled.
    pub respell: f64,
    /// Share of civici left out of the registry.
    pub drop_civici: f64,
    /// Share of streets left out of the registry.
    pub drop_streets: f64,
}

impl Default for CiviciOptions {
    fn default() -> Self {
        Self {
            seed: 20240611,
            respell: 0.3,
            drop_civici: 0.05,
            drop_streets: 0.02,
        }
    }
}

/// How a street was respelled in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Same,
    TypeAbbreviated,
    ParticleDropped,
    FirstNameInitial,
    FirstNameDropped,
    Reordered,
    AccentsAndCase,
    NumberInWords,
    Typo,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Same => "same",
            Variant::TypeAbbreviated => "type_abbreviated",
            Variant::ParticleDropped => "particle_dropped",
            Variant::FirstNameInitial => "first_name_initial",
            Variant::FirstNameDropped => "first_name_dropped",
            Variant::Reordered => "reordered",
            Variant::AccentsAndCase => "accents_and_case",
            Variant::NumberInWords => "number_in_words",
            Variant::Typo => "typo",
        }
    }
}

/// One street of the list and what the registry made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetTruth {
    pub comune: String,
    /// As listed.
    pub listed: String,
    /// As written in the registry.
    pub registry: String,
    pub variant: Variant,
    /// Left out of the registry.
    pub dropped: bool,
}

/// The generated registry and its truth.
#[derive(Debug, Clone)]
pub struct CiviciRegistry {
    /// Units with `address` (the registry's spelling) and comune.
    pub units: Units,
    /// Per unit: its street (index into `streets`) and the civico as listed.
    pub truth: Vec<(u32, String)>,
    pub streets: Vec<StreetTruth>,
    /// Rows of the list, distinct civici, civici left out, rows in comuni outside Tuscany.
    pub rows: usize,
    pub civici: usize,
    pub dropped_civici: usize,
    pub outside: usize,
}

/// Reads a list of civici (columns found as `bianca match` finds them: a comune code or
/// name, a street, a civico) and builds the registry.
pub fn from_civici(path: &Path, opts: &CiviciOptions) -> Result<CiviciRegistry> {
    // (comune code, street's letters and digits) -> the street as first listed, and its
    // civici as listed, in list order: the list writes some streets several ways that differ
    // only in spaces or punctuation (`VIA DELL'UNIONE`, `VIA DELL' UNIONE`, `LOCALITA'<U+FFFD>`),
    // and those are one street of the truth
    let mut streets: BTreeMap<(String, String), (String, Vec<String>)> = BTreeMap::new();
    let mut rows = 0usize;
    let mut outside = 0usize;
    let comuni = reference::comuni()?;
    let by_code: HashMap<&str, usize> = comuni
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();
    let mut query: Option<QueryCols> = None;
    visit(
        path,
        &ReadOptions::default(),
        false,
        &mut |cols: &Columns| {
            QueryCols::find(&|k| cols.index(k), &QueryFields::default(), &|c| {
                cols.missing(path, c)
            })
            .map(|_| ())
        },
        &mut |cols: &Columns, rec: Record| {
            let q_name = |i: usize| cols.names[i].clone();
            let at = Location::file(path).row(rec.row);
            if let Some(p) = &rec.problem {
                return Err(Error::input(at, p.clone()));
            }
            if query.is_none() {
                query = Some(QueryCols::find(
                    &|k| cols.index(k),
                    &QueryFields::default(),
                    &|c| cols.missing(path, c),
                )?);
            }
            let Some(q) = query.as_ref() else {
                return Ok(());
            };
            let get = |i: usize| rec.values.get(i).and_then(|v| v.as_deref()).map(str::trim);
            let comune = get(q.comune).unwrap_or("");
            let named = || match crate::progress::resolve::comuni_named(comune) {
                [one] => Some(one.code.to_string()),
                _ => None,
            };
            let code = crate::progress::resolve::pad_code(comune)
                .or_else(named)
                .ok_or_else(|| {
                    Error::input(
                        at.clone().field(q_name(q.comune)),
                        format!("{comune:?} is not a comune code nor the name of one comune"),
                    )
                })?;
            rows += 1;
            if !by_code.contains_key(code.as_str()) {
                outside += 1;
                return Ok(());
            }
            let street = q.street(&get).into_owned();
            if street.is_empty() {
                return Err(Error::input(at, "missing street"));
            }
            let civico = q.civico(&get).map(|c| c.into_owned()).unwrap_or_default();
            streets
                .entry((code, light_key(&street)))
                .or_insert_with(|| (street, Vec::new()))
                .1
                .push(civico);
            Ok(())
        },
    )?;
    let prepared: Vec<Prepared> = comuni.iter().map(|c| Prepared::new(&c.geometry)).collect();
    let mut out = CiviciRegistry {
        units: Units::new(),
        truth: Vec::new(),
        streets: Vec::new(),
        rows,
        civici: 0,
        dropped_civici: 0,
        outside,
    };
    for (s, ((code, _), (listed, civici))) in streets.into_iter().enumerate() {
        let mut rng = Rng::stream(opts.seed, &[0xC1C1, s as u64]);
        let dropped = rng.chance(opts.drop_streets);
        let (registry, variant) = if rng.chance(opts.respell) {
            respell(&listed, &mut rng)
        } else {
            (listed.clone(), Variant::Same)
        };
        let c = by_code[code.as_str()];
        // the street: a start inside the comune, a direction, 12 m per number
        let (x0, y0) = prepared[c]
            .sample(&mut rng, 10_000)
            .unwrap_or((prepared[c].min_x, prepared[c].min_y));
        let angle = rng.range(0.0, std::f64::consts::TAU);
        let (dx, dy) = (
            0.012 * angle.cos() * km_to_deg_lon(y0),
            0.012 * angle.sin() / KM_PER_DEG,
        );
        let mut seen: Vec<Civico> = Vec::new();
        let street_index = out.streets.len() as u32;
        for listed_civico in civici {
            let civ = parse_civico(&listed_civico).unwrap_or(Civico::None(NoNumber::Blank));
            if seen.contains(&civ) {
                continue;
            }
            seen.push(civ);
            out.civici += 1;
            if dropped {
                continue;
            }
            if rng.chance(opts.drop_civici) {
                out.dropped_civici += 1;
                continue;
            }
            let (text, k) = match civ {
                Civico::Number { n, suffix } if suffix.is_none() => (n.to_string(), n),
                Civico::Number { n, suffix } => {
                    // a number after a number keeps its slash (21 is not 2/1)
                    let digits = suffix.to_string().bytes().all(|b| b.is_ascii_digit());
                    let form = match rng.below(3) {
                        _ if digits => format!("{n}/{suffix}"),
                        0 => format!("{n}/{suffix}"),
                        1 => format!("{n}{suffix}"),
                        _ => format!("{n} {suffix}"),
                    };
                    (form, n)
                }
                Civico::Km(t) => (Civico::Km(t).to_string(), t),
                Civico::None(_) => ("SNC".to_string(), 0),
            };
            let (lon, lat) = (
                round7(x0 + dx * f64::from(k.min(2000))),
                round7(y0 + dy * f64::from(k.min(2000))),
            );
            let id = format!("C{:07}", out.units.len() + 1);
            let address = format!("{registry} {text}");
            out.units
                .push(&id, lon, lat, 1, Some(&code), Some(&address));
            out.truth.push((street_index, listed_civico));
        }
        out.streets.push(StreetTruth {
            comune: code,
            listed,
            registry,
            variant,
            dropped,
        });
    }
    if out.units.is_empty() {
        return Err(Error::Invalid(format!(
            "{}: no civico of the list is in a Tuscan comune ({} rows outside): the \
             synthetic registry only has the Tuscan comuni's boundaries",
            path.display(),
            outside
        )));
    }
    Ok(out)
}

/// Writes `registry.csv` (`id, lon, lat, comune, address, listed_street, listed_civico`:
/// the registry, with each unit's street and civico as listed) and `streets.csv`
/// (`comune, listed_street, registry_street, variant, dropped`) into `dir`. Returns the
/// files with their sizes.
pub fn write(reg: &CiviciRegistry, dir: &Path) -> Result<Vec<(std::path::PathBuf, u64)>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    let p = dir.join("registry.csv");
    let u = &reg.units;
    let n = super::output::atomic_write(&p, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record([
            "id",
            "lon",
            "lat",
            "comune",
            "address",
            "listed_street",
            "listed_civico",
        ])?;
        for (i, (s, civico)) in reg.truth.iter().enumerate() {
            let (lon, lat) = (u.lon[i].to_string(), u.lat[i].to_string());
            c.write_record([
                u.ids.get(i),
                &lon,
                &lat,
                u.comune_code(i).unwrap_or(""),
                u.address.as_ref().map_or("", |a| a.get(i)),
                &reg.streets[*s as usize].listed,
                civico,
            ])?;
        }
        c.flush()
    })?;
    files.push((p, n));
    let p = dir.join("streets.csv");
    let n = super::output::atomic_write(&p, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record([
            "comune",
            "listed_street",
            "registry_street",
            "variant",
            "dropped",
        ])?;
        for s in &reg.streets {
            c.write_record([
                s.comune.as_str(),
                &s.listed,
                &s.registry,
                s.variant.as_str(),
                if s.dropped { "true" } else { "false" },
            ])?;
        }
        c.flush()
    })?;
    files.push((p, n));
    Ok(files)
}

/// Street types and their abbreviations in the registry.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("VIA ", "V. "),
    ("VIALE ", "V.LE "),
    ("PIAZZA ", "P.ZZA "),
    ("PIAZZALE ", "P.LE "),
    ("PIAZZETTA ", "P.TTA "),
    ("LOCALITA' ", "LOC. "),
    ("FRAZIONE ", "FRAZ. "),
    ("VICOLO ", "VIC. "),
    ("CORSO ", "C.SO "),
    ("LARGO ", "L.GO "),
    ("STRADA ", "STR. "),
];

const PARTICLES: &[&str] = &[
    "DI ", "DEL ", "DELLA ", "DELLO ", "DEI ", "DEGLI ", "DELLE ", "DELL'",
];

/// Writes `listed` another way: one [`Variant`] among those that apply (the name as is
/// when none does).
fn respell(listed: &str, rng: &mut Rng) -> (String, Variant) {
    // U+FFFD left by the source after some apostrophes
    let clean: String = listed.chars().filter(|&c| c != '\u{FFFD}').collect();
    let mut options: Vec<(String, Variant)> = Vec::new();
    if let Some((full, short)) = ABBREVIATIONS.iter().find(|(f, _)| clean.starts_with(f)) {
        options.push((
            format!("{short}{}", &clean[full.len()..]),
            Variant::TypeAbbreviated,
        ));
    }
    let (kind, name) = match ABBREVIATIONS.iter().find(|(f, _)| clean.starts_with(f)) {
        Some((f, _)) => (&clean[..f.len()], &clean[f.len()..]),
        None => ("", clean.as_str()),
    };
    if let Some(p) = PARTICLES.iter().find(|p| name.starts_with(*p)) {
        let rest = &name[p.len()..];
        if !rest.is_empty() {
            options.push((format!("{kind}{rest}"), Variant::ParticleDropped));
        }
    }
    let words: Vec<&str> = name.split(' ').collect();
    let plain = |w: &str| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_uppercase());
    if words.len() == 2 && plain(words[0]) && plain(words[1]) && words[1].len() >= 4 {
        let (first, last) = (words[0], words[1]);
        // a first name, as a registry would leave it out
        if FIRST_NAMES.binary_search(&first).is_ok() {
            options.push((
                format!("{kind}{}. {last}", &first[..1]),
                Variant::FirstNameInitial,
            ));
            options.push((format!("{kind}{last}"), Variant::FirstNameDropped));
            options.push((format!("{kind}{last} {first}"), Variant::Reordered));
        }
    }
    if clean.contains("A' ") || clean.contains("E' ") || clean.ends_with("A'") || !kind.is_empty() {
        let accented = clean
            .replace("A' ", "À ")
            .replace("E' ", "È ")
            .replace("O' ", "Ò ")
            .replace("U' ", "Ù ");
        let accented = accented
            .strip_suffix("A'")
            .map_or(accented.clone(), |s| format!("{s}À"));
        options.push((title_case(&accented), Variant::AccentsAndCase));
    }
    let tokens: Vec<&str> = clean.split(' ').collect();
    if let Some(i) = tokens.iter().position(|t| {
        (t.len() >= 2 && roman(t).is_some_and(|n| n <= 31)) || digits_to_word(t).is_some()
    }) {
        let n = roman(tokens[i])
            .or_else(|| tokens[i].parse().ok())
            .unwrap_or(0);
        if let Some(word) = word_of(n) {
            let mut t: Vec<&str> = tokens.clone();
            t[i] = &word;
            options.push((t.join(" "), Variant::NumberInWords));
        }
    }
    if let Some(w) = tokens
        .iter()
        .filter(|w| w.len() >= 8 && w.bytes().all(|b| b.is_ascii_uppercase()))
        .max_by_key(|w| w.len())
    {
        let mut b = w.as_bytes().to_vec();
        let i = 2 + rng.below(b.len() - 4);
        if b[i] != b[i + 1] {
            b.swap(i, i + 1);
            let typo = String::from_utf8_lossy(&b).into_owned();
            options.push((clean.replacen(w, &typo, 1), Variant::Typo));
        }
    }
    if options.is_empty() {
        return (listed.to_string(), Variant::Same);
    }
    let k = rng.below(options.len());
    options.swap_remove(k)
}

/// A street number written in digits (1 to 31) that may be written in words.
fn digits_to_word(t: &str) -> Option<u32> {
    t.parse::<u32>().ok().filter(|n| (1..=31).contains(n))
}

fn word_of(n: u32) -> Option<String> {
    number_in_words(n).filter(|_| n <= 31)
}

/// `VIA DELLA LIBERTÀ` → `Via Della Libertà`.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = c == ' ' || c == '\'' || c == '.';
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_change_the_spelling_not_the_street() {
        let mut rng = Rng::new(3);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            for s in [
                "VIA ALDO MORO",
                "VIA DI CANNETO",
                "LOCALITA' USELLA",
                "VIA XX SETTEMBRE",
                "PIAZZA DEL DUOMO",
                "VIA CASTELLUCCIO",
            ] {
                let (r, v) = respell(s, &mut rng);
                assert_ne!(r, s, "{v:?}");
                seen.insert(v);
            }
        }
        assert_eq!(seen.len(), 8, "{seen:?}");
        assert_eq!(title_case("LOCALITÀ L'ACQUA"), "Località L'Acqua");
        assert_eq!(word_of(20).as_deref(), Some("VENTI"));
    }

    #[test]
    fn a_registry_from_a_list_keeps_the_truth() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("list.csv");
        std::fs::write(
            &p,
            "comune,com_istat_code,strada,civico\n\
             PRATO,100005,VIA ALDO MORO,7/A\n\
             PRATO,100005,VIA ALDO MORO,7/A\n\
             PRATO,100005,VIA ALDO MORO,9\n\
             PRATO,100005,LOCALITA' FIGLINE,0/SNC\n\
             MILANO,015146,VIA TORINO,1\n",
        )
        .unwrap();
        let opts = CiviciOptions {
            respell: 1.0,
            drop_civici: 0.0,
            drop_streets: 0.0,
            ..CiviciOptions::default()
        };
        let r = from_civici(&p, &opts).unwrap();
        assert_eq!((r.rows, r.outside, r.civici), (5, 1, 3));
        assert_eq!(r.units.len(), 3);
        assert_eq!(r.streets.len(), 2);
        assert!(r.streets.iter().all(|s| s.variant != Variant::Same));
        // streets in order of comune and letters: LOCALITA' FIGLINE, then VIA ALDO MORO
        assert_eq!(r.truth[0], (0, "0/SNC".to_string()));
        assert_eq!(r.truth[1], (1, "7/A".to_string()));
        let a = r.units.address.as_ref().unwrap();
        assert!(a.get(0).ends_with(" SNC"), "{}", a.get(0));
        let again = from_civici(&p, &opts).unwrap();
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            again
                .units
                .address
                .as_ref()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        );
    }
}
