//! End-to-end tests of the `bianca` binary: synth -> classify, every input format read back
//! to the same result, reprojection, bad input named by file / row / field, skip mode,
//! atomic outputs, rule listing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::*;
use std::process::Command;

/// `classify --units U --coverage C --rules eu2013-nga --out O` followed by `extra`.
fn classify_args<'a>(
    units: &'a Path,
    coverage: &'a Path,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut v = vec![
        "classify",
        "--units",
        s(units),
        "--coverage",
        s(coverage),
        "--rules",
        "eu2013-nga",
        "--out",
        s(out),
    ];
    v.extend_from_slice(extra);
    v
}

/// One synthetic data set shared by the tests (generated once).
fn demo() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("bianca-cli-test-{}", std::process::id()));
        ok(&["synth", "--units", "3000", "--seed", "11", "--out", s(&dir)]);
        dir
    })
}

/// Classifies with eu2013-nga into a CSV and returns its (sorted) rows without lon/lat.
fn classify_csv(units: &Path, coverage: &Path, extra: &[&str]) -> Vec<String> {
    let t = tmp();
    let out = t.path().join("out.csv");
    let mut args = classify_args(units, coverage, &out, &["--reference-year", "2025"]);
    args.extend_from_slice(extra);
    ok(&args);
    let mut rdr = csv::Reader::from_path(&out).expect("read output");
    let headers = rdr.headers().expect("headers").clone();
    let keep: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| *h != "lon" && *h != "lat")
        .map(|(i, _)| i)
        .collect();
    let mut rows: Vec<String> = rdr
        .records()
        .map(|r| {
            let r = r.expect("record");
            keep.iter().map(|&i| &r[i]).collect::<Vec<_>>().join(",")
        })
        .collect();
    rows.sort();
    rows
}

fn ogr2ogr(args: &[&str]) {
    let st = Command::new("ogr2ogr")
        .args(args)
        .status()
        .expect("ogr2ogr (gdal-bin)");
    assert!(st.success(), "ogr2ogr {args:?}");
}

#[test]
fn synth_then_classify_writes_results_stats_and_a_summary() {
    let d = demo();
    let t = tmp();
    let out = t.path().join("units.csv");
    let stats = t.path().join("stats.csv");
    let err = ok(&[
        "classify",
        "--units",
        s(&d.join("units.csv")),
        "--coverage",
        s(&d.join("coverage.fgb")),
        "--declarations",
        s(&d.join("declarations.csv")),
        "--rules",
        "eu2013-nga,it-1giga-2026",
        "--reference-year",
        "2025",
        "--out",
        s(&out),
        "--stats",
        s(&stats),
    ]);
    assert!(err.contains("3,000 addresses"), "{err}");
    assert!(
        err.contains("white") && err.contains("grey") && err.contains("black"),
        "{err}"
    );
    assert!(
        err.contains("unknown data"),
        "summary must report units decided on unknown data:\n{err}"
    );
    let rows = std::fs::read_to_string(&out).unwrap();
    assert_eq!(rows.lines().count(), 3001);
    assert!(rows.starts_with("id,lon,lat,units,comune,class,networks,unknown_data,"));
    // the stats' total row adds up to the registry
    let mut rdr = csv::Reader::from_path(&stats).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let total = rdr
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[col("level")] == "total")
        .expect("a total row");
    let n = |r: &csv::StringRecord, c: &str| r[col(c)].parse::<u64>().unwrap();
    assert_eq!(n(&total, "addresses"), 3000);
    assert_eq!(
        n(&total, "units_white") + n(&total, "units_grey") + n(&total, "units_black"),
        n(&total, "units")
    );
    let share: f64 = total[col("share_units_white")].parse().unwrap();
    assert!(share > 0.0 && share < 1.0);
}

#[test]
fn every_input_format_gives_the_same_result() {
    let d = demo();
    let t = tmp();
    let units = d.join("units.csv");
    let reference = classify_csv(&units, &d.join("coverage.fgb"), &[]);
    assert_eq!(reference.len(), 3000);
    // coverage: GeoJSON (written by synth), GeoPackage, Shapefile-free GeoJSONSeq, CSV+WKT
    let gpkg = t.path().join("coverage.gpkg");
    ogr2ogr(&[s(&gpkg), s(&d.join("coverage.fgb"))]);
    let seq = t.path().join("coverage.geojsonl");
    ogr2ogr(&["-f", "GeoJSONSeq", s(&seq), s(&d.join("coverage.fgb"))]);
    let wkt = t.path().join("coverage.csv");
    ogr2ogr(&[
        "-f",
        "CSV",
        "-lco",
        "GEOMETRY=AS_WKT",
        s(&wkt),
        s(&d.join("coverage.fgb")),
    ]);
    for cov in [d.join("coverage.geojson"), gpkg, seq, wkt] {
        assert_eq!(
            classify_csv(&units, &cov, &[]),
            reference,
            "coverage from {}",
            cov.display()
        );
    }
    // units: GeoJSON, FlatGeobuf, GeoPackage (through OGR), GeoParquet (bianca's own output)
    let vrt = t.path().join("units.vrt");
    std::fs::write(
        &vrt,
        format!(
            "<OGRVRTDataSource><OGRVRTLayer name=\"units\"><SrcDataSource>{}</SrcDataSource>\
             <GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>\
             <GeometryField encoding=\"PointFromColumns\" x=\"lon\" y=\"lat\"/></OGRVRTLayer></OGRVRTDataSource>",
            s(&units)
        ),
    )
    .unwrap();
    let mut forms = Vec::new();
    for (name, driver) in [
        ("units.geojson", "GeoJSON"),
        ("units.fgb", "FlatGeobuf"),
        ("units.gpkg", "GPKG"),
    ] {
        let p = t.path().join(name);
        ogr2ogr(&["-f", driver, s(&p), s(&vrt)]);
        forms.push(p);
    }
    let parquet = t.path().join("units.parquet");
    ok(&classify_args(
        &units,
        &d.join("coverage.fgb"),
        &parquet,
        &[],
    ));
    forms.push(parquet);
    for u in forms {
        assert_eq!(
            classify_csv(&u, &d.join("coverage.fgb"), &[]),
            reference,
            "units from {}",
            u.display()
        );
    }
}

#[test]
fn projected_registries_are_reprojected() {
    let d = demo();
    let t = tmp();
    // the registry in Monte Mario / Italy zone 1 (EPSG:3003), as x/y columns
    let xy = t.path().join("units_3003.csv");
    ogr2ogr(&[
        "-f",
        "CSV",
        "-s_srs",
        "EPSG:4326",
        "-t_srs",
        "EPSG:3003",
        "-lco",
        "GEOMETRY=AS_XY",
        "-oo",
        "X_POSSIBLE_NAMES=lon",
        "-oo",
        "Y_POSSIBLE_NAMES=lat",
        "-oo",
        "KEEP_GEOM_COLUMNS=NO",
        s(&xy),
        s(&d.join("units.csv")),
    ]);
    let head = std::fs::read_to_string(&xy).unwrap();
    assert!(
        head.starts_with("X,Y,") || head.starts_with("x,y,"),
        "{}",
        &head[..80]
    );
    let reference = classify_csv(&d.join("units.csv"), &d.join("coverage.fgb"), &[]);
    let got = classify_csv(&xy, &d.join("coverage.fgb"), &["--units-crs", "EPSG:3003"]);
    // reprojection round trips to ~1e-9 degrees: a unit within that of a footprint edge could
    // flip, so allow a handful of differences out of 3000
    let same = reference.iter().zip(&got).filter(|(a, b)| a == b).count();
    assert!(
        same >= 2995,
        "only {same} of 3000 units agree after reprojection"
    );
    let err = fail(&classify_args(
        &xy,
        &d.join("coverage.fgb"),
        &t.path().join("o.csv"),
        &["--units-crs", "EPSG:999999"],
    ));
    assert!(err.contains("999999"), "{err}");
}

/// Writes `text` as units.csv in a temp dir and classifies it; returns stderr of the failure.
fn bad_units(text: &str) -> (String, tempfile::TempDir) {
    let t = tmp();
    let p = t.path().join("units.csv");
    std::fs::write(&p, text).unwrap();
    let err = fail(&classify_args(
        &p,
        &demo().join("coverage.fgb"),
        &t.path().join("out.csv"),
        &[],
    ));
    assert!(
        !t.path().join("out.csv").exists(),
        "a failed run left an output behind"
    );
    (err, t)
}

#[test]
fn bad_registries_are_named_by_file_row_and_field() {
    let (e, _t) = bad_units("id,lon,lat\n1,11.2,43.7\n2,eleven,43.7\n");
    assert!(
        e.contains("units.csv") && e.contains("row 3") && e.contains("lon"),
        "{e}"
    );
    let (e, _t) = bad_units("id,lat\n1,43.7\n");
    assert!(e.contains("units.csv") && e.contains("lon"), "{e}");
    let (e, _t) = bad_units("id,lon,lat\n1,43.7,11.2\n2,11.2,143.7\n");
    assert!(e.contains("row 3") && e.contains("lat"), "{e}");
    let (e, _t) = bad_units("id,lon,lat\n1,43.7,95.0\n");
    assert!(e.contains("row 2") && e.contains("swapped"), "{e}");
    let (e, _t) = bad_units("");
    assert!(e.contains("units.csv") && e.contains("no data"), "{e}");
    let (e, _t) = bad_units("id\tlon\tlat\n1\t11.2\t43.7\n");
    assert!(
        e.contains("units.csv") && e.to_lowercase().contains("delimit"),
        "{e}"
    );
    let (e, _t) = bad_units("id,lon,lat,units\n1,11.2,43.7,0\n");
    assert!(e.contains("row 2") && e.contains("units"), "{e}");
}

fn bad_coverage(text: &str) -> String {
    let t = tmp();
    let p = t.path().join("coverage.csv");
    std::fs::write(&p, text).unwrap();
    fail(&classify_args(
        &demo().join("units.csv"),
        &p,
        &t.path().join("out.csv"),
        &[],
    ))
}

const COV_HEAD: &str = "operator,technology,down_mbps,up_mbps,status,year,wkt\n";
const SQUARE: &str = "\"POLYGON((11 43,11.1 43,11.1 43.1,11 43.1,11 43))\"";

#[test]
fn bad_coverage_is_named_by_file_row_and_field() {
    let e = bad_coverage(&format!(
        "{COV_HEAD}A,FTTH,1000,100,existing,,{SQUARE}\nA,FTTH,fast,100,existing,,{SQUARE}\n"
    ));
    assert!(
        e.contains("coverage.csv") && e.contains("row 3") && e.contains("down_mbps"),
        "{e}"
    );
    let e = bad_coverage(&format!("{COV_HEAD}A,FIBRE,1000,100,existing,,{SQUARE}\n"));
    assert!(
        e.contains("row 2") && e.contains("technology") && e.contains("FIBRE"),
        "{e}"
    );
    let e = bad_coverage(&format!("{COV_HEAD}A,FTTH,1000,100,planned,,{SQUARE}\n"));
    assert!(e.contains("row 2") && e.contains("year"), "{e}");
    let e = bad_coverage(&format!(
        "{COV_HEAD}A,FTTH,1000,100,existing,,\"POLYGON EMPTY\"\n"
    ));
    assert!(
        e.contains("row 2") && e.to_lowercase().contains("empty"),
        "{e}"
    );
    let e = bad_coverage(&format!(
        "{COV_HEAD}A,FTTH,1000,100,existing,,\"POLYGON((11 43,11.1 43.1,11.1 43,11 43.1,11 43))\"\n"
    ));
    assert!(
        e.contains("row 2") && e.contains("wkt"),
        "self-intersecting polygon: {e}"
    );
    let e = bad_coverage("operator,down_mbps,up_mbps,status,wkt\n");
    assert!(e.contains("technology"), "{e}");
}

#[test]
fn skip_mode_writes_rejects_and_keeps_the_good_rows() {
    let t = tmp();
    let p = t.path().join("units.csv");
    std::fs::write(
        &p,
        "id,lon,lat\nA,11.25,43.77\nB,x,43.7\nC,11.26,43.78\nD,11.2,99\n",
    )
    .unwrap();
    let out = t.path().join("out.csv");
    let err = ok(&classify_args(
        &p,
        &demo().join("coverage.fgb"),
        &out,
        &["--on-error", "skip"],
    ));
    assert!(err.contains("2 rejected rows"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 3);
    let rejects = std::fs::read_to_string(t.path().join("out.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 3, "{rejects}");
    assert!(
        rejects.contains(",3,lon,") && rejects.contains(",5,lat,"),
        "{rejects}"
    );
}

#[test]
fn a_failed_run_keeps_the_previous_output() {
    let t = tmp();
    let out = t.path().join("out.csv");
    std::fs::write(&out, "previous results\n").unwrap();
    let p = t.path().join("units.csv");
    std::fs::write(&p, "id,lon,lat\nA,11.25,43.77\nB,11.2,\n").unwrap();
    fail(&classify_args(&p, &demo().join("coverage.fgb"), &out, &[]));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous results\n");
    let leftovers: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "temporary files left behind");
}

#[test]
fn units_without_comune_get_one_from_the_areas_file() {
    let d = demo();
    let t = tmp();
    // drop the comune column
    let text = std::fs::read_to_string(d.join("units.csv")).unwrap();
    let stripped: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, ',').collect();
            // drop the comune column, keep the address
            format!(
                "{},{},{},{},{}\n",
                f[0],
                f[1],
                f[2],
                f[3],
                f.get(5).unwrap_or(&"")
            )
        })
        .collect();
    let p = t.path().join("units.csv");
    std::fs::write(&p, stripped).unwrap();
    let with = classify_csv(&d.join("units.csv"), &d.join("coverage.fgb"), &[]);
    let got = classify_csv(
        &p,
        &d.join("coverage.fgb"),
        &["--areas", s(&d.join("comuni.geojson"))],
    );
    // same comune for every unit (synth put each unit inside its comune's polygon)
    let differ = got.iter().zip(&with).filter(|(a, b)| a != b).count();
    assert_eq!((got.len(), differ), (with.len(), 0), "rows differing");
}

#[test]
fn rules_are_listed_and_shown() {
    let out = bianca().args(["rules", "list"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "eu2013-nga",
        "eu2023-gigabit",
        "it-1giga-2026",
        "it-2028-300",
        "bead",
        "it-5g",
    ] {
        assert!(text.contains(name), "{text}");
    }
    let out = bianca().args(["rules", "show", "bead"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("underserved") && text.contains("100"));
    let e = fail(&["rules", "show", "nope"]);
    assert!(e.contains("nope"), "{e}");
}

#[test]
fn synth_is_deterministic() {
    let a = tmp();
    let b = tmp();
    ok(&[
        "synth",
        "--units",
        "500",
        "--seed",
        "3",
        "--out",
        s(a.path()),
    ]);
    ok(&[
        "synth",
        "--units",
        "500",
        "--seed",
        "3",
        "--out",
        s(b.path()),
    ]);
    for f in [
        "units.csv",
        "coverage.fgb",
        "coverage.geojson",
        "declarations.csv",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn projected_coverage_without_its_crs_is_an_error_not_an_all_white_map() {
    let t = tmp();
    let p = t.path().join("coverage.csv");
    std::fs::write(
        &p,
        format!("{COV_HEAD}A,FTTH,1000,100,existing,,\"POLYGON((681000 4850000,682000 4850000,682000 4851000,681000 4850000))\"\n"),
    )
    .unwrap();
    let e = fail(&classify_args(
        &demo().join("units.csv"),
        &p,
        &t.path().join("o.csv"),
        &[],
    ));
    assert!(e.contains("row 2") && e.contains("--coverage-crs"), "{e}");
    // with the CRS it is read (and reprojected to lon/lat)
    ok(&classify_args(
        &demo().join("units.csv"),
        &p,
        &t.path().join("o.csv"),
        &["--coverage-crs", "EPSG:32632"],
    ));
}

#[test]
fn a_failing_output_leaves_no_other_output_behind() {
    let t = tmp();
    let out = t.path().join("o.csv");
    // statistics cannot be FlatGeobuf: refused before any work, nothing written
    let e = fail(&classify_args(
        &demo().join("units.csv"),
        &demo().join("coverage.fgb"),
        &out,
        &["--stats", s(&t.path().join("s.fgb"))],
    ));
    assert!(e.contains("s.fgb"), "{e}");
    // the peers table without its rule sets is refused before any work: the registry is
    // not even opened (a missing one is not what the error is about), and o.csv must not
    // appear
    let e = fail(&classify_args(
        &t.path().join("no-such-units.csv"),
        &demo().join("coverage.fgb"),
        &out,
        &[
            "--stats",
            s(&t.path().join("s.csv")),
            "--stats-format",
            "peers",
        ],
    ));
    assert!(e.contains("eu2023-gigabit"), "{e}");
    assert!(!e.contains("no-such-units"), "{e}");
    let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
    assert!(left.is_empty(), "outputs or temporaries left: {left:?}");
}

#[test]
fn a_clean_skip_run_replaces_old_rejects() {
    let t = tmp();
    let p = t.path().join("units.csv");
    let out = t.path().join("out.csv");
    let cov = demo().join("coverage.fgb");
    std::fs::write(&p, "id,lon,lat\nA,11.25,43.77\nB,x,43.7\n").unwrap();
    ok(&classify_args(&p, &cov, &out, &["--on-error", "skip"]));
    let rejects = t.path().join("out.rejects.csv");
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap().lines().count(),
        2
    );
    std::fs::write(&p, "id,lon,lat\nA,11.25,43.77\n").unwrap();
    ok(&classify_args(&p, &cov, &out, &["--on-error", "skip"]));
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap().lines().count(),
        1,
        "header only"
    );
}

#[test]
fn the_peers_table_does_not_depend_on_rule_order_and_bad_flags_are_refused() {
    let d = demo();
    let t = tmp();
    let (a, b) = (t.path().join("a.csv"), t.path().join("b.csv"));
    for (rules, path) in [
        ("eu2013-nga,eu2023-gigabit", &a),
        ("eu2023-gigabit,eu2013-nga", &b),
    ] {
        ok(&[
            "classify",
            "--units",
            s(&d.join("units.csv")),
            "--coverage",
            s(&d.join("coverage.fgb")),
            "--rules",
            rules,
            "--reference-year",
            "2025",
            "--stats",
            s(path),
            "--stats-format",
            "peers",
        ]);
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let units = d.join("units.csv");
    let cov = d.join("coverage.fgb");
    let out = t.path().join("o.csv");
    let e = fail(&classify_args(
        &units,
        &cov,
        &out,
        &["--reference-year", "25"],
    ));
    assert!(e.contains("reference-year"), "{e}");
    let e = fail(&[
        "classify",
        "--units",
        s(&units),
        "--coverage",
        s(&cov),
        "--rules",
        "bead,bead",
        "--out",
        s(&out),
    ]);
    assert!(e.contains("twice"), "{e}");
    let e = fail(&classify_args(&units, &cov, &out, &["--rejects", "r.csv"]));
    assert!(e.contains("--on-error skip"), "{e}");
}

/// A registry written as GeoParquet by the engine's writer (one row group).
struct Registry {
    columns: Vec<bianca_engine::table::Column>,
    rows: Vec<csv::StringRecord>,
}

impl bianca_engine::table::Table for Registry {
    fn columns(&self) -> &[bianca_engine::table::Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> bianca_engine::table::Value<'_> {
        let r = &self.rows[row];
        match col {
            0 => bianca_engine::table::Value::Str(&r[0]),
            1 => bianca_engine::table::Value::Int(r[3].parse().expect("units")),
            2 => bianca_engine::table::Value::Str(&r[4]),
            _ => bianca_engine::table::Value::Str(&r[5]),
        }
    }
    fn point(&self, row: usize) -> Option<(f64, f64)> {
        let r = &self.rows[row];
        Some((r[1].parse().ok()?, r[2].parse().ok()?))
    }
    fn has_geometry(&self) -> bool {
        true
    }
}

/// The demo registry as GeoParquet; `dup`: the 11th row's id once more at the end.
fn parquet_registry(path: &Path, dup: bool) {
    use bianca_engine::table::{Column, ColumnType};
    let mut rdr = csv::Reader::from_path(demo().join("units.csv")).expect("units.csv");
    let mut rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    if dup {
        let mut again = rows[10].clone();
        let mut fields: Vec<String> = again.iter().map(String::from).collect();
        fields[1] = "11.5".into();
        again = csv::StringRecord::from(fields);
        rows.push(again);
    }
    let columns = vec![
        Column::new("id", ColumnType::Str),
        Column::new("units", ColumnType::Int),
        Column::new("comune", ColumnType::Str),
        Column::new("address", ColumnType::Str),
    ];
    bianca_engine::io::write::write_table(path, &Registry { columns, rows }).expect("write");
}

/// The summary without its timings (and the chunked run's note on chunks).
fn summary(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| !l.contains("time:") && !l.contains("chunks of"))
        .map(|l| {
            l.split(" M pairs/s")
                .next()
                .map_or(l, |p| &p[..p.rfind('(').unwrap_or(p.len())])
        })
        .collect()
}

#[test]
fn chunked_runs_give_the_same_outputs_as_one_go() {
    let d = demo();
    let t = tmp();
    let reg = t.path().join("reg.parquet");
    parquet_registry(&reg, false);
    let (cov, decl, comuni) = (
        d.join("coverage.fgb"),
        d.join("declarations.csv"),
        d.join("comuni.geojson"),
    );
    let run = |tag: &str, units: &Path, extra: &[&str]| -> (String, PathBuf, PathBuf, PathBuf) {
        let stats = t.path().join(format!("stats-{tag}.csv"));
        let peers = t.path().join(format!("peers-{tag}.csv"));
        let out = t.path().join(format!("out-{tag}.csv"));
        let mut args = vec![
            "classify",
            "--units",
            s(units),
            "--coverage",
            s(&cov),
            "--declarations",
            s(&decl),
            "--areas",
            s(&comuni),
            "--rules",
            "eu2013-nga,eu2023-gigabit",
            "--reference-year",
            "2025",
            "--out",
            s(&out),
            "--stats",
            s(&stats),
        ];
        args.extend_from_slice(extra);
        let err = ok(&args);
        let mut peers_args: Vec<&str> = args.clone();
        let i = peers_args
            .iter()
            .position(|a| *a == "--out")
            .expect("--out");
        peers_args.drain(i..i + 2);
        let i = peers_args
            .iter()
            .position(|a| *a == s(&stats))
            .expect("stats");
        peers_args[i] = s(&peers);
        peers_args.extend_from_slice(&["--stats-format", "peers"]);
        ok(&peers_args);
        (err, stats, peers, out)
    };
    let (e1, s1, p1, o1) = run("one", &reg, &[]);
    // 3000 units in chunks of 700: four full chunks and a partial one
    let (e2, s2, p2, o2) = run("chunks", &reg, &["--chunk-units", "700"]);
    assert!(e2.contains("5 chunks of up to 700 units"), "{e2}");
    assert_eq!(summary(&e1), summary(&e2));
    assert_eq!(std::fs::read(&s1).unwrap(), std::fs::read(&s2).unwrap());
    assert_eq!(std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
    let sorted = |p: &Path| {
        let mut l: Vec<String> = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        l.sort();
        l
    };
    assert_eq!(sorted(&o1).len(), 3001);
    assert_eq!(sorted(&o1), sorted(&o2));
    // automatic: the registry (3000 x 150 bytes) exceeds a 200 KB budget
    let (e3, s3, _, o3) = run("auto", &reg, &["--max-memory", "200K"]);
    assert!(e3.contains("exceeds the memory budget"), "{e3}");
    assert_eq!(std::fs::read(&s1).unwrap(), std::fs::read(&s3).unwrap());
    assert_eq!(sorted(&o1), sorted(&o3));
    // per-unit rows as GeoParquet, read back as a registry: the same units
    let op = t.path().join("out.parquet");
    ok(&[
        "classify",
        "--units",
        s(&reg),
        "--coverage",
        s(&d.join("coverage.fgb")),
        "--rules",
        "eu2013-nga",
        "--out",
        s(&op),
        "--chunk-units",
        "1000",
    ]);
    let back = classify_csv(&op, &d.join("coverage.fgb"), &[]);
    assert_eq!(back, classify_csv(&reg, &d.join("coverage.fgb"), &[]));
    assert!(
        !t.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".bianca-pending")),
        "no staging directory left behind"
    );

    // a duplicate id in another chunk than its first: rejected in skip mode as in one go,
    // named with both rows in fail mode
    let dup = t.path().join("dup.parquet");
    parquet_registry(&dup, true);
    let (_, s1, _, _) = run("dup-one", &dup, &["--on-error", "skip"]);
    let (_, s2, _, _) = run(
        "dup-chunks",
        &dup,
        &["--on-error", "skip", "--chunk-units", "700"],
    );
    assert_eq!(std::fs::read(&s1).unwrap(), std::fs::read(&s2).unwrap());
    let r1 = std::fs::read_to_string(t.path().join("out-dup-one.rejects.csv")).unwrap();
    let r2 = std::fs::read_to_string(t.path().join("out-dup-chunks.rejects.csv")).unwrap();
    assert!(
        r1.contains(",3001,id,") && r1.contains("first seen on row 11"),
        "{r1}"
    );
    assert_eq!(r1, r2);
    let out = t.path().join("o.csv");
    let e = fail(&classify_args(
        &dup,
        &d.join("coverage.fgb"),
        &out,
        &["--chunk-units", "700"],
    ));
    assert!(
        e.contains("duplicate id") && e.contains("row 3001") && e.contains("first seen on row 11"),
        "{e}"
    );

    // what cannot be chunked says so
    let e = fail(&classify_args(
        &reg,
        &d.join("coverage.fgb"),
        &t.path().join("o.geojson"),
        &["--chunk-units", "700"],
    ));
    assert!(e.contains("--chunk-units") && e.contains(".parquet"), "{e}");
    let e = fail(&classify_args(
        &d.join("coverage.geojson"),
        &d.join("coverage.fgb"),
        &out,
        &["--chunk-units", "700"],
    ));
    assert!(
        e.contains("--chunk-units") && e.contains("GeoParquet"),
        "{e}"
    );

    // a CSV registry, 700 lines at a time
    let csv = d.join("units.csv");
    let (e1, s1, p1, o1) = run("csv-one", &csv, &[]);
    let (e2, s2, p2, o2) = run("csv-chunks", &csv, &["--chunk-units", "700"]);
    assert!(e2.contains("5 chunks of up to 700 units"), "{e2}");
    assert_eq!(summary(&e1), summary(&e2));
    assert_eq!(std::fs::read(&s1).unwrap(), std::fs::read(&s2).unwrap());
    assert_eq!(std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
    assert_eq!(std::fs::read(&o1).unwrap(), std::fs::read(&o2).unwrap());
}

/// GDAL (and its hundred libraries) is loaded by the first command that calls it, not at
/// every start: `rules` never does, a FlatGeobuf coverage does, and reads it right.
#[test]
fn gdal_is_loaded_only_when_a_command_needs_it() {
    let loaded = |args: &[&str]| -> String {
        let o = bianca()
            .args(args)
            .env("BIANCA_LOG", "bianca::timing=debug")
            .output()
            .expect("run bianca");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        let at = e.find("gdal_loaded=").expect("the main timing line");
        e[at..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    // a build without the trampolines (another platform, BIANCA_GDAL_EAGER=1) links GDAL
    let lazy = cfg!(all(
        target_arch = "x86_64",
        target_os = "linux",
        target_env = "gnu"
    )) && std::env::var("BIANCA_GDAL_EAGER").as_deref() != Ok("1")
        && std::env::var("GDAL_STATIC").as_deref() != Ok("1");
    if lazy {
        assert_eq!(loaded(&["rules", "list"]), "gdal_loaded=false");
    }
    let d = demo();
    let t = tmp();
    let out = t.path().join("out.csv");
    let (units, coverage) = (d.join("units.csv"), d.join("coverage.fgb"));
    let args = classify_args(&units, &coverage, &out, &[]);
    assert_eq!(loaded(&args), "gdal_loaded=true");
    assert!(
        std::fs::read_to_string(&out)
            .expect("output")
            .lines()
            .count()
            > 1000
    );
}
