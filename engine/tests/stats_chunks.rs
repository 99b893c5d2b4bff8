//! Statistics folded over chunks of the registry ([`StatsBuilder`]) equal the statistics of
//! the whole registry, to the bit, whatever the chunk sizes: what `bianca classify
//! --chunk-units` relies on. Counts summed while classifying ([`classify_counts`]) give the
//! same rows as per-unit results.

use bianca_engine::classify::{build_index, classify, classify_counts, ClassifyOptions};
use bianca_engine::join::index::GridOptions;
use bianca_engine::rules;
use bianca_engine::stats::{compute_with, AreaCounts, StatsBuilder};
use bianca_engine::synth::{generate, SynthOptions};
use bianca_engine::units::Units;

/// Units `range` of `u`, as a registry of their own (comuni interned in a new order).
fn slice(u: &Units, range: std::ops::Range<usize>) -> Units {
    let mut out = Units::new();
    for i in range.rev() {
        out.push(
            u.ids.get(i),
            u.lon[i],
            u.lat[i],
            u.units[i],
            u.comune_code(i),
            u.address.as_ref().map(|a| a.get(i)),
        );
    }
    out
}

#[test]
fn statistics_folded_over_chunks_equal_those_of_the_whole_registry() {
    let s = generate(&SynthOptions {
        units: 5000,
        seed: 3,
    })
    .expect("synth");
    let mut cov = s.coverage;
    // speeds with fractions, so that a float sum would depend on the order of additions
    for (k, o) in cov.offers.offers.iter_mut().enumerate() {
        o.down_mbps += 0.1 + (k % 7) as f32 * 0.37;
    }
    let rule_sets = vec![
        rules::load("eu2013-nga").unwrap(),
        rules::load("eu2023-gigabit").unwrap(),
    ];
    let index = build_index(&cov, GridOptions::default());
    let opts = ClassifyOptions {
        reference_year: 2025,
        grid: GridOptions::default(),
        mobile_ops: true,
    };
    let whole = &s.units;
    let cls = classify(whole, &cov, &index, &rule_sets, &opts, &|_| {});
    let expected = compute_with(whole, &cls, &|_| None, true);
    for size in [97usize, 333, 1024, 4999, 5000] {
        let mut b = StatsBuilder::new(true);
        let mut start = 0;
        while start < whole.len() {
            let end = (start + size).min(whole.len());
            let part = slice(whole, start..end);
            // per-unit results and counts summed while classifying, alternately
            if (start / size) % 2 == 0 {
                let c = classify(&part, &cov, &index, &rule_sets, &opts, &|_| {});
                b.add(&part, &c).unwrap();
            } else {
                let c = classify_counts(&part, &cov, &index, &rule_sets, &opts, true, &|_| {});
                b.add_counts(&part.comune_codes, &c.counts).unwrap();
                assert!(c.facts.pairs > 0);
            }
            start = end;
        }
        let got = b.finish(&|_| None);
        assert_eq!(got.rules, expected.rules);
        assert_eq!(got.rows.len(), expected.rows.len(), "chunks of {size}");
        for (g, e) in got.rows.iter().zip(&expected.rows) {
            assert_eq!(g, e, "chunks of {size}");
            assert_eq!(g.sum_best_down.to_bits(), e.sum_best_down.to_bits());
        }
    }
    assert!(expected.rows.last().unwrap().sum_best_down.fract() != 0.0);
}

#[test]
fn counts_summed_while_classifying_equal_per_unit_statistics() {
    // several chunks of the visiting order (4096 units each) per thread, so that threads'
    // counts are merged
    let s = generate(&SynthOptions {
        units: 30_000,
        seed: 11,
    })
    .expect("synth");
    let cov = s.coverage;
    let rule_sets = vec![
        rules::load("eu2013-nga").unwrap(),
        rules::load("it-5g").unwrap(),
    ];
    let index = build_index(&cov, GridOptions::default());
    let units = &s.units;
    for (mobile, mobile_ops) in [(false, false), (true, false), (true, true)] {
        let opts = ClassifyOptions {
            reference_year: 2025,
            grid: GridOptions::default(),
            mobile_ops,
        };
        let cls = classify(units, &cov, &index, &rule_sets, &opts, &|_| {});
        let expected = compute_with(units, &cls, &|_| None, mobile);
        // one thread and three: the per-thread sums must not depend on the split
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let counted = pool.install(|| {
                classify_counts(units, &cov, &index, &rule_sets, &opts, mobile, &|_| {})
            });
            assert_eq!(counted.facts, cls.facts());
            let mut b = StatsBuilder::new(mobile);
            b.add_counts(&units.comune_codes, &counted.counts).unwrap();
            let got = b.finish(&|_| None);
            assert_eq!(got.mobile_operators, expected.mobile_operators);
            assert_eq!(got.rows, expected.rows, "mobile {mobile}, ops {mobile_ops}");
            // counts with other mobile columns than the statistics are refused
            let mut other = StatsBuilder::new(!mobile);
            assert!(other
                .add_counts(&units.comune_codes, &counted.counts)
                .is_err());
        }
        if mobile_ops {
            assert!(!expected.mobile_operators.is_empty(), "synth has 4G / 5G");
        }
        // counts summed apart (even and odd units) and merged: the same rows
        let names: Vec<(String, Vec<String>)> = cls
            .rules
            .iter()
            .map(|r| (r.name.clone(), r.class_names.clone()))
            .collect();
        let operators = match cls.mobile_ops.len() == units.len() {
            true => cls.mobile_operators.clone(),
            false => Vec::new(),
        };
        let mut halves =
            [0, 1].map(|_| AreaCounts::new(units.comune_codes.len(), &names, &operators, mobile));
        for i in 0..units.len() {
            let ops = cls.mobile_ops.get(i).copied().unwrap_or_default();
            halves[i % 2].add_unit(units.comune[i], units.units[i], &cls.reach[i], ops, |r| {
                cls.rules[r].decisions[i]
            });
        }
        let [mut even, odd] = halves;
        even.merge(&odd);
        let mut b = StatsBuilder::new(mobile);
        b.add_counts(&units.comune_codes, &even).unwrap();
        let got = b.finish(&|_| None);
        assert_eq!(
            got.rows, expected.rows,
            "merged, mobile {mobile}, ops {mobile_ops}"
        );
    }
}
