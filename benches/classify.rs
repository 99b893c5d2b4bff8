//! Criterion benchmarks of the classification hot paths, on a deterministic synthetic
//! Tuscany (seed 20240611, 200,000 units, 3,032 footprints): index build, probing
//! (point-in-polygon), classifying all units, aggregating statistics, and decoding WKB points
//! (the GeoParquet registry's fast path against the full decoder).
//! Each bench first asserts the hit counts it works on, so a change that breaks the join
//! cannot pass as a speed-up.
//!
//!   cargo bench --bench classify

use bianca_engine::classify::{build_index, classify, ClassifyOptions};
use bianca_engine::io::read::wkb;
use bianca_engine::join::index::GridOptions;
use bianca_engine::rules;
use bianca_engine::stats;
use bianca_engine::synth::{generate, SynthOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const UNITS: usize = 200_000;
/// Unit x footprint pairs of this data set (the oracle test checks the join itself).
const PAIRS: u64 = 2_141_430;

fn benches(c: &mut Criterion) {
    let s = generate(&SynthOptions {
        units: UNITS,
        seed: 20240611,
    })
    .expect("synth");
    let (units, cov) = (&s.units, &s.coverage);
    let grid = GridOptions::default();
    let index = build_index(cov, grid);
    let count_pairs = || -> u64 {
        (0..units.len())
            .map(|i| index.for_each_covering(units.lon[i], units.lat[i], |_| {}) as u64)
            .sum()
    };
    assert_eq!(count_pairs(), PAIRS, "the join changed its answer");

    let mut g = c.benchmark_group("join");
    g.throughput(Throughput::Elements(cov.footprints.len() as u64));
    g.bench_function("index_build_3k_footprints", |b| {
        b.iter(|| black_box(build_index(cov, grid)))
    });
    g.throughput(Throughput::Elements(PAIRS));
    g.bench_function("probe_200k_points_1thread", |b| {
        b.iter(|| black_box(count_pairs()))
    });
    g.finish();

    let rule_sets = vec![
        rules::load("eu2013-nga").expect("preset"),
        rules::load("eu2023-gigabit").expect("preset"),
    ];
    let opts = ClassifyOptions {
        reference_year: 2025,
        grid,
        mobile_ops: true,
    };
    let cls = classify(units, cov, &index, &rule_sets, &opts, &|_| {});
    assert_eq!(cls.pairs, PAIRS);
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(PAIRS));
    g.sample_size(20);
    g.bench_function("classify_200k_units_2_rules", |b| {
        b.iter(|| black_box(classify(units, cov, &index, &rule_sets, &opts, &|_| {})))
    });
    g.throughput(Throughput::Elements(UNITS as u64));
    g.bench_function("aggregate_200k_units", |b| {
        b.iter(|| black_box(stats::compute(units, &cls, &|_| None)))
    });
    g.finish();

    // a registry's points as GeoParquet stores them: the fast path against the full decoder
    let points: Vec<Vec<u8>> = (0..UNITS)
        .map(|i| wkb::encode_point(units.lon[i], units.lat[i]))
        .collect();
    let sum_fast = || -> f64 {
        points
            .iter()
            .map(|b| wkb::point_2d(b).map_or(0.0, |(x, y)| x + y))
            .sum()
    };
    let sum_full = || -> f64 {
        points
            .iter()
            .map(|b| match wkb::decode(b) {
                Ok(geo::Geometry::Point(p)) => p.x() + p.y(),
                _ => 0.0,
            })
            .sum()
    };
    assert_eq!(
        sum_fast(),
        sum_full(),
        "the WKB fast path changed its answer"
    );
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Elements(UNITS as u64));
    g.bench_function("wkb_point_2d_200k", |b| b.iter(|| black_box(sum_fast())));
    g.bench_function("wkb_decode_200k_points", |b| {
        b.iter(|| black_box(sum_full()))
    });
    g.finish();
}

criterion_group!(classify_benches, benches);
criterion_main!(classify_benches);
