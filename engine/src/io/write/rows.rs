//! Shared machinery of the text writers (CSV, GeoJSON, JSON): checked cell access, number
//! formatting, and formatting rows in parallel chunks that are written in order.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::table::{ColumnType, Table, Value};

/// Rows formatted by one task.
const CHUNK_ROWS: usize = 8192;
/// Chunks formatted per wave and per thread: bounds the memory held by formatted rows to a few
/// tens of MB whatever the table size, while the previous wave is being written.
const CHUNKS_PER_THREAD: usize = 4;

/// A table's column types, checked against the values it returns.
pub(crate) struct Cells<'t> {
    table: &'t dyn Table,
    types: Vec<ColumnType>,
    path: &'t Path,
}

impl<'t> Cells<'t> {
    pub(crate) fn new(table: &'t dyn Table, path: &'t Path) -> Self {
        Self {
            table,
            types: table.columns().iter().map(|c| c.ty).collect(),
            path,
        }
    }

    pub(crate) fn ncols(&self) -> usize {
        self.types.len()
    }

    /// The value at (`row`, `col`), or [`Error::Format`] naming the output, the row (1-based)
    /// and the column when its variant does not match the column's type (a defect of the
    /// [`Table`] implementation: nothing is written in that case).
    #[inline]
    pub(crate) fn get(&self, row: usize, col: usize) -> Result<Value<'t>> {
        let v = self.table.value(row, col);
        let ok = matches!(
            (self.types[col], &v),
            (_, Value::Null)
                | (ColumnType::Str, Value::Str(_))
                | (ColumnType::Int, Value::Int(_))
                | (ColumnType::Float, Value::Float(_))
        );
        if ok {
            Ok(v)
        } else {
            Err(self.mismatch(row, col, &v))
        }
    }

    #[cold]
    fn mismatch(&self, row: usize, col: usize, v: &Value<'_>) -> Error {
        let got = match v {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Null => "null",
        };
        let column = &self.table.columns()[col];
        Error::Format {
            path: self.path.to_path_buf(),
            message: format!(
                "row {}, column {:?}: the table returned {got} in a {:?} column; nothing was written",
                row + 1,
                column.name,
                column.ty
            ),
        }
    }
}

/// Appends an integer.
#[inline]
pub(crate) fn push_int(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends the shortest decimal that parses back to `v`, with no `.0` on integral values
/// (`30`, `-0`, `0.1`, `1e16`, `1.5e-7`), as text for CSV. Non-finite values are written as
/// `NaN`, `inf`, `-inf`, which Rust, Python and pandas parse back.
#[inline]
pub(crate) fn push_float_text(buf: &mut Vec<u8>, v: f64) {
    let mut b = ryu::Buffer::new();
    let s = b.format(v);
    buf.extend_from_slice(s.strip_suffix(".0").unwrap_or(s).as_bytes());
}

/// Appends a JSON number: the shortest round-trip decimal (`30.0` keeps its `.0`, so that
/// readers inferring types see a float); `null` for NaN and infinities, which JSON lacks.
#[inline]
pub(crate) fn push_float_json(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        buf.extend_from_slice(b"null");
    }
}

/// Appends a JSON string literal.
#[inline]
pub(crate) fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail, and a &str is always valid JSON string content.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// Appends a JSON value for a cell.
#[inline]
pub(crate) fn push_json_value(buf: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::Str(s) => push_json_str(buf, s),
        Value::Int(i) => push_int(buf, i),
        Value::Float(f) => push_float_json(buf, f),
        Value::Null => buf.extend_from_slice(b"null"),
    }
}

/// The JSON object keys `"name":` of every column, escaped once.
pub(crate) fn json_keys(table: &dyn Table) -> Vec<Vec<u8>> {
    table
        .columns()
        .iter()
        .map(|c| {
            let mut k = Vec::with_capacity(c.name.len() + 3);
            push_json_str(&mut k, &c.name);
            k.push(b':');
            k
        })
        .collect()
}

/// Appends a JSON object of the row's cells, keys in column order.
pub(crate) fn push_json_object(
    buf: &mut Vec<u8>,
    cells: &Cells<'_>,
    keys: &[Vec<u8>],
    row: usize,
) -> Result<()> {
    buf.push(b'{');
    for (col, key) in keys.iter().enumerate() {
        if col > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(key);
        push_json_value(buf, cells.get(row, col)?);
    }
    buf.push(b'}');
    Ok(())
}

/// Formats rows `0..n_rows` with `fmt` in parallel chunks and writes them to `out` in row
/// order. The write of one wave of chunks overlaps the formatting of the next one.
/// Stops at the first error (of `fmt`, or an I/O error reported as [`Error::Io`] on `path`).
pub(crate) fn write_rows_parallel<W, F>(
    out: &mut W,
    path: &Path,
    n_rows: usize,
    fmt: F,
) -> Result<()>
where
    W: Write + Send,
    F: Fn(usize, &mut Vec<u8>) -> Result<()> + Sync,
{
    let wave_rows = CHUNK_ROWS * (rayon::current_num_threads() * CHUNKS_PER_THREAD).max(1);
    let write_all = |out: &mut W, bufs: &[Vec<u8>]| -> Result<()> {
        for b in bufs {
            out.write_all(b).map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    };
    // Size of the last formatted chunk: new chunk buffers start with that capacity (plus a
    // margin) instead of growing by doubling.
    let last_chunk_bytes = AtomicUsize::new(0);
    let format_wave = |start: usize, end: usize| -> Result<Vec<Vec<u8>>> {
        let starts: Vec<usize> = (start..end).step_by(CHUNK_ROWS).collect();
        starts
            .into_par_iter()
            .map(|s| {
                let hint = last_chunk_bytes.load(Ordering::Relaxed);
                let mut buf = Vec::with_capacity(hint + hint / 8);
                for row in s..(s + CHUNK_ROWS).min(end) {
                    fmt(row, &mut buf)?;
                }
                last_chunk_bytes.store(buf.len(), Ordering::Relaxed);
                Ok(buf)
            })
            .collect()
    };
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut start = 0;
    while start < n_rows {
        let end = (start + wave_rows).min(n_rows);
        let (written, formatted) = rayon::join(
            || write_all(&mut *out, &pending),
            || format_wave(start, end),
        );
        written?;
        pending = formatted?;
        start = end;
    }
    write_all(out, &pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: f64) -> String {
        let mut b = Vec::new();
        push_float_text(&mut b, v);
        String::from_utf8(b).unwrap()
    }

    fn json(v: f64) -> String {
        let mut b = Vec::new();
        push_float_json(&mut b, v);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn floats_are_shortest_round_trip() {
        assert_eq!(text(30.0), "30");
        assert_eq!(text(-0.0), "-0");
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(text(f64::NAN), "NaN");
        assert_eq!(text(f64::NEG_INFINITY), "-inf");
        for v in [
            1e16,
            1.5e-7,
            11.123456789012345,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ] {
            assert_eq!(text(v).parse::<f64>().unwrap(), v);
            assert_eq!(json(v).parse::<f64>().unwrap(), v);
        }
        assert_eq!(json(30.0), "30.0");
        assert_eq!(json(f64::NAN), "null");
        assert_eq!(json(f64::INFINITY), "null");
    }

    #[test]
    fn parallel_rows_come_out_in_order() {
        let n = CHUNK_ROWS * 9 + 17;
        let mut out = Vec::new();
        write_rows_parallel(&mut out, Path::new("x"), n, |r, b| {
            push_int(b, r as i64);
            b.push(b'\n');
            Ok(())
        })
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<usize> = text.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(rows, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_in_any_row_stops_the_write() {
        let n = CHUNK_ROWS * 3;
        let mut out = Vec::new();
        let err = write_rows_parallel(&mut out, Path::new("x"), n, |r, _| {
            if r == n - 1 {
                Err(Error::Invalid("bad row".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "bad row");
    }
}
