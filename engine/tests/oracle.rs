//! The core correctness check: on synthetic Tuscany, with extra units placed exactly on
//! footprint vertices and edges, every unit's result from the indexed, parallel classifier
//! equals a brute-force nested loop (every unit against every footprint with `geo`'s exact
//! `Intersects`) followed by an independent, literal implementation of the rules.

use bianca_engine::classify::{build_index, classify, ClassifyOptions};
use bianca_engine::join::index::{GridIndex, GridOptions, MAX_CELL_CANDIDATES};
use bianca_engine::model::{Coverage, Status, Technology};
use bianca_engine::rules::{self, UNKNOWN_CLASS};
use bianca_engine::synth::{generate, SynthOptions};
use bianca_engine::units::Units;
use geo::{BoundingRect, Coord, Intersects, Point};
use std::collections::{BTreeSet, HashMap};

/// The synthetic data set plus units on the vertices and edge midpoints of some footprints.
fn data() -> (Units, Coverage) {
    let s = generate(&SynthOptions {
        units: 4000,
        seed: 7,
    })
    .expect("synth");
    let mut units = s.units;
    let mut k = 0;
    for f in s.coverage.footprints.iter().step_by(9) {
        for poly in &f.geometry.0 {
            let c = &poly.exterior().0;
            for (i, w) in c.windows(2).enumerate().step_by(5) {
                let (x, y) = if i % 2 == 0 {
                    (w[0].x, w[0].y)
                } else {
                    ((w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0)
                };
                units.push(
                    &format!("EDGE{k}"),
                    x,
                    y,
                    1 + (k % 3) as u32,
                    None,
                    Some(""),
                );
                k += 1;
            }
        }
    }
    assert!(k > 300, "too few boundary units: {k}");
    (units, s.coverage)
}

/// Offers reaching each unit, by brute force.
fn brute_force_hits(units: &Units, cov: &Coverage) -> Vec<Vec<u32>> {
    let bboxes: Vec<_> = cov
        .footprints
        .iter()
        .map(|f| f.geometry.bounding_rect())
        .collect();
    let mut declared: HashMap<&str, Vec<u32>> = HashMap::new();
    for d in &cov.declarations {
        declared.entry(&d.unit_id).or_default().push(d.offer);
    }
    (0..units.len())
        .map(|i| {
            let (x, y) = (units.lon[i], units.lat[i]);
            let p = Point(Coord { x, y });
            let mut hits: Vec<u32> = cov
                .footprints
                .iter()
                .zip(&bboxes)
                .filter(|(_, b)| {
                    b.is_some_and(|b| {
                        x >= b.min().x && x <= b.max().x && y >= b.min().y && y <= b.max().y
                    })
                })
                .filter(|(f, _)| f.geometry.intersects(&p))
                .map(|(f, _)| f.offer)
                .collect();
            if let Some(d) = declared.get(units.ids.get(i)) {
                hits.extend(d);
            }
            hits
        })
        .collect()
}

#[test]
fn indexed_classification_equals_brute_force_for_every_unit() {
    let (units, cov) = data();
    let hits = brute_force_hits(&units, &cov);
    // the default grid; a coarse one whose cells hold more footprints than a covering mask
    // has bits (the per-unit path); a fine one with few units per cell
    let grids = [
        (GridOptions::default(), false),
        (
            GridOptions {
                cells_per_footprint: 0.05,
                max_cells: 64,
                ..GridOptions::default()
            },
            true,
        ),
        (
            GridOptions {
                cells_per_footprint: 80.0,
                entries_per_footprint: 1e9,
                ..GridOptions::default()
            },
            false,
        ),
    ];
    for (grid, crowded) in grids {
        let index = build_index(&cov, grid);
        assert_eq!(
            index.max_cell_entries() > MAX_CELL_CANDIDATES,
            crowded,
            "{grid:?}: {} entries in the fullest cell",
            index.max_cell_entries()
        );
        check(&units, &cov, &index, grid, &hits);
    }
}

/// Checks every unit's results against the brute-force `hits`.
fn check(units: &Units, cov: &Coverage, index: &GridIndex, grid: GridOptions, hits: &[Vec<u32>]) {
    let rule_sets = vec![
        rules::load("eu2013-nga").unwrap(),
        rules::load("it-1giga-2026").unwrap(),
    ];
    let got = classify(
        units,
        cov,
        index,
        &rule_sets,
        &ClassifyOptions {
            reference_year: 2025,
            grid,
            mobile_ops: true,
        },
        &|_| {},
    );
    let offers = &cov.offers.offers;
    let pairs: usize = hits.iter().map(Vec::len).sum();
    assert!(pairs > 10_000, "the data must have many pairs, got {pairs}");
    let (mut white, mut grey, mut black, mut unknown) = (0, 0, 0, 0);
    for (i, h) in hits.iter().enumerate() {
        let ctx = format!(
            "unit {} at ({}, {}), grid {grid:?}",
            units.ids.get(i),
            units.lon[i],
            units.lat[i]
        );
        // eu2013-nga, literally: distinct infrastructures of fixed NGA offers >= 30/15,
        // existing or planned by 2028, unlicensed FWA excluded
        let nga: BTreeSet<u32> = h
            .iter()
            .map(|&o| &offers[o as usize])
            .filter(|o| {
                matches!(
                    o.technology,
                    Technology::Ftth
                        | Technology::Fttb
                        | Technology::Fttc
                        | Technology::Vdsl
                        | Technology::Cable
                ) || (o.technology == Technology::Fwa && o.licensed)
            })
            .filter(|o| o.down_mbps >= 30.0 && o.up_mbps >= 15.0)
            .filter(|o| o.status == Status::Existing || o.year.is_some_and(|y| y <= 2028))
            .map(|o| o.infrastructure)
            .collect();
        let class = ["white", "grey", "black"][nga.len().min(2)];
        match class {
            "white" => white += 1,
            "grey" => grey += 1,
            _ => black += 1,
        }
        let r = &got.rules[0];
        assert_eq!(r.class_name(i), class, "{ctx}");
        assert_eq!(r.decisions[i].networks as usize, nga.len(), "{ctx}");
        // it-1giga-2026: peak down > 300 by 2026; a missing peak is unknown
        let fixed = |o: &&bianca_engine::model::Offer| {
            !o.technology.is_mobile()
                && o.technology != Technology::Sat
                && o.technology != Technology::Adsl
                && (o.technology != Technology::Fwa || o.licensed)
                && (o.status == Status::Existing || o.year.is_some_and(|y| y <= 2026))
        };
        let known: BTreeSet<u32> = h
            .iter()
            .map(|&o| &offers[o as usize])
            .filter(fixed)
            .filter(|o| o.peak_down_mbps.is_some_and(|p| p > 300.0))
            .map(|o| o.infrastructure)
            .collect();
        let maybe = h
            .iter()
            .map(|&o| &offers[o as usize])
            .filter(fixed)
            .any(|o| o.peak_down_mbps.is_none() && !known.contains(&o.infrastructure));
        let giga = &got.rules[1].decisions[i];
        if known.is_empty() && maybe {
            assert_eq!(giga.class, UNKNOWN_CLASS, "{ctx}");
            unknown += 1;
        } else {
            assert_eq!(giga.class, u8::from(!known.is_empty()), "{ctx}");
        }
        // rule-independent facts
        let best = h
            .iter()
            .map(|&o| offers[o as usize].down_mbps)
            .fold(0.0, f32::max);
        assert_eq!(got.reach[i].best_down, best, "{ctx}");
        let fiveg: BTreeSet<u32> = h
            .iter()
            .map(|&o| &offers[o as usize])
            .filter(|o| o.technology == Technology::Mobile5g)
            .map(|o| o.infrastructure)
            .collect();
        assert_eq!(got.reach[i].networks_5g as usize, fiveg.len(), "{ctx}");
    }
    // the data exercises every class
    assert!(
        white > 50 && grey > 50 && black > 50,
        "{white} {grey} {black}"
    );
    assert!(unknown > 0, "no unit depends on a missing peak speed");
    assert_eq!(got.pairs + got.declared_pairs, pairs as u64);
}
