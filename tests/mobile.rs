//! End-to-end tests of mobile coverage rasters: synth --rasters, classify with rasters and
//! footprints together, metadata overrides and errors, bianca grid italia-5g and h3.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod common;
use common::*;

/// A synthetic data set with 1 km mobile rasters (generated once).
fn data() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("bianca-mobile-test-{}", std::process::id()));
        ok(&[
            "synth",
            "--units",
            "3000",
            "--seed",
            "5",
            "--out",
            s(&dir),
            "--rasters",
            "--raster-pixel-m",
            "1000",
        ]);
        dir
    })
}

fn rasters() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("mobile_"))
        })
        .collect();
    v.sort();
    v
}

/// `classify --units UNITS --coverage COVERAGE... RASTERS... --rules it-5g,fcc-4g-5-1
/// --reference-year 2025 EXTRA...`; returns the summary.
fn classify_rasters(units: &Path, coverage: &[&str], extra: &[&str]) -> String {
    let r = rasters();
    let mut args = vec!["classify", "--units", s(units), "--coverage"];
    args.extend_from_slice(coverage);
    args.extend(r.iter().map(|p| s(p)));
    args.extend(["--rules", "it-5g,fcc-4g-5-1", "--reference-year", "2025"]);
    args.extend_from_slice(extra);
    ok(&args)
}

fn csv_rows(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

#[test]
fn rasters_and_footprints_classify_together_with_mobile_statistics() {
    let d = data();
    let r = rasters();
    assert_eq!(r.len(), 6, "{r:?}");
    let t = tmp();
    let (out, stats) = (t.path().join("u.csv"), t.path().join("s.csv"));
    let (units, fgb) = (d.join("units.csv"), d.join("coverage.fgb"));
    let err = classify_rasters(
        &units,
        &[s(&fgb)],
        &["--out", s(&out), "--stats", s(&stats), "--mobile-stats"],
    );
    assert!(
        err.contains("raster mobile_TelcoUno_4G.tif band 1: TelcoUno 4G rsrp_dbm (EPSG:32632"),
        "{err}"
    );
    assert!(
        err.contains("MobiTre 5G peak_down_mbps, planned 2026 (EPSG:3035"),
        "{err}"
    );
    let (h, rows) = csv_rows(&out);
    assert_eq!(rows.len(), 3000);
    let class = h.iter().position(|c| c == "class").unwrap();
    let n4 = h.iter().position(|c| c == "networks_4g").unwrap();
    let eligible = rows.iter().filter(|r| r[class] == "eligible").count();
    let not = rows.iter().filter(|r| r[class] == "not_eligible").count();
    assert!(eligible > 0 && not > eligible, "{eligible} {not}");
    // every unit reached by some 4G raster or footprint counts it
    assert!(rows.iter().filter(|r| r[n4] != "0").count() > 2000);
    // without the rasters the footprints alone leave more units eligible
    let out2 = t.path().join("u2.csv");
    ok(&[
        "classify",
        "--units",
        s(&units),
        "--coverage",
        s(&fgb),
        "--rules",
        "it-5g",
        "--reference-year",
        "2025",
        "--out",
        s(&out2),
    ]);
    let (_, rows2) = csv_rows(&out2);
    let eligible2 = rows2.iter().filter(|r| r[class] == "eligible").count();
    assert!(eligible2 >= eligible, "{eligible2} < {eligible}");
    // statistics: the total row adds up
    let (sh, srows) = csv_rows(&stats);
    let col = |n: &str| {
        sh.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("{n} in {sh:?}"))
    };
    let total = srows.iter().find(|r| r[col("level")] == "total").unwrap();
    let units_total: i64 = total[col("units")].parse().unwrap();
    let white: i64 = total[col("units_mobile_white")].parse().unwrap();
    let tel4: i64 = total[col("units_4g_TelcoUno")].parse().unwrap();
    let all4: i64 = total[col("units_4g")].parse().unwrap();
    assert!(
        tel4 > 0 && tel4 <= all4 && all4 <= units_total,
        "{tel4} {all4} {units_total}"
    );
    assert!(white < units_total);
}

#[test]
fn metadata_can_be_overridden_and_bad_rasters_are_named() {
    let d = data();
    let t = tmp();
    let units = d.join("units.csv");
    // population.tif has no OPERATOR / TECHNOLOGY / VALUE
    let pop = d.join("population.tif");
    let out = t.path().join("o.csv");
    let err = fail(&[
        "classify",
        "--units",
        s(&units),
        "--coverage",
        s(&pop),
        "--rules",
        "it-5g",
        "--out",
        s(&out),
    ]);
    assert!(
        err.contains("population.tif, band 1: no OPERATOR metadata item"),
        "{err}"
    );
    // gdal_translate -mo writes the items bianca reads
    let tagged = t.path().join("tagged.tif");
    let st = Command::new("gdal_translate")
        .args([
            "-q",
            "-mo",
            "OPERATOR=Zeta",
            "-mo",
            "TECHNOLOGY=5G",
            "-mo",
            "VALUE=peak_down_mbps",
        ])
        .arg(d.join("mobile_TelcoUno_5G.tif"))
        .arg(&tagged)
        .status()
        .expect("gdal_translate (gdal-bin)");
    assert!(st.success());
    let stats = t.path().join("s.csv");
    // classify the tagged raster under it-5g with mobile statistics, then `extra`
    let run = |extra: &[&str], expect_ok: bool| {
        let mut args = vec![
            "classify",
            "--units",
            s(&units),
            "--coverage",
            s(&tagged),
            "--rules",
            "it-5g",
            "--stats",
            s(&stats),
            "--mobile-stats",
        ];
        args.extend_from_slice(extra);
        if expect_ok {
            ok(&args)
        } else {
            fail(&args)
        }
    };
    run(&[], true);
    let (h, _) = csv_rows(&stats);
    assert!(h.iter().any(|c| c == "units_5g_Zeta"), "{h:?}");
    // and the command line overrides the file
    run(
        &["--raster-operator", "Eta", "--raster-technology", "4G"],
        true,
    );
    let (h, _) = csv_rows(&stats);
    assert!(h.iter().any(|c| c == "units_4g_Eta"), "{h:?}");
    let err = run(&["--raster-value", "dbm"], false);
    assert!(
        err.contains("tagged.tif, band 1: VALUE: unknown value kind \"dbm\""),
        "{err}"
    );
}

/// A copy of `src` (one band) without any metadata item: the same CRS, geotransform, nodata
/// and pixels, as f32.
fn strip_metadata(src: &Path, dst: &Path) {
    use gdal::{raster::Buffer, DriverManager, Metadata};
    let ds = gdal::Dataset::open(src).unwrap();
    assert_eq!(ds.raster_count(), 1);
    let band = ds.rasterband(1).unwrap();
    assert!(band.scale().is_none_or(|s| s == 1.0) && band.offset().is_none_or(|o| o == 0.0));
    let (w, h) = ds.raster_size();
    let px = band.read_as::<f32>((0, 0), (w, h), (w, h), None).unwrap();
    let mut out = DriverManager::get_driver_by_name("GTiff")
        .unwrap()
        .create_with_band_type::<f32, _>(dst, w, h, 1)
        .unwrap();
    out.set_geo_transform(&ds.geo_transform().unwrap()).unwrap();
    out.set_spatial_ref(&ds.spatial_ref().unwrap()).unwrap();
    let mut b = out.rasterband(1).unwrap();
    b.set_no_data_value(band.no_data_value()).unwrap();
    let mut buf = Buffer::new((w, h), px.data().to_vec());
    b.write((0, 0), (w, h), &mut buf).unwrap();
    out.close().unwrap();
    let copy = gdal::Dataset::open(dst).unwrap();
    let items = |m: &dyn Metadata| m.metadata_item("OPERATOR", "");
    assert!(items(&copy).is_none() && items(&copy.rasterband(1).unwrap()).is_none());
}

/// Two operators' rasters without metadata items, each described by its own --raster-meta
/// (one by file name, one by path, in any case), classify exactly as the same rasters
/// tagged in the file; --raster-meta wins over --raster-*; bad values are named.
#[test]
fn each_raster_is_described_by_its_own_raster_meta() {
    let d = data();
    let t = tmp();
    let units = d.join("units.csv");
    let (tel, mob) = (
        d.join("mobile_TelcoUno_4G.tif"),
        d.join("mobile_MobiTre_4G.tif"),
    );
    let (a, b) = (t.path().join("plain_a.tif"), t.path().join("plain_b.tif"));
    strip_metadata(&tel, &a);
    strip_metadata(&mob, &b);
    let classify = |cov: [&Path; 2], name: &str, extra: &[&str], expect_ok: bool| {
        let (out, stats) = (
            t.path().join(format!("{name}.csv")),
            t.path().join(format!("{name}-stats.csv")),
        );
        let mut args = vec!["classify", "--units", s(&units), "--coverage"];
        args.extend(cov.map(s));
        args.extend([
            "--rules",
            "it-5g,fcc-4g-5-1",
            "--reference-year",
            "2025",
            "--out",
            s(&out),
            "--stats",
            s(&stats),
            "--mobile-stats",
        ]);
        args.extend_from_slice(extra);
        let log = if expect_ok { ok(&args) } else { fail(&args) };
        (log, out, stats)
    };
    // the reference: the rasters as synth tagged them
    let (_, want_out, want_stats) = classify([&tel, &mob], "tagged", &[], true);
    // untagged, they cannot be read
    let (err, _, _) = classify([&a, &b], "bare", &[], false);
    assert!(
        err.contains("plain_a.tif, band 1: no OPERATOR metadata item")
            && err.contains("--raster-meta FILE:OPERATOR="),
        "{err}"
    );
    // described one by one (the run's --raster-technology 5G loses to each file's 4G)
    let meta_b = format!(
        "{}:operator=MobiTre, technology=4g, Value=peak_down_mbps,up_mbps=10",
        s(&b)
    );
    let described = [
        "--raster-technology",
        "5G",
        "--raster-meta",
        "plain_a.tif:OPERATOR=TelcoUno,TECHNOLOGY=4G,VALUE=rsrp_dbm",
        "--raster-meta",
        &meta_b,
    ];
    let (log, out, stats) = classify([&a, &b], "described", &described, true);
    assert!(
        log.contains("plain_a.tif band 1: TelcoUno 4G rsrp_dbm")
            && log.contains("plain_b.tif band 1: MobiTre 4G peak_down_mbps"),
        "{log}"
    );
    // the same classes and the same per-operator figures as the tagged rasters
    let same = |got: &Path, want: &Path| {
        let ((gh, gr), (wh, wr)) = (csv_rows(got), csv_rows(want));
        assert_eq!(gh, wh);
        assert_eq!(gr.len(), wr.len());
        for (g, w) in gr.iter().zip(&wr) {
            assert_eq!(g, w, "{}", got.display());
        }
        (gh, gr)
    };
    same(&out, &want_out);
    let (h, rows) = same(&stats, &want_stats);
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("{n} in {h:?}"))
    };
    let total = rows.iter().find(|r| r[col("level")] == "total").unwrap();
    let (u_tel, u_mob, u_4g): (i64, i64, i64) = (
        total[col("units_4g_TelcoUno")].parse().unwrap(),
        total[col("units_4g_MobiTre")].parse().unwrap(),
        total[col("units_4g")].parse().unwrap(),
    );
    assert!(
        u_tel > 0 && u_mob > 0 && u_tel != u_mob && u_tel.max(u_mob) <= u_4g,
        "{u_tel} {u_mob} {u_4g}"
    );
    assert_eq!(
        total[col("units_5g")],
        "0",
        "the run's 5G lost to the files' 4G"
    );
    // bianca grid reads them the same way
    let grid_h3 = |cov: [&Path; 2], name: &str, extra: &[&str]| {
        let out = t.path().join(format!("{name}-h3.csv"));
        let mut args = vec!["grid", "h3", "--coverage"];
        args.extend(cov.map(s));
        args.extend([
            "--units",
            s(&units),
            "--resolution",
            "7",
            "--reference-year",
            "2025",
            "--out",
            s(&out),
        ]);
        args.extend_from_slice(extra);
        ok(&args);
        csv_rows(&out)
    };
    let h3 = grid_h3([&a, &b], "described", &described);
    assert!(h3.1.iter().any(|r| r[4] == "MobiTre"), "{:?}", h3.1.first());
    assert_eq!(h3, grid_h3([&tel, &mob], "tagged", &[]));
    // errors name the option's value
    for (extra, want) in [
        (
            vec!["--raster-meta", "nowhere.tif:OPERATOR=X"],
            "--raster-meta \"nowhere.tif:OPERATOR=X\": nowhere.tif is none of the rasters given with --coverage (",
        ),
        (
            vec!["--raster-meta", "plain_a.tif:COLOUR=red"],
            "invalid value 'plain_a.tif:COLOUR=red' for '--raster-meta <FILE:KEY=VALUE,...>': unknown key \"COLOUR\"",
        ),
        (
            vec!["--raster-meta", "plain_a.tif OPERATOR=X"],
            "invalid value 'plain_a.tif OPERATOR=X' for '--raster-meta <FILE:KEY=VALUE,...>': no ':' between the file and its items",
        ),
        (
            vec!["--raster-meta", "plain_a.tif:YEAR=soon"],
            "YEAR: \"soon\" is not a year",
        ),
    ] {
        let (err, _, _) = classify([&a, &b], "bad", &extra, false);
        assert!(err.contains(want), "{extra:?}: {err}");
    }
}

/// `bianca grid KIND` on the synthetic footprints and rasters, with the comuni as territory
/// and the registry, then `extra`; returns the summary.
fn grid(kind: &str, extra: &[&str]) -> String {
    let d = data();
    let (fgb, comuni, units) = (
        d.join("coverage.fgb"),
        d.join("comuni.geojson"),
        d.join("units.csv"),
    );
    let r = rasters();
    let mut args = vec!["grid", kind, "--coverage", s(&fgb)];
    args.extend(r.iter().map(|p| s(p)));
    args.extend([
        "--areas",
        s(&comuni),
        "--units",
        s(&units),
        "--reference-year",
        "2025",
    ]);
    args.extend_from_slice(extra);
    ok(&args)
}

#[test]
fn italia_5g_pixels_and_areas_agree() {
    let t = tmp();
    let (tif, gj) = (t.path().join("e.tif"), t.path().join("e.geojson"));
    let pop = data().join("population.tif");
    let err = grid(
        "italia-5g",
        &[
            "--population",
            s(&pop),
            "--pixel-m",
            "500",
            "--out-raster",
            s(&tif),
            "--out-polygons",
            s(&gj),
        ],
    );
    // the pixels of the GeoTIFF
    let ds = gdal::Dataset::open(&tif).unwrap();
    assert_eq!(ds.spatial_ref().unwrap().auth_code().unwrap(), 3035);
    let gt = ds.geo_transform().unwrap();
    assert_eq!((gt[1], gt[5]), (500.0, -500.0));
    assert_eq!(gt[0] % 500.0, 0.0);
    let band = ds.rasterband(1).unwrap();
    assert_eq!(band.no_data_value(), Some(255.0));
    let px = band.read_band_as::<u8>().unwrap();
    let eligible = px.data().iter().filter(|&&v| v == 1).count();
    let inside = px.data().iter().filter(|&&v| v != 255).count();
    // Tuscany is about 22,990 km2
    let km2 = inside as f64 * 0.25;
    assert!((22_000.0..24_000.0).contains(&km2), "{km2}");
    assert!(eligible > 0);
    // the areas hold exactly the eligible pixels, and units and population
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&gj).unwrap()).unwrap();
    let feats = v["features"].as_array().unwrap();
    let sum = |k: &str| {
        feats
            .iter()
            .map(|f| f["properties"][k].as_f64().unwrap())
            .sum::<f64>()
    };
    assert_eq!(sum("pixels") as usize, eligible);
    assert!(sum("population") > 0.0 || sum("units") == 0.0);
    assert!(
        err.contains(&format!("{} dissolved eligible areas", feats.len())),
        "{err}"
    );
    // GDAL's GeoJSON writer spells a one-part multipolygon as a Polygon
    let ty = feats[0]["geometry"]["type"].as_str().unwrap();
    assert!(ty == "MultiPolygon" || ty == "Polygon", "{ty}");
}

#[test]
fn h3_hexagons_per_operator_and_technology() {
    let t = tmp();
    let out = t.path().join("h.csv");
    let err = grid("h3", &["--resolution", "7", "--out", s(&out)]);
    assert!(err.contains("hexagons of resolution 7"), "{err}");
    let (h, rows) = csv_rows(&out);
    assert_eq!(
        h,
        [
            "lon",
            "lat",
            "h3",
            "rules",
            "operator",
            "technology",
            "coverage",
            "addresses",
            "units"
        ]
    );
    assert!(!rows.is_empty());
    let mut addresses = std::collections::HashMap::new();
    for r in &rows {
        let cell: h3o::CellIndex = r[2].parse().unwrap();
        assert_eq!(cell.resolution(), h3o::Resolution::Seven);
        assert!(["covered", "unknown"].contains(&r[6].as_str()));
        let tech_ok = match r[3].as_str() {
            "fcc-4g-5-1" => r[5] == "4G",
            _ => r[5] == "5G",
        };
        assert!(tech_ok, "{r:?}");
        addresses.insert(r[2].clone(), r[7].parse::<u64>().unwrap());
    }
    // no hexagon claims more addresses than the registry has
    assert!(addresses.values().sum::<u64>() <= 3000);
    for op in ["TelcoUno", "MobiTre", "Aria5", "Ondaweb"] {
        assert!(
            rows.iter().any(|r| r[4] == op && r[3] == "fcc-4g-5-1"),
            "{op}"
        );
    }
}

#[test]
fn a_regional_registry_reads_only_its_part_of_the_rasters_with_the_same_results() {
    let d = data();
    let t = tmp();
    // the units around Florence only: the rasters are then read only around them
    let (h, rows) = csv_rows(&d.join("units.csv"));
    let (lon, lat) = (
        h.iter().position(|c| c == "lon").unwrap(),
        h.iter().position(|c| c == "lat").unwrap(),
    );
    let near = |r: &Vec<String>| {
        let (x, y): (f64, f64) = (r[lon].parse().unwrap(), r[lat].parse().unwrap());
        (11.0..11.5).contains(&x) && (43.6..43.9).contains(&y)
    };
    let mut w = csv::Writer::from_path(t.path().join("florence.csv")).unwrap();
    w.write_record(&h).unwrap();
    let mut n = 0;
    for r in rows.iter().filter(|r| near(r)) {
        w.write_record(r).unwrap();
        n += 1;
    }
    w.flush().unwrap();
    assert!(n > 100, "{n} units near Florence");
    let classify = |units: &Path, out: &Path| {
        classify_rasters(units, &[], &["--out", s(out)]);
        let (h, rows) = csv_rows(out);
        let keep: Vec<usize> = [
            "id",
            "class",
            "class_fcc_4g_5_1",
            "networks_4g",
            "best_down_mbps",
        ]
        .iter()
        .map(|c| h.iter().position(|x| x == c).unwrap())
        .collect();
        rows.iter()
            .map(|r| keep.iter().map(|&i| r[i].clone()).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    let (all, part) = (t.path().join("all.csv"), t.path().join("part.csv"));
    let whole = classify(&d.join("units.csv"), &all);
    let regional = classify(&t.path().join("florence.csv"), &part);
    assert_eq!(regional.len(), n);
    let by_id: std::collections::HashMap<&str, &Vec<String>> =
        whole.iter().map(|r| (r[0].as_str(), r)).collect();
    for r in &regional {
        assert_eq!(&r, by_id.get(r[0].as_str()).unwrap(), "unit {}", r[0]);
    }
}

/// A tile's `mobile_white` features: `id` -> properties (numbers as f64).
fn mobile_features(
    tile: Option<Vec<u8>>,
) -> std::collections::BTreeMap<i64, std::collections::BTreeMap<String, f64>> {
    use geozero::mvt::{Message, Tile};
    let mut out = std::collections::BTreeMap::new();
    let Some(raw) = tile else { return out };
    let t = Tile::decode(&raw[..]).expect("a valid MVT");
    for l in t.layers.iter().filter(|l| l.name == "mobile_white") {
        assert_eq!(l.extent, Some(4096));
        for f in &l.features {
            let props: std::collections::BTreeMap<String, f64> = f
                .tags
                .chunks(2)
                .map(|kv| {
                    let v = &l.values[kv[1] as usize];
                    let n = v
                        .int_value
                        .or(v.sint_value)
                        .map(|i| i as f64)
                        .or(v.uint_value.map(|u| u as f64))
                        .or(v.double_value)
                        .or(v.float_value.map(f64::from))
                        .unwrap_or(f64::NAN);
                    (l.keys[kv[0] as usize].clone(), n)
                })
                .collect();
            assert!(!f.geometry.is_empty());
            out.insert(props["id"] as i64, props);
        }
    }
    out
}

/// Tile (x, y) of zoom `z` holding lon/lat.
fn tile_xy(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lr = lat.to_radians();
    (
        ((lon + 180.0) / 360.0 * n) as u32,
        ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32,
    )
}

/// `export-public --mobile-areas`: the archive's tiles hold the mobile white areas with the
/// server's properties (compared with the areas file on the zoom 10 tile holding the most
/// of them whole), its metadata and the site's configuration name the layer; without the
/// option there is none.
#[test]
fn the_static_site_holds_the_mobile_white_areas_when_given() {
    let d = data();
    let t = tmp();
    let gj = t.path().join("white.geojson");
    let pop = d.join("population.tif");
    grid(
        "italia-5g",
        &[
            "--pixel-m",
            "1000",
            "--population",
            s(&pop),
            "--out-polygons",
            s(&gj),
        ],
    );
    let db = t.path().join("bianca.db");
    let store = |args: &[&str]| {
        let mut a = vec!["--database-url", s(&db)];
        a.extend_from_slice(args);
        ok(&a)
    };
    store(&["import", "units", s(&d.join("units.csv")), "--public", "-q"]);
    store(&["import", "coverage", s(&d.join("coverage.fgb")), "-q"]);
    store(&["import", "areas", s(&d.join("comuni.geojson")), "-q"]);
    store(&[
        "classify",
        "--snapshot",
        "s1",
        "--rules",
        "eu2013-nga",
        "--reference-year",
        "2025",
        "-q",
    ]);
    let (with, without) = (t.path().join("with"), t.path().join("without"));
    let log = store(&[
        "export-public",
        s(&with),
        "--max-zoom",
        "13",
        "--mobile-areas",
        s(&gj),
    ]);
    // the areas file: id -> (properties, lon/lat box)
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&gj).unwrap()).unwrap();
    let mut areas = std::collections::BTreeMap::new();
    for f in v["features"].as_array().unwrap() {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        fn walk(v: &serde_json::Value, b: &mut [f64; 4]) {
            let a = v.as_array().unwrap();
            if a[0].is_number() {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            } else {
                a.iter().for_each(|c| walk(c, b));
            }
        }
        walk(&f["geometry"]["coordinates"], &mut b);
        areas.insert(
            f["properties"]["id"].as_i64().unwrap(),
            (f["properties"].clone(), b),
        );
    }
    assert!(areas.len() > 20, "{} areas", areas.len());
    assert!(
        log.contains(&format!("mobile white areas: {} from", areas.len())),
        "{log}"
    );
    assert!(log.contains("every tile under 500 KB"), "{log}");
    // the zoom 10 tile holding the most areas whole
    let z = 10;
    let mut whole: std::collections::HashMap<(u32, u32), Vec<i64>> = Default::default();
    for (id, (_, b)) in &areas {
        let (lo, hi) = (tile_xy(b[0], b[1], z), tile_xy(b[2], b[3], z));
        if lo == hi {
            whole.entry(lo).or_default().push(*id);
        }
    }
    let ((x, y), inside) = whole
        .into_iter()
        .max_by_key(|(k, v)| (v.len(), *k))
        .unwrap();
    assert!(inside.len() >= 3, "{inside:?}");
    let archive = common::pmtiles_archive::Archive::open(&with.join("map.pmtiles"));
    let got = mobile_features(archive.tile(z, x, y));
    // every area inside is there, and only areas that reach the tile (with a margin)
    for id in &inside {
        assert!(
            got.contains_key(id),
            "area {id} in tile {z}/{x}/{y}: {:?}",
            got.keys()
        );
    }
    let (tx0, ty0) = (x as f64, y as f64);
    for id in got.keys() {
        let b = areas[id].1;
        let (lo, hi) = (tile_xy(b[0], b[3], z), tile_xy(b[2], b[1], z));
        assert!(
            f64::from(lo.0) <= tx0 + 1.0
                && f64::from(hi.0) + 1.0 >= tx0
                && f64::from(lo.1) <= ty0 + 1.0
                && f64::from(hi.1) + 1.0 >= ty0,
            "area {id} is far from tile {z}/{x}/{y}"
        );
    }
    // the server's properties, the file's values
    for (id, props) in &got {
        let want = &areas[id].0;
        for k in ["pixels", "addresses", "units"] {
            assert_eq!(props[k], want[k].as_f64().unwrap(), "{k} of area {id}");
        }
        match want["population"].as_f64() {
            Some(p) => assert!(
                (props["population"] - p).abs() <= 0.05 + 1e-9,
                "population of {id}: {props:?} {p}"
            ),
            None => assert!(!props.contains_key("population"), "{props:?}"),
        }
    }
    assert!(got.values().any(|p| p.contains_key("population")));
    // at zoom 5 the whole region: the big areas are there
    let (x5, y5) = tile_xy(11.0, 43.5, 5);
    assert!(!mobile_features(archive.tile(5, x5, y5)).is_empty());
    // the archive's metadata and the site's configuration name the layer
    let md = archive.metadata();
    let layer = md["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "mobile_white")
        .unwrap_or_else(|| panic!("{md}"));
    assert_eq!(
        (layer["minzoom"].as_u64(), layer["maxzoom"].as_u64()),
        (Some(0), Some(13))
    );
    assert!(layer["fields"]["pixels"].is_string(), "{layer}");
    let html = std::fs::read_to_string(with.join("index.html")).unwrap();
    assert!(html.contains(r#""mobile_white":true"#), "{html}");

    // without --mobile-areas: the same tile without the layer
    let log = store(&["export-public", s(&without), "--max-zoom", "13"]);
    assert!(!log.contains("mobile white"), "{log}");
    let archive = common::pmtiles_archive::Archive::open(&without.join("map.pmtiles"));
    let tile = archive.tile(z, x, y);
    assert!(tile.is_some(), "the areas layer is still there");
    assert!(mobile_features(tile).is_empty());
    assert!(!archive.metadata().to_string().contains("mobile_white"));
    let html = std::fs::read_to_string(without.join("index.html")).unwrap();
    assert!(html.contains(r#""mobile_white":false"#), "{html}");
    // a bad areas file is named, and no site is written
    let bad = t.path().join("bad");
    let err = fail(&[
        "--database-url",
        s(&db),
        "export-public",
        s(&bad),
        "--mobile-areas",
        s(&t.path().join("nope.gpkg")),
    ]);
    assert!(
        err.contains("reading the mobile white areas") && err.contains("nope.gpkg"),
        "{err}"
    );
    assert!(!bad.exists());
}
