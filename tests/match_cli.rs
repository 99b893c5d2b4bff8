//! End-to-end tests of `bianca match`, of declarations keyed by address (classify and
//! import) and of `bianca synth --civici`.

use std::path::{Path, PathBuf};

mod common;
use common::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// A registry in Monte Mario (EPSG:3003) x/y with the address split in parts.
fn registry(dir: &Path) -> PathBuf {
    write(
        dir,
        "registry.csv",
        "id;x;y;comune;dug;denominazione;civico;esponente\n\
         r1;1681000;4850000;100005;VIA;ROMA;1;\n\
         r7;1681010;4850000;100005;VIA;ROMA;7;\n\
         r7a;1681012;4850000;100005;VIA;ROMA;7;A\n\
         n5;1681500;4850500;100005;VIA;ROMANA;5;\n\
         d3;1682000;4851000;100005;PIAZZA;DEL DUOMO;3;\n\
         g10;1683000;4852000;100005;VIA;GUGLIELMO MARCONI;10;\n\
         v20;1684000;4853000;100005;VIALE;MARCONI;20;\n\
         a1;1685000;4854000;100005;VIA;ANTONIO ROSSI;1;\n\
         m1;1685500;4854500;100005;VIA;MARIO ROSSI;1;\n\
         u4;1686000;4855000;100001;LOCALITA';USELLA;4;\n",
    )
}

/// `match --registry R --units-crs EPSG:3003 --addresses A --out O` and `extra`.
fn match_args<'a>(
    reg: &'a Path,
    addrs: &'a Path,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut v = vec![
        "match",
        "--registry",
        s(reg),
        "--units-crs",
        "EPSG:3003",
        "--addresses",
        s(addrs),
        "--out",
        s(out),
    ];
    v.extend_from_slice(extra);
    v
}

/// Parses a CSV output into (header, rows).
fn read_csv(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).expect("read output");
    let h = r
        .headers()
        .expect("headers")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|x| x.expect("record").iter().map(String::from).collect())
        .collect();
    (h, rows)
}

#[test]
fn match_keeps_every_row_and_adds_unit_point_method_and_score() {
    let t = tmp();
    let reg = registry(t.path());
    let addrs = write(
        t.path(),
        "addresses.csv",
        "codice;comune;indirizzo;stato\n\
         1;Prato;Via Roma 7/A;B\n\
         2;PRATO;v. roma 7a;B\n\
         3;prato;P.ZZA DUOMO 3;C\n\
         4;Prato;VIA G. MARCONI 10;C\n\
         5;Prato;VIA MARCONI 20;C\n\
         6;Prato;VIA ROMANA 12;A\n\
         7;Prato;VIA ROMA SNC;A\n\
         8;Prato;VIA ROSSI 1;C\n\
         9;Cantagallo;LOC. USELLA 4;C\n\
         10;Atlantide;VIA ROMA 1;C\n\
         11;Prato;VIA ROMAA 1;C\n",
    );
    let out = t.path().join("matched.csv");
    let err = ok(&match_args(&reg, &addrs, &out, &[]));
    let (h, rows) = read_csv(&out);
    assert_eq!(
        h,
        [
            "codice",
            "comune",
            "indirizzo",
            "stato",
            "unit_id",
            "lon",
            "lat",
            "method",
            "score",
            "matched_address",
            "note"
        ]
    );
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("1", "r7a", "exact"),
            ("2", "r7a", "normalised"),
            ("3", "d3", "normalised"),
            ("4", "g10", "normalised"),
            ("5", "g10", "nearest_number"),
            ("6", "n5", "nearest_number"),
            ("7", "", "street_only"),
            ("8", "", "comune_only"),
            ("9", "u4", "normalised"),
            ("10", "", "unmatched"),
            ("11", "", "comune_only"),
        ]
    );
    // the input columns come back as they were, the point in lon/lat
    assert_eq!(rows[0][2], "Via Roma 7/A");
    assert_eq!(rows[0][9], "VIA ROMA, 7/A");
    // `echo "1681000 4850000" | cs2cs EPSG:3003 EPSG:4326` is 11.24892, 43.78079; 12 m east
    let (lon, lat): (f64, f64) = (rows[0][5].parse().unwrap(), rows[0][6].parse().unwrap());
    assert!(
        (lon - 11.24907).abs() < 2e-5 && (lat - 43.78079).abs() < 2e-5,
        "{lon} {lat}"
    );
    assert!(rows[7][10].contains("VIA ANTONIO ROSSI") && rows[7][10].contains("VIA MARIO ROSSI"));
    assert!(
        !rows[7][5].is_empty(),
        "comune_only rows have the comune's point"
    );
    assert!(rows[9][5].is_empty() && rows[9][10].contains("ISTAT"));
    let score = |i: usize| rows[i][8].parse::<f64>().unwrap();
    assert_eq!(score(0), 1.0);
    assert!(score(1) < 1.0 && score(4) < score(1) && score(9) == 0.0);
    // the summary: one line per method
    for (m, n) in [
        ("exact", 1),
        ("normalised", 4),
        ("fuzzy_street", 0),
        ("nearest_number", 2),
        ("street_only", 1),
        ("comune_only", 2),
        ("unmatched", 1),
    ] {
        let line = err
            .lines()
            .find(|l| l.split_whitespace().next() == Some(m))
            .unwrap_or_else(|| panic!("no {m} line in:\n{err}"));
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(n.to_string().as_str()),
            "{line}"
        );
    }
    assert!(err.contains("11 addresses"), "{err}");
}

#[test]
fn match_writes_spatial_formats_with_a_point_per_placed_row() {
    let t = tmp();
    let reg = registry(t.path());
    let addrs = write(
        t.path(),
        "a.csv",
        "comune,street,number\n100005,VIA ROMA,7\n999999,VIA ROMA,7\n",
    );
    let out = t.path().join("m.geojson");
    ok(&match_args(&reg, &addrs, &out, &["--quiet"]));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let f = j["features"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["properties"]["unit_id"], "r7");
    assert_eq!(f[0]["geometry"]["type"], "Point");
    assert!(f[1]["geometry"].is_null());
    assert_eq!(f[1]["properties"]["method"], "unmatched");
}

#[test]
fn match_fields_can_be_named_and_bad_input_is_named() {
    let t = tmp();
    let reg = registry(t.path());
    let addrs = write(
        t.path(),
        "a.csv",
        "città,via_e_numero,n\nPrato,VIA ROMA,7\nPrato,VIA ROMA\n",
    );
    let out = t.path().join("m.csv");
    let run_with = |extra: &[&str]| fail(&match_args(&reg, &addrs, &out, extra));
    // no column is called comune
    let e = run_with(&[]);
    assert!(
        e.contains("a.csv") && e.contains("missing column \"comune\""),
        "{e}"
    );
    // a named field that is not there
    let e = run_with(&["--comune-field", "città", "--street-field", "strada"]);
    assert!(
        e.contains("missing column \"strada\"") && e.contains("via_e_numero"),
        "{e}"
    );
    // the second data row has too few fields: file and row
    let e = run_with(&[
        "--comune-field",
        "città",
        "--street-field",
        "via_e_numero",
        "--number-field",
        "n",
    ]);
    assert!(e.contains("a.csv, row 3") && e.contains("fields"), "{e}");
    assert!(!out.exists(), "nothing is written on error");
    std::fs::write(&addrs, "città,via_e_numero,n\nPrato,VIA ROMA,7\n").unwrap();
    ok(&match_args(
        &reg,
        &addrs,
        &out,
        &[
            "--comune-field",
            "città",
            "--street-field",
            "via_e_numero",
            "--number-field",
            "n",
        ],
    ));
    let (_, rows) = read_csv(&out);
    assert_eq!((rows[0][3].as_str(), rows[0][6].as_str()), ("r7", "exact"));
    // a column the output would add
    let clash = write(
        t.path(),
        "c.csv",
        "comune,address,method\nPrato,VIA ROMA 7,x\n",
    );
    let e = fail(&[
        "match",
        "--registry",
        s(&reg),
        "--units-crs",
        "EPSG:3003",
        "--addresses",
        s(&clash),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("c.csv") && e.contains("method"), "{e}");
    // a registry without addresses
    let bare = write(t.path(), "bare.csv", "id,lon,lat,comune\nx,11,43,100005\n");
    let plain = write(t.path(), "p.csv", "comune,address\nPrato,VIA ROMA 7\n");
    let (bare, plain, out) = (s(&bare), s(&plain), s(&out));
    let e = fail(&[
        "match",
        "--registry",
        bare,
        "--addresses",
        plain,
        "--out",
        out,
    ]);
    assert!(e.contains("bare.csv") && e.contains("no address"), "{e}");
}

/// A registry, coverage that reaches nothing, and declarations keyed by address.
fn declarations_setup(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let units = write(
        dir,
        "units.csv",
        "id,lon,lat,comune,address\n\
         a,11.10,43.88,100005,PIAZZA DEL DUOMO 3\n\
         b,11.11,43.88,100005,VIA ROMA 7\n\
         c,11.12,43.88,100005,VIA ROMA 9\n",
    );
    let coverage = write(
        dir,
        "coverage.csv",
        "wkt,operator,technology,down_mbps,up_mbps,status,year\n\
         \"POLYGON((12 44,12.1 44,12.1 44.1,12 44.1,12 44))\",OPA,FTTH,1000,300,existing,\n",
    );
    let decl = write(
        dir,
        "decl.csv",
        "unit_id,comune,indirizzo,operator,technology,down_mbps,up_mbps,status,year\n\
         ,Prato,P.ZZA DUOMO 3,OPB,FTTH,2500,500,existing,\n\
         c,,,OPB,FTTH,2500,500,existing,\n\
         ,Prato,VIA ROMA 8,OPB,FTTH,2500,500,existing,\n",
    );
    (units, coverage, decl)
}

#[test]
fn classify_places_declarations_keyed_by_address_on_civico_matches_only() {
    let t = tmp();
    let (units, coverage, decl) = declarations_setup(t.path());
    let out = t.path().join("out.csv");
    let err = ok(&[
        "classify",
        "--units",
        s(&units),
        "--coverage",
        s(&coverage),
        "--declarations",
        s(&decl),
        "--rules",
        "eu2013-nga",
        "--reference-year",
        "2025",
        "--out",
        s(&out),
        "--on-error",
        "skip",
    ]);
    let (h, rows) = read_csv(&out);
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let down: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[col("id")].as_str(), r[col("best_down_mbps")].as_str()))
        .collect();
    // a by address (normalised), c by id; b is the nearest number to VIA ROMA 8: not placed
    assert_eq!(down, [("a", "2500"), ("b", "0"), ("c", "2500")]);
    assert!(
        err.contains("2 declarations keyed by address: 1 placed on a unit"),
        "{err}"
    );
    assert!(
        err.contains("1 declarations by address not placed"),
        "{err}"
    );
    let rejects = std::fs::read_to_string(t.path().join("out.rejects.csv")).unwrap();
    assert!(
        rejects.contains("decl.csv") && rejects.contains("nearest_number"),
        "{rejects}"
    );
}

#[test]
fn import_places_declarations_keyed_by_address_on_the_stored_registry() {
    let t = tmp();
    let (units, _, decl) = declarations_setup(t.path());
    let db = t.path().join("store.db");
    // no registry yet: nothing to match against
    let e = fail(&["--database-url", s(&db), "import", "declarations", s(&decl)]);
    assert!(e.contains("no registry"), "{e}");
    ok(&["--database-url", s(&db), "import", "units", s(&units)]);
    // fail mode: one row cannot be placed, nothing is stored
    let e = fail(&["--database-url", s(&db), "import", "declarations", s(&decl)]);
    assert!(e.contains("row 4") && e.contains("nearest_number"), "{e}");
    let err = ok(&[
        "--database-url",
        s(&db),
        "import",
        "declarations",
        s(&decl),
        "--on-error",
        "skip",
    ]);
    assert!(err.contains("2 declarations rows"), "{err}");
    assert!(err.contains("1 rows rejected"), "{err}");
}

#[test]
fn synth_civici_builds_a_registry_that_match_scores_against() {
    let t = tmp();
    let list = write(
        t.path(),
        "list.csv",
        "comune,com_istat_code,strada,civico\n\
         PRATO,100005,VIA ALDO MORO,7/A\n\
         PRATO,100005,VIA ALDO MORO,9\n\
         PRATO,100005,VIA DI CANNETO,1\n\
         PRATO,100005,LOCALITA' FIGLINE,0/SNC\n",
    );
    let dir = t.path().join("reg");
    let err = ok(&[
        "synth",
        "--civici",
        s(&list),
        "--respell",
        "1",
        "--drop-civici",
        "0",
        "--drop-streets",
        "0",
        "--out",
        s(&dir),
    ]);
    assert!(err.contains("3 streets respelled"), "{err}");
    let (h, rows) = read_csv(&dir.join("registry.csv"));
    assert_eq!(
        h,
        [
            "id",
            "lon",
            "lat",
            "comune",
            "address",
            "listed_street",
            "listed_civico"
        ]
    );
    assert_eq!(rows.len(), 4);
    let out = t.path().join("m.csv");
    ok(&[
        "match",
        "--registry",
        s(&dir.join("registry.csv")),
        "--addresses",
        s(&list),
        "--out",
        s(&out),
    ]);
    let (_, matched) = read_csv(&out);
    let by_id: std::collections::HashMap<&str, &Vec<String>> =
        rows.iter().map(|r| (r[0].as_str(), r)).collect();
    for m in &matched {
        let method = m[7].as_str();
        if method == "street_only" {
            assert_eq!(m[3], "0/SNC");
            continue;
        }
        assert!(
            ["exact", "normalised", "fuzzy_street"].contains(&method),
            "{m:?}"
        );
        let u = by_id[m[4].as_str()];
        assert_eq!((&u[5], &u[6]), (&m[2], &m[3]), "{m:?}");
    }
}
