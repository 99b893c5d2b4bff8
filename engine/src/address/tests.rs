//! The matcher on a small registry of known streets: each variant of an address must find
//! its unit by the expected method, near-miss streets of the same comune must never be
//! confused, and on a synthetic registry every mechanical variant must find an address
//! with the same street and civico.

use super::normalise::{search_words, variant_of, Street};
use super::*;
use crate::synth::{generate, SynthOptions};
use crate::units::Units;

const PRATO: &str = "100005";
const FIRENZE: &str = "048017";

/// (id, comune, address)
const REGISTRY: &[(&str, &str, &str)] = &[
    ("roma1", PRATO, "VIA ROMA 1"),
    ("roma3", PRATO, "VIA ROMA 3"),
    ("roma5", PRATO, "VIA ROMA 5"),
    ("roma7", PRATO, "VIA ROMA 7"),
    ("roma7a", PRATO, "VIA ROMA 7/A"),
    ("roma12", PRATO, "VIA ROMA 12"),
    ("romana5", PRATO, "VIA ROMANA 5"),
    ("romana8", PRATO, "VIA ROMANA 8"),
    ("duomo1", PRATO, "PIAZZA DEL DUOMO 1"),
    ("duomo3", PRATO, "PIAZZA DEL DUOMO 3"),
    ("gmarconi10", PRATO, "VIA GUGLIELMO MARCONI 10"),
    ("gmarconi12", PRATO, "VIA GUGLIELMO MARCONI 12"),
    ("vlmarconi10", PRATO, "VIALE MARCONI 10"),
    ("vlmarconi20", PRATO, "VIALE MARCONI 20"),
    ("dante7", PRATO, "VIA DANTE ALIGHIERI 7"),
    ("dante9", PRATO, "VIA DANTE ALIGHIERI 9"),
    ("dante11", PRATO, "VIA DANTE ALIGHIERI 11"),
    ("xx4", PRATO, "VIA XX SETTEMBRE 4"),
    ("xx6", PRATO, "VIA XX SETTEMBRE 6"),
    ("garibaldi15", PRATO, "VIA GIUSEPPE GARIBALDI 15"),
    ("garibaldi15bis", PRATO, "VIA GIUSEPPE GARIBALDI 15/BIS"),
    ("matteotti2", PRATO, "CORSO MATTEOTTI 2"),
    ("usella4", PRATO, "LOCALITA' USELLA 4"),
    ("usellasnc", PRATO, "LOCALITA' USELLA SNC"),
    ("carducci1", PRATO, "LARGO CARDUCCI 1"),
    ("canneto3", PRATO, "VIA DI CANNETO 3"),
    ("bolognese100", PRATO, "VIA BOLOGNESE 100"),
    ("bolognesenord2", PRATO, "VIA BOLOGNESE NORD 2"),
    ("minzoni8", PRATO, "VIA DON GIOVANNI MINZONI 8"),
    ("smaria2", PRATO, "VIA SANTA MARIA 2"),
    ("porcellatico2", PRATO, "VICOLO DEL PORCELLATICO 2"),
    ("arossi1", PRATO, "VIA ANTONIO ROSSI 1"),
    ("mrossi1", PRATO, "VIA MARIO ROSSI 1"),
    ("maggio3", PRATO, "VIA 1 MAGGIO 3"),
    ("giugno3", PRATO, "VIA 2 GIUGNO 3"),
    ("sp13km12", PRATO, "SP 13, KM 12"),
    ("guanto1", PRATO, "VIA GUANTO 1"),
    ("delguanto1", PRATO, "VIA DEL GUANTO 1"),
    ("fi-roma1", FIRENZE, "VIA ROMA 1"),
    ("fi-piazzaroma2", FIRENZE, "PIAZZA ROMA 2"),
    ("fi-roma1-again", FIRENZE, "VIA ROMA 1"),
];

fn registry() -> Units {
    let mut u = Units::new();
    for (k, (id, comune, address)) in REGISTRY.iter().enumerate() {
        u.push(
            id,
            11.0 + k as f64 * 1e-4,
            43.8,
            1,
            Some(comune),
            Some(address),
        );
    }
    u
}

fn id_of(units: &Units, m: &Match) -> Option<String> {
    m.unit.map(|i| units.ids.get(i as usize).to_string())
}

/// (comune, street, civico field, expected unit, expected method)
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Method,
);

fn check(cases: &[Case]) {
    let units = registry();
    let m = Matcher::new(&units);
    let mut failures = Vec::new();
    for &(comune, street, civico, unit, method) in cases {
        let got = m.find(comune, street, civico);
        let gid = id_of(&units, &got);
        if gid.as_deref() != unit || got.method != method {
            failures.push(format!(
                "{comune} | {street} | {civico:?}: expected {unit:?} {method:?}, got {gid:?} {:?} ({})",
                got.method, got.note
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn exact_ignores_case_accents_punctuation_and_suffix_form() {
    use Method::Exact;
    check(&[
        (PRATO, "VIA ROMA", Some("7"), Some("roma7"), Exact),
        ("Prato", "via roma", Some("7/a"), Some("roma7a"), Exact),
        (PRATO, "VIA ROMA", Some("7A"), Some("roma7a"), Exact),
        (PRATO, "VIA ROMA", Some("7 A"), Some("roma7a"), Exact),
        (PRATO, "VIA ROMA 7 A", None, Some("roma7a"), Exact),
        (PRATO, "Via Roma, 7/A", Some(""), Some("roma7a"), Exact),
        (
            "100005",
            "Località Usella",
            Some("4"),
            Some("usella4"),
            Exact,
        ),
        (
            "PRATO",
            "LOCALITA'\u{FFFD} USELLA",
            Some("4"),
            Some("usella4"),
            Exact,
        ),
        (
            "100005",
            "VIA GIUSEPPE GARIBALDI",
            Some("15 BIS"),
            Some("garibaldi15bis"),
            Exact,
        ),
        (
            "100005",
            "VIA GIUSEPPE GARIBALDI 15bis",
            None,
            Some("garibaldi15bis"),
            Exact,
        ),
        (
            "100005",
            "VIA BOLOGNESE",
            Some("100"),
            Some("bolognese100"),
            Exact,
        ),
        ("100005", "VIA 1 MAGGIO", Some("3"), Some("maggio3"), Exact),
        ("48017", "VIA ROMA", Some("1"), Some("fi-roma1"), Exact),
        ("100005", "SP 13", Some("KM 12"), Some("sp13km12"), Exact),
    ]);
}

#[test]
fn normalised_expands_abbreviations_numbers_and_names() {
    use Method::Normalised as N;
    check(&[
        (PRATO, "V. ROMA", Some("7"), Some("roma7"), N),
        (PRATO, "P.ZZA DUOMO", Some("3"), Some("duomo3"), N),
        (PRATO, "p.za del duomo 1", None, Some("duomo1"), N),
        (PRATO, "PZA. DUOMO", Some("1"), Some("duomo1"), N),
        (PRATO, "C.SO MATTEOTTI", Some("2"), Some("matteotti2"), N),
        (PRATO, "L.GO CARDUCCI", Some("1"), Some("carducci1"), N),
        (PRATO, "LOC. USELLA", Some("4"), Some("usella4"), N),
        (PRATO, "FRAZ. USELLA", Some("4"), Some("usella4"), N),
        (PRATO, "USELLA", Some("4"), Some("usella4"), N),
        (PRATO, "VIA VENTI SETTEMBRE", Some("4"), Some("xx4"), N),
        (PRATO, "VIA 20 SETTEMBRE 6", None, Some("xx6"), N),
        (PRATO, "VIA I MAGGIO", Some("3"), Some("maggio3"), N),
        (PRATO, "VIA PRIMO MAGGIO", Some("3"), Some("maggio3"), N),
        (PRATO, "VIA ALIGHIERI", Some("9"), Some("dante9"), N),
        (PRATO, "VIA D. ALIGHIERI", Some("9"), Some("dante9"), N),
        (PRATO, "VIA ALIGHIERI DANTE", Some("11"), Some("dante11"), N),
        (PRATO, "VIA G. MARCONI", Some("10"), Some("gmarconi10"), N),
        (PRATO, "V.LE MARCONI", Some("20"), Some("vlmarconi20"), N),
        (PRATO, "VIA CANNETO", Some("3"), Some("canneto3"), N),
        (PRATO, "VIA MINZONI", Some("8"), Some("minzoni8"), N),
        (PRATO, "VIA DON MINZONI", Some("8"), Some("minzoni8"), N),
        (PRATO, "VIA S. MARIA", Some("2"), Some("smaria2"), N),
        (
            PRATO,
            "VIA GARIBALDI",
            Some("15/BIS"),
            Some("garibaldi15bis"),
            N,
        ),
        (PRATO, "ROMA", Some("5"), Some("roma5"), N),
        (
            PRATO,
            "STRADA PROVINCIALE 13",
            Some("km 12"),
            Some("sp13km12"),
            N,
        ),
    ]);
}

#[test]
fn fuzzy_street_takes_typos_within_the_threshold() {
    use Method::FuzzyStreet as F;
    check(&[
        (PRATO, "CORSO MATEOTTI", Some("2"), Some("matteotti2"), F),
        (
            PRATO,
            "VICOLO PORCELATICO",
            Some("2"),
            Some("porcellatico2"),
            F,
        ),
        (PRATO, "VIA DANTE ALIGHERI", Some("7"), Some("dante7"), F),
        (
            PRATO,
            "VIA GIUSEPPE GARIBADLI",
            Some("15"),
            Some("garibaldi15"),
            F,
        ),
    ]);
}

#[test]
fn missing_civici_fall_back_to_the_street() {
    use Method::{NearestNumber as Near, StreetOnly};
    check(&[
        (PRATO, "VIA ROMA", Some("9"), Some("roma7"), Near),
        (PRATO, "VIA ROMA", Some("5/B"), Some("roma5"), Near),
        (PRATO, "VIA ROMA", Some("11"), Some("roma12"), Near),
        (PRATO, "LOCALITA' USELLA", Some("SNC"), None, StreetOnly),
        (PRATO, "LOCALITA' USELLA", Some("S.N.C."), None, StreetOnly),
        (PRATO, "VIA ROMA", Some("0"), None, StreetOnly),
        (PRATO, "VIA ROMA", Some(""), None, StreetOnly),
        (PRATO, "VIA ROMA", None, None, StreetOnly),
        (PRATO, "VIA ROMA", Some("KM 3"), None, StreetOnly),
        (PRATO, "VIA ROMA", Some("settimo piano"), None, StreetOnly),
    ]);
}

#[test]
fn near_miss_streets_of_the_same_comune_are_not_confused() {
    use Method::{ComuneOnly, NearestNumber as Near, Normalised as N};
    check(&[
        // VIA ROMA vs VIA ROMANA: each keeps its own civici
        (PRATO, "VIA ROMANA", Some("12"), Some("romana8"), Near),
        (PRATO, "VIA ROMA", Some("8"), Some("roma7"), Near),
        // too short to be a typo of ROMA
        (PRATO, "VIA ROME", Some("5"), None, ComuneOnly),
        // VIA G. MARCONI vs VIALE MARCONI: the type decides
        (PRATO, "VIA MARCONI", Some("20"), Some("gmarconi12"), Near),
        (
            PRATO,
            "VIALE G. MARCONI",
            Some("10"),
            Some("vlmarconi10"),
            N,
        ),
        // a qualifier is not a first name
        (
            PRATO,
            "VIA BOLOGNESE",
            Some("2"),
            Some("bolognese100"),
            Near,
        ),
        (
            PRATO,
            "VIA BOLOGNESE NORD",
            Some("2"),
            Some("bolognesenord2"),
            Method::Exact,
        ),
        // the numbers of a name must agree, even within one edit
        (PRATO, "VIA 2 MAGGIO", Some("3"), None, ComuneOnly),
        // a surname is never left out
        (PRATO, "VIA DANTE", Some("7"), None, ComuneOnly),
        // two streets fit: reported, not guessed
        (PRATO, "VIA ROSSI", Some("1"), None, ComuneOnly),
        (FIRENZE, "ROMA", Some("1"), None, ComuneOnly),
        (PRATO, "VIA INESISTENTE", Some("3"), None, ComuneOnly),
        // two registry streets alike but for a particle: its particles decide, else neither
        (PRATO, "V. DEL GUANTO", Some("1"), Some("delguanto1"), N),
        (PRATO, "V. GUANTO", Some("1"), Some("guanto1"), N),
        (PRATO, "VIA VINCENZO GUANTO", Some("1"), None, ComuneOnly),
    ]);
    let units = registry();
    let m = Matcher::new(&units);
    let r = m.find(PRATO, "VIA ROSSI", Some("1"));
    assert!(
        r.note.contains("VIA ANTONIO ROSSI") && r.note.contains("VIA MARIO ROSSI"),
        "{}",
        r.note
    );
    assert!(r.place.is_some() && r.score > 0.0);
}

#[test]
fn comuni_are_codes_or_names_and_must_be_in_the_registry() {
    use Method::Unmatched;
    check(&[
        ("", "VIA ROMA", Some("1"), None, Unmatched),
        ("999999", "VIA ROMA", Some("1"), None, Unmatched),
        ("MILANO", "VIA ROMA", Some("1"), None, Unmatched),
        ("ATLANTIDE", "VIA ROMA", Some("1"), None, Unmatched),
    ]);
    let m = Matcher::new(&registry());
    assert_eq!(m.resolve_comune("firenze"), Ok(FIRENZE.to_string()));
    assert_eq!(m.resolve_comune(" 48017 "), Ok(FIRENZE.to_string()));
    let e = m.resolve_comune("Milano").unwrap_err();
    assert!(e.contains("015146") && e.contains("no address"), "{e}");
}

#[test]
fn duplicates_give_the_first_unit_and_say_so() {
    let units = registry();
    let m = Matcher::new(&units);
    let r = m.find(FIRENZE, "VIA ROMA", Some("1"));
    assert_eq!(id_of(&units, &r).as_deref(), Some("fi-roma1"));
    assert!(r.note.contains("2 units"), "{}", r.note);
    assert_eq!(m.stats.units, REGISTRY.len());
    assert_eq!(m.stats.comuni, 2);
}

#[test]
fn scores_fall_with_the_method() {
    let units = registry();
    let m = Matcher::new(&units);
    let s = |c: &str, n: Option<&str>| m.find(PRATO, c, n).score;
    let exact = s("VIA ROMA", Some("7"));
    let norm = s("V. ROMA", Some("7"));
    let fuzzy = s("CORSO MATEOTTI", Some("2"));
    let near = s("VIA ROMA", Some("9"));
    let street = s("VIA ROMA", Some("SNC"));
    let comune = s("VIA INESISTENTE", Some("1"));
    assert!(exact > norm && norm > fuzzy && fuzzy > near && near > street && street > comune);
    assert!(comune > 0.0);
}

#[test]
fn street_names_normalise() {
    let p = |s: &str| Street::parse(s).to_string();
    assert_eq!(p("P.ZZA DEL DUOMO"), "PIAZZA DUOMO");
    assert_eq!(p("Piazza Duomo"), "PIAZZA DUOMO");
    assert_eq!(p("VIA XX SETTEMBRE"), "VIA 20 SETTEMBRE");
    assert_eq!(p("via venti settembre"), "VIA 20 SETTEMBRE");
    assert_eq!(p("VIA VENTUNO APRILE"), "VIA 21 APRILE");
    assert_eq!(p("VIA PAPA GIOVANNI XXIII"), "VIA GIOVANNI 23");
    assert_eq!(p("VIA DELL'OMBRONE"), "VIA OMBRONE");
    assert_eq!(p("VIA D'ANNUNZIO"), "VIA ANNUNZIO");
    assert_eq!(p("V.LE F.LLI ROSSELLI"), "VIALE FRATELLI ROSSELLI");
    assert_eq!(p("S.S. 65"), "STRADA STATALE 65");
    assert_eq!(p("PIAZZA SS. ANNUNZIATA"), "PIAZZA SS ANNUNZIATA");
    assert_eq!(p("VIA S.TA MARIA"), "VIA SAN MARIA");
    assert_eq!(p("VIA DI"), "VIA DI");
    assert_eq!(p("BORGO"), "BORGO");
    assert_eq!(p("VIA DEI MILLE"), "VIA MILLE");
    assert_eq!(p("VIA CIVILI"), "VIA CIVILI");
}

#[test]
fn numbers_in_words_read_back() {
    use super::normalise::{number_in_words, number_word};
    for n in 1..=100 {
        let w = number_in_words(n).unwrap();
        assert_eq!(number_word(&w), Some(n), "{w}");
    }
    assert_eq!(number_in_words(28).as_deref(), Some("VENTOTTO"));
    assert_eq!(number_in_words(0), None);
}

#[test]
fn variants_need_the_surname_and_no_qualifier() {
    let t = |s: &str| Street::parse(s).tokens;
    assert!(variant_of(&t("VIA ALIGHIERI"), &t("VIA DANTE ALIGHIERI")));
    assert!(variant_of(&t("VIA D ALIGHIERI"), &t("VIA DANTE ALIGHIERI")));
    assert!(variant_of(
        &t("VIA ALIGHIERI DANTE"),
        &t("VIA DANTE ALIGHIERI")
    ));
    assert!(!variant_of(&t("VIA DANTE"), &t("VIA DANTE ALIGHIERI")));
    assert!(!variant_of(&t("VIA BOLOGNESE"), &t("VIA BOLOGNESE NORD")));
    assert!(!variant_of(&t("VIA FRANCESCO"), &t("VIA SAN FRANCESCO")));
    assert!(!variant_of(&t("VIA ROMA"), &t("VIA ROMANA")));
    assert!(!variant_of(&t("VIA E"), &t("VIA ENRICO")));
    assert!(!variant_of(
        &t("VIA DEL POZZO"),
        &t("VIA VIUCCIA DEL POZZO")
    ));
    assert!(variant_of(
        &t("VIA DE GASPERI"),
        &t("VIA ALCIDE DE GASPERI")
    ));
    assert!(variant_of(&t("VIA MORO"), &t("VIA ALDO MORO")));
    assert!(variant_of(&t("VIA ALESSANDRO VOLTA"), &t("VIA A. VOLTA")));
    assert!(variant_of(&t("VIA A. VOLTA"), &t("VIA ALESSANDRO VOLTA")));
    assert!(super::normalise::FIRST_NAMES
        .windows(2)
        .all(|w| w[0] < w[1]));
}

#[test]
fn search_words_expand_abbreviations_anywhere() {
    assert_eq!(
        search_words("p.zza duomo 3 prato"),
        ["piazza", "duomo", "3", "prato"]
    );
    assert_eq!(
        search_words("Piazza del Duomo 3, Prato"),
        ["piazza", "duomo", "3", "prato"]
    );
    assert_eq!(
        search_words("prato p.zza duomo"),
        ["prato", "piazza", "duomo"]
    );
    assert_eq!(search_words("Bagno a Ripoli"), ["bagno", "a", "ripoli"]);
}

/// Mechanical variants of synthetic addresses: each must find an address with the same
/// street and civico by the expected method; a typo must find the same street or nothing.
#[test]
fn synthetic_registry_variants_find_their_address() {
    let s = generate(&SynthOptions {
        units: 20_000,
        seed: 5,
    })
    .unwrap();
    let units = &s.units;
    let m = Matcher::new(units);
    let addr = |i: usize| units.address.as_ref().unwrap().get(i).to_string();
    let comune = |i: usize| units.comune_code(i).unwrap().to_string();
    let same_address = |i: usize, r: &Match| {
        r.unit
            .is_some_and(|u| comune(u as usize) == comune(i) && addr(u as usize) == addr(i))
    };
    let (mut checked, mut typos, mut typo_found) = (0, 0, 0);
    for i in (0..units.len()).step_by(97) {
        let a = addr(i);
        let c = comune(i);
        let (ws, civ) = number::split_address(&a);
        let Civico::Number { .. } = civ else { continue };
        let street: Vec<&str> = ws.iter().map(|w| w.text.as_str()).collect();
        let street = street.join(" ");
        let civ = civ.to_string();
        let r = m.find(&c, &a, None);
        assert!(same_address(i, &r), "{a}: {r:?}");
        assert_eq!(r.method, Method::Exact, "{a}");
        let r = m.find(&c, &a.to_lowercase(), None);
        assert_eq!(r.method, Method::Exact, "{a} in lower case");
        let r = m.find(&c, &street, Some(&civ.replace('/', " ")));
        assert!(
            same_address(i, &r) && r.method == Method::Exact,
            "{a}: {r:?}"
        );
        // the street type abbreviated
        let abbreviated = [
            ("VIA ", "V. "),
            ("PIAZZA ", "P.ZZA "),
            ("LOCALITA' ", "LOC. "),
            ("VIALE ", "V.LE "),
        ]
        .iter()
        .find_map(|(full, short)| {
            street
                .strip_prefix(full)
                .map(|rest| format!("{short}{rest}"))
        });
        if let Some(ab) = abbreviated {
            let r = m.find(&c, &ab, Some(&civ));
            assert!(
                same_address(i, &r) && r.method == Method::Normalised,
                "{ab} {civ}: {r:?}"
            );
        }
        // a typo in the longest word: the same street, or no street at all
        let long = ws
            .iter()
            .map(|w| w.text.as_str())
            .max_by_key(|w| w.len())
            .unwrap_or("");
        if long.len() >= 9 && !long.bytes().any(|b| b.is_ascii_digit()) {
            let mut b = long.as_bytes().to_vec();
            b.swap(3, 4);
            let typo = street.replacen(long, std::str::from_utf8(&b).unwrap(), 1);
            if typo != street {
                typos += 1;
                let r = m.find(&c, &typo, Some(&civ));
                match r.method {
                    Method::FuzzyStreet | Method::Normalised | Method::Exact => {
                        assert!(same_address(i, &r), "{typo} {civ}: {r:?}");
                        typo_found += 1;
                    }
                    Method::ComuneOnly => {}
                    other => panic!("{typo} {civ}: unexpected {other:?}"),
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
    assert!(
        typos > 20 && typo_found * 20 >= typos * 19,
        "{typo_found} of {typos}"
    );
}

#[test]
fn declarations_are_placed_only_on_the_very_civico() {
    use crate::error::Location;
    use crate::io::read::AddressedDeclaration;
    let units = registry();
    let m = Matcher::new(&units);
    let decl = |row: u64, comune: &str, street: &str, civico: Option<&str>| AddressedDeclaration {
        at: Location::file("d.csv").row(row).field("indirizzo"),
        comune: comune.into(),
        street: street.into(),
        civico: civico.map(str::to_string),
        offer: row as u32,
    };
    let list = [
        decl(2, "Prato", "P.ZZA DUOMO 3", None),
        decl(3, PRATO, "VIA ROMA", Some("7/A")),
        decl(4, PRATO, "CORSO MATEOTTI", Some("2")),
        decl(5, PRATO, "VIA ROMA", Some("9")),
        decl(6, PRATO, "VIA ROSSI", Some("1")),
        decl(7, "", "VIA ROMA", Some("1")),
    ];
    let p = place_declarations(&m, &units, &list);
    let placed: Vec<(&str, u32)> = p
        .declarations
        .iter()
        .map(|d| (d.unit_id.as_str(), d.offer))
        .collect();
    assert_eq!(placed, [("duomo3", 2), ("roma7a", 3), ("matteotti2", 4)]);
    assert_eq!(p.methods, [1, 1, 1, 1, 0, 1, 1]);
    let rows: Vec<Option<u64>> = p.not_placed.iter().map(|r| r.at.row).collect();
    assert_eq!(rows, [Some(5), Some(6), Some(7)]);
    assert!(
        p.not_placed[0].message.contains("nearest_number"),
        "{}",
        p.not_placed[0]
    );
    assert!(
        p.not_placed[1].message.contains("ambiguous street"),
        "{}",
        p.not_placed[1]
    );
}
