//! JSON writer for attribute tables (statistics and the like): an array of objects, one per
//! row, keys in column order. Values as in GeoJSON properties: strings, numbers (`null` for
//! Null, NaN and infinities). Geometry, if any, is not written (use GeoJSON for that).
//! One object per line; rows are formatted in parallel chunks and written in order.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::Table;

use super::atomic::write_atomically;
use super::rows::{json_keys, push_json_object, write_rows_parallel, Cells};

/// Writes `table` to `path` as a JSON array of objects, atomically.
pub fn write_json(path: &Path, table: &dyn Table) -> Result<()> {
    write_atomically(path, |out| write_json_to(out, path, table))
}

/// Writes `table` as a JSON array of objects to `out`; `path` names the output in errors.
pub fn write_json_to<W: Write + Send>(out: &mut W, path: &Path, table: &dyn Table) -> Result<()> {
    let cells = Cells::new(table, path);
    let keys = json_keys(table);
    out.write_all(b"[\n").map_err(|e| Error::io(path, e))?;
    write_rows_parallel(out, path, table.len(), |row, buf| {
        if row > 0 {
            buf.extend_from_slice(b",\n");
        }
        push_json_object(buf, &cells, &keys, row)
    })?;
    out.write_all(b"\n]\n").map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::write::test_table::sample_attributes;
    use serde_json::{json, Value as J};

    #[test]
    fn round_trip_with_serde_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.json");
        write_json(&path, &sample_attributes()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: J = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!([
                {"id":"a1","name":"plain","units":3,"speed":30.0,"lon":11.25,"lat":43.5},
                {"id":"a2","name":"Via Roma, 1 \"bis\"\n2nd floor","units":null,"speed":0.1,
                 "lon":10.123456789012345,"lat":44.0000001},
                {"id":"a3","name":"","units":-7,"speed":null,"lon":12.0,"lat":42.0}
            ])
        );
        // Keys in column order.
        assert!(text.contains(r#"{"id":"a1","name":"plain","units":3,"speed":30.0,"lon":11.25"#));
    }

    #[test]
    fn empty_table_is_an_empty_array() {
        let mut t = sample_attributes();
        t.rows.clear();
        let mut out = Vec::new();
        write_json_to(&mut out, Path::new("e.json"), &t).unwrap();
        assert_eq!(serde_json::from_slice::<J>(&out).unwrap(), json!([]));
    }
}
