//! The indexed join against the brute-force oracle, across grid resolutions, on polygons with
//! holes and multipolygons, with points on vertices, on edges and inside holes.

use super::index::{GridIndex, GridOptions};
use super::oracle;
use crate::synth::rng::Rng;
use geo::{coord, LineString, MultiPolygon, Polygon};

/// Quantise to 1e-7 like real coordinate files, so vertices are shared exactly.
fn q(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn star(rng: &mut Rng, cx: f64, cy: f64, r: f64, n: usize) -> LineString<f64> {
    let pts: Vec<_> = (0..n)
        .map(|i| {
            let a = (i as f64 + rng.range(0.1, 0.9)) / n as f64 * std::f64::consts::TAU;
            let rr = r * rng.range(0.5, 1.0);
            coord! { x: q(cx + rr * a.cos()), y: q(cy + rr * a.sin()) }
        })
        .collect();
    LineString::from(pts)
}

fn polygons(seed: u64, n: usize) -> Vec<MultiPolygon<f64>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for i in 0..n {
        let (cx, cy) = (rng.range(10.0, 11.0), rng.range(43.0, 44.0));
        let r = rng.range(0.02, 0.2);
        let mp = match i % 4 {
            // a star with a square hole around its centre
            0 => {
                let h = r * 0.2;
                let hole = LineString::from(vec![
                    (q(cx - h), q(cy - h)),
                    (q(cx + h), q(cy - h)),
                    (q(cx + h), q(cy + h)),
                    (q(cx - h), q(cy + h)),
                ]);
                MultiPolygon(vec![Polygon::new(
                    star(&mut rng, cx, cy, r, 40),
                    vec![hole],
                )])
            }
            // two disjoint parts
            1 => MultiPolygon(vec![
                Polygon::new(star(&mut rng, cx, cy, r * 0.4, 12), vec![]),
                Polygon::new(star(&mut rng, cx + r, cy, r * 0.4, 7), vec![]),
            ]),
            // an axis-aligned rectangle (points exactly on its edges are easy to make)
            2 => MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (q(cx - r), q(cy - r / 2.0)),
                    (q(cx + r), q(cy - r / 2.0)),
                    (q(cx + r), q(cy + r / 2.0)),
                    (q(cx - r), q(cy + r / 2.0)),
                ]),
                vec![],
            )]),
            // a 64-gon "tower disc"
            _ => MultiPolygon(vec![Polygon::new(
                LineString::from(
                    (0..64)
                        .map(|k| {
                            let a = k as f64 / 64.0 * std::f64::consts::TAU;
                            (q(cx + r * a.cos()), q(cy + r * a.sin()))
                        })
                        .collect::<Vec<_>>(),
                ),
                vec![],
            )]),
        };
        out.push(mp);
    }
    out
}

/// Random points plus every vertex, every edge midpoint and points on axis-aligned edges.
fn points(seed: u64, polys: &[MultiPolygon<f64>], n_random: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..n_random {
        xs.push(q(rng.range(9.9, 11.3)));
        ys.push(q(rng.range(42.9, 44.3)));
    }
    for mp in polys {
        for p in &mp.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    xs.push(w[0].x);
                    ys.push(w[0].y);
                    xs.push((w[0].x + w[1].x) / 2.0);
                    ys.push((w[0].y + w[1].y) / 2.0);
                    if w[0].y == w[1].y {
                        xs.push(q(w[0].x + (w[1].x - w[0].x) * 0.3));
                        ys.push(w[0].y);
                    }
                }
            }
        }
    }
    (xs, ys)
}

fn indexed(idx: &GridIndex, xs: &[f64], ys: &[f64]) -> Vec<Vec<u32>> {
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            let mut v = Vec::new();
            idx.for_each_covering(x, y, |p| v.push(p));
            v.sort_unstable();
            v
        })
        .collect()
}

#[test]
fn grid_join_matches_the_brute_force_oracle_at_every_resolution() {
    let polys = polygons(42, 60);
    let (xs, ys) = points(7, &polys, 20_000);
    let expected = oracle::covering(&polys, &xs, &ys);
    let pairs: usize = expected.iter().map(Vec::len).sum();
    let on_boundary = xs.len() - 20_000;
    assert!(
        pairs > 5_000,
        "the test data must have many pairs, got {pairs}"
    );
    assert!(on_boundary > 3_000);
    for (cells, max_cells) in [
        (0.5, 1 << 20),
        (2.0, 1 << 20),
        (16.0, 1 << 20),
        (64.0, 1 << 22),
        (16.0, 64),
    ] {
        let idx = GridIndex::build(
            &polys,
            GridOptions {
                cells_per_footprint: cells,
                max_cells,
                entries_per_footprint: 1e9,
            },
        );
        let got = indexed(&idx, &xs, &ys);
        for i in 0..xs.len() {
            assert_eq!(
                got[i], expected[i],
                "point {i} ({}, {}) with {cells} cells per footprint",
                xs[i], ys[i]
            );
        }
    }
}

#[test]
fn boundary_is_covered_and_holes_are_not() {
    let outer = LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]);
    let hole = LineString::from(vec![(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0)]);
    let polys = vec![MultiPolygon(vec![Polygon::new(outer, vec![hole])])];
    let idx = GridIndex::build(&polys, GridOptions::default());
    let hit = |x: f64, y: f64| idx.for_each_covering(x, y, |_| {}) == 1;
    assert!(hit(0.5, 0.5), "inside");
    assert!(hit(0.0, 0.0), "outer vertex");
    assert!(hit(2.0, 0.0), "outer edge");
    assert!(hit(4.0, 4.0), "far corner, the extent's edge");
    assert!(hit(1.0, 2.0), "hole edge");
    assert!(hit(3.0, 3.0), "hole vertex");
    assert!(!hit(2.0, 2.0), "inside the hole");
    assert!(!hit(4.000001, 2.0), "just outside");
    assert!(!hit(-1.0, 2.0), "outside the grid");
    assert!(!hit(f64::NAN, 2.0), "not a number");
}

#[test]
fn empty_input_and_empty_polygons_never_match() {
    let idx = GridIndex::build(&[], GridOptions::default());
    assert_eq!(idx.for_each_covering(1.0, 1.0, |_| {}), 0);
    let polys = vec![MultiPolygon::<f64>(vec![]), polygons(1, 1).remove(0)];
    let idx = GridIndex::build(&polys, GridOptions::default());
    let (xs, ys) = points(3, &polys, 2000);
    assert_eq!(indexed(&idx, &xs, &ys), oracle::covering(&polys, &xs, &ys));
}

/// Index build on the peers' `medium` footprints, single thread, best of 7:
/// `cargo test --release -p bianca-engine join::tests::bench_index -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_index() {
    use crate::io::read::{read_footprints, ReadOptions};
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.bench/data/medium/footprints.parquet");
    let mut offers = crate::model::Offers::default();
    let (fps, _) = read_footprints(&p, &ReadOptions::default(), &mut offers).unwrap();
    let polys: Vec<MultiPolygon<f64>> = fps.into_iter().map(|f| f.geometry).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = std::time::Instant::now();
        let ix = pool.install(|| GridIndex::build(&polys, GridOptions::default()));
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(ix.shape());
    }
    println!(
        "index build, {} footprints, 1 thread: best {best:.3} s",
        polys.len()
    );
}
