//! End-to-end tests of the store commands, against both backends (the embedded file and
//! the PostGIS database of scripts/test.sh): import, classify --snapshot, export, diff;
//! bad rows, injected crashes and kills leave the store as it was.

mod common;
use bianca_api::store::testing::{self, TestStore};
use bianca_api::store::{Backend, Store};
use common::*;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::path::Path;

/// `bianca --database-url URL args...`
fn db<'a>(t: &'a TestStore, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--database-url", t.url.as_str()];
    v.extend_from_slice(args);
    v
}

fn synth(dir: &Path, units: usize) {
    ok(&[
        "synth",
        "--units",
        &units.to_string(),
        "--seed",
        "7",
        "--out",
        s(dir),
    ]);
}

/// Rows of a table in the test store, by SQL.
fn count(t: &TestStore, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = format!("SELECT count(*) AS n FROM {table}");
    let rows: Vec<N> = match t.backend {
        Backend::Sqlite => {
            diesel::sql_query(sql).load(&mut SqliteConnection::establish(&t.url).unwrap())
        }
        Backend::Postgis => {
            diesel::sql_query(sql).load(&mut PgConnection::establish(&t.url).unwrap())
        }
    }
    .unwrap();
    rows[0].n
}

/// `classify --snapshot s1` with eu2013-nga, quietly.
const SNAPSHOT_S1: [&str; 6] = [
    "classify",
    "--snapshot",
    "s1",
    "--rules",
    "eu2013-nga",
    "-q",
];

fn store(t: &TestStore) -> Store {
    Store::open(&t.url).unwrap()
}

#[test]
fn import_classify_export_and_diff_match_the_file_to_file_run() {
    let d = tmp();
    let dir = d.path();
    synth(dir, 3000);
    let units = dir.join("units.csv");
    let coverage = dir.join("coverage.fgb");
    let decl = dir.join("declarations.csv");
    let file_out = dir.join("file.csv");
    ok(&[
        "classify",
        "--units",
        s(&units),
        "--coverage",
        s(&coverage),
        "--declarations",
        s(&decl),
        "--rules",
        "eu2013-nga,it-1giga-2026",
        "--reference-year",
        "2025",
        "--out",
        s(&file_out),
    ]);
    let expected = std::fs::read(&file_out).unwrap();
    for t in testing::both("cli_roundtrip") {
        ok(&db(&t, &["db", "migrate"]));
        let err = ok(&db(&t, &["import", "units", s(&units)]));
        assert!(err.contains("3,000 units rows"), "{err}");
        // the same file again: detected, nothing stored twice
        let err = ok(&db(&t, &["import", "units", s(&units), "--name", "again"]));
        assert!(err.contains("already in the store"), "{err}");
        assert_eq!(count(&t, "units"), 3000);
        ok(&db(&t, &["import", "coverage", s(&coverage)]));
        ok(&db(&t, &["import", "declarations", s(&decl)]));

        let snap_out = dir.join(format!("snap-{:?}.csv", t.backend));
        let err = ok(&db(
            &t,
            &[
                "classify",
                "--snapshot",
                "s1",
                "--rules",
                "eu2013-nga,it-1giga-2026",
                "--reference-year",
                "2025",
                "--out",
                s(&snap_out),
            ],
        ));
        assert!(err.contains("snapshot \"s1\" stored"), "{err}");
        assert!(
            std::fs::read(&snap_out).unwrap() == expected,
            "{:?}: stored-data run differs",
            t.backend
        );
        let exported = dir.join(format!("export-{:?}.csv", t.backend));
        ok(&db(
            &t,
            &["snapshots", "export", "s1", "--out", s(&exported)],
        ));
        assert!(
            std::fs::read(&exported).unwrap() == expected,
            "{:?}: export differs",
            t.backend
        );
        // snapshots never change
        let err = fail(&db(
            &t,
            &["classify", "--snapshot", "s1", "--rules", "eu2013-nga"],
        ));
        assert!(err.contains("already exists"), "{err}");

        // a later snapshot without the declarations, two years on
        ok(&db(
            &t,
            &[
                "classify",
                "--snapshot",
                "s2",
                "--rules",
                "it-1giga-2026",
                "--reference-year",
                "2027",
                "--datasets",
                "coverage",
                "-q",
            ],
        ));
        let listed = run(&db(&t, &["snapshots", "list"]));
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        assert!(listed.contains("s1") && listed.contains("s2"), "{listed}");
        let changed = dir.join(format!("changed-{:?}.csv", t.backend));
        let moves = dir.join(format!("moves-{:?}.csv", t.backend));
        let out = run(&db(
            &t,
            &[
                "snapshots",
                "diff",
                "s1",
                "s2",
                "--rules",
                "it-1giga-2026",
                "--out",
                s(&changed),
                "--moves",
                s(&moves),
            ],
        ));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut ch = csv::Reader::from_path(&changed).unwrap();
        let n_changed = ch.records().count();
        assert!(n_changed > 0, "{text}");
        assert!(
            text.contains(&format!(
                "{} of 3,000 addresses changed",
                thousands(n_changed)
            )),
            "{text}"
        );
        // the per-comune moves add up to the total moves and to the changed units
        let mut mv = csv::Reader::from_path(&moves).unwrap();
        let (mut comune, mut total) = (0u64, 0u64);
        for r in mv.records() {
            let r = r.unwrap();
            let n: u64 = r[4].parse().unwrap();
            match &r[0] {
                "comune" => comune += n,
                "total" => total += n,
                other => panic!("level {other}"),
            }
        }
        assert_eq!((comune, total), (n_changed as u64, n_changed as u64));
        // the diff agrees with the two snapshots read back through the store
        let mut st = store(&t);
        let a = st.load_snapshot("s1").unwrap();
        let b = st.load_snapshot("s2").unwrap();
        let ra = a
            .classification
            .rules
            .iter()
            .find(|r| r.name == "it-1giga-2026")
            .unwrap();
        let rb = &b.classification.rules[0];
        let differ = (0..3000)
            .filter(|&i| ra.class_name(i) != rb.class_name(i))
            .count();
        assert_eq!(differ, n_changed);
    }
}

/// A registry of 100,000 rows whose data row 90,001 (line 90,002) has a bad longitude.
fn registry_with_a_bad_row(dir: &Path) -> std::path::PathBuf {
    use std::fmt::Write;
    let mut text = String::from("id,lon,lat,units,comune\n");
    for i in 1..=100_000u32 {
        let lon = if i == 90_001 {
            "11.2O".to_string()
        } else {
            format!("{:.6}", 10.0 + (i % 1000) as f64 / 1000.0)
        };
        let _ = writeln!(
            text,
            "U{i:06},{lon},{:.6},{},048017",
            43.0 + (i / 1000) as f64 / 1000.0,
            1 + i % 3
        );
    }
    let p = dir.join("registry.csv");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_bad_row_stores_nothing_and_skip_mode_stores_the_good_rows() {
    let d = tmp();
    let reg = registry_with_a_bad_row(d.path());
    for t in testing::both("cli_badrow") {
        ok(&db(&t, &["db", "migrate"]));
        let err = fail(&db(&t, &["import", "units", s(&reg)]));
        assert!(
            err.contains("row 90002") && err.contains("\"lon\"") && err.contains("11.2O"),
            "{err}"
        );
        assert_eq!(count(&t, "datasets"), 0);
        assert_eq!(count(&t, "units"), 0);
        let rejects = d.path().join(format!("rejects-{:?}.csv", t.backend));
        let err = ok(&db(
            &t,
            &[
                "import",
                "units",
                s(&reg),
                "--on-error",
                "skip",
                "--rejects",
                s(&rejects),
            ],
        ));
        assert!(
            err.contains("99,999 units rows") && err.contains("1 rows rejected"),
            "{err}"
        );
        assert_eq!(count(&t, "units"), 99_999);
        let text = std::fs::read_to_string(&rejects).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains(",90002,lon,"), "{text}");
        let ds = store(&t).datasets().unwrap();
        assert_eq!((ds.len(), ds[0].rows, ds[0].rejected), (1, 99_999, 1));
    }
}

#[test]
fn a_crash_in_the_middle_of_an_import_or_a_snapshot_leaves_the_store_as_it_was() {
    let d = tmp();
    // more units than one batch on either backend (SQLite ~4,500 rows, PostgreSQL 50,000)
    synth(d.path(), 60_000);
    let units = d.path().join("units.csv");
    let coverage = d.path().join("coverage.fgb");
    for t in testing::both("cli_crash") {
        ok(&db(&t, &["db", "migrate"]));
        // the process aborts (no unwinding, no ROLLBACK sent) after the first batch
        let out = bianca()
            .args(db(&t, &["import", "units", s(&units)]))
            .env("BIANCA_FAULT_ABORT_AFTER_ROWS", "1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("aborting after"), "{err}");
        assert_eq!(count(&t, "datasets"), 0, "{:?}", t.backend);
        assert_eq!(count(&t, "units"), 0, "{:?}", t.backend);
        // the import goes through afterwards
        ok(&db(&t, &["import", "units", s(&units)]));
        ok(&db(&t, &["import", "coverage", s(&coverage)]));
        assert_eq!(count(&t, "units"), 60_000);

        let out = bianca()
            .args(db(&t, &SNAPSHOT_S1))
            .env("BIANCA_FAULT_ABORT_AFTER_ROWS", "1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("aborting after"), "{err}");
        assert_eq!(count(&t, "snapshots"), 0);
        assert_eq!(count(&t, "unit_results"), 0);
        assert_eq!(count(&t, "unit_classes"), 0);
        ok(&db(&t, &SNAPSHOT_S1));
        assert_eq!(count(&t, "unit_results"), 60_000);
        assert_eq!(store(&t).snapshots().unwrap().len(), 1);
    }
}

/// Starts `args` with `BIANCA_FAULT_PAUSE_AFTER_ROWS=1`, waits until it has written its first
/// batch inside the transaction, and kills it with SIGKILL.
fn kill_mid_transaction(t: &TestStore, args: &[&str]) {
    use std::io::BufRead;
    let mut child = bianca()
        .args(db(t, args))
        .env("BIANCA_FAULT_PAUSE_AFTER_ROWS", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("pausing after") {
            break;
        }
    }
    assert!(
        seen.contains("pausing after"),
        "{:?} {args:?} never paused:\n{seen}",
        t.backend
    );
    child.kill().unwrap(); // SIGKILL, with rows written and the transaction open
    child.wait().unwrap();
}

#[test]
fn a_kill_during_an_import_or_a_snapshot_is_all_or_nothing() {
    let d = tmp();
    synth(d.path(), 60_000);
    let units = d.path().join("units.csv");
    let coverage = d.path().join("coverage.fgb");
    for t in testing::both("cli_kill") {
        ok(&db(&t, &["db", "migrate"]));
        kill_mid_transaction(&t, &["import", "units", s(&units)]);
        assert_eq!(
            (count(&t, "datasets"), count(&t, "units")),
            (0, 0),
            "{:?}",
            t.backend
        );
        ok(&db(&t, &["import", "units", s(&units), "-q"]));
        ok(&db(&t, &["import", "coverage", s(&coverage), "-q"]));
        assert_eq!(count(&t, "units"), 60_000);

        kill_mid_transaction(
            &t,
            &["classify", "--snapshot", "s1", "--rules", "eu2013-nga"],
        );
        assert_eq!(
            (count(&t, "snapshots"), count(&t, "unit_results")),
            (0, 0),
            "{:?}",
            t.backend
        );
        ok(&db(&t, &SNAPSHOT_S1));
        assert_eq!(count(&t, "unit_results"), 60_000);
    }
}

#[test]
fn datasets_are_removed_unless_a_snapshot_uses_them_and_reads_need_a_store() {
    let d = tmp();
    synth(d.path(), 500);
    let units = d.path().join("units.csv");
    let coverage = d.path().join("coverage.fgb");
    for t in testing::both("cli_remove") {
        ok(&db(&t, &["db", "migrate"]));
        ok(&db(
            &t,
            &["import", "units", s(&units), "--crs", "EPSG:4326"],
        ));
        ok(&db(&t, &["import", "coverage", s(&coverage)]));
        // the same file with another CRS: nothing stored, and the way out is named
        let err = ok(&db(
            &t,
            &["import", "units", s(&units), "--crs", "EPSG:3003"],
        ));
        assert!(
            err.contains("already in the store") && err.contains("datasets remove units"),
            "{err}"
        );
        ok(&db(&t, &["datasets", "remove", "units"]));
        assert_eq!((count(&t, "datasets"), count(&t, "units")), (1, 0));
        ok(&db(&t, &["import", "units", s(&units)]));
        ok(&db(&t, &SNAPSHOT_S1));
        let err = fail(&db(&t, &["datasets", "remove", "coverage"]));
        assert!(err.contains("used by snapshot(s) s1"), "{err}");
        assert_eq!(count(&t, "datasets"), 2);
    }
    // reading commands do not create an empty embedded store
    let missing = d.path().join("nowhere.db");
    let err = fail(&["--database-url", s(&missing), "snapshots", "list"]);
    assert!(err.contains("no store at"), "{err}");
    assert!(!missing.exists());
    let err = fail(&[
        "--database-url",
        "mysql://u:secret@h/x",
        "import",
        "units",
        s(&units),
    ]);
    assert!(
        err.contains("not mysql://") && !err.contains("secret"),
        "{err}"
    );
}
