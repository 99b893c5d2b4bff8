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
    assert_eq!(all.len(), 9);
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

/// Decides one unit reached by raster pixels `(operator, technology, kind, value, up)`
/// (and the footprint offers `attrs`) under preset `rule`, reference year 2025.
fn decide_rasters(
    rule: &str,
    attrs: &[OfferAttrs],
    pixels: &[(&str, Technology, crate::model::ValueKind, f32, Option<f32>)],
) -> String {
    let rs = load(rule).unwrap();
    let mut offers = Offers::new();
    let src = offers.add_source("test", SourceKind::Footprints);
    let hits: Vec<u32> = attrs.iter().map(|a| offers.push(a, src)).collect();
    let samples: Vec<RasterSample> = pixels
        .iter()
        .map(|&(op, t, kind, value, up)| {
            let mut a = offer(op, op, t, f64::NAN, f64::NAN);
            a.up_mbps = up.map_or(f64::NAN, f64::from);
            RasterSample {
                offer: offers.push(&a, src),
                kind,
                value,
                up_mbps: up,
            }
        })
        .collect();
    let p = PreparedRules::new(&rs, &offers.offers, 2025);
    let d = p.decide_with(&hits, &samples, &offers.offers, &mut Vec::new());
    if d.class == UNKNOWN_CLASS {
        "unknown".into()
    } else {
        rs.class_names()[d.class as usize].to_string()
    }
}

#[test]
fn raster_pixels_qualify_by_their_value_and_unknown_pixels_are_unknown() {
    use crate::model::ValueKind::*;
    use Technology::{Mobile4g as G4, Mobile5g as G5};
    // it-5g: peak >= 30
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G5, PeakDownMbps, 30.0, None)]),
        "not_eligible"
    );
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G5, PeakDownMbps, 29.9, None)]),
        "eligible"
    );
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G5, PeakDownMbps, f32::NAN, None)]),
        "unknown"
    );
    // a nominal speed says nothing of the peak-hour speed
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G4, DownMbps, 100.0, None)]),
        "unknown"
    );
    // ... but a raster of 0 peak next to an unknown one stays unknown, and a qualifying one decides
    assert_eq!(
        decide_rasters(
            "it-5g",
            &[],
            &[
                ("A", G4, PeakDownMbps, 0.0, None),
                ("B", G4, PeakDownMbps, f32::NAN, None)
            ]
        ),
        "unknown"
    );
    assert_eq!(
        decide_rasters(
            "it-5g",
            &[],
            &[
                ("A", G4, PeakDownMbps, 50.0, None),
                ("B", G4, PeakDownMbps, f32::NAN, None)
            ]
        ),
        "not_eligible"
    );
    // RSRP through the signal table: 4G at -85 dBm gives 40/10, at -95 15/3
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G4, RsrpDbm, -85.0, None)]),
        "not_eligible"
    );
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G4, RsrpDbm, -95.0, None)]),
        "eligible"
    );
    assert_eq!(
        decide_rasters("it-5g", &[], &[("A", G4, RsrpDbm, -130.0, None)]),
        "eligible"
    );
    // FCC 5/1 needs an upload speed: unknown without UP_MBPS, decided with it
    assert_eq!(
        decide_rasters("fcc-4g-5-1", &[], &[("A", G4, DownMbps, 20.0, None)]),
        "unknown"
    );
    assert_eq!(
        decide_rasters("fcc-4g-5-1", &[], &[("A", G4, DownMbps, 20.0, Some(2.0))]),
        "covered"
    );
    assert_eq!(
        decide_rasters("fcc-4g-5-1", &[], &[("A", G4, DownMbps, 4.0, None)]),
        "uncovered"
    );
    // 5G rasters do not count for the 4G preset
    assert_eq!(
        decide_rasters("fcc-4g-5-1", &[], &[("A", G5, DownMbps, f32::NAN, None)]),
        "uncovered"
    );
    // eu2013-nga counts no mobile network: a nodata 4G pixel changes nothing
    let f = offer("F", "F", Technology::Ftth, 1000.0, 100.0);
    assert_eq!(
        decide_rasters(
            "eu2013-nga",
            std::slice::from_ref(&f),
            &[("A", G4, DownMbps, f32::NAN, None)]
        ),
        "grey"
    );
    // a raster and a footprint of the same network count once
    let mut m = offer("A", "A", G4, 100.0, 10.0);
    m.peak_down_mbps = Some(60.0);
    assert_eq!(
        decide_rasters("it-5g", &[m], &[("A", G4, PeakDownMbps, 40.0, None)]),
        "not_eligible"
    );
}

#[test]
fn signal_tables_are_validated_and_looked_up_by_technology() {
    let base = "name = \"x\"\n[qualify]\ntechnologies=[\"4G\"]\nmin_down_mbps=10\n[horizon]\nplanned=false\n[classes]\nby=\"networks\"\nnames=[\"a\",\"b\"]\n";
    let rows = |r: &str| format!("{base}{r}");
    let ok = RuleSet::from_toml(
        &rows("[[signal]]\ntechnology=\"4G\"\nmin_rsrp_dbm=-90\ndown_mbps=20\nup_mbps=2\n[[signal]]\ntechnology=\"4G\"\nmin_rsrp_dbm=-100\ndown_mbps=8\nup_mbps=1\n"),
        "x.toml",
    )
    .unwrap();
    assert_eq!(
        ok.signal_speeds(Technology::Mobile4g, -90.0),
        Some((20.0, 2.0))
    );
    assert_eq!(
        ok.signal_speeds(Technology::Mobile4g, -99.0),
        Some((8.0, 1.0))
    );
    assert_eq!(
        ok.signal_speeds(Technology::Mobile4g, -101.0),
        Some((0.0, 0.0))
    );
    assert_eq!(ok.signal_speeds(Technology::Mobile5g, -50.0), None);
    let e = RuleSet::from_toml(
        &rows("[[signal]]\nmin_rsrp_dbm=-100\ndown_mbps=8\nup_mbps=1\n[[signal]]\nmin_rsrp_dbm=-90\ndown_mbps=20\nup_mbps=2\n"),
        "x.toml",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("signal row 2") && e.to_string().contains("strongest"),
        "{e}"
    );
    let e = RuleSet::from_toml(
        &rows("[[signal]]\ntechnology=\"6G\"\nmin_rsrp_dbm=-90\ndown_mbps=1\nup_mbps=1\n"),
        "x.toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("6G"), "{e}");
    let e = RuleSet::from_toml(
        &rows("[[signal]]\nmin_rsrp_dbm=30\ndown_mbps=1\nup_mbps=1\n"),
        "x.toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("dBm"), "{e}");
}
