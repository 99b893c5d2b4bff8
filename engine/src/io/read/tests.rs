//! Reader tests: every format read back, reprojection against PROJ's `cs2cs`, and every bad
//! input named by file, row and field.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{Feature, FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType};
use gdal::DriverManager;
use geo::polygon;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::*;
use crate::error::{Error, OnError};
use crate::model::{Offers, SourceKind, Status, Technology};

// `echo "681000 4850000" | cs2cs -f "%.10f" EPSG:32632 EPSG:4326` (PROJ 9.1.1)
const UTM_X: f64 = 681000.0;
const UTM_Y: f64 = 4850000.0;
const UTM_LON: f64 = 11.2493011654;
const UTM_LAT: f64 = 43.7809251015;
// `echo "1681000 4850000" | cs2cs -f "%.10f" EPSG:3003 EPSG:4326`
const MM_X: f64 = 1681000.0;
const MM_LON: f64 = 11.2489186106;
const MM_LAT: f64 = 43.7807900521;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn skip() -> ReadOptions {
    ReadOptions {
        crs: None,
        on_error: OnError::Skip,
    }
}

fn crs(c: &str) -> ReadOptions {
    ReadOptions {
        crs: Some(c.into()),
        on_error: OnError::Fail,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-7
}

/// Writes a vector file through GDAL's driver API; every field is a string.
fn write_ogr(
    path: &Path,
    driver: &str,
    epsg: Option<u32>,
    fields: &[&str],
    rows: &[(&[&str], &str)],
) {
    let drv = DriverManager::get_driver_by_name(driver).unwrap();
    let mut ds = drv.create_vector_only(path).unwrap();
    let srs = epsg.map(|e| SpatialRef::from_epsg(e).unwrap());
    let layer = ds
        .create_layer(LayerOptions {
            name: "data",
            srs: srs.as_ref(),
            ..Default::default()
        })
        .unwrap();
    for f in fields {
        FieldDefn::new(f, OGRFieldType::OFTString)
            .unwrap()
            .add_to_layer(&layer)
            .unwrap();
    }
    for (values, wkt) in rows {
        let mut feat = Feature::new(layer.defn()).unwrap();
        for (i, v) in values.iter().enumerate() {
            feat.set_field_string(i, v).unwrap();
        }
        feat.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
        feat.create(&layer).unwrap();
    }
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>, geo: Option<&str>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(2))
        .set_key_value_metadata(geo.map(|g| vec![KeyValue::new("geo".into(), g.to_string())]))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn ids(u: &crate::units::Units) -> Vec<&str> {
    u.ids.iter().collect()
}

// ---------------------------------------------------------------- units: CSV

#[test]
fn csv_units_comma_and_semicolon_with_bom_quotes_and_defaults() {
    let d = tempfile::tempdir().unwrap();
    let a = write(
        d.path(),
        "a.csv",
        "\u{feff} ID , Lon,LAT,comune,units,address\n\
         u1,11.25,43.75,48017,3,\"Via Roma, 1\"\r\n\
         \n\
         u2,11.5,43.5,,,\"Via \"\"Po\"\"\"\n",
    );
    let (u, rejects) = read_units(&a, &ReadOptions::default()).unwrap();
    assert!(rejects.is_empty());
    assert_eq!(ids(&u), ["u1", "u2"]);
    assert_eq!(u.lon, [11.25, 11.5]);
    assert_eq!(u.lat, [43.75, 43.5]);
    assert_eq!(u.units, [3, 1]);
    assert_eq!(u.comune_code(0), Some("048017"));
    assert_eq!(u.comune_code(1), None);
    let addr: Vec<&str> = u.address.as_ref().unwrap().iter().collect();
    assert_eq!(addr, ["Via Roma, 1", "Via \"Po\""]);

    let b = write(
        d.path(),
        "b.txt",
        "id;lon;lat;comune\nu1;11,25;43,75;048017\n",
    );
    let (u, _) = read_units(&b, &ReadOptions::default()).unwrap();
    assert_eq!((u.lon[0], u.lat[0]), (11.25, 43.75));
    assert_eq!(u.comune_code(0), Some("048017"));
    assert!(u.address.is_none());
}

#[test]
fn csv_units_many_rows_merge_in_order_across_pieces() {
    let d = tempfile::tempdir().unwrap();
    let mut s = String::from("id,lon,lat,comune\n");
    for i in 0..60_000 {
        s.push_str(&format!(
            "r{i},{},{},{}\n",
            10.0 + i as f64 * 1e-5,
            43.0,
            48000 + i % 50
        ));
    }
    let p = write(d.path(), "big.csv", &s);
    let (u, _) = read_units(&p, &ReadOptions::default()).unwrap();
    assert_eq!(u.len(), 60_000);
    assert_eq!(u.ids.get(0), "r0");
    assert_eq!(u.ids.get(59_999), "r59999");
    assert!(close(u.lon[12_345], 10.0 + 12_345.0 * 1e-5));
    assert_eq!(u.comune_codes.len(), 50);
    assert_eq!(u.comune_code(7), Some("048007"));
}

#[test]
fn csv_xy_units_are_reprojected() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "xy.csv", &format!("id,x,y\na,{UTM_X},{UTM_Y}\n"));
    let (u, _) = read_units(&p, &crs("EPSG:32632")).unwrap();
    assert!(
        close(u.lon[0], UTM_LON) && close(u.lat[0], UTM_LAT),
        "{:?}",
        (u.lon[0], u.lat[0])
    );
    let p = write(d.path(), "mm.csv", &format!("id,x,y\na,{MM_X},{UTM_Y}\n"));
    let (u, _) = read_units(&p, &crs("EPSG:3003")).unwrap();
    assert!(close(u.lon[0], MM_LON) && close(u.lat[0], MM_LAT));
    // x/y without a CRS, and a CRS that does not exist.
    let e = read_units(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("mm.csv") && e.contains("CRS"), "{e}");
    let e = read_units(&p, &crs("EPSG:999999")).unwrap_err();
    assert!(matches!(e, Error::Crs { .. }), "{e}");
}

/// Every bad row: the error names the file, the physical line and the field.
#[test]
fn csv_bad_rows_name_file_row_and_field() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        ("a,eleven,43", "lon", "expected a number"),
        ("a,NaN,43", "lon", "not a finite number"),
        ("a,11,inf", "lat", "not a finite number"),
        ("a,43.7,11.2", "lon", ""), // both in range: cannot be detected; see next
        ("a,200,11", "lon", "outside [-180, 180]"),
        ("a,100,95", "lat", "outside [-90, 90]"),
        ("a,11,", "lat", "missing value"),
        (",11,43", "id", "missing value"),
    ];
    for (k, (row, field, text)) in cases.iter().enumerate() {
        if text.is_empty() {
            continue;
        }
        let p = write(
            d.path(),
            &format!("bad{k}.csv"),
            &format!("id,lon,lat\nok,11,43\n\n{row}\n"),
        );
        let e = read_units(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("bad{k}.csv")), "{e}");
        assert!(e.contains("row 4"), "{e}");
        assert!(e.contains(&format!("field \"{field}\"")), "{e}");
        assert!(e.contains(text), "{e}");
    }
    let with_cols = [
        ("id,lon,lat,units\na,11,43,0\n", "units", ">= 1"),
        ("id,lon,lat,units\na,11,43,2.5\n", "units", "integer"),
        ("id,lon,lat,comune\na,11,43,1234567\n", "comune", "ISTAT"),
        ("id,lon,lat,comune\na,11,43,FI\n", "comune", "ISTAT"),
        ("id,lon,lat\na,30,120\n", "lat", "lon/lat look swapped"),
    ];
    for (k, (text, field, msg)) in with_cols.iter().enumerate() {
        let p = write(d.path(), &format!("col{k}.csv"), text);
        let e = read_units(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("col{k}.csv")) && e.contains("row 2"),
            "{e}"
        );
        assert!(
            e.contains(&format!("field \"{field}\"")) && e.contains(msg),
            "{e}"
        );
    }
}

#[test]
fn csv_duplicate_ids_name_both_rows_and_skip_keeps_the_first() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "dup.csv",
        "id,lon,lat\na,11,43\nb,11,43\na,12,44\n",
    );
    let e = read_units(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dup.csv") && e.contains("row 4") && e.contains("field \"id\""),
        "{e}"
    );
    assert!(e.contains("first seen on row 2"), "{e}");
    let (u, rejects) = read_units(&p, &skip()).unwrap();
    assert_eq!(ids(&u), ["a", "b"]);
    assert_eq!(u.lon, [11.0, 11.0]);
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].at.row, Some(4));
}

#[test]
fn csv_skip_mode_keeps_good_rows_and_reports_rejects_in_order() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "s.csv",
        "id,lon,lat,comune\na,11,43,048017\nb,x,43,\nc,11,43,\nd,500,43,\ne,1,2,3,4\n\"f,11,43,\n",
    );
    let (u, rejects) = read_units(&p, &skip()).unwrap();
    assert_eq!(ids(&u), ["a", "c"]);
    let rows: Vec<u64> = rejects.iter().filter_map(|r| r.at.row).collect();
    assert_eq!(rows, [3, 5, 6, 7]);
    assert!(rejects[2].message.contains("fields"), "{}", rejects[2]);
    assert!(
        rejects[3].message.contains("unterminated"),
        "{}",
        rejects[3]
    );
}

#[test]
fn csv_file_level_problems() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "nolat.csv", "id,lon,comune\na,11,048017\n");
    match read_units(&p, &ReadOptions::default()).unwrap_err() {
        Error::MissingColumn {
            column, present, ..
        } => {
            assert_eq!(column, "lat");
            assert_eq!(present, "id, lon, comune");
        }
        e => panic!("{e}"),
    }
    let p = write(d.path(), "noid.csv", "code,lon,lat\na,11,43\n");
    let e = read_units(&p, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::MissingColumn { ref column, .. } if column == "id"),
        "{e}"
    );
    for (name, text) in [("empty.csv", ""), ("header.csv", "id,lon,lat\n\n")] {
        let p = write(d.path(), name, text);
        let e = read_units(&p, &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, Error::Empty(_)), "{e}");
    }
    let p = write(d.path(), "tab.csv", "id\tlon\tlat\na\t11\t43\n");
    let e = read_units(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tab.csv") && e.contains("delimited by tab"),
        "{e}"
    );
    // Header with semicolons, rows with commas.
    let p = write(d.path(), "mixed.csv", "id;lon;lat\na,11,43\n");
    let e = read_units(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 2") && e.contains("delimited by ','"), "{e}");
    let e = read_units(&d.path().join("nope.csv"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
}

// ---------------------------------------------------------------- units: OGR, Parquet

#[test]
fn geojson_and_gpkg_units_read_back_and_reproject() {
    let d = tempfile::tempdir().unwrap();
    let gj = write(
        d.path(),
        "u.geojson",
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"a","comune":48017,"units":2},"geometry":{"type":"Point","coordinates":[11.25,43.75]}},
        {"type":"Feature","properties":{"id":"b","comune":null},"geometry":{"type":"Point","coordinates":[11.5,43.5]}}]}"#,
    );
    let (u, _) = read_units(&gj, &ReadOptions::default()).unwrap();
    assert_eq!(ids(&u), ["a", "b"]);
    assert_eq!(
        (u.lon.clone(), u.lat.clone()),
        (vec![11.25, 11.5], vec![43.75, 43.5])
    );
    assert_eq!(u.units, [2, 1]);
    assert_eq!(u.comune_code(0), Some("048017"));

    let gpkg = d.path().join("u.gpkg");
    let pt = format!("POINT ({UTM_X} {UTM_Y})");
    write_ogr(
        &gpkg,
        "GPKG",
        Some(32632),
        &["id", "address"],
        &[(&["p1", "Via A"], &pt), (&["p2", "Via B"], &pt)],
    );
    let (u, _) = read_units(&gpkg, &ReadOptions::default()).unwrap();
    assert_eq!(ids(&u), ["p1", "p2"]);
    assert!(close(u.lon[1], UTM_LON) && close(u.lat[1], UTM_LAT));
    assert_eq!(u.address.as_ref().unwrap().get(1), "Via B");

    let fgb = d.path().join("u.fgb");
    write_ogr(
        &fgb,
        "FlatGeobuf",
        Some(4326),
        &["id"],
        &[(&["f1"], "POINT (11 43)")],
    );
    let (u, _) = read_units(&fgb, &ReadOptions::default()).unwrap();
    assert_eq!((ids(&u), u.lon[0], u.lat[0]), (vec!["f1"], 11.0, 43.0));
}

#[test]
fn split_address_columns_are_joined_in_every_format() {
    let d = tempfile::tempdir().unwrap();
    let want = ["VIA ROMA, 7/A", "STRADA PROVINCIALE 13", "P.ZZA DUOMO, 3"];
    let csv = write(
        d.path(),
        "u.csv",
        &format!(
            "id;x;y;comune;dug;denominazione;civico;esponente\n\
             a;{MM_X};4850000;100005;VIA;ROMA;7;A\n\
             b;{MM_X};4850000;100005;;STRADA PROVINCIALE 13;;\n\
             c;{MM_X};4850000;100005;P.ZZA;DUOMO;3;\n"
        ),
    );
    let (u, _) = read_units(&csv, &crs("EPSG:3003")).unwrap();
    let got: Vec<&str> = u.address.as_ref().unwrap().iter().collect();
    assert_eq!(got, want);
    assert!(close(u.lon[0], MM_LON) && close(u.lat[0], MM_LAT));

    let fields = ["id", "street_type", "street_name", "number", "suffix"];
    let rows: [(&[&str], &str); 3] = [
        (&["a", "VIA", "ROMA", "7", "A"], "POINT (11 43)"),
        (&["b", "", "STRADA PROVINCIALE 13", "", ""], "POINT (11 43)"),
        (&["c", "P.ZZA", "DUOMO", "3", ""], "POINT (11 43)"),
    ];
    for (name, driver) in [("u.geojson", "GeoJSON"), ("u.fgb", "FlatGeobuf")] {
        let p = d.path().join(name);
        write_ogr(&p, driver, Some(4326), &fields, &rows);
        let (u, _) = read_units(&p, &ReadOptions::default()).unwrap();
        let got: Vec<&str> = u.address.as_ref().unwrap().iter().collect();
        assert_eq!(got, want, "{name}");
    }

    let p = d.path().join("u.parquet");
    let col = |v: [&str; 3]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    write_parquet(
        &p,
        vec![
            ("id", col(["a", "b", "c"])),
            (
                "lon",
                Arc::new(Float64Array::from(vec![11.0; 3])) as ArrayRef,
            ),
            (
                "lat",
                Arc::new(Float64Array::from(vec![43.0; 3])) as ArrayRef,
            ),
            ("street_type", col(["VIA", "", "P.ZZA"])),
            ("street", col(["ROMA", "STRADA PROVINCIALE 13", "DUOMO"])),
            (
                "house_number",
                Arc::new(Int64Array::from(vec![Some(7), None, Some(3)])) as ArrayRef,
            ),
            ("suffix", col(["A", "", ""])),
        ],
        None,
    );
    let (u, _) = read_units(&p, &ReadOptions::default()).unwrap();
    let got: Vec<&str> = u.address.as_ref().unwrap().iter().collect();
    assert_eq!(got, want);
}

#[test]
fn ogr_units_bad_features_name_feature_and_field() {
    let d = tempfile::tempdir().unwrap();
    let gj = write(
        d.path(),
        "bad.geojson",
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[11.25,43.75]}},
        {"type":"Feature","properties":{"id":"b"},"geometry":{"type":"LineString","coordinates":[[11,43],[12,44]]}},
        {"type":"Feature","properties":{"id":"c"},"geometry":null},
        {"type":"Feature","properties":{"id":"d"},"geometry":{"type":"Point","coordinates":[43.75,95]}}]}"#,
    );
    let e = read_units(&gj, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.geojson") && e.contains("row 2") && e.contains("field \"geometry\""),
        "{e}"
    );
    assert!(e.contains("expected a point"), "{e}");
    let (u, rejects) = read_units(&gj, &skip()).unwrap();
    assert_eq!(ids(&u), ["a"]);
    let msgs: Vec<String> = rejects.iter().map(|r| r.to_string()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(
        msgs[1].contains("row 3") && msgs[1].contains("missing geometry"),
        "{msgs:?}"
    );
    assert!(
        msgs[2].contains("row 4") && msgs[2].contains("swapped"),
        "{msgs:?}"
    );
}

#[test]
fn geoparquet_units_wkb_with_crs_and_plain_lon_lat() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("u.parquet");
    let wkb: Vec<Vec<u8>> = vec![
        wkb::encode_point(MM_X, UTM_Y),
        wkb::encode_point(MM_X, UTM_Y),
        wkb::encode_point(MM_X, UTM_Y),
    ];
    let geo = r#"{"version":"1.0.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB","geometry_types":["Point"],"crs":{"id":{"authority":"EPSG","code":3003}}}}}"#;
    write_parquet(
        &p,
        vec![
            (
                "id",
                Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
            ),
            (
                "comune",
                Arc::new(Int64Array::from(vec![Some(48017), None, Some(1)])),
            ),
            (
                "geometry",
                Arc::new(BinaryArray::from_iter_values(
                    wkb.iter().map(|v| v.as_slice()),
                )),
            ),
        ],
        Some(geo),
    );
    let (u, _) = read_units(&p, &ReadOptions::default()).unwrap();
    assert_eq!(ids(&u), ["a", "b", "c"]);
    assert!(u.lon.iter().all(|&v| close(v, MM_LON)) && u.lat.iter().all(|&v| close(v, MM_LAT)));
    assert_eq!(u.comune_code(0), Some("048017"));
    assert_eq!(u.comune_code(1), None);
    assert_eq!(u.comune_code(2), Some("000001"));

    let q = d.path().join("plain.parquet");
    write_parquet(
        &q,
        vec![
            ("ID", Arc::new(Int64Array::from(vec![1, 2, 1])) as ArrayRef),
            ("lon", Arc::new(Float64Array::from(vec![11.0, 12.0, 13.0]))),
            (
                "lat",
                Arc::new(Float64Array::from(vec![43.0, f64::NAN, 44.0])),
            ),
        ],
        None,
    );
    let e = read_units(&q, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plain.parquet") && e.contains("row 2") && e.contains("field \"lat\""),
        "{e}"
    );
    let (u, rejects) = read_units(&q, &skip()).unwrap();
    assert_eq!(ids(&u), ["1"]);
    assert_eq!(rejects.len(), 2);
    assert!(rejects[1].message.contains("duplicate"), "{}", rejects[1]);
    assert_eq!(rejects[1].at.row, Some(3));
}

#[test]
fn geoparquet_units_read_their_columns_among_others() {
    // unread columns before, between and after the read ones; lon/lat columns that
    // disagree with the geometry (the geometry is what counts)
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("mixed.parquet");
    let geo = r#"{"version":"1.0.0","primary_column":"geom","columns":{"geom":{"encoding":"WKB","geometry_types":["Point"]}}}"#;
    let wkb: Vec<Vec<u8>> = vec![wkb::encode_point(11.5, 43.5), wkb::encode_point(12.5, 44.5)];
    write_parquet(
        &p,
        vec![
            (
                "note",
                Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
            ),
            ("lon", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
            ("id", Arc::new(StringArray::from(vec!["a", "b"]))),
            ("lat", Arc::new(Float64Array::from(vec![3.0, 4.0]))),
            (
                "geom",
                Arc::new(BinaryArray::from_iter_values(
                    wkb.iter().map(|v| v.as_slice()),
                )),
            ),
            ("other", Arc::new(Int64Array::from(vec![7, 8]))),
            ("units", Arc::new(Int64Array::from(vec![3, 5]))),
            ("comune", Arc::new(StringArray::from(vec!["048017", "1"]))),
            ("tail", Arc::new(Float64Array::from(vec![0.5, 0.25]))),
        ],
        Some(geo),
    );
    let (u, rejects) = read_units(&p, &ReadOptions::default()).unwrap();
    assert!(rejects.is_empty());
    assert_eq!(ids(&u), ["a", "b"]);
    assert_eq!(
        (u.lon.clone(), u.lat.clone()),
        (vec![11.5, 12.5], vec![43.5, 44.5])
    );
    assert_eq!(u.units, [3, 5]);
    assert_eq!(u.comune_code(0), Some("048017"));
    assert_eq!(u.comune_code(1), Some("000001"));
}

// ---------------------------------------------------------------- footprints

const ATTRS: &[&str] = &[
    "operator",
    "technology",
    "down_mbps",
    "up_mbps",
    "status",
    "year",
    "peak_down_mbps",
];
const SQUARE: &str = "POLYGON ((11 43,11.1 43,11.1 43.1,11 43.1,11 43))";

#[test]
fn footprints_from_csv_geojson_gpkg_and_parquet() {
    let d = tempfile::tempdir().unwrap();
    let csv = write(
        d.path(),
        "f.csv",
        &format!(
            "operator;technology;down_mbps;up_mbps;status;year;peak_down_mbps;WKT\n\
             OPA;FTTH;1000;300;existing;;;\"{SQUARE}\"\n\
             OPB;fwa;100;20;planned;2027;30;\"MULTIPOLYGON (((11 43,11.1 43,11.1 43.1,11 43)))\"\n"
        ),
    );
    let mut offers = Offers::new();
    let (fp, rejects) = read_footprints(&csv, &ReadOptions::default(), &mut offers).unwrap();
    assert!(rejects.is_empty());
    assert_eq!(fp.len(), 2);
    assert_eq!(fp[0].geometry.0[0].exterior().0.len(), 5);
    let o = offers.offers[fp[1].offer as usize];
    assert_eq!(o.technology, Technology::Fwa);
    assert_eq!(
        (o.status, o.year, o.peak_down_mbps, o.peak_up_mbps),
        (Status::Planned, Some(2027), Some(30.0), None)
    );
    assert_eq!(offers.offers[fp[0].offer as usize].peak_down_mbps, None);
    assert_eq!(offers.sources[0].kind, SourceKind::Footprints);

    let gpkg = d.path().join("f.gpkg");
    let utm_square = format!(
        "POLYGON (({x} {y},{x2} {y},{x2} {y2},{x} {y2},{x} {y}))",
        x = UTM_X,
        y = UTM_Y,
        x2 = UTM_X + 1000.0,
        y2 = UTM_Y + 1000.0
    );
    write_ogr(
        &gpkg,
        "GPKG",
        Some(32632),
        ATTRS,
        &[(
            &["OPA", "FTTH", "1000", "300", "existing", "", ""],
            &utm_square,
        )],
    );
    let (fp, _) = read_footprints(&gpkg, &ReadOptions::default(), &mut offers).unwrap();
    let c = fp[0].geometry.0[0].exterior().0[0];
    assert!(close(c.x, UTM_LON) && close(c.y, UTM_LAT), "{c:?}");
    assert_eq!(offers.sources.len(), 2);

    let gj = write(
        d.path(),
        "f.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"operator":"OPC","technology":"5G","down_mbps":200,"up_mbps":50,"status":"existing"},
        "geometry":{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[11,43],[11.1,43],[11.1,43.1],[11,43]]]},{"type":"Polygon","coordinates":[[[12,43],[12.1,43],[12.1,43.1],[12,43]]]}]}}]}"#,
    );
    let (fp, _) = read_footprints(&gj, &ReadOptions::default(), &mut offers).unwrap();
    assert_eq!(fp[0].geometry.0.len(), 2);
    assert_eq!(
        offers.offers[fp[0].offer as usize].technology,
        Technology::Mobile5g
    );

    let pq = d.path().join("f.parquet");
    let poly = wkb::encode_polygon(
        &polygon![(x: 11., y: 43.), (x: 11.1, y: 43.), (x: 11.1, y: 43.1), (x: 11., y: 43.)],
    );
    write_parquet(
        &pq,
        vec![
            (
                "operator",
                Arc::new(StringArray::from(vec!["OPD"])) as ArrayRef,
            ),
            ("technology", Arc::new(StringArray::from(vec!["VDSL"]))),
            ("down_mbps", Arc::new(Float64Array::from(vec![100.0]))),
            ("up_mbps", Arc::new(Float64Array::from(vec![20.0]))),
            ("status", Arc::new(StringArray::from(vec!["existing"]))),
            (
                "geometry",
                Arc::new(BinaryArray::from_iter_values([poly.as_slice()])),
            ),
        ],
        Some(
            r#"{"version":"1.0.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB","geometry_types":["Polygon"]}}}"#,
        ),
    );
    let (fp, _) = read_footprints(&pq, &ReadOptions::default(), &mut offers).unwrap();
    assert_eq!(fp[0].geometry.0[0].exterior().0.len(), 4);
    assert_eq!(offers.offers[fp[0].offer as usize].down_mbps, 100.0);
}

#[test]
fn footprint_errors_name_row_and_field_and_skip_keeps_good_ones() {
    let d = tempfile::tempdir().unwrap();
    let head = "operator,technology,down_mbps,up_mbps,status,year,wkt\n";
    let good = format!("OPA,FTTH,1000,300,existing,,\"{SQUARE}\"\n");
    let cases = [
        (
            "OPA,FTTH,1000,300,existing,,\"POLYGON ((0 0,1 1,1 0,0 1,0 0))\"\n",
            "wkt",
            "invalid geometry",
        ),
        (
            "OPA,FTTH,1000,300,existing,,\"POINT (1 2)\"\n",
            "wkt",
            "got Point",
        ),
        (
            "OPA,FTTH,1000,300,existing,,\"POLYGON EMPTY\"\n",
            "wkt",
            "empty geometry",
        ),
        ("OPA,FTTH,1000,300,existing,,\n", "wkt", "empty geometry"),
        (
            "OPA,FTTH,1000,300,existing,,\"POLYGON ((0 0,1\"\n",
            "wkt",
            "invalid WKT",
        ),
        (
            "OPA,FTTH,1000,300,planned,,\"{SQUARE}\"\n",
            "year",
            "required when status is planned",
        ),
        (
            "OPA,COPPER,1000,300,existing,,\"{SQUARE}\"\n",
            "technology",
            "FTTH",
        ),
    ];
    for (k, (row, field, msg)) in cases.iter().enumerate() {
        let row = row.replace("{SQUARE}", SQUARE);
        let p = write(
            d.path(),
            &format!("fp{k}.csv"),
            &format!("{head}{good}{row}"),
        );
        let e = read_footprints(&p, &ReadOptions::default(), &mut Offers::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("fp{k}.csv")) && e.contains("row 3"),
            "{e}"
        );
        assert!(
            e.contains(&format!("field \"{field}\"")) && e.contains(msg),
            "{e}"
        );
        let mut offers = Offers::new();
        let (fp, rejects) = read_footprints(&p, &skip(), &mut offers).unwrap();
        assert_eq!((fp.len(), rejects.len(), offers.len()), (1, 1, 1));
    }
    let p = write(
        d.path(),
        "nostatus.csv",
        "operator,technology,down_mbps,up_mbps,wkt\n",
    );
    let e = read_footprints(&p, &ReadOptions::default(), &mut Offers::new()).unwrap_err();
    assert!(
        matches!(e, Error::MissingColumn { ref column, .. } if column == "status"),
        "{e}"
    );
}

// ---------------------------------------------------------------- declarations, areas

#[test]
fn declarations_share_offers_and_report_bad_rows() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "decl.csv",
        "unit_id,operator,technology,down_mbps,up_mbps,status,year\n\
         u1,OPA,FTTH,1000,300,existing,\n\
         u2,OPA,FTTH,1000,300,existing,\n\
         u3,OPB,FWA,100,20,planned,2026\n\
         ,OPB,FWA,100,20,planned,2026\n",
    );
    let e = read_declarations(&p, &ReadOptions::default(), &mut Offers::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("decl.csv") && e.contains("row 5") && e.contains("field \"unit_id\""),
        "{e}"
    );
    let mut offers = Offers::new();
    let (decl, by_address, rejects) = read_declarations(&p, &skip(), &mut offers).unwrap();
    assert!(by_address.is_empty());
    assert_eq!(decl.len(), 3);
    assert_eq!(rejects.len(), 1);
    assert_eq!(offers.len(), 2);
    assert_eq!(decl[0].offer, decl[1].offer);
    assert_eq!(decl[2].unit_id, "u3");
    assert_eq!(offers.sources[0].kind, SourceKind::Declarations);
}

#[test]
fn declarations_keyed_by_address() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "decl.csv",
        "unit_id;comune;indirizzo;operator;technology;down_mbps;up_mbps;status;year\n\
         u1;;;OPA;FTTH;1000;300;existing;\n\
         ;Prato;P.ZZA DUOMO 3;OPA;FTTH;1000;300;existing;\n\
         ;100005;;OPA;FTTH;1000;300;existing;\n",
    );
    let mut offers = Offers::new();
    let (decl, by_address, rejects) = read_declarations(&p, &skip(), &mut offers).unwrap();
    assert_eq!(decl.len(), 1);
    assert_eq!(by_address.len(), 1);
    let a = &by_address[0];
    assert_eq!(
        (a.comune.as_str(), a.street.as_str()),
        ("Prato", "P.ZZA DUOMO 3")
    );
    assert_eq!(a.civico, None);
    assert_eq!(a.offer, decl[0].offer);
    assert_eq!(a.at.row, Some(3));
    assert_eq!(rejects.len(), 1);
    assert!(
        rejects[0].to_string().contains("row 4")
            && rejects[0].message.contains("no unit_id and no address")
    );
    let p = write(
        d.path(),
        "nokey.csv",
        "operator,technology,down_mbps,up_mbps,status,year\nOPA,FTTH,1000,300,existing,\n",
    );
    let e = read_declarations(&p, &skip(), &mut Offers::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unit_id (or comune and address)"), "{e}");
}

#[test]
fn areas_pad_codes_merge_parts_and_reproject() {
    let d = tempfile::tempdir().unwrap();
    let gpkg = d.path().join("comuni.gpkg");
    let sq = |x: f64| {
        format!(
            "POLYGON (({x} {y},{x2} {y},{x2} {y2},{x} {y2},{x} {y}))",
            y = UTM_Y,
            x2 = x + 100.0,
            y2 = UTM_Y + 100.0
        )
    };
    let (a, b) = (sq(UTM_X), sq(UTM_X + 1000.0));
    write_ogr(
        &gpkg,
        "GPKG",
        Some(32632),
        &["PRO_COM", "name", "prov_istat_code", "reg_istat_code"],
        &[
            (&["48017", "Firenze", "48", "9"], &a),
            (&["48017", "", "48", "9"], &b),
            (&["100005", "Prato", "100", "9"], &a),
        ],
    );
    let areas = read_areas(&gpkg, "PRO_COM", &ReadOptions::default()).unwrap();
    assert_eq!(areas.codes, ["048017", "100005"]);
    assert_eq!(areas.names[0].as_deref(), Some("Firenze"));
    assert_eq!(areas.province[0].as_deref(), Some("048"));
    assert_eq!(areas.region[0].as_deref(), Some("09"));
    assert_eq!(areas.geometries[0].0.len(), 2);
    let c = areas.geometries[0].0[0].exterior().0[0];
    assert!(close(c.x, UTM_LON) && close(c.y, UTM_LAT));
    let e = read_areas(&gpkg, "cod_x", &ReadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::MissingColumn { .. }), "{e}");
}

/// Throughput check: `BIANCA_BENCH_CSV=/path/units.csv cargo test --release -p bianca-engine
/// io::read::tests::bench_csv_units -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_csv_units() {
    let Ok(path) = std::env::var("BIANCA_BENCH_CSV") else {
        return;
    };
    let t = std::time::Instant::now();
    let (u, rejects) = read_units(Path::new(&path), &ReadOptions::default()).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} units, {} rejects in {s:.3} s: {:.2} M rows/s",
        u.len(),
        rejects.len(),
        u.len() as f64 / s / 1e6
    );
}

// ---------------------------------------------------------------- units in batches

/// A registry with ids repeated within and across row groups (of 2 rows) and one bad row.
fn batch_registry(dir: &Path, bad_row: bool) -> PathBuf {
    let p = dir.join(if bad_row { "b.parquet" } else { "g.parquet" });
    let ids = vec![
        "a", "b", "c", "a", "d", "e", "b", "f", "g", "h", "c", "i", "c", "j",
    ];
    let n = ids.len();
    let lon: Vec<f64> = (0..n).map(|i| 11.0 + i as f64 / 100.0).collect();
    let mut lat: Vec<f64> = (0..n).map(|i| 43.0 + i as f64 / 100.0).collect();
    if bad_row {
        lat[9] = 200.0;
    }
    let comune: Vec<i64> = (0..n).map(|i| 48017 + (i % 3) as i64).collect();
    let units: Vec<i64> = (0..n).map(|i| 1 + i as i64).collect();
    write_parquet(
        &p,
        vec![
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("lon", Arc::new(Float64Array::from(lon))),
            ("lat", Arc::new(Float64Array::from(lat))),
            ("units", Arc::new(Int64Array::from(units))),
            ("comune", Arc::new(Int64Array::from(comune))),
        ],
        None,
    );
    p
}

fn unit_rows(u: &crate::units::Units) -> Vec<(String, f64, f64, u32, Option<String>)> {
    (0..u.len())
        .map(|i| {
            (
                u.ids.get(i).to_string(),
                u.lon[i],
                u.lat[i],
                u.units[i],
                u.comune_code(i).map(String::from),
            )
        })
        .collect()
}

#[test]
fn batches_give_what_one_read_gives_duplicates_across_batches_included() {
    let d = tempfile::tempdir().unwrap();
    let p = batch_registry(d.path(), true);
    let (whole, whole_rejects) = read_units(&p, &skip()).unwrap();
    let expected = unit_rows(&whole);
    let expected_rejects: Vec<String> = whole_rejects.iter().map(|r| r.to_string()).collect();
    // a, b and c repeated; c three times, its third copy and the first in other row groups
    assert_eq!(whole_rejects.len(), 5, "{expected_rejects:?}");
    for n in [1, 2, 3, 4, 5, 7, 100] {
        let batches = units_batches(&p, &skip(), n).unwrap();
        assert_eq!(batches.rows(), Some(14));
        let nb = batches.planned().unwrap();
        let mut got = Vec::new();
        let mut rejects = Vec::new();
        let mut count = 0;
        for b in batches {
            let b = b.unwrap();
            assert!(
                b.units.len() <= n.max(2),
                "batch of {} for n = {n}",
                b.units.len()
            );
            got.extend(unit_rows(&b.units));
            rejects.extend(b.rejects.iter().map(|r| r.to_string()));
            count += 1;
        }
        assert_eq!(count, nb);
        assert_eq!(got, expected, "n = {n}");
        assert_eq!(rejects, expected_rejects, "n = {n}");
    }
    // one row per batch: row groups of 2 are cut in two
    assert_eq!(units_batches(&p, &skip(), 1).unwrap().planned(), Some(14));
    assert_eq!(units_batches(&p, &skip(), 5).unwrap().planned(), Some(4));
}

#[test]
fn batches_in_fail_mode_stop_at_the_first_duplicate_like_one_read() {
    let d = tempfile::tempdir().unwrap();
    let p = batch_registry(d.path(), false);
    let whole = read_units(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        whole.contains("row 4") && whole.contains("first seen on row 1"),
        "{whole}"
    );
    for n in [1, 2, 3, 8] {
        let mut err = None;
        for b in units_batches(&p, &ReadOptions::default(), n).unwrap() {
            if let Err(e) = b {
                err = Some(e.to_string());
            }
        }
        assert_eq!(err.as_deref(), Some(whole.as_str()), "n = {n}");
    }
    let gj = d.path().join("u.geojson");
    let e = units_batches(&gj, &ReadOptions::default(), 10)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("u.geojson") && e.contains("GeoParquet"), "{e}");
    assert_eq!(estimate_rows(&p).unwrap(), Some(14));
    assert_eq!(estimate_rows(&gj).unwrap(), None);
}

#[test]
fn csv_batches_give_what_one_read_gives() {
    let d = tempfile::tempdir().unwrap();
    // duplicates within and across batches, a bad row, a blank line, no final newline
    let text = "id,lon,lat,units,comune\na,11.0,43.0,1,48017\nb,11.1,43.1,2,48018\n\
                c,11.2,43.2,1,\na,11.3,43.3,1,48017\nd,x,43.4,1,48017\n\nb,11.5,43.5,1,48017\n\
                e,11.6,43.6,3,48019\nc,11.7,43.7,1,48017\nf,11.8,43.8,1,48017";
    let p = write(d.path(), "u.csv", text);
    let (whole, whole_rejects) = read_units(&p, &skip()).unwrap();
    let expected = unit_rows(&whole);
    let expected_rejects: Vec<String> = whole_rejects.iter().map(|r| r.to_string()).collect();
    assert_eq!(whole_rejects.len(), 4, "{expected_rejects:?}");
    for n in [1, 2, 3, 4, 7, 100] {
        let mut got = Vec::new();
        let mut rejects = Vec::new();
        for b in units_batches(&p, &skip(), n).unwrap() {
            let b = b.unwrap();
            assert!(b.units.len() <= n, "n = {n}");
            got.extend(unit_rows(&b.units));
            rejects.extend(b.rejects.iter().map(|r| r.to_string()));
        }
        assert_eq!(got, expected, "n = {n}");
        assert_eq!(rejects, expected_rejects, "n = {n}");
    }
    // fail mode: the first problem in file order (in one go, bad values are reported before
    // duplicates; without bad values both name the same duplicate)
    let first = units_batches(&p, &ReadOptions::default(), 1)
        .unwrap()
        .find_map(|b| b.err())
        .unwrap()
        .to_string();
    assert!(
        first.contains("row 5") && first.contains("first seen on row 2"),
        "{first}"
    );
    let q = write(d.path(), "g.csv", &text.replace("d,x,", "d,11.4,"));
    let whole_err = read_units(&q, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    for n in [1, 3, 100] {
        let errs: Vec<String> = units_batches(&q, &ReadOptions::default(), n)
            .unwrap()
            .filter_map(|b| b.err().map(|e| e.to_string()))
            .collect();
        assert_eq!(errs, vec![whole_err.clone()], "n = {n}");
    }
    let empty = write(d.path(), "e.csv", "id,lon,lat\n");
    let errs: Vec<String> = units_batches(&empty, &ReadOptions::default(), 5)
        .unwrap()
        .filter_map(|b| b.err().map(|e| e.to_string()))
        .collect();
    assert_eq!(
        errs,
        vec![read_units(&empty, &ReadOptions::default())
            .unwrap_err()
            .to_string()]
    );
    // an estimate: newlines (the header's included, the last line has none) scaled by size
    assert_eq!(estimate_rows(&p).unwrap(), Some(10));
}
