//! Deployment progress end to end: `bianca progress upload|report|series|uploads` on both
//! backends (the Tuscan BUL sample, per-address uploads over simulated months and "as of"
//! queries against a brute-force replay, every validation rule, a kill during an upload,
//! uploads at once), and the HTTP routes with their roles.

mod common;

use bianca_api::store::testing::{self, TestStore};
use bianca_api::store::Store;
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const BUL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/progress/bul_stato_lavori_toscana.csv"
);
const HEADER: &str = "operator_id,plan,lot,istat_comune,civico_id,street,number,lat,lon,ui_count,technology,status,status_date,planned_start,planned_ready,ready_date,sellable_date,max_down,max_up,note\n";
const STEPS: [&str; 9] = [
    "planned",
    "design_final",
    "design_exec",
    "permits",
    "in_works",
    "works_closed",
    "testing",
    "completed",
    "sellable",
];

fn db<'a>(t: &'a TestStore, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--database-url", t.url.as_str()];
    v.extend_from_slice(args);
    v
}

fn stdout_json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "bianca {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn uploads(t: &TestStore) -> usize {
    Store::open(&t.url)
        .unwrap()
        .progress_uploads(None)
        .unwrap()
        .len()
}

fn items(t: &TestStore) -> usize {
    Store::open(&t.url)
        .unwrap()
        .progress_history()
        .unwrap()
        .len()
}

/// Civico `i`'s state in month `m` (1-based) of the simulation: `None` before it enters
/// the plan (civici enter in month 1 + i % 2), then one step a month from a start of
/// i % 3, held at sellable; every tenth civico is excluded from month 4 on.
fn state(i: usize, m: usize) -> Option<&'static str> {
    let first = 1 + i % 2;
    if m < first {
        return None;
    }
    if i % 10 == 9 && m >= 4 {
        return Some("excluded");
    }
    Some(STEPS[(m - first + i % 3).min(8)])
}

fn units_of(i: usize) -> i64 {
    1 + (i % 4) as i64
}

fn comune_of(i: usize) -> &'static str {
    if i.is_multiple_of(2) {
        "048017"
    } else {
        "100005"
    }
}

/// The per-address file of month `m`: one row per civico in the plan by then.
fn month_file(
    dir: &Path,
    m: usize,
    n: usize,
    operator: &str,
    ids: &dyn Fn(usize) -> String,
) -> std::path::PathBuf {
    let mut f = String::from(HEADER);
    for i in 0..n {
        let Some(status) = state(i, m) else { continue };
        // leaving `excluded` never happens here; entering it carries a note anyway
        let note = if status == "excluded" {
            "rights of way refused"
        } else {
            ""
        };
        f.push_str(&format!(
            "{operator},PI1G,L1,{},{},Via Roma,{},43.{:04},11.{:04},{},FTTH,{status},2025-{m:02}-15,2024-12-01,2025-05-31,,,1000,200,{note}\n",
            comune_of(i),
            ids(i),
            i + 1,
            7000 + i,
            2000 + i,
            units_of(i)
        ));
    }
    let p = dir.join(format!("{operator}-2025-{m:02}.csv"));
    std::fs::write(&p, f).unwrap();
    p
}

/// Brute force: done (completed, sellable) units in `comune` (None: all) as of `as_of`.
fn done_units(n: usize, as_of: &str, comune: Option<&str>) -> i64 {
    (0..n)
        .filter(|&i| comune.is_none_or(|c| c == comune_of(i)))
        .filter_map(|i| {
            let m = (1..=6)
                .rev()
                .find(|&m| format!("2025-{m:02}-15").as_str() <= as_of)?;
            matches!(state(i, m)?, "completed" | "sellable").then(|| units_of(i))
        })
        .sum()
}

#[test]
fn the_tuscan_bul_sample_is_stored_whole_and_its_totals_add_up() {
    for t in testing::both("progress_bul") {
        ok(&db(&t, &["db", "migrate"]));
        let err = ok(&db(
            &t,
            &["progress", "upload", BUL, "--date", "2023-05-01"],
        ));
        assert!(err.contains("13 old comune code(s) resolved"), "{err}");
        assert!(
            err.contains("52014 \"Montalcino\" -> 052037 Montalcino (same_name)"),
            "{err}"
        );
        let r = stdout_json(&db(
            &t,
            &[
                "progress",
                "report",
                "--level",
                "total",
                "--as-of",
                "2023-06-01",
                "--technology",
                "FTTH",
                "--format",
                "json",
                "--no-classification",
            ],
        ));
        let line = &r["lines"][0];
        assert_eq!(line["items"], 268, "{:?}", t.backend);
        assert_eq!(line["units"], 427_381);
        let by = &line["items_by_status"];
        for (status, n) in [
            ("completed", 92),
            ("in_works", 70),
            ("planned", 58),
            ("testing", 23),
            ("design_exec", 13),
            ("works_closed", 11),
            ("design_final", 1),
        ] {
            assert_eq!(by[status], n, "{status}");
        }
        // 268 rows, 266 comuni today: four pairs were merged since the file was written,
        // and the merged comuni show once per comune
        let r = stdout_json(&db(
            &t,
            &[
                "progress",
                "report",
                "--as-of",
                "2023-06-01",
                "--technology",
                "FTTH",
                "--format",
                "json",
                "--no-classification",
            ],
        ));
        let lines = r["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 268 - 6);
        let montalcino = lines.iter().find(|l| l["code"] == "052037").unwrap();
        assert_eq!(montalcino["items"], 2);
        assert_eq!(montalcino["units"], 3070 + 645);
        // before the file's date nothing was reported
        let r = stdout_json(&db(
            &t,
            &[
                "progress",
                "report",
                "--as-of",
                "2023-04-30",
                "--format",
                "json",
                "--no-classification",
            ],
        ));
        assert_eq!(r["lines"].as_array().unwrap().len(), 0);
        // the same content again: a no-op naming the earlier upload
        let err = ok(&db(&t, &["progress", "upload", BUL]));
        assert!(err.contains("the same content is upload 1"), "{err}");
        assert_eq!(uploads(&t), 1);
        assert_eq!(items(&t), 268 + 268 + 208);
    }
}

#[test]
fn per_address_uploads_over_months_rebuild_any_date() {
    let d = tmp();
    let n = 300;
    let ids = |i: usize| format!("C{i:05}");
    let files: Vec<_> = (1..=6)
        .map(|m| month_file(d.path(), m, n, "OpNet", &ids))
        .collect();
    for t in testing::both("progress_months") {
        ok(&db(&t, &["db", "migrate"]));
        for f in &files {
            ok(&db(&t, &["progress", "upload", s(f)]));
        }
        assert_eq!(uploads(&t), 6);
        for as_of in [
            "2025-01-14",
            "2025-01-15",
            "2025-02-20",
            "2025-03-31",
            "2025-04-15",
            "2025-06-30",
        ] {
            let r = stdout_json(&db(
                &t,
                &[
                    "progress",
                    "report",
                    "--level",
                    "total",
                    "--as-of",
                    as_of,
                    "--format",
                    "json",
                    "--no-classification",
                ],
            ));
            let got: i64 = r["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["done_units"].as_i64().unwrap())
                .sum();
            assert_eq!(got, done_units(n, as_of, None), "{as_of} {:?}", t.backend);
            if as_of == "2025-01-14" {
                assert!(r["lines"].as_array().unwrap().is_empty());
            }
        }
        // late: planned ready 2025-05-31, not done, not excluded, as of June
        let r = stdout_json(&db(
            &t,
            &[
                "progress",
                "report",
                "--level",
                "comune",
                "--as-of",
                "2025-06-30",
                "--format",
                "json",
                "--no-classification",
            ],
        ));
        let late: i64 = r["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["late_units"].as_i64().unwrap())
            .sum();
        let expected: i64 = (0..n)
            .filter(|&i| {
                !matches!(
                    state(i, 6),
                    Some("completed" | "sellable" | "excluded") | None
                )
            })
            .map(units_of)
            .sum();
        assert_eq!(late, expected);
        // the monthly series of one comune
        let s = stdout_json(&db(
            &t,
            &[
                "progress",
                "series",
                "--level",
                "comune",
                "--code",
                "048017",
                "--to",
                "2025-06-30",
                "--format",
                "json",
            ],
        ));
        let points = s.as_array().unwrap();
        assert_eq!(points.len(), 6);
        for p in points {
            let date = p["date"].as_str().unwrap();
            assert_eq!(
                p["done_units"],
                done_units(n, date, Some("048017")),
                "{date}"
            );
        }
    }
}

/// Uploads `body` (a data row after the header) and returns the rejected report.
fn rejected(t: &TestStore, dir: &Path, name: &str, rows: &str) -> Value {
    let p = dir.join(name);
    std::fs::write(&p, format!("{HEADER}{rows}")).unwrap();
    let out = run(&db(t, &["progress", "upload", s(&p), "--json"]));
    assert!(!out.status.success(), "{name} was accepted");
    let v: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(v["rejected"], true);
    v["report"].clone()
}

#[test]
fn every_validation_rule_rejects_the_whole_file_by_row_and_field() {
    let d = tmp();
    let good = "OpNet,PI1G,,048017,C1,,,,,2,FTTH,planned,2025-01-10,,,,,,,\n";
    let cases = [
        (
            "comune",
            "OpNet,PI1G,,999999,C2,,,,,2,FTTH,planned,2025-01-10,,,,,,,\n",
            "istat_comune",
        ),
        (
            "status",
            "OpNet,PI1G,,048017,C2,,,,,2,FTTH,nearly,2025-01-10,,,,,,,\n",
            "status",
        ),
        (
            "order",
            "OpNet,PI1G,,048017,C2,,,,,2,FTTH,planned,2025-01-10,2025-06-01,2025-03-01,,,,,\n",
            "planned_ready",
        ),
        (
            "negative",
            "OpNet,PI1G,,048017,C2,,,,,-1,FTTH,planned,2025-01-10,,,,,,,\n",
            "ui_count",
        ),
        (
            "missing",
            "OpNet,PI1G,,048017,C2,,,,,,FTTH,planned,2025-01-10,,,,,,,\n",
            "ui_count",
        ),
        (
            "date",
            "OpNet,PI1G,,048017,C2,,,,,1,FTTH,planned,10.01.2025,,,,,,,\n",
            "status_date",
        ),
    ];
    for t in testing::both("progress_rules") {
        ok(&db(&t, &["db", "migrate"]));
        for (name, bad, field) in cases {
            let r = rejected(
                &t,
                d.path(),
                &format!("{name}.csv"),
                &format!("{good}{bad}"),
            );
            let problems = r["problems"].as_array().unwrap();
            assert_eq!(problems.len(), 1, "{name}: {problems:?}");
            assert_eq!(problems[0]["row"], 3, "{name}");
            assert_eq!(problems[0]["field"], field, "{name}");
        }
        assert_eq!(uploads(&t), 0, "a rejected file stores nothing");
        let r = rejected(
            &t,
            d.path(),
            "unresolved.csv",
            "OpNet,PI1G,,999999,C2,,,,,2,FTTH,planned,2025-01-10,,,,,,,\n",
        );
        assert_eq!(r["unresolved"], serde_json::json!(["999999"]));
        // a step back needs a note: in works stored, then design again
        let p = d.path().join("works.csv");
        std::fs::write(
            &p,
            format!("{HEADER}OpNet,PI1G,,048017,C1,,,,,2,FTTH,in_works,2025-02-01,,,,,,,\n"),
        )
        .unwrap();
        ok(&db(&t, &["progress", "upload", s(&p)]));
        let r = rejected(
            &t,
            d.path(),
            "back.csv",
            "OpNet,PI1G,,048017,C1,,,,,2,FTTH,design_exec,2025-03-01,,,,,,,\n",
        );
        assert_eq!(r["problems"][0]["field"], "status");
        assert!(r["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("moves back from in_works"));
        let p = d.path().join("back-noted.csv");
        std::fs::write(&p, format!("{HEADER}OpNet,PI1G,,048017,C1,,,,,2,FTTH,design_exec,2025-03-01,,,,,,,new route after a landslide\n")).unwrap();
        ok(&db(&t, &["progress", "upload", s(&p)]));
        // --on-error skip stores the good rows and names the others
        let p = d.path().join("mixed.csv");
        std::fs::write(
            &p,
            format!("{HEADER}OpNet,PI1G,,048017,C7,,,,,2,FTTH,planned,2025-01-10,,,,,,,\nOpNet,PI1G,,999999,C8,,,,,2,FTTH,planned,2025-01-10,,,,,,,\n"),
        )
        .unwrap();
        fail(&db(&t, &["progress", "upload", s(&p)]));
        let v = stdout_json(&db(
            &t,
            &["progress", "upload", s(&p), "--on-error", "skip", "--json"],
        ));
        assert_eq!(v["report"]["stored_rows"], 1);
        assert_eq!(v["report"]["skipped_rows"], 1);
        assert_eq!(v["report"]["problems"][0]["row"], 3);
        assert_eq!(uploads(&t), 3);
        assert_eq!(items(&t), 3);
    }
}

#[test]
fn a_kill_during_an_upload_stores_nothing_and_uploads_at_once_each_land_whole() {
    let d = tmp();
    let n = 5_000;
    let a = month_file(d.path(), 3, n, "OpNet", &|i| format!("A{i}"));
    let b = month_file(d.path(), 3, n, "OtherNet", &|i| format!("B{i}"));
    let rows_a = (0..n).filter(|&i| state(i, 3).is_some()).count();
    for t in testing::both("progress_kill") {
        ok(&db(&t, &["db", "migrate"]));
        let mut child = bianca()
            .args(db(&t, &["progress", "upload", s(&a)]))
            .env("BIANCA_FAULT_PAUSE_AFTER_ROWS", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut seen = String::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            if line.contains("pausing after") {
                break;
            }
        }
        assert!(seen.contains("pausing after"), "{seen}");
        child.kill().unwrap(); // SIGKILL with rows written inside the transaction
        child.wait().unwrap();
        assert_eq!(uploads(&t), 0, "{:?}", t.backend);
        assert_eq!(items(&t), 0);
        // two different files and the same file twice, all at once
        let procs: Vec<_> = [&a, &b, &a]
            .iter()
            .map(|f| {
                bianca()
                    .args(db(&t, &["progress", "upload", s(f)]))
                    .stderr(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for p in procs {
            let out = p.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(uploads(&t), 2, "the same content lands once");
        assert_eq!(items(&t), 2 * rows_a);
    }
}

// --- over HTTP ---

struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(url: &str) -> Server {
        let mut child = bianca()
            .args([
                "--database-url",
                url,
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--watch",
                "1",
            ])
            .env("BIANCA_LOG", "warn")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.trim_end_matches('/').to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("bianca serve started");
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut resp = if method == "GET" {
        let mut r = agent.get(url);
        if let Some(a) = &auth {
            r = r.header("Authorization", a);
        }
        r.call()
    } else {
        let mut r = agent.post(url).header("Content-Type", content_type);
        if let Some(a) = &auth {
            r = r.header("Authorization", a);
        }
        r.send(body)
    }
    .unwrap();
    let status = resp.status().as_u16();
    let mut text = Vec::new();
    resp.body_mut().as_reader().read_to_end(&mut text).unwrap();
    (status, serde_json::from_slice(&text).unwrap_or(Value::Null))
}

fn token(url: &str, role: &str, operator: Option<&str>) -> String {
    let mut args = vec!["--database-url", url, "tokens", "create", "--role", role];
    if let Some(o) = operator {
        args.extend(["--operator", o]);
    }
    let out = run(&args);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn uploads_over_http_keep_each_operator_to_its_own_rows() {
    let d = tmp();
    ok(&[
        "synth",
        "--units",
        "3000",
        "--seed",
        "3",
        "--out",
        s(d.path()),
    ]);
    let t = testing::sqlite();
    let url = t.url.as_str();
    for (kind, file) in [("units", "units.csv"), ("coverage", "coverage.fgb")] {
        ok(&[
            "--database-url",
            url,
            "import",
            kind,
            s(&d.path().join(file)),
            "-q",
            "--public",
        ]);
    }
    ok(&[
        "--database-url",
        url,
        "classify",
        "--snapshot",
        "s1",
        "--rules",
        "eu2013-nga",
        "--reference-year",
        "2025",
        "-q",
    ]);
    // civici that are registry units, for the join with the classification
    let registry: Vec<(String, String)> = std::fs::read_to_string(d.path().join("units.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .take(40)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[4].to_string())
        })
        .collect();
    let mut a_file = String::from(HEADER);
    for (i, (id, comune)) in registry.iter().enumerate() {
        a_file.push_str(&format!(
            "OpNet,PI1G,,{comune},{id},,,43.5,11.{i:02},2,FTTH,{},2025-03-01,,,,,,,\n",
            ["planned", "in_works", "completed"][i % 3]
        ));
    }
    let b_file =
        format!("{HEADER}OtherNet,PI1G,,048017,X1,,,43.7,11.2,5,FTTH,planned,2025-03-01,,,,,,,\n");
    let admin = token(url, "admin", None);
    let planner = token(url, "planner", None);
    let up_a = token(url, "uploader", Some("OpNet"));
    let srv = Server::start(url);
    let at = |p: &str| format!("{}{p}", srv.base);
    let uploads_url = at("/api/v1/progress/uploads");

    // who may upload
    assert_eq!(
        call("POST", &uploads_url, None, "text/csv", a_file.as_bytes()).0,
        401
    );
    assert_eq!(
        call(
            "POST",
            &uploads_url,
            Some(&planner),
            "text/csv",
            a_file.as_bytes()
        )
        .0,
        403
    );
    let (st, v) = call(
        "POST",
        &uploads_url,
        Some(&up_a),
        "text/csv",
        b_file.as_bytes(),
    );
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["report"]["problems"][0]["field"], "operator_id");
    let (st, v) = call(
        "POST",
        &format!("{uploads_url}?on_error=skip"),
        Some(&up_a),
        "text/csv",
        b_file.as_bytes(),
    );
    assert_eq!(
        st, 422,
        "another operator's rows are never skipped into the store: {v}"
    );

    // multipart, as a browser form sends it
    let boundary = "XbiancaX";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"opnet-march.csv\"\r\nContent-Type: text/csv\r\n\r\n{a_file}\r\n--{boundary}--\r\n"
    );
    let (st, v) = call(
        "POST",
        &uploads_url,
        Some(&up_a),
        &format!("multipart/form-data; boundary={boundary}"),
        form.as_bytes(),
    );
    assert_eq!(st, 201, "{v}");
    let a_id = v["upload"]["id"].as_i64().unwrap();
    assert_eq!(v["upload"]["source_file"], "opnet-march.csv");
    assert_eq!(v["upload"]["operator"], "OpNet");
    assert!(v["upload"]["uploaded_by"]
        .as_str()
        .unwrap()
        .starts_with("token "));
    // the same content again (as a plain body): the earlier upload
    let (st, v) = call(
        "POST",
        &uploads_url,
        Some(&up_a),
        "text/csv",
        a_file.as_bytes(),
    );
    assert_eq!(
        (st, v["duplicate"].clone(), v["upload"]["id"].as_i64()),
        (200, Value::Bool(true), Some(a_id))
    );
    let (st, v) = call(
        "POST",
        &uploads_url,
        Some(&admin),
        "text/csv",
        b_file.as_bytes(),
    );
    assert_eq!(st, 201, "{v}");
    let b_id = v["upload"]["id"].as_i64().unwrap();

    // who sees the history
    let (_, v) = call("GET", &uploads_url, Some(&up_a), "", b"");
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(
        call(
            "GET",
            &at(&format!("/api/v1/progress/uploads/{b_id}")),
            Some(&up_a),
            "",
            b""
        )
        .0,
        404
    );
    let (st, v) = call(
        "GET",
        &at(&format!("/api/v1/progress/uploads/{a_id}")),
        Some(&up_a),
        "",
        b"",
    );
    assert_eq!(st, 200);
    assert_eq!(v["report"]["stored_rows"], 40);
    assert_eq!(
        call("GET", &uploads_url, Some(&planner), "", b"")
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(call("GET", &uploads_url, None, "", b"").0, 401);

    // points: never anonymous; an uploader sees its own operator's
    let pts = at("/api/v1/progress/points?bbox=9,42,13,45&as_of=2025-06-01");
    assert_eq!(call("GET", &pts, None, "", b"").0, 401);
    let (_, v) = call("GET", &pts, Some(&up_a), "", b"");
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 40);
    assert!(f.iter().all(|x| x["properties"]["operator"] == "OpNet"));
    assert_eq!(
        call("GET", &pts, Some(&planner), "", b"").1["features"]
            .as_array()
            .unwrap()
            .len(),
        41
    );

    // the public report: aggregates, joined with the served classification
    let (st, v) = call(
        "GET",
        &at("/api/v1/progress/report?level=total&as_of=2025-06-01&plan=PI1G"),
        None,
        "",
        b"",
    );
    assert_eq!(st, 200, "{v}");
    let line = &v["lines"][0];
    assert_eq!(line["units"], 40 * 2 + 5);
    let mut expected = HashMap::from([("pending", 0i64), ("in_works", 0), ("done", 0)]);
    for (i, (id, _)) in registry.iter().enumerate() {
        let (_, u) = call(
            "GET",
            &at(&format!("/api/v1/units/{id}")),
            Some(&admin),
            "",
            b"",
        );
        if u["classes"][0]["class"] == "white" {
            *expected
                .get_mut(["pending", "in_works", "done"][i % 3])
                .unwrap() += u["units"].as_i64().unwrap();
        }
    }
    for k in ["pending", "in_works", "done"] {
        assert_eq!(line["white"][k], expected[k], "{k}: {v}");
    }
    assert!(
        expected.values().sum::<i64>() > 0,
        "some civici are white units"
    );
    // progress by operator is not public
    assert_eq!(
        call(
            "GET",
            &at("/api/v1/progress/report?operator=OpNet"),
            None,
            "",
            b""
        )
        .0,
        401
    );
    assert_eq!(
        call(
            "GET",
            &at("/api/v1/progress/report?operator=OpNet"),
            Some(&up_a),
            "",
            b""
        )
        .0,
        200
    );
    assert_eq!(
        call(
            "GET",
            &at("/api/v1/progress/report?operator=OtherNet"),
            Some(&up_a),
            "",
            b""
        )
        .0,
        403
    );
    let (st, v) = call(
        "GET",
        &at("/api/v1/progress/series?level=total&to=2025-04-30"),
        None,
        "",
        b"",
    );
    assert_eq!(st, 200);
    assert_eq!(v.as_array().unwrap().last().unwrap()["done_units"], 13 * 2);
}
