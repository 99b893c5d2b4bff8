//! GeoJSON (RFC 7946) writer: one `FeatureCollection`, streamed.
//!
//! - Each row is a `Feature` with a `Point` geometry `[lon, lat]` from [`Table::point`]
//!   (WGS84, no `crs` member, as RFC 7946 requires). The geometry is `null` when the row has
//!   no point, when the table has no geometry, or when a coordinate is NaN or infinite.
//! - `properties` holds every column, in column order: strings as JSON strings, numbers as
//!   JSON numbers (floats keep a `.0` when integral, so readers infer a float), `null` for
//!   Null, NaN and infinities.
//! - Coordinates and floats are the shortest decimals that parse back to the same `f64`
//!   (full precision, no rounding).
//! - One feature per line; rows are formatted in parallel chunks and written in order.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::Table;

use super::atomic::write_atomically;
use super::rows::{json_keys, push_float_json, push_json_object, write_rows_parallel, Cells};

/// Writes `table` to `path` as a GeoJSON FeatureCollection, atomically.
pub fn write_geojson(path: &Path, table: &dyn Table) -> Result<()> {
    write_atomically(path, |out| write_geojson_to(out, path, table))
}

/// Writes `table` as GeoJSON to `out`; `path` names the output in errors.
pub fn write_geojson_to<W: Write + Send>(
    out: &mut W,
    path: &Path,
    table: &dyn Table,
) -> Result<()> {
    let cells = Cells::new(table, path);
    let keys = json_keys(table);
    let geometry = table.has_geometry();
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")
        .map_err(|e| Error::io(path, e))?;
    write_rows_parallel(out, path, table.len(), |row, buf| {
        if row > 0 {
            buf.extend_from_slice(b",\n");
        }
        buf.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":");
        match table.point(row).filter(|_| geometry) {
            Some((x, y)) if x.is_finite() && y.is_finite() => {
                buf.extend_from_slice(b"{\"type\":\"Point\",\"coordinates\":[");
                push_float_json(buf, x);
                buf.push(b',');
                push_float_json(buf, y);
                buf.extend_from_slice(b"]}");
            }
            _ => buf.extend_from_slice(b"null"),
        }
        buf.extend_from_slice(b",\"properties\":");
        push_json_object(buf, &cells, &keys, row)?;
        buf.push(b'}');
        Ok(())
    })?;
    out.write_all(b"\n]}\n").map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::write::test_table::{sample, Cell};
    use serde_json::{json, Value as J};

    #[test]
    fn round_trip_with_serde_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.geojson");
        let mut t = sample();
        if let Some(p) = t.points.as_mut() {
            p[2] = None;
        }
        t.rows[0][3] = Cell::F(f64::NAN);
        write_geojson(&path, &t).unwrap();
        let v: J = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["type"], "FeatureCollection");
        assert!(v.get("crs").is_none());
        let f = v["features"].as_array().unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(
            f[0],
            json!({"type":"Feature","geometry":{"type":"Point","coordinates":[11.25,43.5]},
                   "properties":{"id":"a1","name":"plain","units":3,"speed":null,"lon":11.25,"lat":43.5}})
        );
        assert_eq!(
            f[1]["geometry"]["coordinates"],
            json!([10.123456789012345, 44.0000001])
        );
        assert_eq!(f[1]["properties"]["name"], "Via Roma, 1 \"bis\"\n2nd floor");
        assert_eq!(f[1]["properties"]["units"], J::Null);
        assert_eq!(f[1]["properties"]["speed"], 0.1);
        assert_eq!(f[2]["geometry"], J::Null);
        assert_eq!(f[2]["properties"]["units"], -7);
        assert_eq!(f[2]["properties"]["name"], "");
        // Property order follows the columns.
        let keys: Vec<&String> = f[0]["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 6);
    }

    #[test]
    fn empty_table_is_an_empty_collection() {
        let mut t = sample();
        t.rows.clear();
        t.points = Some(vec![]);
        let mut out = Vec::new();
        write_geojson_to(&mut out, Path::new("e.geojson"), &t).unwrap();
        let v: J = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, json!({"type":"FeatureCollection","features":[]}));
    }
}
