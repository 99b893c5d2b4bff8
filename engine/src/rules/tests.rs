//! One test per rule semantic that the issue spells out.

use super::*;
use crate::model::{OfferAttrs, Offers, SourceKind, Status, Technology};

fn offer(op: &str, infra: &str, tech: Technology, down: f64, up: f64) -> OfferAttrs {
    OfferAttrs {
        operator: op.into(),
        infrastructure: infra.into(),
        technology: tech,
        down_mbps: down,
        up_mbps: up,
        peak_down_mbps: None,
        peak_up_mbps: None,
        status: Status::Existing,
        year: None,
        licensed: true,
    }
}

/// Decides one unit reached by all of `attrs` under preset `rule` with reference year 2025.
fn decide(rule: &str, attrs: &[OfferAttrs]) -> (String, Decision) {
    let rs = load(rule).unwrap();
    let mut offers = Offers::new();
    let src = offers.add_source("test", SourceKind::Footprints);
    let hits: Vec<u32> = attrs.iter().map(|a| offers.push(a, src)).collect();
    let p = PreparedRules::new(&rs, &offers.offers, 2025);
    let d = p.decide(&hits, &offers.offers, &mut Vec::new());
    let name = if d.class == UNKNOWN_CLASS {
        "unknown".to_string()
    } else {
        rs.class_names()[d.class as usize].to_string()
    };
    (name, d)
}

#[test]
fn every_preset_parses_and_documents_itself() {
    let all = presets().unwrap();
    assert_eq!(all.len(), 6);
    for r in &all {
        assert!(!r.description.is_empty(), "{} has no description", r.name);
        assert!(preset_text(&r.name).is_some());
    }
}

#[test]
fn no_offer_is_white_one_network_grey_two_black() {
    let f = offer("A", "A", Technology::Ftth, 1000.0, 100.0);
    let g = offer("B", "B", Technology::Fttc, 100.0, 20.0);
    assert_eq!(decide("eu2013-nga", &[]).0, "white");
    assert_eq!(decide("eu2013-nga", std::slice::from_ref(&f)).0, "grey");
    let (c, d) = decide("eu2013-nga", &[f, g]);
    assert_eq!((c.as_str(), d.networks), ("black", 2));
}

#[test]
fn resellers_of_one_network_count_once() {
    let owner = offer("A", "A", Technology::Ftth, 1000.0, 100.0);
    let reseller = offer("R", "A", Technology::Ftth, 1000.0, 100.0);
    let (c, d) = decide("eu2013-nga", &[owner, reseller]);
    assert_eq!((c.as_str(), d.networks), ("grey", 1));
}

#[test]
fn thresholds_are_inclusive_or_strict_as_the_rule_says() {
    // eu2013-nga: >= 30 down and >= 15 up.
    assert_eq!(
        decide(
            "eu2013-nga",
            &[offer("A", "A", Technology::Fttc, 30.0, 15.0)]
        )
        .0,
        "grey"
    );
    assert_eq!(
        decide(
            "eu2013-nga",
            &[offer("A", "A", Technology::Fttc, 30.0, 14.9)]
        )
        .0,
        "white"
    );
    assert_eq!(
        decide(
            "eu2013-nga",
            &[offer("A", "A", Technology::Fttc, 29.9, 20.0)]
        )
        .0,
        "white"
    );
    // it-1giga-2026: peak down strictly above 300.
    let mut at = offer("A", "A", Technology::Ftth, 1000.0, 100.0);
    at.peak_down_mbps = Some(300.0);
    assert_eq!(decide("it-1giga-2026", &[at.clone()]).0, "eligible");
    at.peak_down_mbps = Some(300.5);
    assert_eq!(decide("it-1giga-2026", &[at]).0, "not_eligible");
}

#[test]
fn planned_coverage_counts_only_within_the_horizon() {
    let mut p = offer("A", "A", Technology::Ftth, 1000.0, 100.0);
    p.status = Status::Planned;
    p.year = Some(2028); // reference 2025 + 3
    assert_eq!(decide("eu2013-nga", &[p.clone()]).0, "grey");
    p.year = Some(2029);
    assert_eq!(decide("eu2013-nga", &[p.clone()]).0, "white");
    // an absolute horizon ignores the reference year
    p.peak_down_mbps = Some(1000.0);
    p.year = Some(2026);
    assert_eq!(decide("it-1giga-2026", &[p.clone()]).0, "not_eligible");
    p.year = Some(2027);
    assert_eq!(decide("it-1giga-2026", &[p.clone()]).0, "eligible");
    // bead: existing only
    p.year = Some(2025);
    assert_eq!(decide("bead", &[p]).0, "unserved");
}

#[test]
fn missing_peak_speed_is_unknown_never_the_nominal_speed() {
    let no_peak = offer("A", "A", Technology::Ftth, 2500.0, 500.0);
    let (c, d) = decide("it-1giga-2026", std::slice::from_ref(&no_peak));
    assert_eq!(c, "unknown");
    assert!(d.on_unknown);
    // decided anyway when another network already settles the class
    let mut known = offer("B", "B", Technology::Ftth, 1000.0, 100.0);
    known.peak_down_mbps = Some(900.0);
    let (c, d) = decide("it-1giga-2026", &[no_peak, known]);
    assert_eq!(c, "not_eligible");
    assert!(d.on_unknown);
    assert_eq!(d.networks, 1);
}

#[test]
fn unlicensed_fwa_does_not_count_unless_the_rule_says() {
    let mut fwa = offer("W", "W", Technology::Fwa, 100.0, 20.0);
    assert_eq!(decide("eu2013-nga", &[fwa.clone()]).0, "grey");
    fwa.licensed = false;
    assert_eq!(decide("eu2013-nga", &[fwa]).0, "white");
}

#[test]
fn mobile_does_not_count_for_fixed_nga() {
    assert_eq!(
        decide(
            "eu2013-nga",
            &[offer("M", "M", Technology::Mobile5g, 1000.0, 100.0)]
        )
        .0,
        "white"
    );
    let mut m = offer("M", "M", Technology::Mobile4g, 75.0, 10.0);
    m.peak_down_mbps = Some(40.0);
    assert_eq!(decide("it-5g", &[m]).0, "not_eligible");
}

#[test]
fn bead_uses_the_best_reliable_offer() {
    let dsl = offer("A", "A", Technology::Adsl, 30.0, 3.0);
    let cable = offer("B", "B", Technology::Cable, 300.0, 20.0);
    let sat = offer("S", "S", Technology::Sat, 200.0, 30.0);
    assert_eq!(decide("bead", &[]).0, "unserved");
    assert_eq!(decide("bead", std::slice::from_ref(&sat)).0, "unserved");
    assert_eq!(decide("bead", &[dsl.clone(), sat]).0, "underserved");
    assert_eq!(decide("bead", &[dsl, cable]).0, "served");
    assert_eq!(
        decide("bead", &[offer("A", "A", Technology::Adsl, 24.0, 3.0)]).0,
        "unserved"
    );
}

#[test]
fn bad_rule_files_are_rejected_with_the_reason() {
    let e = RuleSet::from_toml("name = \"x\"\n[qualify]\ntechnologies=[\"FIBRE\"]\n[horizon]\nuntil_year=2026\n[classes]\nby=\"networks\"\nnames=[\"a\",\"b\"]", "x.toml").unwrap_err();
    assert!(e.to_string().contains("FIBRE"), "{e}");
    let e = RuleSet::from_toml("name = \"x\"\n[qualify]\ntechnologies=[\"FTTH\"]\n[horizon]\nuntil_year=2026\nyears_after_reference=3\n[classes]\nby=\"networks\"\nnames=[\"a\",\"b\"]", "x.toml").unwrap_err();
    assert!(e.to_string().contains("exactly one"), "{e}");
    let e = load("no-such-rule").unwrap_err();
    assert!(e.to_string().contains("eu2013-nga"), "{e}");
}
