//! Rasters end to end: reading and metadata, sampling at known pixels across CRSs, units
//! classified against rasters, and the Italia 5G pixels and H3 hexagons against a
//! brute-force computation.

use std::path::{Path, PathBuf};

use gdal::raster::Buffer;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::{DriverManager, Metadata};
use geo::{Coord, Intersects, LineString, MultiPolygon, Point, Polygon};

use super::grid_5g::{self, Grid, PixelClasses, ELIGIBLE, NOT_ELIGIBLE, OUTSIDE, UNKNOWN};
use super::h3_grid::{self, COVERED, NOT_COVERED};
use super::Sampler;
use crate::classify::{build_index, classify, ClassifyOptions};
use crate::error::Error;
use crate::io::read::{read_raster, RasterOptions};
use crate::io::write::{write_geotiff, RasterOut};
use crate::join::index::{GridIndex, GridOptions};
use crate::model::{Coverage, Footprint, OfferAttrs, Offers, SourceKind, Status, Technology};
use crate::units::Units;

/// A GeoTIFF with `bands` (each: pixels and band-level metadata), dataset-level metadata, an
/// optional CRS and nodata -9999.
/// Metadata items, (name, value).
type Items<'a> = Vec<(&'a str, &'a str)>;
/// A band: its pixels and its metadata items.
type Band<'a> = (Vec<f32>, Items<'a>);
/// A raster read back: its file's CRS, geotransform, size and pixels.
type RawRaster = (String, [f64; 6], (usize, usize), Vec<f32>);
/// A raster to write: CRS, geotransform, size, metadata items and the pixel function.
type Spec<'a> = (
    &'a str,
    [f64; 6],
    (usize, usize),
    [(&'a str, &'a str); 4],
    &'a dyn Fn(usize, usize) -> f32,
);

fn tif(
    path: &Path,
    crs: Option<&str>,
    gt: [f64; 6],
    (w, h): (usize, usize),
    bands: &[Band],
    md: &[(&str, &str)],
) -> PathBuf {
    let d = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = d
        .create_with_band_type::<f32, _>(path, w, h, bands.len())
        .unwrap();
    ds.set_geo_transform(&gt).unwrap();
    if let Some(c) = crs {
        ds.set_spatial_ref(&SpatialRef::from_definition(c).unwrap())
            .unwrap();
    }
    for (k, v) in md {
        ds.set_metadata_item(k, v, "").unwrap();
    }
    for (i, (px, bmd)) in bands.iter().enumerate() {
        let mut b = ds.rasterband(i + 1).unwrap();
        b.set_no_data_value(Some(-9999.0)).unwrap();
        for (k, v) in bmd {
            b.set_metadata_item(k, v, "").unwrap();
        }
        let mut buf = Buffer::new((w, h), px.clone());
        b.write((0, 0), (w, h), &mut buf).unwrap();
    }
    ds.close().unwrap();
    path.to_path_buf()
}

const MD_4G: [(&str, &str); 3] = [
    ("OPERATOR", "Alfa"),
    ("TECHNOLOGY", "4G"),
    ("VALUE", "peak_down_mbps"),
];

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

// Florence, as in io::read::crs: the same place in four CRSs (PROJ 9.1, gdaltransform).
const LON: f64 = 11.2493011654;
const LAT: f64 = 43.7809251015;
const PLACES: [(&str, f64, f64); 4] = [
    ("EPSG:32632", 681000.0, 4850000.0),
    ("EPSG:32633", 198177.367334827, 4854381.44620711),
    ("EPSG:3035", 4421807.77872408, 2297688.62066829),
    ("EPSG:4326", LON, LAT),
];

#[test]
fn metadata_items_make_the_offer_band_items_and_options_override() {
    let dir = tempfile::tempdir().unwrap();
    let p = tif(
        &dir.path().join("two.tif"),
        Some("EPSG:32632"),
        [680000.0, 100.0, 0.0, 4851000.0, 0.0, -100.0],
        (4, 3),
        &[
            (vec![1.0; 12], vec![]),
            (
                vec![2.0; 12],
                vec![
                    ("TECHNOLOGY", "5G"),
                    ("STATUS", "planned"),
                    ("YEAR", "2027"),
                ],
            ),
        ],
        &[
            ("OPERATOR", "Alfa"),
            ("TECHNOLOGY", "4G"),
            ("VALUE", "rsrp_dbm"),
            ("UP_MBPS", "5"),
        ],
    );
    let mut offers = Offers::new();
    let r = read_raster(&p, &RasterOptions::default(), &mut offers).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(offers.sources[0].kind, SourceKind::Raster);
    let (a, b) = (
        &offers.offers[r[0].offer as usize],
        &offers.offers[r[1].offer as usize],
    );
    assert_eq!(offers.names.name(a.operator), "Alfa");
    assert_eq!(
        (a.technology, a.status, a.year),
        (Technology::Mobile4g, Status::Existing, None)
    );
    assert_eq!(
        (b.technology, b.status, b.year),
        (Technology::Mobile5g, Status::Planned, Some(2027))
    );
    assert_eq!(r[0].kind, crate::model::ValueKind::RsrpDbm);
    assert_eq!(r[0].up_mbps, Some(5.0));
    assert_eq!(r[1].band.values, vec![2.0; 12]);
    assert_eq!(r[0].band.crs_key, "EPSG:32632");
    assert!(
        r[1].band.label.ends_with("two.tif band 2"),
        "{}",
        r[1].band.label
    );

    let opts = RasterOptions {
        operator: Some("Beta".into()),
        technology: Some("5G".into()),
        value: Some("down_mbps".into()),
        ..Default::default()
    };
    let r = read_raster(&p, &opts, &mut offers).unwrap();
    let a = &offers.offers[r[0].offer as usize];
    assert_eq!(offers.names.name(a.operator), "Beta");
    assert_eq!(a.technology, Technology::Mobile5g);
    assert_eq!(r[0].kind, crate::model::ValueKind::DownMbps);
}

/// A raster's own items, the run's options (`--raster-*`) and one file's items
/// (`--raster-meta`): the file's win over the run's, which win over the band's and the file's
/// own metadata.
#[test]
fn per_file_items_win_over_the_run_options_which_win_over_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let gt = [680000.0, 100.0, 0.0, 4851000.0, 0.0, -100.0];
    let md = [
        ("OPERATOR", "Alfa"),
        ("TECHNOLOGY", "4G"),
        ("VALUE", "rsrp_dbm"),
        ("UP_MBPS", "5"),
    ];
    let band5g = vec![("TECHNOLOGY", "5G"), ("UP_MBPS", "7")];
    let a = tif(
        &dir.path().join("a.tif"),
        Some("EPSG:32632"),
        gt,
        (2, 2),
        &[(vec![1.0; 4], vec![]), (vec![2.0; 4], band5g.clone())],
        &md,
    );
    let b = tif(
        &dir.path().join("b.tif"),
        Some("EPSG:32632"),
        gt,
        (2, 2),
        &[(vec![1.0; 4], band5g)],
        &md,
    );
    let opts = RasterOptions {
        operator: Some("Beta".into()),
        technology: Some("4G".into()),
        per_file: vec![
            format!("{}:operator=Gamma,Status=planned", a.display())
                .parse()
                .unwrap(),
            "a.tif:YEAR=2027,up_mbps=9".parse().unwrap(),
        ],
        ..Default::default()
    };
    let files = vec![a.clone(), b.clone()];
    let each = opts.for_files(&files).unwrap();
    assert!(each.iter().all(|o| o.per_file.is_empty()));
    let mut offers = Offers::new();
    let ra = read_raster(&a, &each[0], &mut offers).unwrap();
    let rb = read_raster(&b, &each[1], &mut offers).unwrap();
    let o = |r: &crate::model::RasterCoverage| offers.offers[r.offer as usize];
    // a.tif: its own items (Gamma, planned 2027, 9 Mbit/s up) over the run's (Beta, 4G) over
    // band 2's (5G, 7 up) over the file's (rsrp_dbm)
    for r in &ra {
        assert_eq!(offers.names.name(o(r).operator), "Gamma");
        assert_eq!(
            (o(r).technology, o(r).status, o(r).year),
            (Technology::Mobile4g, Status::Planned, Some(2027))
        );
        assert_eq!(r.up_mbps, Some(9.0));
        assert_eq!(r.kind, crate::model::ValueKind::RsrpDbm);
    }
    // b.tif: the run's options over its band's and file's items
    assert_eq!(offers.names.name(o(&rb[0]).operator), "Beta");
    assert_eq!(
        (o(&rb[0]).technology, o(&rb[0]).status),
        (Technology::Mobile4g, Status::Existing)
    );
    assert_eq!(rb[0].up_mbps, Some(7.0), "the band's item over the file's");
    // read alone, a raster takes the items naming it, and refuses those naming another file
    let mut alone = Offers::new();
    let r = read_raster(&a, &opts, &mut alone).unwrap();
    let op = alone.offers[r[0].offer as usize].operator;
    assert_eq!(alone.names.name(op), "Gamma");
    let e = read_raster(&b, &opts, &mut alone).unwrap_err().to_string();
    assert!(
        e.contains("b.tif: ") && e.contains("a.tif is none of the rasters given with --coverage"),
        "{e}"
    );
    // one item given twice for a raster, by path and by name
    let twice = RasterOptions {
        per_file: vec![
            "a.tif:OPERATOR=X".parse().unwrap(),
            format!("{}:OPERATOR=Y", a.display()).parse().unwrap(),
        ],
        ..Default::default()
    };
    let e = twice.for_files(&files).unwrap_err().to_string();
    assert!(
        e.contains("OPERATOR of ") && e.ends_with("a.tif is given twice"),
        "{e}"
    );
}

#[test]
fn bad_rasters_are_rejected_naming_the_file_the_band_and_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let gt = [680000.0, 100.0, 0.0, 4851000.0, 0.0, -100.0];
    let band = || (vec![1.0f32; 4], vec![]);
    let read =
        |p: &Path| read_raster(p, &RasterOptions::default(), &mut Offers::new()).unwrap_err();
    let cases: [(&str, Option<&str>, Items, &str); 5] = [
        (
            "no_op.tif",
            Some("EPSG:32632"),
            vec![("TECHNOLOGY", "4G"), ("VALUE", "down_mbps")],
            "band 1: no OPERATOR metadata item",
        ),
        (
            "bad_value.tif",
            Some("EPSG:32632"),
            vec![("OPERATOR", "A"), ("TECHNOLOGY", "4G"), ("VALUE", "dbm")],
            "VALUE: unknown value kind \"dbm\"",
        ),
        (
            "bad_tech.tif",
            Some("EPSG:32632"),
            vec![("OPERATOR", "A"), ("TECHNOLOGY", "6G"), ("VALUE", "dbm")],
            "TECHNOLOGY: unknown technology \"6G\"",
        ),
        (
            "no_year.tif",
            Some("EPSG:32632"),
            vec![
                ("OPERATOR", "A"),
                ("TECHNOLOGY", "4G"),
                ("VALUE", "down_mbps"),
                ("STATUS", "planned"),
            ],
            "planned but there is no YEAR",
        ),
        ("no_crs.tif", None, MD_4G.to_vec(), "has no CRS"),
    ];
    for (name, crs, md, expected) in cases {
        let p = tif(&dir.path().join(name), crs, gt, (2, 2), &[band()], &md);
        let e = read(&p);
        assert!(matches!(e, Error::Raster { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(name) && msg.contains(expected),
            "{name}: {msg}"
        );
    }
    // a CRS given by the user rescues the raster without one
    let p = dir.path().join("no_crs.tif");
    let opts = RasterOptions {
        crs: Some("EPSG:32632".into()),
        ..Default::default()
    };
    assert_eq!(read_raster(&p, &opts, &mut Offers::new()).unwrap().len(), 1);
    // a vector file is not a raster
    let v = dir.path().join("v.geojson");
    std::fs::write(&v, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    assert!(!crate::io::read::is_raster(&v));
    assert!(crate::io::read::is_raster(&p));
}

/// Rasters in four CRSs, 100 m (or 0.001°) pixels valued `10 * col + row`, placed so that
/// Florence falls in pixel (3, 2) of each.
fn florence_rasters(dir: &Path) -> (Coverage, Vec<[f64; 6]>) {
    let mut cov = Coverage::default();
    let mut gts = Vec::new();
    for (i, (crs, x, y)) in PLACES.iter().enumerate() {
        let s = if *crs == "EPSG:4326" { 0.001 } else { 100.0 };
        // Florence at the centre of pixel (3, 2)
        let (x0, y0) = (x - 3.5 * s, y + 2.5 * s);
        let gt = [x0, s, 0.0, y0, 0.0, -s];
        let px: Vec<f32> = (0..6 * 5).map(|k| (10 * (k % 6) + k / 6) as f32).collect();
        let p = tif(
            &dir.join(format!("r{i}.tif")),
            Some(crs),
            gt,
            (6, 5),
            &[(px, vec![])],
            &MD_4G,
        );
        cov.rasters
            .extend(read_raster(&p, &RasterOptions::default(), &mut cov.offers).unwrap());
        gts.push(gt);
    }
    (cov, gts)
}

#[test]
fn sampling_reprojects_the_unit_into_each_rasters_crs() {
    let dir = tempfile::tempdir().unwrap();
    let (cov, gts) = florence_rasters(dir.path());
    let sampler = Sampler::new(&cov.rasters);
    let mut out = Vec::new();
    // Florence; 0.0014° (112 m) further east: pixel (4, 2) in every raster (the grid
    // convergence of UTM 32N / 33N and LAEA moves the point by a few metres north or south,
    // less than the 50 m to the row's edge); then far away, and not lon/lat at all
    let lon = [LON, LON + 0.0014, 15.0, f64::NAN];
    let lat = [LAT, LAT, 40.0, 43.0];
    sampler.sample(&lon, &lat, &mut out, &mut Default::default());
    for (r, (crs, _, _)) in PLACES.iter().enumerate() {
        let v = &out[r * 4..(r + 1) * 4];
        assert_eq!(v[0], 32.0, "{crs}: Florence is in pixel (3, 2)");
        assert_eq!(v[1], 42.0, "{crs}: 112 m east is in pixel (4, 2)");
        assert!(v[2].is_nan() && v[3].is_nan(), "{crs}: outside -> no value");
    }
    // the rasters in their own CRS: a point on a pixel's west edge belongs to it
    let utm = &cov.rasters[0].band;
    assert_eq!(utm.geo_transform, gts[0]);
    let (cx, cy) = utm.centre(3, 2);
    assert_eq!((cx, cy), (PLACES[0].1, PLACES[0].2));
    assert_eq!(utm.value_at(cx - 50.0, cy), Some(32.0));
    assert_eq!(utm.value_at(cx + 50.0, cy), Some(42.0));
}

/// One unit per case, classified under it-5g against a 32632 raster of peak speeds with a
/// nodata pixel, and a 4G footprint elsewhere.
#[test]
fn units_against_rasters_nodata_and_outside_are_unknown_not_white() {
    let dir = tempfile::tempdir().unwrap();
    // 3 x 2 pixels of 100 m around Florence: [10, 40, nodata / 29.9, 30, 0]
    let (x, y) = (PLACES[0].1, PLACES[0].2);
    let gt = [x - 150.0, 100.0, 0.0, y + 100.0, 0.0, -100.0];
    let p = tif(
        &dir.path().join("speed.tif"),
        Some("EPSG:32632"),
        gt,
        (3, 2),
        &[(vec![10.0, 40.0, -9999.0, 29.9, 30.0, 0.0], vec![])],
        &MD_4G,
    );
    let mut cov = Coverage::default();
    cov.rasters = read_raster(&p, &RasterOptions::default(), &mut cov.offers).unwrap();
    let to_ll = |px: f64, py: f64| {
        let r = crate::io::read::Reprojector::from_crs("EPSG:32632").unwrap();
        r.transform_point(px, py).unwrap().unwrap()
    };
    let mut units = Units::new();
    let centres = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)];
    for (k, (c, r)) in centres.iter().enumerate() {
        let (lon, lat) = to_ll(
            gt[0] + 100.0 * *c as f64 + 50.0,
            gt[3] - 100.0 * *r as f64 - 50.0,
        );
        units.push(&format!("U{k}"), lon, lat, 1, None, None);
    }
    units.push("OUT", LON + 0.05, LAT, 1, None, None);
    // a second operator's 4G footprint (peak 50) over the outside unit
    let src = cov.offers.add_source("fp", SourceKind::Footprints);
    let offer = cov.offers.push(
        &OfferAttrs {
            operator: "Beta".into(),
            infrastructure: "Beta".into(),
            technology: Technology::Mobile4g,
            down_mbps: 80.0,
            up_mbps: 10.0,
            peak_down_mbps: Some(50.0),
            peak_up_mbps: None,
            status: Status::Existing,
            year: None,
            licensed: true,
        },
        src,
    );
    units.push("OUT_BETA", LON + 0.1, LAT, 1, None, None);
    cov.footprints.push(Footprint {
        offer,
        geometry: rect(LON + 0.09, LAT - 0.01, LON + 0.11, LAT + 0.01),
    });
    let index = build_index(&cov, GridOptions::default());
    let rules = [crate::rules::load("it-5g").unwrap()];
    let opts = ClassifyOptions {
        reference_year: 2025,
        grid: GridOptions::default(),
        mobile_ops: true,
    };
    let cls = classify(&units, &cov, &index, &rules, &opts, &|_| {});
    let classes: Vec<&str> = (0..units.len())
        .map(|i| cls.rules[0].class_name(i))
        .collect();
    assert_eq!(
        classes,
        [
            "eligible",     // 10 Mbit/s
            "not_eligible", // 40
            "unknown",      // nodata
            "eligible",     // 29.9
            "not_eligible", // 30: at least
            "eligible",     // 0
            "unknown",      // outside the raster
            "not_eligible"  // outside the raster, but a footprint decides
        ]
    );
    assert_eq!(cls.raster_unknown, 3);
    // reach: the raster counts as a 4G network where its speed is above 0
    assert_eq!(cls.reach[1].networks_4g, 1);
    assert_eq!(cls.reach[1].best_down, 40.0);
    assert_eq!(cls.reach[5].networks_4g, 0);
    assert_eq!(cls.reach[2].networks_4g, 0);
    // mobile statistics: 4G where a speed above 0 reaches (units 0, 1, 3, 4 of Alfa, the last
    // of Beta); mobile white: the 0 pixel, the nodata one and the outside one
    assert_eq!(cls.mobile_operators, ["Alfa", "Beta"]);
    let st = crate::stats::compute_with(&units, &cls, &|_| None, true);
    let total = st.rows.last().unwrap();
    assert_eq!(total.units_4g, 5);
    assert_eq!(total.mobile, vec![3, 4, 1, 0, 0]);
    let col = |name: &str| {
        let c = crate::table::Table::columns(&st)
            .iter()
            .position(|c| c.name == name)
            .unwrap();
        crate::table::Table::value(&st, st.rows.len() - 1, c)
    };
    assert_eq!(col("units_mobile_white"), crate::table::Value::Int(3));
    assert_eq!(col("share_units_4g"), crate::table::Value::Float(0.625));
    assert_eq!(col("units_4g_Alfa"), crate::table::Value::Int(4));
    assert_eq!(
        col("share_units_4g_Beta"),
        crate::table::Value::Float(0.125)
    );
    assert_eq!(col("units_5g_Beta"), crate::table::Value::Int(0));
    // without the flag the table is as before
    let plain = crate::stats::compute(&units, &cls, &|_| None);
    assert_eq!(
        crate::table::Table::columns(&plain).len() + 4 + 8,
        crate::table::Table::columns(&st).len()
    );
}

// ---------------------------------------------------------------------------------------
// Grids against brute force

/// A test world near Florence: a territory, footprints and three rasters in three CRSs.
struct World {
    _dir: tempfile::TempDir,
    territory: MultiPolygon<f64>,
    cov: Coverage,
    index: GridIndex,
    /// Per raster: its file's CRS, geotransform, size and pixels (nodata = NaN).
    raw: Vec<RawRaster>,
}

fn attrs(
    op: &str,
    t: Technology,
    down: f64,
    up: f64,
    peak: Option<f64>,
    year: Option<i32>,
) -> OfferAttrs {
    OfferAttrs {
        operator: op.into(),
        infrastructure: op.into(),
        technology: t,
        down_mbps: down,
        up_mbps: up,
        peak_down_mbps: peak,
        peak_up_mbps: peak.map(|p| p / 10.0),
        status: if year.is_some() {
            Status::Planned
        } else {
            Status::Existing
        },
        year,
        licensed: true,
    }
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let territory = MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![
            (11.20, 43.74),
            (11.30, 43.745),
            (11.29, 43.80),
            (11.21, 43.79),
            (11.20, 43.74),
        ]),
        vec![],
    )]);
    let mut cov = Coverage::default();
    let src = cov.offers.add_source("fp", SourceKind::Footprints);
    let fps = [
        (
            attrs("Alfa", Technology::Mobile4g, 60.0, 10.0, Some(40.0), None),
            rect(11.21, 43.75, 11.24, 43.77),
        ),
        (
            attrs("Gamma", Technology::Mobile4g, 20.0, 2.0, None, None),
            rect(11.25, 43.76, 11.28, 43.79),
        ),
        (
            attrs(
                "Beta",
                Technology::Mobile5g,
                300.0,
                30.0,
                Some(200.0),
                Some(2028),
            ),
            rect(11.22, 43.74, 11.30, 43.76),
        ),
        (
            attrs("Beta", Technology::Mobile5g, 100.0, 20.0, Some(25.0), None),
            rect(11.235, 43.765, 11.26, 43.785),
        ),
    ];
    for (a, g) in fps {
        let offer = cov.offers.push(&a, src);
        cov.footprints.push(Footprint { offer, geometry: g });
    }
    // rasters: Alfa 4G peak speeds in UTM 32N (200 m), Beta 5G RSRP in lon/lat, Delta 4G
    // peak speeds in LAEA aligned with the Italia 5G grid (100 m); each has a nodata patch,
    // and the lon/lat one leaves the territory's east end out
    let mut raw = Vec::new();
    let specs: [Spec; 3] = [
        (
            "EPSG:32632",
            [676000.0, 200.0, 0.0, 4853000.0, 0.0, -200.0],
            (50, 60),
            [
                ("OPERATOR", "Alfa"),
                ("TECHNOLOGY", "4G"),
                ("VALUE", "peak_down_mbps"),
                ("UP_MBPS", "5"),
            ],
            &|c, r| ((c * 7 + r * 13) % 60) as f32,
        ),
        (
            "EPSG:4326",
            [11.195, 0.002, 0.0, 43.805, 0.0, -0.002],
            (45, 35),
            [
                ("OPERATOR", "Beta"),
                ("TECHNOLOGY", "5G"),
                ("VALUE", "rsrp_dbm"),
                ("STATUS", "existing"),
            ],
            &|c, r| -70.0 - ((c * 3 + r * 5) % 50) as f32,
        ),
        (
            "EPSG:3035",
            [4417000.0, 100.0, 0.0, 2301500.0, 0.0, -100.0],
            (100, 90),
            [
                ("OPERATOR", "Delta"),
                ("TECHNOLOGY", "4G"),
                ("VALUE", "peak_down_mbps"),
                ("UP_MBPS", "0.5"),
            ],
            &|c, r| ((c * 11 + r * 3) % 40) as f32,
        ),
    ];
    for (i, (crs, gt, (w, h), md, f)) in specs.iter().enumerate() {
        let mut px: Vec<f32> = (0..w * h).map(|k| f(k % w, k / w)).collect();
        for r in 4..8 {
            for c in 5..9 {
                px[r * w + c] = -9999.0;
            }
        }
        let p = tif(
            &dir.path().join(format!("w{i}.tif")),
            Some(crs),
            *gt,
            (*w, *h),
            &[(px.clone(), vec![])],
            md,
        );
        cov.rasters
            .extend(read_raster(&p, &RasterOptions::default(), &mut cov.offers).unwrap());
        let raw_px = px
            .iter()
            .map(|&v| if v == -9999.0 { f32::NAN } else { v })
            .collect();
        raw.push((crs.to_string(), *gt, (*w, *h), raw_px));
    }
    let index = build_index(&cov, GridOptions::default());
    World {
        _dir: dir,
        territory,
        cov,
        index,
        raw,
    }
}

fn transform(from: &str, to: &str) -> CoordTransform {
    let mut a = SpatialRef::from_definition(from).unwrap();
    a.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut b = SpatialRef::from_definition(to).unwrap();
    b.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&a, &b).unwrap()
}

impl World {
    /// Every raster's value at lon/lat, by literal pixel arithmetic (NaN when none).
    fn raster_values(&self, lon: f64, lat: f64) -> Vec<f32> {
        self.raw
            .iter()
            .map(|(crs, gt, (w, h), px)| {
                let (mut xs, mut ys) = ([lon], [lat]);
                if crs != "EPSG:4326" {
                    transform("EPSG:4326", crs)
                        .transform_coords(&mut xs, &mut ys, &mut [])
                        .unwrap();
                }
                let c = ((xs[0] - gt[0]) / gt[1]).floor();
                let r = ((ys[0] - gt[3]) / gt[5]).floor();
                if c < 0.0 || r < 0.0 || c >= *w as f64 || r >= *h as f64 {
                    return f32::NAN;
                }
                px[r as usize * w + c as usize]
            })
            .collect()
    }

    /// (operator, technology, qualification: Some(true/false), None = unknown) of everything
    /// reaching lon/lat under a literal reading of a rule: `fp` judges footprint offers,
    /// `px` judges raster values (raster index, value).
    fn reaching(
        &self,
        lon: f64,
        lat: f64,
        fp: &dyn Fn(&crate::model::Offer) -> Option<bool>,
        px: &dyn Fn(usize, f32) -> Option<bool>,
    ) -> Vec<(String, Technology, Option<bool>)> {
        let mut out = Vec::new();
        let p = Point(Coord { x: lon, y: lat });
        for f in &self.cov.footprints {
            if f.geometry.intersects(&p) {
                let o = &self.cov.offers.offers[f.offer as usize];
                out.push((
                    self.cov.offers.names.name(o.operator).to_string(),
                    o.technology,
                    fp(o),
                ));
            }
        }
        for (r, v) in self.raster_values(lon, lat).into_iter().enumerate() {
            let o = &self.cov.offers.offers[self.cov.rasters[r].offer as usize];
            let q = if v.is_nan() { None } else { px(r, v) };
            out.push((
                self.cov.offers.names.name(o.operator).to_string(),
                o.technology,
                q,
            ));
        }
        out
    }
}

/// it-5g, literally: 4G/5G, existing or planned by 2026, peak >= 30 (missing: unknown);
/// rasters: Alfa's and Delta's peak speeds; Beta's RSRP through the preset's 5G table
/// (>= -100 dBm gives 35 Mbit/s, less gives at most 7).
fn it5g_code(w: &World, lon: f64, lat: f64) -> u8 {
    let fp = |o: &crate::model::Offer| {
        if o.status == Status::Planned && o.year.is_some_and(|y| y > 2026) {
            return Some(false);
        }
        o.peak_down_mbps.map(|p| p >= 30.0)
    };
    let px = |r: usize, v: f32| match r {
        1 => Some(v >= -100.0),
        _ => Some(v >= 30.0),
    };
    let all = w.reaching(lon, lat, &fp, &px);
    let yes: Vec<&String> = all
        .iter()
        .filter(|a| a.2 == Some(true))
        .map(|a| &a.0)
        .collect();
    let maybe = all.iter().any(|a| a.2.is_none() && !yes.contains(&&a.0));
    match (yes.is_empty(), maybe) {
        (false, _) => NOT_ELIGIBLE,
        (true, true) => UNKNOWN,
        (true, false) => ELIGIBLE,
    }
}

#[test]
fn italia_5g_pixels_equal_brute_force() {
    let w = world();
    let rule = crate::rules::load("it-5g").unwrap();
    let bbox = geo::BoundingRect::bounding_rect(&w.territory).unwrap();
    let grid = Grid::covering(bbox, 100.0).unwrap();
    assert!(grid.west % 100.0 == 0.0 && grid.north % 100.0 == 0.0);
    let territory = GridIndex::build(std::slice::from_ref(&w.territory), GridOptions::default());
    let pc = grid_5g::classify_pixels(
        grid,
        Some(&territory),
        &w.cov,
        &w.index,
        &rule,
        2025,
        &|_| {},
    )
    .unwrap();
    let to_ll = transform("EPSG:3035", "EPSG:4326");
    let mut counts = [0usize; 4];
    for row in 0..grid.rows {
        for col in 0..grid.cols {
            let (x, y) = grid.centre(col, row);
            let (mut xs, mut ys) = ([x], [y]);
            to_ll.transform_coords(&mut xs, &mut ys, &mut []).unwrap();
            let inside = w.territory.intersects(&Point(Coord { x: xs[0], y: ys[0] }));
            let expected = if inside {
                it5g_code(&w, xs[0], ys[0])
            } else {
                OUTSIDE
            };
            let got = pc.codes[row * grid.cols + col];
            assert_eq!(
                got, expected,
                "pixel ({col}, {row}) at {}, {}",
                xs[0], ys[0]
            );
            counts[(expected as usize).min(3)] += 1;
        }
    }
    // every outcome occurs, so the comparison means something
    assert!(counts.iter().all(|&n| n > 50), "{counts:?}");
}

#[test]
fn fcc_hexagons_equal_brute_force() {
    let w = world();
    let rules = [
        crate::rules::load("fcc-4g-5-1").unwrap(),
        crate::rules::load("fcc-5g-7-1").unwrap(),
    ];
    let res = h3o::Resolution::Nine;
    let cells = h3_grid::cells_in_areas(std::slice::from_ref(&w.territory), res).unwrap();
    // the cells are exactly those whose centre is in the territory: check them and their
    // neighbours
    let set: std::collections::HashSet<h3o::CellIndex> = cells.iter().copied().collect();
    for c in &cells {
        for n in c.grid_disk::<Vec<_>>(1) {
            let ll = h3o::LatLng::from(n);
            let inside = w.territory.intersects(&Point(Coord {
                x: ll.lng(),
                y: ll.lat(),
            }));
            assert_eq!(set.contains(&n), inside, "cell {n}");
        }
    }
    let hex = h3_grid::classify_hexagons(cells.clone(), &w.cov, &w.index, &rules, 2025, &|_| {});
    let names = &w.cov.offers.names;
    // literal FCC: existing only, nominal down/up; rasters: Alfa and Delta (peak used as
    // nominal, up 5 and 0.5), Beta RSRP 5G (>= -100: 35/3, >= -110: 7/1)
    let judge = |rule: usize| {
        move |o: &crate::model::Offer| -> Option<bool> {
            if o.status == Status::Planned {
                return Some(false);
            }
            let (d, u) = if rule == 0 { (5.0, 1.0) } else { (7.0, 1.0) };
            Some(o.down_mbps >= d && o.up_mbps >= u)
        }
    };
    let judge_px = |rule: usize| {
        move |r: usize, v: f32| -> Option<bool> {
            let (d, u) = if rule == 0 { (5.0, 1.0) } else { (7.0, 1.0) };
            Some(match r {
                0 => v >= d && 5.0 >= u,
                1 => v >= -110.0,
                _ => v >= d && 0.5 >= u,
            })
        }
    };
    let mut seen = [0usize; 3];
    for (ci, (lon, lat)) in hex.centres.iter().enumerate() {
        for (l, layer) in hex.layers.iter().enumerate() {
            let op = names.name(layer.operator);
            let all = w.reaching(*lon, *lat, &judge(layer.rule), &judge_px(layer.rule));
            let mine: Vec<_> = all
                .iter()
                .filter(|a| a.0 == op && a.1 == layer.technology)
                .collect();
            let counted = rules[layer.rule]
                .qualify
                .technologies
                .contains(layer.technology);
            let expected = if !counted || !mine.iter().any(|a| a.2 != Some(false)) {
                NOT_COVERED
            } else if mine.iter().any(|a| a.2 == Some(true)) {
                COVERED
            } else {
                h3_grid::UNKNOWN
            };
            let got = hex.status[ci * hex.layers.len() + l];
            assert_eq!(
                got, expected,
                "cell {} layer {op} {} rule {}",
                hex.cells[ci], layer.technology, layer.rule
            );
            seen[got as usize] += 1;
        }
    }
    assert!(seen.iter().all(|&n| n > 20), "{seen:?}");
    // layers: per rule set, the operators with a technology it counts
    let layers: Vec<(usize, &str, Technology)> = hex
        .layers
        .iter()
        .map(|l| (l.rule, names.name(l.operator), l.technology))
        .collect();
    assert_eq!(
        layers,
        [
            (0, "Alfa", Technology::Mobile4g),
            (0, "Delta", Technology::Mobile4g),
            (0, "Gamma", Technology::Mobile4g),
            (1, "Beta", Technology::Mobile5g)
        ]
    );
}

#[test]
fn eligible_pixels_dissolve_into_areas_with_units_and_population() {
    // 7 x 5 pixels: a ring of eligible pixels around a not-eligible one (a hole), and a
    // separate pair; diagonal contact does not connect
    let grid = Grid {
        west: 4420000.0,
        north: 2300000.0,
        cols: 7,
        rows: 5,
        size: 100.0,
    };
    let e = ELIGIBLE;
    let n = NOT_ELIGIBLE;
    #[rustfmt::skip]
    let codes = vec![
        e, e, e, n, n, n, n,
        e, n, e, n, n, e, n,
        e, e, e, n, n, e, n,
        n, n, n, e, n, n, n,
        n, n, n, n, OUTSIDE, UNKNOWN, n,
    ];
    let pc = PixelClasses {
        grid,
        codes,
        rules: "it-5g".into(),
    };
    let (labels, count) = grid_5g::label_components(&pc);
    assert_eq!(count, 3);
    assert_eq!(labels[0], 1);
    assert_eq!(labels[12], 2);
    assert_eq!(labels[3 * 7 + 3], 3, "diagonal contact is not a connection");
    // units: two in the ring, one in the hole, one in the pair (3 dwellings)
    let to_ll = crate::io::read::Reprojector::from_crs("EPSG:3035").unwrap();
    let mut units = Units::new();
    for (k, (c, r, u)) in [(0, 0, 1), (2, 2, 1), (1, 1, 1), (5, 2, 3)]
        .iter()
        .enumerate()
    {
        let (x, y) = grid.centre(*c, *r);
        let (lon, lat) = to_ll.transform_point(x, y).unwrap().unwrap();
        units.push(&format!("U{k}"), lon, lat, *u, None, None);
    }
    // population: 200 m pixels of 4 persons -> 1 person per 100 m pixel
    let pop = super::Band {
        width: 4,
        height: 3,
        geo_transform: [4420000.0, 200.0, 0.0, 2300000.0, 0.0, -200.0],
        to_crs: crate::io::read::Reprojector::from_lon_lat_to(
            &SpatialRef::from_epsg(3035).unwrap(),
            "EPSG:3035",
        )
        .unwrap(),
        crs_key: "EPSG:3035".into(),
        values: vec![4.0; 12],
        label: "pop".into(),
    };
    let areas = grid_5g::dissolve(&pc, Some(&units), Some(&pop)).unwrap();
    // a population raster in degrees is refused: its pixel areas are not comparable
    let mut geographic = pop.clone();
    geographic.crs_key = "EPSG:4326".into();
    let e = grid_5g::dissolve(&pc, None, Some(&geographic)).unwrap_err();
    assert!(e.to_string().contains("geographic CRS"), "{e}");
    assert_eq!(areas.len(), 3);
    let ring = &areas[0];
    assert_eq!((ring.pixels, ring.addresses, ring.units), (8, 2, 2));
    assert_eq!(ring.population, Some(8.0));
    assert_eq!(ring.geometry.0.len(), 1);
    assert_eq!(
        ring.geometry.0[0].interiors().len(),
        1,
        "the ring has a hole"
    );
    assert_eq!(
        (areas[1].pixels, areas[1].addresses, areas[1].units),
        (2, 1, 3)
    );
    assert_eq!(areas[2].pixels, 1);
    // the outline, back in EPSG:3035, has the pixels' area
    let to_laea = transform("EPSG:4326", "EPSG:3035");
    for a in &areas {
        let mut g = a.geometry.clone();
        use geo::MapCoordsInPlace;
        g.map_coords_in_place(|c| {
            let (mut xs, mut ys) = ([c.x], [c.y]);
            to_laea.transform_coords(&mut xs, &mut ys, &mut []).unwrap();
            Coord { x: xs[0], y: ys[0] }
        });
        let area = geo::Area::unsigned_area(&g);
        assert!(
            (area - a.pixels as f64 * 1e4).abs() < 1.0,
            "{area} for {} pixels",
            a.pixels
        );
    }
}

#[test]
fn written_pixels_read_back_with_their_grid() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("codes.tif");
    let grid = Grid {
        west: 4420000.0,
        north: 2300000.0,
        cols: 3,
        rows: 2,
        size: 100.0,
    };
    write_geotiff(
        &p,
        &RasterOut {
            width: 3,
            height: 2,
            geo_transform: grid.geo_transform(),
            crs: "EPSG:3035",
            pixels: &[0u8, 1, 2, 255, 1, 0],
            nodata: Some(255.0),
            metadata: &[("RULES", "it-5g".into())],
        },
    )
    .unwrap();
    let b = crate::io::read::read_band(&p, 1, None).unwrap();
    assert_eq!(b.crs_key, "EPSG:3035");
    assert_eq!(b.geo_transform, grid.geo_transform());
    assert_eq!(&b.values[..3], &[0.0, 1.0, 2.0]);
    assert!(b.values[3].is_nan(), "nodata");
}

#[test]
fn eligible_areas_round_trip_through_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("areas.geojson");
    let a = grid_5g::EligibleArea {
        id: 7,
        pixels: 12,
        geometry: rect(11.0, 43.0, 11.01, 43.01),
        addresses: 3,
        units: 5,
        population: Some(11.5),
    };
    let columns = [
        crate::table::Column::new("id", crate::table::ColumnType::Int),
        crate::table::Column::new("pixels", crate::table::ColumnType::Int),
        crate::table::Column::new("addresses", crate::table::ColumnType::Int),
        crate::table::Column::new("units", crate::table::ColumnType::Int),
        crate::table::Column::new("population", crate::table::ColumnType::Float),
    ];
    use crate::table::Value::{Float, Int};
    let rows = [crate::io::write::PolygonRow {
        geometry: &a.geometry,
        values: vec![Int(7), Int(12), Int(3), Int(5), Float(11.5)],
    }];
    for ext in ["geojson", "gpkg", "fgb"] {
        let p = p.with_extension(ext);
        crate::io::write::write_polygons(&p, &columns, &rows).unwrap();
        let back = grid_5g::read_areas(&p).unwrap();
        assert_eq!(back, vec![a.clone()], "{ext}");
    }
    let e =
        crate::io::write::write_polygons(&p.with_extension("csv"), &columns, &rows).unwrap_err();
    assert!(e.to_string().contains(".geojson, .gpkg or .fgb"), "{e}");
    let e = grid_5g::read_areas(&dir.path().join("none.geojson")).unwrap_err();
    assert!(e.to_string().contains("none.geojson"), "{e}");
}

#[test]
fn a_window_reads_only_the_pixels_around_it_and_samples_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    // 200 x 150 pixels of 100 m in UTM 32N around Florence, each valued by its position
    let (w, h) = (200usize, 150usize);
    let gt = [671000.0, 100.0, 0.0, 4857000.0, 0.0, -100.0];
    let px: Vec<f32> = (0..w * h).map(|k| k as f32).collect();
    let p = tif(
        &dir.path().join("big.tif"),
        Some("EPSG:32632"),
        gt,
        (w, h),
        &[(px, vec![])],
        &MD_4G,
    );
    let full = read_raster(&p, &RasterOptions::default(), &mut Offers::new()).unwrap();
    let window = [11.24, 43.77, 11.26, 43.79];
    let opts = RasterOptions {
        window: Some(window),
        ..Default::default()
    };
    let part = read_raster(&p, &opts, &mut Offers::new()).unwrap();
    let (fb, pb) = (&full[0].band, &part[0].band);
    assert!(
        pb.width < 40 && pb.height < 40 && pb.width > 10,
        "{} x {}",
        pb.width,
        pb.height
    );
    assert_eq!(pb.values.len(), pb.width * pb.height);
    // every point of the box samples as from the whole raster
    let (sf, sp) = (Sampler::new(&full), Sampler::new(&part));
    let mut lon = Vec::new();
    let mut lat = Vec::new();
    for i in 0..=20 {
        for j in 0..=20 {
            lon.push(window[0] + (window[2] - window[0]) * f64::from(i) / 20.0);
            lat.push(window[1] + (window[3] - window[1]) * f64::from(j) / 20.0);
        }
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    sf.sample(&lon, &lat, &mut a, &mut Default::default());
    sp.sample(&lon, &lat, &mut b, &mut Default::default());
    assert!(a.iter().all(|v| !v.is_nan()));
    assert_eq!(a, b);
    // the window's corner pixel is the whole raster's pixel at the same place
    let (x, y) = pb.centre(0, 0);
    assert_eq!(pb.value_at(x, y), fb.value_at(x, y));
    // a box that misses the raster reads nothing: every point there is unknown
    let far = RasterOptions {
        window: Some([14.0, 40.0, 14.1, 40.1]),
        ..Default::default()
    };
    let none = read_raster(&p, &far, &mut Offers::new()).unwrap();
    assert_eq!(
        (
            none[0].band.width * none[0].band.height,
            none[0].band.values.len()
        ),
        (0, 0)
    );
    assert_eq!(none[0].band.value_at(x, y), None);
}

#[test]
fn a_geotiff_copy_for_the_store_decodes_as_the_original_read_with_its_options() {
    use crate::io::raster_bytes::{decode_geotiff, to_geotiff};
    let dir = tempfile::tempdir().unwrap();
    // no CRS, no OPERATOR: both come from the options; band 2 has its own TECHNOLOGY;
    // one pixel is nodata, and the data are scaled (x 0.5)
    let (w, h) = (30usize, 20usize);
    let gt = [681000.0, 100.0, 0.0, 4851000.0, 0.0, -100.0];
    let px = |k: usize| -> Vec<f32> {
        (0..w * h)
            .map(|i| if i == k { -9999.0 } else { i as f32 })
            .collect()
    };
    let p = tif(
        &dir.path().join("nocrs.tif"),
        None,
        gt,
        (w, h),
        &[(px(3), vec![]), (px(7), vec![("TECHNOLOGY", "5G")])],
        &[("TECHNOLOGY", "4G"), ("VALUE", "down_mbps")],
    );
    {
        let ds = gdal::Dataset::open_ex(
            &p,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE,
                ..Default::default()
            },
        )
        .unwrap();
        ds.rasterband(1).unwrap().set_scale(0.5).unwrap();
    }
    let opts = RasterOptions {
        crs: Some("EPSG:32632".into()),
        operator: Some("Beta".into()),
        year: Some("2027".into()),
        status: Some("planned".into()),
        up_mbps: Some("12.5".into()),
        ..Default::default()
    };
    let original = read_raster(&p, &opts, &mut Offers::new()).unwrap();
    let copy = to_geotiff(&p, &opts).unwrap();
    assert_eq!(copy.bands.len(), 2);
    let mut offers = Offers::new();
    let decoded = decode_geotiff("nocrs.tif", copy.bytes, None).unwrap();
    let back = crate::io::read::raster::register(Path::new("stored"), decoded, &mut offers);
    let mut o_offers = Offers::new();
    let original_again = read_raster(&p, &opts, &mut o_offers).unwrap();
    for (i, (a, b)) in original_again.iter().zip(&back).enumerate() {
        let (oa, ob) = (
            &o_offers.offers[a.offer as usize],
            &offers.offers[b.offer as usize],
        );
        assert_eq!(o_offers.names.name(oa.operator), "Beta");
        assert_eq!(offers.names.name(ob.operator), "Beta", "band {}", i + 1);
        assert_eq!(
            (oa.technology, oa.status, oa.year),
            (ob.technology, ob.status, ob.year)
        );
        assert_eq!((a.kind, a.up_mbps), (b.kind, b.up_mbps));
        assert_eq!(a.band.geo_transform, b.band.geo_transform);
        assert_eq!(a.band.crs_key, "EPSG:32632");
        assert_eq!(b.band.crs_key, "EPSG:32632");
        let same = a
            .band
            .values
            .iter()
            .zip(&b.band.values)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
        assert!(same, "band {} pixels differ", i + 1);
    }
    assert_eq!(back[1].kind, original[1].kind);
    assert_eq!(
        offers.offers[back[1].offer as usize].technology,
        Technology::Mobile5g
    );
    assert_eq!(back[0].band.values[5], 2.5, "scale applied once");
    assert!(back[0].band.values[3].is_nan() && back[1].band.values[7].is_nan());
    // a window decodes only its pixels, as from the original
    let window = Some([11.25, 43.77, 11.26, 43.78]);
    let again = to_geotiff(&p, &opts).unwrap();
    let part = decode_geotiff("nocrs.tif", again.bytes, window).unwrap();
    assert!(part[0].band.width < w);
    // a raster the options cannot describe is refused before anything is written
    let e = to_geotiff(&p, &RasterOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no CRS"), "{e}");
}
