//! CSV (RFC 4180) writer.
//!
//! - Header: the column names. When the table has a geometry and has neither a `lon` nor a
//!   `lat` column, `lon,lat` are written first from [`Table::point`]; when it has either, no
//!   coordinate column is added (the table already carries them).
//! - Integers in decimal; floats as the shortest decimal that parses back to the same `f64`,
//!   with no `.0` on integral values (`30`), exponent notation for very large or small
//!   magnitudes (`1e16`, `1.5e-7`), and `NaN` / `inf` / `-inf` for non-finite values.
//! - Null is an empty field; an empty string is written `""`, so that readers that tell them
//!   apart (DuckDB, PostgreSQL `COPY`) see a null and an empty string respectively. Caveat:
//!   in a one-column table a null row is an empty line, which many readers skip.
//! - A field is quoted when it contains a comma, a double quote, CR or LF; quotes are doubled.
//! - Lines end with `\n`. Rows are formatted in parallel chunks and written in order.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::{Table, Value};

use super::atomic::write_atomically;
use super::rows::{push_float_text, push_int, write_rows_parallel, Cells};

/// Writes `table` to `path` as CSV, atomically.
pub fn write_csv(path: &Path, table: &dyn Table) -> Result<()> {
    write_atomically(path, |out| write_csv_to(out, path, table))
}

/// Writes `table` as CSV to `out`; `path` names the output in errors.
pub fn write_csv_to<W: Write + Send>(out: &mut W, path: &Path, table: &dyn Table) -> Result<()> {
    write_csv_header(out, path, table)?;
    write_csv_rows(out, path, table)
}

/// Whether `lon,lat` columns are written first (see the module documentation).
fn adds_lonlat(table: &dyn Table) -> bool {
    table.has_geometry()
        && !table
            .columns()
            .iter()
            .any(|c| c.name == "lon" || c.name == "lat")
}

/// Writes the header line of `table`.
pub fn write_csv_header<W: Write>(out: &mut W, path: &Path, table: &dyn Table) -> Result<()> {
    let add_lonlat = adds_lonlat(table);
    let mut header = Vec::new();
    if add_lonlat {
        header.extend_from_slice(b"lon,lat");
    }
    for (i, c) in table.columns().iter().enumerate() {
        if i > 0 || add_lonlat {
            header.push(b',');
        }
        push_field(&mut header, &c.name);
    }
    header.push(b'\n');
    out.write_all(&header).map_err(|e| Error::io(path, e))
}

/// Writes the rows of `table`, no header: called once per table, several tables with the
/// same columns make one CSV file.
pub fn write_csv_rows<W: Write + Send>(out: &mut W, path: &Path, table: &dyn Table) -> Result<()> {
    let cells = Cells::new(table, path);
    let add_lonlat = adds_lonlat(table);
    write_rows_parallel(out, path, table.len(), |row, buf| {
        if add_lonlat {
            if let Some((lon, lat)) = table.point(row) {
                push_float_text(buf, lon);
                buf.push(b',');
                push_float_text(buf, lat);
            } else {
                buf.push(b',');
            }
        }
        for col in 0..cells.ncols() {
            if col > 0 || add_lonlat {
                buf.push(b',');
            }
            match cells.get(row, col)? {
                Value::Str(s) => push_field(buf, s),
                Value::Int(i) => push_int(buf, i),
                Value::Float(f) => push_float_text(buf, f),
                Value::Null => {}
            }
        }
        buf.push(b'\n');
        Ok(())
    })
}

/// Appends a text field, quoted when needed (RFC 4180) or when empty.
#[inline]
fn push_field(buf: &mut Vec<u8>, s: &str) {
    let needs_quotes = s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    buf.push(b'"');
    for part in s.split('"').enumerate() {
        if part.0 > 0 {
            buf.extend_from_slice(b"\"\"");
        }
        buf.extend_from_slice(part.1.as_bytes());
    }
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::write::test_table::{sample, VecTable};
    use crate::table::{Column, ColumnType};

    fn to_string(table: &dyn Table) -> String {
        let mut out = Vec::new();
        write_csv_to(&mut out, Path::new("t.csv"), table).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn exact_text_of_the_sample() {
        assert_eq!(
            to_string(&sample()),
            "id,name,units,speed,lon,lat\n\
             a1,plain,3,30,11.25,43.5\n\
             a2,\"Via Roma, 1 \"\"bis\"\"\n2nd floor\",,0.1,10.123456789012344,44.0000001\n\
             a3,\"\",-7,,12,42\n"
        );
    }

    #[test]
    fn lon_lat_are_added_when_the_table_lacks_them() {
        let t = VecTable {
            columns: vec![Column::new("id", ColumnType::Str)],
            rows: vec![
                vec![Value::Str("x")].into_iter().map(Into::into).collect(),
                vec![Value::Str("y")].into_iter().map(Into::into).collect(),
            ],
            points: Some(vec![Some((11.5, 43.25)), None]),
        };
        assert_eq!(to_string(&t), "lon,lat,id\n11.5,43.25,x\n,,y\n");
    }

    #[test]
    fn round_trip_with_the_csv_crate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let t = sample();
        write_csv(&path, &t).unwrap();
        let mut r = ::csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, ["id", "name", "units", "speed", "lon", "lat"]);
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1][1], "Via Roma, 1 \"bis\"\n2nd floor");
        assert_eq!(rows[1][2], "");
        assert_eq!(rows[2][1], "");
        for (row, rec) in rows.iter().enumerate() {
            assert_eq!(rec[0], t.str(row, 0));
            if let Value::Float(f) = t.value(row, 3) {
                assert_eq!(rec[3].parse::<f64>().unwrap(), f);
            }
            let (lon, lat) = t.point(row).unwrap();
            assert_eq!(rec[4].parse::<f64>().unwrap(), lon);
            assert_eq!(rec[5].parse::<f64>().unwrap(), lat);
        }
    }
}
