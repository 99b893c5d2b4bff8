//! End-to-end tests of `bianca serve`: the real binary on a free port, spoken to over HTTP.
//! Tiles are decoded with geozero's MVT decoder and checked against the snapshot's export;
//! every role is tried on every route; the OpenAPI document is parsed and checked.

mod common;
use bianca_api::store::testing::{self, TestStore};
use common::*;
use geozero::mvt::{tile, Message, Tile};
use geozero::ToJson;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const UNITS: usize = 20_000;
/// An operator of the synthetic coverage, for the uploader token.
const OPERATOR: &str = "TelcoUno";

/// The synthetic inputs, generated once per test binary.
fn data() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tmp();
        ok(&[
            "synth",
            "--units",
            &UNITS.to_string(),
            "--seed",
            "7",
            "--out",
            s(d.path()),
        ]);
        d
    })
    .path()
}

fn db<'a>(url: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--database-url", url];
    v.extend_from_slice(args);
    v
}

/// Imports the synthetic Tuscany and its comuni into the store at `url` and classifies it
/// as snapshot `s1` under `rules`. `public` lists the kinds imported with `--public`;
/// `declarations` holds extra arguments for the declarations import (e.g. a name).
fn import_all(url: &str, public: &[&str], declarations: &[&str], rules: &str) {
    let d = data();
    for (kind, file) in [
        ("units", "units.csv"),
        ("coverage", "coverage.fgb"),
        ("declarations", "declarations.csv"),
    ] {
        let path = s(&d.join(file)).to_string();
        let mut args = vec!["import", kind, path.as_str(), "-q"];
        if public.contains(&kind) {
            args.push("--public");
        }
        if kind == "declarations" {
            args.extend_from_slice(declarations);
        }
        ok(&db(url, &args));
    }
    ok(&db(
        url,
        &["import", "areas", s(&d.join("comuni.geojson")), "-q"],
    ));
    ok(&db(
        url,
        &[
            "classify",
            "--snapshot",
            "s1",
            "--rules",
            rules,
            "--reference-year",
            "2025",
            "-q",
        ],
    ));
}

/// The usual store: coverage confidential, the rest public; rule sets eu2013-nga and
/// eu2023-gigabit.
fn fill(url: &str) {
    ok(&db(url, &["db", "migrate"]));
    import_all(
        url,
        &["units", "declarations"],
        &[],
        "eu2013-nga,eu2023-gigabit",
    );
}

fn token(url: &str, role: &str, operator: Option<&str>) -> String {
    let mut args = db(url, &["tokens", "create", "--role", role]);
    if let Some(o) = operator {
        args.extend_from_slice(&["--operator", o]);
    }
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A running `bianca serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(url: &str, extra: &[&str]) -> Server {
        let mut args = db(url, &["serve", "--bind", "127.0.0.1:0", "--watch", "1"]);
        args.extend_from_slice(extra);
        let mut child = bianca()
            .args(&args)
            .env("BIANCA_LOG", "warn")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start bianca serve");
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.trim_end_matches('/').to_string());
                }
                log2.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("bianca serve did not start:\n{}", log.lock().unwrap()));
        Server { child, base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Resp {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn request(
    method: &str,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    let a = agent();
    let mut resp = match method {
        "GET" => {
            let mut r = a.get(url);
            if let Some(t) = token {
                r = r.header("Authorization", &format!("Bearer {t}"));
            }
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        }
        _ => {
            let mut r = a.post(url).header("Content-Type", "application/json");
            if let Some(t) = token {
                r = r.header("Authorization", &format!("Bearer {t}"));
            }
            r.send(body.unwrap_or("{}"))
        }
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .expect("read body");
    Resp {
        status,
        headers,
        body,
    }
}

fn get(url: &str, token: Option<&str>) -> Resp {
    request("GET", url, token, &[], None)
}

/// A tile, gzip accepted and inflated, decoded; `None` for 204.
fn get_tile(url: &str, token: Option<&str>) -> Option<tile::Layer> {
    let r = request("GET", url, token, &[("Accept-Encoding", "gzip")], None);
    if r.status == 204 {
        return None;
    }
    assert_eq!(r.status, 200, "{url}: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.headers.get("content-encoding").map(String::as_str),
        Some("gzip")
    );
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/vnd.mapbox-vector-tile")
    );
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut raw)
        .unwrap();
    let t = Tile::decode(&raw[..]).expect("a valid MVT");
    assert_eq!(t.layers.len(), 1);
    Some(t.layers.into_iter().next().unwrap())
}

/// A feature's properties as JSON values.
fn props(l: &tile::Layer, f: &tile::Feature) -> HashMap<String, Value> {
    f.tags
        .chunks(2)
        .map(|kv| {
            let v = &l.values[kv[1] as usize];
            let val = if let Some(s) = &v.string_value {
                Value::from(s.clone())
            } else if let Some(u) = v.uint_value {
                Value::from(u)
            } else if let Some(i) = v.sint_value {
                Value::from(i)
            } else if let Some(d) = v.double_value {
                Value::from(d)
            } else if let Some(b) = v.bool_value {
                Value::from(b)
            } else {
                Value::Null
            };
            (l.keys[kv[0] as usize].clone(), val)
        })
        .collect()
}

/// A feature's geometry decoded by geozero, as GeoJSON (tile coordinates).
fn geometry(f: &tile::Feature) -> Value {
    serde_json::from_str(&f.to_json().expect("decodable geometry")).unwrap()
}

/// Tile (z, x, y) containing lon/lat, and the point's position in it (0..4096).
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32, f64, f64) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let lr = lat.to_radians();
    let y = (1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (
        x as u32,
        y as u32,
        (x - x.floor()) * 4096.0,
        (y - y.floor()) * 4096.0,
    )
}

/// Snapshot s1's export: id -> row.
fn export(url: &str, dir: &Path) -> HashMap<String, HashMap<String, String>> {
    export_of(url, dir, "s1")
}

/// A snapshot's export: id -> row.
fn export_of(url: &str, dir: &Path, name: &str) -> HashMap<String, HashMap<String, String>> {
    let out = dir.join(format!("export-{name}.csv"));
    ok(&db(url, &["snapshots", "export", name, "--out", s(&out)]));
    let mut r = csv::Reader::from_path(&out).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: HashMap<String, String> = headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (row["id"].clone(), row)
        })
        .collect()
}

/// The server most tests share (they only read), with its tokens and the export.
struct Shared {
    _store: TestStore,
    _dir: tempfile::TempDir,
    server: Server,
    admin: String,
    planner: String,
    uploader: String,
    rows: HashMap<String, HashMap<String, String>>,
}

fn shared() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let store = testing::sqlite();
        let dir = tmp();
        fill(&store.url);
        let rows = export(&store.url, dir.path());
        let (admin, planner, uploader) = (
            token(&store.url, "admin", None),
            token(&store.url, "planner", None),
            token(&store.url, "uploader", Some(OPERATOR)),
        );
        let server = Server::start(&store.url, &[]);
        Shared {
            _store: store,
            _dir: dir,
            server,
            admin,
            planner,
            uploader,
            rows,
        }
    })
}

/// The unit with most neighbours within its zoom-14 tile: a dense place.
fn dense_unit(rows: &HashMap<String, HashMap<String, String>>) -> (f64, f64) {
    let mut count: HashMap<(u32, u32), usize> = HashMap::new();
    for r in rows.values() {
        let (x, y, _, _) = tile_of(r["lon"].parse().unwrap(), r["lat"].parse().unwrap(), 14);
        *count.entry((x, y)).or_default() += 1;
    }
    let best = count.iter().max_by_key(|(k, v)| (**v, **k)).unwrap().0;
    let r = rows
        .values()
        .find(|r| {
            let (x, y, _, _) = tile_of(r["lon"].parse().unwrap(), r["lat"].parse().unwrap(), 14);
            (x, y) == *best
        })
        .unwrap();
    (r["lon"].parse().unwrap(), r["lat"].parse().unwrap())
}

#[test]
fn unit_tiles_hold_every_address_of_the_tile_with_its_class() {
    let sh = shared();
    let (lon, lat) = dense_unit(&sh.rows);
    let (x, y, _, _) = tile_of(lon, lat, 14);
    let l = get_tile(
        &sh.server.url(&format!("/tiles/units/14/{x}/{y}.mvt")),
        None,
    )
    .unwrap();
    assert_eq!(l.name, "units");
    assert_eq!(l.extent, Some(4096));
    let mut inside = BTreeSet::new();
    for f in &l.features {
        let p = props(&l, f);
        let id = p["id"].as_str().unwrap();
        let row = &sh.rows[id];
        assert_eq!(p["class"], row["class"].as_str(), "class of {id}");
        assert_eq!(
            p["units"],
            row["units"].parse::<u64>().unwrap(),
            "units of {id}"
        );
        // the public view has no exact speeds
        assert!(!p.contains_key("down"));
        let g = geometry(f);
        assert_eq!(g["type"], "Point");
        let (_, _, px, py) = tile_of(row["lon"].parse().unwrap(), row["lat"].parse().unwrap(), 14);
        let (gx, gy) = (
            g["coordinates"][0].as_f64().unwrap(),
            g["coordinates"][1].as_f64().unwrap(),
        );
        let (tx, ty, _, _) = tile_of(row["lon"].parse().unwrap(), row["lat"].parse().unwrap(), 14);
        // positions are relative to this tile, also for buffer points of neighbours
        let ex = px + (f64::from(tx) - f64::from(x)) * 4096.0;
        let ey = py + (f64::from(ty) - f64::from(y)) * 4096.0;
        assert!(
            (gx - ex).abs() <= 1.0 && (gy - ey).abs() <= 1.0,
            "{id} at {gx},{gy}, expected {ex},{ey}"
        );
        assert!((-64.0..=4160.0).contains(&gx) && (-64.0..=4160.0).contains(&gy));
        inside.insert(id.to_string());
    }
    let expected: BTreeSet<String> = sh
        .rows
        .values()
        .filter(|r| {
            let (tx, ty, _, _) = tile_of(r["lon"].parse().unwrap(), r["lat"].parse().unwrap(), 14);
            (tx, ty) == (x, y)
        })
        .map(|r| r["id"].clone())
        .collect();
    assert!(expected.len() > 50, "a dense tile: {}", expected.len());
    let missing: Vec<&String> = expected.difference(&inside).collect();
    assert!(
        missing.is_empty(),
        "units missing from the tile: {missing:?}"
    );

    // planners see the exact speeds
    let l = get_tile(
        &sh.server.url(&format!("/tiles/units/14/{x}/{y}.mvt")),
        Some(&sh.planner),
    )
    .unwrap();
    let f = &l.features[0];
    let p = props(&l, f);
    let row = &sh.rows[p["id"].as_str().unwrap()];
    assert_eq!(
        p["down"].as_f64().unwrap(),
        row["best_down_mbps"].parse::<f64>().unwrap()
    );

    // another rule set's classes
    let l = get_tile(
        &sh.server
            .url(&format!("/tiles/units/14/{x}/{y}.mvt?rules=eu2023-gigabit")),
        None,
    )
    .unwrap();
    for f in &l.features {
        let p = props(&l, f);
        assert_eq!(
            p["class"],
            sh.rows[p["id"].as_str().unwrap()]["class_eu2023_gigabit"].as_str()
        );
    }
}

#[test]
fn a_low_zoom_hexagon_tile_sums_to_the_snapshot_and_stays_small() {
    let sh = shared();
    // z4 tile 8/5 holds all of Tuscany
    let url = sh.server.url("/tiles/hexagons/4/8/5.mvt");
    let r = request("GET", &url, None, &[("Accept-Encoding", "gzip")], None);
    assert!(r.body.len() < 500_000, "{} bytes", r.body.len());
    let l = get_tile(&url, None).unwrap();
    let (mut units, mut white, mut addresses) = (0u64, 0u64, 0u64);
    for f in &l.features {
        let p = props(&l, f);
        assert_eq!(p["res"], 5);
        units += p["units"].as_u64().unwrap();
        addresses += p["addresses"].as_u64().unwrap();
        white += p["n_white"].as_u64().unwrap();
        // exterior rings are clockwise on screen: positive area in tile coordinates
        let g = geometry(f);
        assert_eq!(g["type"], "Polygon");
        let ring = g["coordinates"][0].as_array().unwrap();
        let mut a = 0.0;
        for w in ring.windows(2) {
            let (x0, y0) = (w[0][0].as_f64().unwrap(), w[0][1].as_f64().unwrap());
            let (x1, y1) = (w[1][0].as_f64().unwrap(), w[1][1].as_f64().unwrap());
            a += x0 * y1 - x1 * y0;
        }
        assert!(a > 0.0, "ring area {a}");
    }
    let want_units: u64 = sh
        .rows
        .values()
        .map(|r| r["units"].parse::<u64>().unwrap())
        .sum();
    let want_white: u64 = sh
        .rows
        .values()
        .filter(|r| r["class"] == "white")
        .map(|r| r["units"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(addresses, UNITS as u64);
    assert_eq!(units, want_units);
    assert_eq!(white, want_white);

    // below zoom 13 the units layer holds one cluster point per cell
    let l = get_tile(&sh.server.url("/tiles/units/4/8/5.mvt"), None).unwrap();
    let total: u64 = l
        .features
        .iter()
        .map(|f| props(&l, f)["units"].as_u64().unwrap())
        .sum();
    assert_eq!(total, want_units);
    assert!(l.features.iter().all(|f| props(&l, f)["cluster"] == true));
}

#[test]
fn area_tiles_and_the_api_agree_with_the_statistics() {
    let sh = shared();
    let stats = get(
        &sh.server.url("/api/v1/stats?level=comune&code=048017"),
        None,
    )
    .json();
    let firenze = &stats["areas"][0];
    assert_eq!(firenze["name"], "Firenze");
    let want_units: u64 = sh
        .rows
        .values()
        .filter(|r| r["comune"] == "048017")
        .map(|r| r["units"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(firenze["units"], want_units);
    let (x, y, _, _) = tile_of(11.25, 43.77, 9);
    let l = get_tile(&sh.server.url(&format!("/tiles/areas/9/{x}/{y}.mvt")), None).unwrap();
    let f = l
        .features
        .iter()
        .find(|f| props(&l, f)["code"] == "048017")
        .expect("Firenze in the tile");
    let p = props(&l, f);
    assert_eq!(p["level"], "comune");
    assert_eq!(p["units"], want_units);
    assert_eq!(p["n_white"], firenze["classes"][0]["units"]);
    // the province is there too at zoom 9, dissolved from its comuni
    assert!(l
        .features
        .iter()
        .any(|f| props(&l, f)["code"] == "048" && props(&l, f)["level"] == "province"));

    let a = get(&sh.server.url("/api/v1/areas/048017?geometry=true"), None).json();
    assert_eq!(a["province"], "048");
    assert_eq!(a["stats"][0]["units"], want_units);
    assert_eq!(a["geometry"]["type"], "MultiPolygon");
    // the export of the comune's units: every unit of Firenze, with its class
    let csv = get(
        &sh.server.url("/api/v1/areas/048017/units"),
        Some(&sh.planner),
    );
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let mut r = csv::Reader::from_reader(&csv.body[..]);
    let mut n = 0;
    for rec in r.deserialize::<HashMap<String, String>>() {
        let rec = rec.unwrap();
        let row = &sh.rows[&rec["id"]];
        assert_eq!(rec["comune"], "048017");
        assert_eq!(rec["class_eu2013-nga"], row["class"]);
        n += 1;
    }
    let want_n = sh.rows.values().filter(|r| r["comune"] == "048017").count();
    assert_eq!(n, want_n);
    let gj = get(
        &sh.server.url("/api/v1/areas/048/units?format=geojson"),
        Some(&sh.planner),
    )
    .json();
    let want_p = sh
        .rows
        .values()
        .filter(|r| r["comune"].starts_with("048"))
        .count();
    assert_eq!(gj["features"].as_array().unwrap().len(), want_p);
    // a drawn rectangle: exactly the units inside it (its edges included)
    let (w, so, e, n) = (11.2, 43.74, 11.3, 43.8);
    let body = format!(
        r#"{{"polygon": {{"type": "Polygon", "coordinates": [[[{w}, {so}], [{e}, {so}], [{e}, {n}], [{w}, {n}], [{w}, {so}]]]}}, "format": "geojson"}}"#
    );
    let r = request(
        "POST",
        &sh.server.url("/api/v1/units/export"),
        Some(&sh.planner),
        &[],
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got: BTreeSet<String> = r.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = sh
        .rows
        .values()
        .filter(|r| {
            let (x, y): (f64, f64) = (r["lon"].parse().unwrap(), r["lat"].parse().unwrap());
            (w..=e).contains(&x) && (so..=n).contains(&y)
        })
        .map(|r| r["id"].clone())
        .collect();
    assert!(want.len() > 100, "{}", want.len());
    assert_eq!(got, want);
    let r = request(
        "POST",
        &sh.server.url("/api/v1/units/export"),
        Some(&sh.planner),
        &[],
        Some(r#"{"polygon": {"type": "Point", "coordinates": [11, 43]}}"#),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "bad_request");
    let total = get(&sh.server.url("/api/v1/stats?level=total"), None).json();
    assert_eq!(total["areas"][0]["addresses"], UNITS);
}

#[test]
fn coverage_tiles_of_a_confidential_dataset_are_refused_to_the_public() {
    let sh = shared();
    let (x, y, _, _) = tile_of(11.25, 43.77, 10);
    let url = sh.server.url(&format!("/tiles/coverage/10/{x}/{y}.mvt"));
    let r = get(&url, None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "unauthorized");
    assert_eq!(get(&url, Some(&sh.uploader)).status, 403);
    let l = get_tile(&url, Some(&sh.planner)).unwrap();
    assert!(!l.features.is_empty());
    let ops: BTreeSet<String> = l
        .features
        .iter()
        .map(|f| props(&l, f)["operator"].as_str().unwrap().to_string())
        .collect();
    assert!(ops.len() > 1, "{ops:?}");
    // an uploader sees its own operator's footprints, and only those
    let own = format!("{url}?operator={OPERATOR}");
    let l = get_tile(&own, Some(&sh.uploader)).unwrap();
    assert!(l
        .features
        .iter()
        .all(|f| props(&l, f)["operator"] == OPERATOR));
    assert_eq!(
        get(&format!("{url}?operator=FibraNet"), Some(&sh.uploader)).status,
        403
    );
    // filters
    let l = get_tile(&format!("{url}?technology=ftth"), Some(&sh.planner)).unwrap();
    assert!(l
        .features
        .iter()
        .all(|f| props(&l, f)["technology"] == "FTTH"));

    // the unit lookup leaves out confidential offers for the public
    let id = sh
        .rows
        .values()
        .find(|r| r["technologies"].contains("FTTH"))
        .map(|r| r["id"].clone())
        .unwrap();
    let public = get(&sh.server.url(&format!("/api/v1/units/{id}")), None).json();
    let full = get(
        &sh.server.url(&format!("/api/v1/units/{id}")),
        Some(&sh.planner),
    )
    .json();
    assert!(public["best_down_mbps"].is_null());
    assert_eq!(
        full["best_down_mbps"].as_f64().unwrap(),
        sh.rows[&id]["best_down_mbps"].parse::<f64>().unwrap()
    );
    assert_eq!(
        public["classes"][0]["class"],
        sh.rows[&id]["class"].as_str()
    );
    assert!(public["offers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["via"] == "declaration"));
    assert!(full["offers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["via"] == "footprint" && o["dataset"] == "coverage"));
    assert_eq!(public["technology"], "FTTH");
}

/// Who may do what: every role on every route.
#[test]
fn every_role_on_every_route() {
    let sh = shared();
    let id = sh.rows.keys().min().unwrap().clone();
    let (x, y, _, _) = tile_of(11.25, 43.77, 12);
    let cov = format!("/tiles/coverage/12/{x}/{y}.mvt");
    let cov_own = format!("{cov}?operator={OPERATOR}");
    let unit = format!("/api/v1/units/{id}");
    let units_tile = format!("/tiles/units/12/{x}/{y}.mvt");
    // (method, path, body, anonymous, uploader, planner, admin)
    let table: Vec<(&str, &str, Option<&str>, [u16; 4])> = vec![
        ("GET", "/healthz", None, [200, 200, 200, 200]),
        ("GET", "/api/v1/openapi.json", None, [200, 200, 200, 200]),
        ("GET", "/api/v1/snapshots", None, [200, 200, 200, 200]),
        ("GET", "/api/v1/rules", None, [200, 200, 200, 200]),
        ("GET", "/api/v1/datasets", None, [200, 200, 200, 200]),
        ("GET", "/api/v1/offers", None, [200, 200, 200, 200]),
        (
            "GET",
            "/fonts/DejaVu%20Sans/0-255.pbf",
            None,
            [200, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/stats?level=province",
            None,
            [200, 200, 200, 200],
        ),
        ("GET", "/api/v1/areas/048", None, [200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/areas/048017/units",
            None,
            [401, 403, 200, 200],
        ),
        ("GET", &unit, None, [200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/search?q=firenze",
            None,
            [200, 200, 200, 200],
        ),
        ("GET", "/tiles/units.json", None, [200, 200, 200, 200]),
        ("GET", "/tiles/hexagons.json", None, [200, 200, 200, 200]),
        ("GET", "/tiles/areas.json", None, [200, 200, 200, 200]),
        ("GET", "/tiles/coverage.json", None, [401, 403, 200, 200]),
        ("GET", &units_tile, None, [200, 200, 200, 200]),
        (
            "GET",
            "/tiles/hexagons/6/33/23.mvt",
            None,
            [200, 200, 200, 200],
        ),
        (
            "GET",
            "/tiles/areas/6/33/23.mvt",
            None,
            [200, 200, 200, 200],
        ),
        ("GET", &cov, None, [401, 403, 200, 200]),
        ("GET", &cov_own, None, [401, 200, 200, 200]),
        ("GET", "/metrics", None, [401, 403, 403, 200]),
        ("POST", "/api/v1/reload", None, [401, 403, 403, 200]),
        // progress: the body "{}" is no progress file, so a caller who may upload gets 422
        (
            "POST",
            "/api/v1/progress/uploads",
            None,
            [401, 422, 403, 422],
        ),
        (
            "GET",
            "/api/v1/progress/uploads",
            None,
            [401, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/progress/uploads/1",
            None,
            [401, 404, 404, 404],
        ),
        ("GET", "/api/v1/progress/report", None, [200, 200, 200, 200]),
        ("GET", "/api/v1/progress/series", None, [200, 200, 200, 200]),
        (
            "GET",
            "/api/v1/progress/points?bbox=9,42,13,45",
            None,
            [401, 200, 200, 200],
        ),
        (
            "POST",
            "/api/v1/datasets/declarations/publish",
            Some(r#"{"public": true}"#),
            [401, 403, 403, 200],
        ),
    ];
    let tokens = [
        None,
        Some(sh.uploader.as_str()),
        Some(sh.planner.as_str()),
        Some(sh.admin.as_str()),
    ];
    let names = ["anonymous", "uploader", "planner", "admin"];
    let mut wrong = Vec::new();
    for (method, path, body, want) in &table {
        for (k, t) in tokens.iter().enumerate() {
            let r = request(method, &sh.server.url(path), *t, &[], *body);
            if r.status != want[k] {
                wrong.push(format!(
                    "{} {method} {path}: {} (want {})",
                    names[k], r.status, want[k]
                ));
            }
            if r.status == 401 || r.status == 403 {
                // a denial carries the error and nothing else
                let j = r.json();
                let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["error"], "{method} {path}");
                assert_eq!(j["error"].as_object().unwrap().len(), 2);
            }
        }
        // a bad token is refused everywhere, never taken for anonymous
        if !path.starts_with("/healthz") {
            let bad = format!("bianca_1_{}", "0".repeat(64));
            let r = request(method, &sh.server.url(path), Some(&bad), &[], *body);
            if r.status != 401 {
                wrong.push(format!("bad token {method} {path}: {}", r.status));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // anonymous callers do not learn of confidential datasets
    let ds = get(&sh.server.url("/api/v1/datasets"), None).json();
    let names: Vec<&str> = ds
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"coverage") && names.contains(&"declarations"),
        "{names:?}"
    );
    let snaps = get(&sh.server.url("/api/v1/snapshots"), None).json();
    assert!(snaps[0]["created_by"].is_null());
    assert!(!snaps[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "coverage"));
}

#[test]
fn the_openapi_document_is_valid_and_lists_every_route() {
    let sh = shared();
    let r = get(&sh.server.url("/api/v1/openapi.json"), None);
    let text = String::from_utf8(r.body).unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI document");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let paths: BTreeSet<String> = spec.paths.as_ref().unwrap().keys().cloned().collect();
    let want: BTreeSet<String> = [
        "/healthz",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/snapshots",
        "/api/v1/rules",
        "/api/v1/datasets",
        "/api/v1/offers",
        "/fonts/{fontstack}/{range}.pbf",
        "/api/v1/datasets/{name}/publish",
        "/api/v1/reload",
        "/api/v1/stats",
        "/api/v1/areas/{code}",
        "/api/v1/areas/{code}/units",
        "/api/v1/areas/{code}/moves",
        "/api/v1/units/{id}",
        "/api/v1/units/export",
        "/api/v1/search",
        "/api/v1/progress/uploads",
        "/api/v1/progress/uploads/{id}",
        "/api/v1/progress/report",
        "/api/v1/progress/series",
        "/api/v1/progress/points",
        "/tiles/{layer}.json",
        "/tiles/{layer}/{z}/{x}/{y}.mvt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(paths, want);
    assert_eq!(spec.operations().count(), 25);
    // every reference resolves
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut refs = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap().to_string());
                    } else {
                        walk(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let p = r.strip_prefix("#/").unwrap();
        let mut at = &doc;
        for part in p.split('/') {
            at = at.get(part).unwrap_or_else(|| panic!("unresolved {r}"));
        }
    }
}

#[test]
fn search_finds_addresses_and_comuni() {
    let sh = shared();
    let r = get(&sh.server.url("/api/v1/search?q=firenze&limit=3"), None).json();
    assert_eq!(r[0]["kind"], "comune");
    assert_eq!(r[0]["code"], "048017");
    // an address with its comune: the unit itself, or one at the very same address
    let row = sh
        .rows
        .values()
        .find(|r| r["comune"] == "048017" && !r["address"].is_empty())
        .unwrap();
    let q = format!("{} firenze", row["address"]);
    let url = sh.server.url(&format!(
        "/api/v1/search?q={}",
        q.replace(' ', "%20").replace('\'', "%27")
    ));
    let r = get(&url, None).json();
    let first = &r[0];
    assert_eq!(first["kind"], "address", "{r}");
    assert_eq!(first["label"], format!("{}, Firenze", row["address"]));
    let hit = &sh.rows[first["id"].as_str().unwrap()];
    assert_eq!(hit["address"], row["address"]);
    assert_eq!(
        first["lon"].as_f64().unwrap(),
        hit["lon"].parse::<f64>().unwrap()
    );
    // the same address with its street type abbreviated, typed in lower case: found by the
    // address matcher's normalisation (the first hit reads the same once normalised)
    let row = sh
        .rows
        .values()
        .find(|r| r["comune"] == "048017" && r["address"].starts_with("VIA "))
        .unwrap();
    let q = format!("v. {} firenze", &row["address"][4..]).to_lowercase();
    let url = sh.server.url(&format!(
        "/api/v1/search?q={}",
        q.replace(' ', "%20").replace('\'', "%27")
    ));
    let r = get(&url, None).json();
    assert_eq!(r[0]["kind"], "address", "{q}: {r}");
    let words = bianca_engine::address::search_words;
    assert_eq!(
        words(r[0]["label"].as_str().unwrap()),
        words(&format!("{} Firenze", row["address"])),
        "{q}: {r}"
    );
    let r = get(&sh.server.url("/api/v1/search?q="), None);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "bad_request");
}

#[test]
fn errors_are_json_with_the_right_status() {
    let sh = shared();
    for (path, status, code) in [
        ("/tiles/roads/1/0/0.mvt", 404, "not_found"),
        ("/tiles/units/3/8/0.mvt", 400, "bad_request"),
        ("/tiles/units/x/0/0.mvt", 400, "bad_request"),
        ("/api/v1/units/no-such-unit", 404, "not_found"),
        ("/api/v1/areas/999999", 404, "not_found"),
        ("/api/v1/stats?level=country", 400, "bad_request"),
        ("/api/v1/stats?rules=nope", 404, "not_found"),
        // another snapshot is for planners; an unknown one too
        ("/api/v1/stats?snapshot=nope", 401, "unauthorized"),
        ("/nowhere", 404, "not_found"),
        // axum's own rejections get the same shape
        ("/api/v1/search", 400, "bad_request"),
        ("/api/v1/search?q=roma&limit=-1", 400, "bad_request"),
        ("/api/v1/areas/048017?geometry=maybe", 400, "bad_request"),
    ] {
        let r = get(&sh.server.url(path), None);
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.json()["error"]["code"], code, "{path}");
    }
    // a tile without gzip is the same tile, inflated
    let (x, y, _, _) = tile_of(11.25, 43.77, 13);
    let url = sh.server.url(&format!("/tiles/units/13/{x}/{y}.mvt"));
    let plain = request("GET", &url, None, &[], None);
    assert!(!plain.headers.contains_key("content-encoding"));
    let t = Tile::decode(&plain.body[..]).unwrap();
    assert_eq!(
        t.layers[0].features.len(),
        get_tile(&url, None).unwrap().features.len()
    );
    // JSON is compressed for clients that accept it
    let r = request(
        "GET",
        &sh.server.url("/api/v1/stats"),
        None,
        &[("Accept-Encoding", "gzip")],
        None,
    );
    assert_eq!(
        r.headers.get("content-encoding").map(String::as_str),
        Some("gzip")
    );
}

/// A new snapshot is picked up without a restart, the cache emptied; publishing a dataset
/// opens its coverage to the public; SIGTERM stops the server cleanly.
#[test]
fn new_snapshots_and_publications_apply_while_serving() {
    let store = testing::sqlite();
    fill(&store.url);
    let admin = token(&store.url, "admin", None);
    let server = Server::start(
        &store.url,
        &["--body-limit-kb", "1", "--cors", "https://maps.example.org"],
    );
    let (x, y, _, _) = tile_of(11.25, 43.77, 10);
    // an oversized body is refused before any handler
    let big = format!("{{\"public\": true, \"x\": \"{}\"}}", "a".repeat(4096));
    let r = request(
        "POST",
        &server.url("/api/v1/datasets/coverage/publish"),
        Some(&admin),
        &[],
        Some(&big),
    );
    assert_eq!(r.status, 413);
    let cov = server.url(&format!("/tiles/coverage/10/{x}/{y}.mvt"));
    assert_eq!(get(&cov, None).status, 401);
    let tile_url = server.url("/tiles/hexagons/4/8/5.mvt");
    assert!(get_tile(&tile_url, None).is_some());

    // publish through the API: applies at once
    let r = request(
        "POST",
        &server.url("/api/v1/datasets/coverage/publish"),
        Some(&admin),
        &[],
        Some(r#"{"public": true}"#),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(get_tile(&cov, None).is_some());
    // and withdrawn from the command line: within the watch interval
    ok(&db(&store.url, &["datasets", "unpublish", "coverage"]));
    wait_for(
        || get(&cov, None).status == 401,
        "the coverage to be withdrawn",
    );

    // a second snapshot: bead first, then eu2013-nga
    ok(&db(
        &store.url,
        &[
            "classify",
            "--snapshot",
            "s2",
            "--rules",
            "bead,eu2013-nga",
            "--reference-year",
            "2025",
            "-q",
        ],
    ));
    wait_for(
        || get(&server.url("/healthz"), None).json()["snapshot"] == "s2",
        "the server to serve s2",
    );
    let l = get_tile(&tile_url, None).unwrap();
    assert!(
        props(&l, &l.features[0]).contains_key("n_served"),
        "tiles of the new snapshot"
    );
    // comparing: the same inputs under eu2013-nga (first in s1, second in s2) change nothing
    let cmp = get(
        &server.url("/api/v1/stats?level=province&snapshot=s2&compare=s1&rules=eu2013-nga"),
        None,
    )
    .json();
    assert_eq!(cmp["compare"], "s1");
    let areas = cmp["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 10, "the ten Tuscan provinces");
    for a in areas {
        assert_eq!(a["classes"], a["compared"]["classes"], "{a}");
        assert!(a["change"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["units"] == 0));
    }
    // (another snapshot than the served one: planners and admins only)
    let cmp = get(
        &server.url("/api/v1/stats?level=total&snapshot=s1&compare=s2&rules=bead"),
        Some(&admin),
    );
    assert_eq!(cmp.status, 404, "s1 has no bead rule set");
    // units marked with their class in another snapshot (planners and admins)
    let (x, y, _, _) = tile_of(11.25, 43.77, 14);
    let units_url = server.url(&format!(
        "/tiles/units/14/{x}/{y}.mvt?rules=eu2013-nga&compare=s1"
    ));
    assert_eq!(get(&units_url, None).status, 401);
    let l = get_tile(&units_url, Some(&admin)).unwrap();
    assert!(!l.features.is_empty());
    for f in &l.features {
        let p = props(&l, f);
        assert_eq!(p["changed"], false, "same inputs, same class");
        assert_eq!(p["was"], p["class"]);
    }
    let l = get_tile(
        &server.url(&format!(
            "/tiles/units/14/{x}/{y}.mvt?rules=bead&compare=s1"
        )),
        Some(&admin),
    )
    .unwrap();
    assert!(
        !props(&l, &l.features[0]).contains_key("was"),
        "s1 has no bead"
    );
    let r = get(
        &server.url(&format!("/tiles/units/14/{x}/{y}.mvt?compare=nope")),
        Some(&admin),
    );
    assert_eq!(r.status, 404);
    // the moves between classes of a province: none under eu2013-nga (the same inputs),
    // every address unchanged; s1 has no bead rule set
    let m = get(
        &server.url("/api/v1/areas/048/moves?compare=s1&rules=eu2013-nga"),
        Some(&admin),
    )
    .json();
    assert_eq!(m["moves"].as_array().unwrap().len(), 0, "{m}");
    let province_addresses =
        get(&server.url("/api/v1/areas/048"), None).json()["stats"][0]["addresses"].clone();
    assert_eq!(m["unchanged_addresses"], province_addresses);
    let r = get(
        &server.url("/api/v1/areas/048/moves?compare=s1&rules=bead"),
        Some(&admin),
    );
    assert_eq!(r.status, 404);
    // CORS, as configured
    let r = request(
        "GET",
        &server.url("/api/v1/rules"),
        None,
        &[("Origin", "https://maps.example.org")],
        None,
    );
    assert_eq!(
        r.headers
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some("https://maps.example.org")
    );
    let r = request(
        "GET",
        &server.url("/api/v1/rules"),
        None,
        &[("Origin", "https://elsewhere.example")],
        None,
    );
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    let m = get(&server.url("/metrics"), Some(&admin));
    let text = String::from_utf8(m.body).unwrap();
    assert!(text.contains("bianca_snapshot_reloads_total 1"), "{text}");
    assert!(text.contains("bianca_tile_cache_misses_total 5"), "{text}");

    // graceful shutdown
    let mut server = server;
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "no shutdown");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "{status:?}\n{}",
        server.log.lock().unwrap()
    );
}

/// Planners view another stored snapshot than the served one: its tiles, TileJSON,
/// statistics, areas, units and rule sets; the public and uploaders are refused; an unknown
/// name is a 404.
#[test]
fn planners_view_another_snapshot() {
    let store = testing::sqlite();
    let url = store.url.as_str();
    fill(url);
    // s0: the same inputs in 2022, one rule set; plans due by 2025 count in s1 only
    ok(&db(
        url,
        &[
            "classify",
            "--snapshot",
            "s0",
            "--rules",
            "eu2013-nga",
            "--reference-year",
            "2022",
            "-q",
        ],
    ));
    let dir = tmp();
    let rows0 = export_of(url, dir.path(), "s0");
    let rows1 = export_of(url, dir.path(), "s1");
    let planner = token(url, "planner", None);
    let uploader = token(url, "uploader", Some(OPERATOR));
    // s0 is the latest: serve s1, view s0
    let server = Server::start(url, &["--snapshot", "s1", "--keep-snapshots", "1"]);
    assert_eq!(get(&server.url("/healthz"), None).json()["snapshot"], "s1");

    // a unit whose class differs, in the densest zoom-14 tile of such units
    let changed: Vec<&String> = rows0
        .keys()
        .filter(|id| rows1[*id]["class"] != rows0[*id]["class"])
        .collect();
    assert!(changed.len() > 100, "{} units changed class", changed.len());
    let mut per_tile: HashMap<(u32, u32), usize> = HashMap::new();
    for id in &changed {
        let r = &rows0[*id];
        let (x, y, _, _) = tile_of(r["lon"].parse().unwrap(), r["lat"].parse().unwrap(), 14);
        *per_tile.entry((x, y)).or_default() += 1;
    }
    let ((x, y), n) = per_tile.iter().max_by_key(|(k, v)| (**v, **k)).unwrap();
    assert!(*n > 3, "{n} changed units in the tile");

    // tiles of s0 carry s0's classes; the served tiles s1's
    let tile = format!("/tiles/units/14/{x}/{y}.mvt");
    let l = get_tile(&server.url(&format!("{tile}?snapshot=s0")), Some(&planner)).unwrap();
    let mut differ = 0;
    for f in &l.features {
        let p = props(&l, f);
        let id = p["id"].as_str().unwrap();
        assert_eq!(p["class"], rows0[id]["class"].as_str(), "s0 class of {id}");
        if rows1[id]["class"] != rows0[id]["class"] {
            differ += 1;
        }
    }
    assert!(differ > 3, "{differ} units of the tile differ from s1");
    let l = get_tile(&server.url(&tile), Some(&planner)).unwrap();
    for f in &l.features {
        let p = props(&l, f);
        assert_eq!(
            p["class"],
            rows1[p["id"].as_str().unwrap()]["class"].as_str()
        );
    }
    // compared with the served snapshot from the viewed one
    let l = get_tile(
        &server.url(&format!("{tile}?snapshot=s0&compare=s1")),
        Some(&planner),
    )
    .unwrap();
    for f in &l.features {
        let p = props(&l, f);
        let id = p["id"].as_str().unwrap();
        assert_eq!(p["was"], rows1[id]["class"].as_str());
        assert_eq!(p["changed"], rows1[id]["class"] != rows0[id]["class"]);
    }
    // hexagons: the classes summed over Tuscany are s0's
    let l = get_tile(
        &server.url("/tiles/hexagons/4/8/5.mvt?snapshot=s0"),
        Some(&planner),
    )
    .unwrap();
    let white: u64 = l
        .features
        .iter()
        .map(|f| props(&l, f)["n_white"].as_u64().unwrap())
        .sum();
    let white0: u64 = rows0
        .values()
        .filter(|r| r["class"] == "white")
        .map(|r| r["units"].parse::<u64>().unwrap())
        .sum();
    let white1: u64 = rows1
        .values()
        .filter(|r| r["class"] == "white")
        .map(|r| r["units"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(white, white0);
    assert_ne!(white0, white1);
    let tj = get(&server.url("/tiles/units.json?snapshot=s0"), Some(&planner)).json();
    assert!(
        tj["tiles"][0].as_str().unwrap().ends_with("?snapshot=s0"),
        "{tj}"
    );

    // statistics and the area of a comune with changes: s0's stored figures
    let id = changed
        .iter()
        .find(|id| rows0[**id]["comune"] == "048017")
        .or(changed.first())
        .unwrap();
    let comune = rows0[*id]["comune"].clone();
    let count = |rows: &HashMap<String, HashMap<String, String>>, class: &str| -> i64 {
        rows.values()
            .filter(|r| r["comune"] == comune && r["class"] == class)
            .map(|r| r["units"].parse::<i64>().unwrap())
            .sum()
    };
    let st = get(
        &server.url(&format!(
            "/api/v1/stats?snapshot=s0&level=comune&code={comune}"
        )),
        Some(&planner),
    )
    .json();
    assert_eq!(st["snapshot"], "s0");
    let classes = st["areas"][0]["classes"].as_array().unwrap();
    let mut some_differ = false;
    for c in classes {
        let class = c["class"].as_str().unwrap();
        assert_eq!(
            c["units"],
            count(&rows0, class),
            "{class} in {comune}: {st}"
        );
        some_differ |= count(&rows0, class) != count(&rows1, class);
    }
    assert!(some_differ, "the comune's figures differ between s0 and s1");
    let area = get(
        &server.url(&format!("/api/v1/areas/{comune}?snapshot=s0")),
        Some(&planner),
    )
    .json();
    assert_eq!(area["stats"][0]["classes"], st["areas"][0]["classes"]);
    assert_eq!(
        area["stats"].as_array().unwrap().len(),
        1,
        "s0 has one rule set"
    );
    let rules = get(&server.url("/api/v1/rules?snapshot=s0"), Some(&planner)).json();
    assert_eq!(rules.as_array().unwrap().len(), 1);
    // a unit looked up in s0, and in the served s1
    let u = get(
        &server.url(&format!("/api/v1/units/{id}?snapshot=s0")),
        Some(&planner),
    )
    .json();
    assert_eq!(u["snapshot"], "s0");
    assert_eq!(u["classes"][0]["class"], rows0[*id]["class"].as_str());
    let u = get(&server.url(&format!("/api/v1/units/{id}")), Some(&planner)).json();
    assert_eq!(u["classes"][0]["class"], rows1[*id]["class"].as_str());
    // the moves of the comune from s1 to s0: every unit whose class differs
    let m = get(
        &server.url(&format!(
            "/api/v1/areas/{comune}/moves?snapshot=s0&compare=s1"
        )),
        Some(&planner),
    )
    .json();
    let moved: u64 = m["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["addresses"].as_u64().unwrap())
        .sum();
    let want = changed
        .iter()
        .filter(|id| rows0[**id]["comune"] == comune)
        .count() as u64;
    assert_eq!(moved, want, "{m}");

    // the public and uploaders may not ask for another snapshot; the served one is no other
    let unit_path = format!("/api/v1/units/{id}");
    for path in [
        format!("{tile}?snapshot=s0"),
        "/tiles/hexagons.json?snapshot=s0".to_string(),
        format!("/api/v1/stats?snapshot=s0&level=comune&code={comune}"),
        format!("{unit_path}?snapshot=s0"),
        format!("/api/v1/areas/{comune}?snapshot=s0"),
        "/api/v1/rules?snapshot=s0".to_string(),
        "/api/v1/search?q=firenze&snapshot=s0".to_string(),
    ] {
        let r = get(&server.url(&path), None);
        assert_eq!(r.status, 401, "anonymous {path}");
        assert_eq!(r.json()["error"]["code"], "unauthorized");
        assert_eq!(
            get(&server.url(&path), Some(&uploader)).status,
            403,
            "{path}"
        );
        assert_eq!(
            get(&server.url(&path.replace("=s0", "=s1")), None).status,
            200,
            "{path}"
        );
        let r = get(&server.url(&path.replace("=s0", "=nope")), Some(&planner));
        assert_eq!(r.status, 404, "unknown snapshot {path}");
        assert_eq!(r.json()["error"]["code"], "not_found");
    }
}

fn wait_for(mut f: impl FnMut() -> bool, what: &str) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "waited 30 s for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The same server on PostGIS: the store is the only difference.
#[test]
fn serves_from_postgis_too() {
    let Some(pg) = testing::postgis("serve") else {
        return;
    };
    fill(&pg.url);
    let server = Server::start(&pg.url, &[]);
    let h = get(&server.url("/healthz"), None).json();
    assert_eq!(h["snapshot"], "s1");
    assert_eq!(h["units"], UNITS);
    let l = get_tile(&server.url("/tiles/hexagons/4/8/5.mvt"), None).unwrap();
    let addresses: u64 = l
        .features
        .iter()
        .map(|f| props(&l, f)["addresses"].as_u64().unwrap())
        .sum();
    assert_eq!(addresses, UNITS as u64);
    let a = get(&server.url("/api/v1/areas/048017"), None).json();
    assert_eq!(a["name"], "Firenze");
}

/// A registry imported without --public: anonymous callers get aggregates, never single
/// addresses; a confidential declarations dataset does not close the public coverage; a
/// refusal never names a dataset, nor tells a confidential one from one that does not exist.
#[test]
fn a_confidential_registry_shows_only_aggregates() {
    let store = testing::sqlite();
    let url = store.url.as_str();
    // no store yet: a token cannot be made for it
    let err = fail(&db(url, &["tokens", "create", "--role", "planner"]));
    assert!(err.contains("no store at"), "{err}");
    import_all(url, &["coverage"], &["--name", "decl-secret"], "eu2013-nga");
    let planner = token(url, "planner", None);
    let server = Server::start(url, &[]);
    let (x, y, _, _) = tile_of(11.25, 43.77, 14);
    let points = server.url(&format!("/tiles/units/14/{x}/{y}.mvt"));
    assert_eq!(get(&points, None).status, 401);
    assert!(get_tile(&points, Some(&planner)).is_some());
    // the case of the scheme does not matter
    let r = request(
        "GET",
        &points,
        None,
        &[("Authorization", &format!("BEARER {planner}"))],
        None,
    );
    assert_eq!(r.status, 200);
    // aggregates stay public
    let l = get_tile(&server.url("/tiles/units/4/8/5.mvt"), None).unwrap();
    assert!(l.features.iter().all(|f| props(&l, f)["cluster"] == true));
    assert!(get_tile(&server.url("/tiles/hexagons/4/8/5.mvt"), None).is_some());
    assert_eq!(get(&server.url("/api/v1/units/U0000001"), None).status, 401);
    assert_eq!(
        get(&server.url("/api/v1/units/U0000001"), Some(&planner)).status,
        200
    );
    // "via": every address has it, but only the comune Viareggio comes back
    let r = get(&server.url("/api/v1/search?q=via"), None).json();
    assert_eq!(r.as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r[0]["label"], "Viareggio");
    let r = get(&server.url("/api/v1/search?q=firenze"), None).json();
    assert!(
        r.as_array().unwrap().iter().all(|h| h["kind"] == "comune"),
        "{r}"
    );
    let r = get(&server.url("/api/v1/search?q=via"), Some(&planner)).json();
    assert_eq!(r.as_array().unwrap().len(), 10);
    let snaps = get(&server.url("/api/v1/snapshots"), None).json();
    assert!(snaps[0]["registry"].is_null());

    // public coverage is open although the declarations are confidential
    let (x, y, _, _) = tile_of(11.25, 43.77, 10);
    let cov_url = server.url(&format!("/tiles/coverage/10/{x}/{y}.mvt"));
    assert!(get_tile(&cov_url, None).is_some());
    assert_eq!(get(&server.url("/tiles/coverage.json"), None).status, 200);
    // naming the confidential dataset, or one that does not exist: the same refusal
    for name in ["decl-secret", "no-such-dataset"] {
        let r = get(&format!("{cov_url}?dataset={name}"), None);
        assert_eq!(r.status, 401, "{name}");
        let body = String::from_utf8(r.body).unwrap();
        assert!(!body.contains(name), "{body}");
    }
    // a planner learns that declarations have no footprints
    assert_eq!(
        get(&format!("{cov_url}?dataset=decl-secret"), Some(&planner)).status,
        404
    );
    // its static site has no address search and no address answers
    let out = tmp();
    let site = out.path().join("site");
    let log = ok(&db(url, &["export-public", s(&site)]));
    assert!(log.contains("the registry is confidential"), "{log}");
    assert!(!site.join("data/search").exists());
    assert!(!site.join("data/units").exists());
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.contains(r#""search":false"#), "{html}");
    assert!(html.contains(r#""unit_files":null"#), "{html}");
}

/// `bianca export-public`: a PMTiles archive within tippecanoe's limits, the viewer in
/// static mode, the statistics; an address-free archive for a confidential registry.
#[test]
fn export_public_writes_a_static_site() {
    let sh = shared();
    let out = tmp();
    let site = out.path().join("site");
    let log = ok(&db(&sh._store.url, &["export-public", s(&site)]));
    assert!(log.contains("every tile under 500 KB"), "{log}");
    let bytes = std::fs::read(site.join("map.pmtiles")).unwrap();
    assert_eq!(&bytes[..7], b"PMTiles");
    assert_eq!(bytes[7], 3, "PMTiles version 3");
    let tiles: u64 = log
        .split(" tiles,")
        .next()
        .and_then(|x| x.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(tiles > 1000, "{log}");
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.contains(r#""pmtiles":"map.pmtiles""#), "{html}");
    for f in [
        "viewer/vendor/maplibre-gl.mjs",
        "viewer/vendor/pmtiles.js",
        "viewer/js/public.js",
        "data/areas.json",
        "data/rules.json",
        "fonts/DejaVu Sans/0-255.pbf",
    ] {
        assert!(site.join(f).is_file(), "{f}");
    }
    assert!(!site.join("planner.html").exists());
    let areas: Value =
        serde_json::from_slice(&std::fs::read(site.join("data/areas.json")).unwrap()).unwrap();
    let firenze = areas
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "048017")
        .unwrap();
    let api = get(&sh.server.url("/api/v1/areas/048017"), None).json();
    assert_eq!(firenze["stats"], api["stats"]);
    check_static_addresses(&site, &sh.rows);
    // exporting again replaces the site
    ok(&db(&sh._store.url, &["export-public", s(&site)]));
    assert!(site.join("map.pmtiles").is_file());
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// A static site's address search and answers: every address is in the index, files stay
/// small, an address's answer is the anonymous API's, and no operator of a confidential
/// dataset is written anywhere.
fn check_static_addresses(site: &Path, rows: &HashMap<String, HashMap<String, String>>) {
    let sh = shared();
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    let unit_files: u32 = html
        .split(r#""unit_files":"#)
        .nth(1)
        .and_then(|x| x.split([',', '}']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unit_files in {html}"));
    assert_eq!(unit_files as usize, UNITS.div_ceil(500));
    // every address is in the index, under at least one key
    let keys = read_json(&site.join("data/search/keys.json"));
    assert!(keys["keys"].as_array().unwrap().len() > 100, "{keys}");
    let mut indexed = BTreeSet::new();
    let mut largest = 0;
    for entry in std::fs::read_dir(site.join("data/search")).unwrap() {
        let path = entry.unwrap().path();
        largest = largest.max(std::fs::metadata(&path).unwrap().len());
        if path.file_name().unwrap() == "keys.json" {
            continue;
        }
        for u in read_json(&path)["units"].as_array().unwrap() {
            let id = u[0].as_str().unwrap();
            assert_eq!(u[1].as_str().unwrap(), rows[id]["address"], "{id}");
            assert_eq!(u[5].as_str().unwrap(), rows[id]["class"], "{id}");
            indexed.insert(id.to_string());
        }
    }
    let with_address = rows.values().filter(|r| !r["address"].is_empty()).count();
    assert_eq!(indexed.len(), with_address);
    assert!(largest < 200_000, "largest search file {largest} bytes");
    // an address's answer, expanded as the viewer does, is the anonymous API's
    // (every unit of two files, and that the files hold the units their ids hash to)
    let mut with_offers = 0;
    let mut seen = 0;
    for bucket in [0, unit_files - 1] {
        let file = read_json(&site.join(format!("data/units/{bucket}.json")));
        for (id, rec) in file["units"].as_object().unwrap() {
            assert_eq!(fnv1a(id) % unit_files, bucket);
            seen += 1;
            let api = get(&sh.server.url(&format!("/api/v1/units/{id}")), None).json();
            let offers: Vec<Value> = rec[12]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let o = &file["offers"][r.as_u64().unwrap() as usize];
                    let mut m = serde_json::Map::new();
                    for (k, name) in [
                        "operator",
                        "technology",
                        "down_mbps",
                        "up_mbps",
                        "peak_down_mbps",
                        "peak_up_mbps",
                        "status",
                        "year",
                        "via",
                        "dataset",
                        "dataset_imported_at",
                    ]
                    .iter()
                    .enumerate()
                    {
                        if !o[k].is_null() {
                            m.insert(name.to_string(), o[k].clone());
                        }
                    }
                    Value::Object(m)
                })
                .collect();
            with_offers += usize::from(!offers.is_empty());
            let rules = ["eu2013-nga", "eu2023-gigabit"];
            let mut unit = serde_json::json!({
                "id": id, "lon": rec[4], "lat": rec[5], "units": rec[3],
                "comune": rec[1], "comune_name": rec[2], "address": rec[0],
                "classes": rec[6].as_array().unwrap().iter().enumerate()
                    .map(|(k, c)| serde_json::json!({"rules": rules[k], "class": c})).collect::<Vec<_>>(),
                "technology": rec[7], "technologies": rec[8], "speed": rec[9],
                "networks_4g": rec[10], "networks_5g": rec[11], "offers": offers, "snapshot": "s1",
            });
            unit.as_object_mut().unwrap().retain(|_, v| !v.is_null());
            assert_eq!(unit, api, "the answer of {id}");
        }
    }
    assert!(seen > 600, "{seen} units compared");
    assert!(
        with_offers > 5,
        "{with_offers} compared units with public offers"
    );
    // privacy: the operators of the confidential coverage only (MobiTre, RetePiù) appear
    // in no file; an operator of the public declarations does
    let mut text = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<u8>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json" || x == "html") {
                out.extend(std::fs::read(&p).unwrap());
            }
        }
    }
    walk(site, &mut text);
    let text = String::from_utf8_lossy(&text);
    for secret in ["MobiTre", "RetePi", "\"coverage\""] {
        assert!(!text.contains(secret), "{secret} is in the static site");
    }
    assert!(text.contains("FibraNet"));
    let mut largest = 0;
    for e in std::fs::read_dir(site.join("data/units")).unwrap() {
        largest = largest.max(std::fs::metadata(e.unwrap().path()).unwrap().len());
    }
    assert!(largest < 200_000, "largest unit file {largest} bytes");
}

/// FNV-1a 32 as the static site's files are chosen.
fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Coverage rasters imported into the store: a snapshot classifies them as a file run does
/// (same statistics, mobile columns included), on both backends; the served map draws their
/// value classes in the coverage layer, and a unit's answer gives each raster's pixel value.
#[test]
fn stored_coverage_rasters_classify_like_files_and_reach_the_map() {
    let d = tmp();
    ok(&[
        "synth",
        "--units",
        "4000",
        "--seed",
        "3",
        "--out",
        s(d.path()),
        "--rasters",
        "--raster-pixel-m",
        "1000",
    ]);
    let mut rasters: Vec<std::path::PathBuf> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("mobile_")
        })
        .collect();
    rasters.sort();
    assert_eq!(rasters.len(), 6);
    let (units, fgb) = (d.path().join("units.csv"), d.path().join("coverage.fgb"));
    let rules = "it-5g,eu2013-nga";
    let file_stats = d.path().join("file.csv");
    let mut args = vec!["classify", "--units", s(&units), "--coverage", s(&fgb)];
    args.extend(rasters.iter().map(|p| s(p)));
    args.extend([
        "--rules",
        rules,
        "--reference-year",
        "2025",
        "--stats",
        s(&file_stats),
        "--mobile-stats",
        "-q",
    ]);
    ok(&args);
    let file_table = std::fs::read_to_string(&file_stats).unwrap();
    assert!(file_table.contains("units_5g"), "mobile columns");

    let pg = testing::postgis("rasters");
    let sq = testing::sqlite();
    for t in std::iter::once(&sq).chain(pg.as_ref()) {
        let url = t.url.as_str();
        ok(&db(url, &["db", "migrate"]));
        ok(&db(url, &["import", "units", s(&units), "-q"]));
        ok(&db(url, &["import", "coverage", s(&fgb), "-q"]));
        for r in &rasters {
            ok(&db(url, &["import", "coverage", s(r), "-q"]));
        }
        let again = ok(&db(url, &["import", "coverage", s(&rasters[0])]));
        assert!(again.contains("already in the store"), "{again}");
        // --raster-* options describe rasters only
        let e = fail(&db(
            url,
            &["import", "coverage", s(&fgb), "--raster-operator", "X"],
        ));
        assert!(e.contains("not one"), "{e}");
        let snap_stats = d.path().join(format!("snap-{:?}.csv", t.backend));
        ok(&db(
            url,
            &[
                "classify",
                "--snapshot",
                "s1",
                "--rules",
                rules,
                "--reference-year",
                "2025",
                "--stats",
                s(&snap_stats),
                "--mobile-stats",
                "-q",
            ],
        ));
        assert_eq!(
            std::fs::read_to_string(&snap_stats).unwrap(),
            file_table,
            "{:?}: the snapshot's statistics differ from the file run's",
            t.backend
        );
    }

    // the map, from the embedded store
    let url = sq.url.as_str();
    let tok = token(url, "planner", None);
    let srv = Server::start(url, &[]);
    let offers = get(&srv.url("/api/v1/offers"), Some(&tok)).json();
    let bands: Vec<&Value> = offers
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["raster_bands"] == 1)
        .collect();
    assert_eq!(bands.len(), 6, "{offers}");
    // a unit's raster offers carry the pixel of the original file at the unit
    let mut read = bianca_engine::model::Offers::new();
    let mut files = Vec::new();
    for r in &rasters {
        let b = bianca_engine::io::read::read_raster(r, &Default::default(), &mut read).unwrap();
        files.push((r.file_stem().unwrap().to_str().unwrap().to_string(), b));
    }
    let mut reader = csv::Reader::from_path(&units).unwrap();
    let (mut checked, mut seen) = (0, 0);
    for row in reader.records().take(60) {
        let row = row.unwrap();
        let (id, lon, lat): (&str, f64, f64) =
            (&row[0], row[1].parse().unwrap(), row[2].parse().unwrap());
        let u = get(&srv.url(&format!("/api/v1/units/{id}")), Some(&tok)).json();
        for (name, bands) in &files {
            let b = &bands[0];
            let (x, y) = b.band.to_crs.transform_point(lon, lat).unwrap().unwrap();
            let want = b
                .band
                .value_at(x, y)
                .filter(|&v| bianca_engine::mobile::reaches(b.kind, v));
            let got: Vec<&Value> = u["offers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["via"] == "raster" && o["dataset"] == name.as_str())
                .collect();
            match want {
                None => assert!(got.is_empty(), "{id} {name}: {got:?}"),
                Some(v) => {
                    assert_eq!(got.len(), 1, "{id} {name}: {u}");
                    assert_eq!(got[0]["value"].as_f64().unwrap() as f32, v, "{id} {name}");
                    assert_eq!(got[0]["value_kind"], b.kind.as_str());
                    seen += 1;
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 360);
    assert!(
        seen > 60,
        "only {seen} raster offers reach the first 60 units"
    );
    // the coverage layer: the value classes of every raster around the first unit
    let row = csv::Reader::from_path(&units)
        .unwrap()
        .records()
        .next()
        .unwrap()
        .unwrap();
    let (x, y, _, _) = tile_of(row[1].parse().unwrap(), row[2].parse().unwrap(), 8);
    let tile = |q: &str| {
        let l = get_tile(
            &srv.url(&format!("/tiles/coverage/8/{x}/{y}.mvt{q}")),
            Some(&tok),
        )
        .unwrap();
        l.features
            .iter()
            .map(|f| props(&l, f))
            .filter(|p| p.get("raster") == Some(&Value::Bool(true)))
            .collect::<Vec<_>>()
    };
    let all = tile("");
    let datasets: BTreeSet<&str> = all.iter().map(|p| p["dataset"].as_str().unwrap()).collect();
    assert_eq!(datasets.len(), 6, "{datasets:?}");
    for p in &all {
        let level = p["level"].as_i64().unwrap();
        assert!((1..=4).contains(&level), "{p:?}");
        let kind = p["value"].as_str().unwrap();
        assert!(["peak_down_mbps", "rsrp_dbm", "down_mbps"].contains(&kind));
        if let Some(max) = p.get("max") {
            assert!(max.as_f64().unwrap() > p["min"].as_f64().unwrap());
        }
        assert_eq!(p.contains_key("down"), kind != "rsrp_dbm", "{p:?}");
    }
    let five_g = tile("?technology=5G");
    assert!(!five_g.is_empty() && five_g.iter().all(|p| p["technology"] == "5G"));
    assert!(five_g.len() < all.len());
    assert!(tile("?dataset=coverage").is_empty());
}
