//! The store, against both backends: the embedded SQLite file and a real PostGIS database
//! (scripts/test.sh starts one; see `bianca_api::store::testing`).

use bianca_api::store::testing::{self, TestStore};
use bianca_api::store::{
    Backend, DatasetKind, Imported, NewDataset, NewSnapshot, Store, StoreError,
};
use bianca_engine::classify::{build_index, classify, Classification, ClassifyOptions};
use bianca_engine::join::index::GridOptions;
use bianca_engine::model::Coverage;
use bianca_engine::rules;
use bianca_engine::stats;
use bianca_engine::synth::{self, Synth, SynthOptions};
use bianca_engine::units::Units;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

fn synth(units: usize) -> Synth {
    synth::generate(&SynthOptions {
        units,
        seed: 20240611,
    })
    .expect("synthetic data")
}

fn new_dataset(file: &str, checksum: &str) -> NewDataset {
    NewDataset {
        name: None,
        source_file: file.into(),
        checksum: checksum.into(),
        crs: "EPSG:4326".into(),
        rejected: 0,
        imported_by: "test".into(),
        public: false,
    }
}

fn open(t: &TestStore) -> Store {
    let mut s = Store::open(&t.url).expect("open the store");
    s.migrate().expect("migrate");
    s
}

fn imported(r: Imported) -> bianca_api::store::DatasetInfo {
    match r {
        Imported::New(d) => d,
        Imported::Already(d) => panic!("{} was already there", d.name),
    }
}

/// Imports the synthetic registry, footprints and declarations.
fn import_all(s: &mut Store, syn: &Synth) -> Vec<bianca_api::store::DatasetInfo> {
    let nothing = |_| ();
    let u = imported(
        s.import_units(&new_dataset("units.csv", "u1"), &syn.units, &nothing)
            .unwrap(),
    );
    let c = imported(
        s.import_footprints(
            &new_dataset("coverage.fgb", "c1"),
            &syn.coverage.offers,
            &syn.coverage.footprints,
            &nothing,
        )
        .unwrap(),
    );
    let d = imported(
        s.import_declarations(
            &new_dataset("declarations.csv", "d1"),
            &syn.coverage.offers,
            &syn.coverage.declarations,
            &nothing,
        )
        .unwrap(),
    );
    vec![u, c, d]
}

fn assert_same_units(a: &Units, b: &Units) {
    assert_eq!(a.len(), b.len());
    for i in 0..a.len() {
        assert_eq!(a.ids.get(i), b.ids.get(i), "id of unit {i}");
        assert_eq!(a.lon[i].to_bits(), b.lon[i].to_bits(), "lon of unit {i}");
        assert_eq!(a.lat[i].to_bits(), b.lat[i].to_bits(), "lat of unit {i}");
        assert_eq!(a.units[i], b.units[i], "units of unit {i}");
        assert_eq!(a.comune_code(i), b.comune_code(i), "comune of unit {i}");
        assert_eq!(
            a.address.as_ref().map(|c| c.get(i)),
            b.address.as_ref().map(|c| c.get(i)),
            "address of unit {i}"
        );
    }
}

fn assert_same_coverage(a: &Coverage, b: &Coverage) {
    assert_eq!(a.footprints.len(), b.footprints.len());
    assert_eq!(a.declarations.len(), b.declarations.len());
    let attrs = |c: &Coverage, offer: u32| {
        let o = c.offers.offers[offer as usize];
        (
            c.offers.names.name(o.operator).to_string(),
            c.offers.names.name(o.infrastructure).to_string(),
            o.technology,
            o.down_mbps.to_bits(),
            o.up_mbps.to_bits(),
            o.peak_down_mbps.map(f32::to_bits),
            o.peak_up_mbps.map(f32::to_bits),
            o.status,
            o.year,
            o.licensed,
        )
    };
    for (i, (x, y)) in a.footprints.iter().zip(&b.footprints).enumerate() {
        assert_eq!(
            attrs(a, x.offer),
            attrs(b, y.offer),
            "offer of footprint {i}"
        );
        assert_eq!(x.geometry, y.geometry, "geometry of footprint {i}");
    }
    for (i, (x, y)) in a.declarations.iter().zip(&b.declarations).enumerate() {
        assert_eq!(x.unit_id, y.unit_id, "unit of declaration {i}");
        assert_eq!(
            attrs(a, x.offer),
            attrs(b, y.offer),
            "offer of declaration {i}"
        );
    }
}

fn run(units: &Units, cov: &Coverage, rule_names: &[&str]) -> Classification {
    let rs: Vec<_> = rule_names.iter().map(|r| rules::load(r).unwrap()).collect();
    let grid = GridOptions::default();
    let index = build_index(cov, grid);
    classify(
        units,
        cov,
        &index,
        &rs,
        &ClassifyOptions {
            reference_year: 2025,
            grid,
            mobile_ops: true,
        },
        &|_| {},
    )
}

#[test]
fn migrations_are_the_same_list_for_both_backends_and_idempotent() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    for t in testing::both("migrate") {
        let mut s = Store::open(&t.url).unwrap();
        assert_eq!(s.backend(), t.backend);
        assert!(s.pending_migrations().unwrap() >= 1);
        assert!(matches!(
            s.ensure_migrated(false),
            Err(StoreError::Pending { .. })
        ));
        assert_eq!(s.migrate().unwrap().len(), names("sqlite").len());
        assert_eq!(
            s.migrate().unwrap(),
            Vec::<String>::new(),
            "{:?}",
            t.backend
        );
        assert_eq!(s.pending_migrations().unwrap(), 0);
        assert!(s.datasets().unwrap().is_empty());
    }
}

#[test]
fn imports_read_back_exactly() {
    let syn = synth(3000);
    for t in testing::both("roundtrip") {
        let mut s = open(&t);
        let sets = import_all(&mut s, &syn);
        assert_eq!(sets[0].kind, DatasetKind::Units);
        assert_eq!(sets[0].rows, 3000);
        assert_eq!(sets[0].name, "units");
        assert_eq!(sets[1].rows, syn.coverage.footprints.len() as i64);
        assert_eq!(sets[2].rows, syn.coverage.declarations.len() as i64);
        let back = s.load_units(&sets[0]).unwrap();
        assert_same_units(&syn.units, &back.units);
        assert_eq!(back.rows.len(), 3000);
        let cov = s.load_coverage(&sets[1..]).unwrap();
        assert_same_coverage(&syn.coverage, &cov);
        // reopening sees the same
        drop(s);
        let mut s = Store::open(&t.url).unwrap();
        s.ensure_migrated(false).unwrap();
        assert_eq!(s.datasets().unwrap(), sets, "{:?}", t.backend);
    }
}

#[test]
fn the_same_file_twice_is_stored_once_and_names_stay_unique() {
    let syn = synth(500);
    for t in testing::both("dedup") {
        let mut s = open(&t);
        let nothing = |_| ();
        let first = imported(
            s.import_units(
                &new_dataset("dir/units.csv.gz", "same"),
                &syn.units,
                &nothing,
            )
            .unwrap(),
        );
        assert_eq!(first.name, "units");
        match s
            .import_units(
                &new_dataset("other/units.csv", "same"),
                &syn.units,
                &nothing,
            )
            .unwrap()
        {
            Imported::Already(d) => assert_eq!(d, first),
            Imported::New(d) => panic!("stored twice as {}", d.name),
        }
        // a new file with the same stem gets a new name
        let second = imported(
            s.import_units(&new_dataset("units.csv", "other"), &syn.units, &nothing)
                .unwrap(),
        );
        assert_eq!(second.name, "units-2");
        // an explicit name that is taken is refused, and nothing is stored
        let mut named = new_dataset("x.csv", "third");
        named.name = Some("units".into());
        let err = s.import_units(&named, &syn.units, &nothing).unwrap_err();
        assert!(matches!(err, StoreError::Exists { .. }), "{err}");
        assert_eq!(s.datasets().unwrap().len(), 2);
        let all = s.load_units(&first).unwrap();
        assert_eq!(all.units.len(), 500);
    }
}

#[test]
fn a_failing_import_stores_nothing_and_can_be_retried() {
    let syn = synth(12_000);
    for t in testing::both("atomic") {
        let mut s = open(&t);
        // row 10,001 breaks a constraint of the units table (housing units >= 1), after
        // several batches were written inside the transaction
        let mut bad = syn.units.clone();
        bad.units[10_000] = 0;
        let err = s
            .import_units(&new_dataset("units.csv", "bad"), &bad, &|_| ())
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("writing rows"), "{msg}");
        assert!(s.datasets().unwrap().is_empty(), "{:?}: {msg}", t.backend);
        let mut c = raw(&t);
        assert_eq!(count(&mut c, "SELECT count(*) AS n FROM units"), 0);
        // the fixed file goes in
        let d = imported(
            s.import_units(&new_dataset("units.csv", "good"), &syn.units, &|_| ())
                .unwrap(),
        );
        assert_eq!(d.rows, 12_000);
        assert_eq!(count(&mut c, "SELECT count(*) AS n FROM units"), 12_000);
    }
}

#[test]
fn snapshots_read_back_as_classified_with_their_statistics() {
    let syn = synth(4000);
    let rule_names = ["eu2013-nga", "it-1giga-2026", "bead"];
    let expected = run(&syn.units, &syn.coverage, &rule_names);
    let expected_stats = stats::compute(&syn.units, &expected, &|_| None);
    for t in testing::both("snapshot") {
        let mut s = open(&t);
        let sets = import_all(&mut s, &syn);
        let stored = s.load_units(&sets[0]).unwrap();
        let cov = s.load_coverage(&sets[1..]).unwrap();
        let cls = run(&stored.units, &cov, &rule_names);
        let st = stats::compute(&stored.units, &cls, &|_| None);
        let with_text: Vec<_> = rule_names
            .iter()
            .map(|r| rules::load_with_text(r).unwrap())
            .collect();
        let new = NewSnapshot {
            name: "2025-q4",
            reference_year: 2025,
            created_by: "test",
            units: &sets[0],
            sources: &sets[1..],
            rules: &with_text,
        };
        let info = s
            .save_snapshot(&new, &stored.rows, &cls, &st, &|_| ())
            .unwrap();
        assert_eq!(info.rules, rule_names);
        assert_eq!(info.sources, ["coverage", "declarations"]);
        assert_eq!(info.addresses, 4000);
        // a second snapshot of the same name is refused; the first stays
        let err = s
            .save_snapshot(&new, &stored.rows, &cls, &st, &|_| ())
            .unwrap_err();
        assert!(matches!(err, StoreError::Exists { .. }), "{err}");
        assert_eq!(s.snapshots().unwrap(), vec![info.clone()]);

        let back = s.load_snapshot("2025-q4").unwrap();
        assert_eq!(back.info, info);
        assert_eq!(back.classification.reach, expected.reach, "{:?}", t.backend);
        for (x, y) in back.classification.rules.iter().zip(&expected.rules) {
            assert_eq!(x.name, y.name);
            assert_eq!(x.class_names, y.class_names);
            assert_eq!(x.decisions, y.decisions, "{} on {:?}", x.name, t.backend);
        }
        assert_eq!(back.classification.pairs, expected.pairs);

        let areas = s.snapshot_stats("2025-q4", None).unwrap();
        assert_eq!(areas.len(), expected_stats.rows.len());
        for r in &expected_stats.rows {
            let level = r.level.map_or("", |l| l.as_str());
            let a = areas
                .iter()
                .find(|a| a.level == level && a.code == r.code)
                .unwrap_or_else(|| panic!("no stored row for {level} {}", r.code));
            assert_eq!(
                (a.addresses, a.housing_units),
                (r.addresses as i64, r.units as i64)
            );
            assert_eq!(a.units_5g, r.units_5g as i64);
            for (pos, ((_, names), counts)) in expected_stats.rules.iter().zip(&r.rules).enumerate()
            {
                for (k, class) in names
                    .iter()
                    .map(String::as_str)
                    .chain(["unknown"])
                    .enumerate()
                {
                    let got = a
                        .classes
                        .iter()
                        .find(|c| c.0 == pos as i32 && c.1 == class)
                        .map(|c| (c.2, c.3));
                    assert_eq!(
                        got,
                        Some((counts.addresses[k] as i64, counts.units[k] as i64)),
                        "{level} {} {class}",
                        r.code
                    );
                }
            }
        }
        let total = s.snapshot_stats("2025-q4", Some("total")).unwrap();
        assert_eq!(total.len(), 1);
        assert_eq!(total[0].addresses, 4000);
    }
}

#[test]
fn postgis_agrees_with_bianca_on_which_footprints_cover_each_unit() {
    let syn = synth(3000);
    let Some(t) = testing::postgis("st_intersects") else {
        return;
    };
    let mut s = open(&t);
    let sets = import_all(&mut s, &syn);
    let stored = s.load_units(&sets[0]).unwrap();
    let cov = s.load_coverage(&sets[1..2]).unwrap();
    let index = build_index(&cov, GridOptions::default());
    let ours: Vec<i64> = (0..stored.units.len())
        .map(|i| {
            let mut n = 0;
            index.for_each_covering(stored.units.lon[i], stored.units.lat[i], |_| n += 1);
            n
        })
        .collect();

    #[derive(QueryableByName)]
    struct Hits {
        #[diesel(sql_type = Text)]
        unit_id: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut pg = PgConnection::establish(&t.url).unwrap();
    // points on a boundary count as covered, as in bianca: ST_Intersects, not ST_Contains
    let theirs: Vec<Hits> = diesel::sql_query(
        "SELECT u.unit_id, count(f.id) AS n \
         FROM units u LEFT JOIN footprints f \
           ON f.dataset_id = $2 AND ST_Intersects(f.geom, u.geom) \
         WHERE u.dataset_id = $1 GROUP BY u.unit_id",
    )
    .bind::<BigInt, _>(sets[0].id)
    .bind::<BigInt, _>(sets[1].id)
    .load(&mut pg)
    .unwrap();
    assert_eq!(theirs.len(), 3000);
    let by_id: std::collections::HashMap<&str, i64> =
        theirs.iter().map(|h| (h.unit_id.as_str(), h.n)).collect();
    let mut covered = 0;
    for (i, n) in ours.iter().enumerate() {
        let id = stored.units.ids.get(i);
        assert_eq!(by_id[id], *n, "footprints covering unit {id}");
        covered += usize::from(*n > 0);
    }
    assert!(covered > 1000, "only {covered} units covered: a weak check");
    let mut c = AnyConn::Pg(pg);
    // and the stored geometries are real PostGIS geometries with their SRID
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM footprints WHERE ST_SRID(geom) = 4326 AND ST_IsValid(geom)"
        ),
        cov.footprints.len() as i64
    );
    assert_eq!(s.backend(), Backend::Postgis);
}

/// A plain connection to the test store, for checks in SQL.
fn raw(t: &TestStore) -> AnyConn {
    match t.backend {
        Backend::Sqlite => AnyConn::Sqlite(SqliteConnection::establish(&t.url).unwrap()),
        Backend::Postgis => AnyConn::Pg(PgConnection::establish(&t.url).unwrap()),
    }
}

enum AnyConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

fn count(c: &mut AnyConn, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<N> = match c {
        AnyConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        AnyConn::Pg(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap();
    rows[0].n
}
