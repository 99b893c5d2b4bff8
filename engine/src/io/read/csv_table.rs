//! CSV files read record by record (footprints with a `wkt` column, declarations, areas),
//! through the `csv` crate with the dialect of [`super::csv_header`]: comma or semicolon
//! detected from the header, case-insensitive trimmed names, optional UTF-8 BOM. Unlike the
//! registry reader, quoted fields here may contain line breaks; rows are numbered by the
//! physical line they start on (header = line 1).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::csv_header::{parse_header, strip_bom};
use super::records::{reprojector_for, Columns, Record};
use super::{wkb, ReadOptions};
use crate::error::{Error, Result};

/// See [`super::records::visit`].
pub fn visit(
    path: &Path,
    opts: &ReadOptions,
    want_geometry: bool,
    on_open: &mut dyn FnMut(&Columns) -> Result<()>,
    on_record: &mut dyn FnMut(&Columns, Record) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut first = Vec::new();
    reader
        .read_until(b'\n', &mut first)
        .map_err(|e| Error::io(path, e))?;
    let line = strip_bom(&first);
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty(path.to_path_buf()));
    }
    let header = parse_header(line, path)?;
    let reprojector = reprojector_for(opts, None)?;
    let cols = Columns::new(header.names.clone(), reprojector, want_geometry);
    let wkt_col = if want_geometry {
        Some(
            cols.index("wkt")
                .or_else(|| cols.index("geometry"))
                .ok_or_else(|| cols.missing(path, "wkt"))?,
        )
    } else {
        None
    };
    on_open(&cols)?;

    let mut csv = csv::ReaderBuilder::new()
        .delimiter(header.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let mut any = false;
    loop {
        let more = csv.read_byte_record(&mut rec).map_err(|e| Error::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if !more {
            break;
        }
        let row = rec.position().map_or(0, |p| p.line()) + 1;
        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        any = true;
        let mut values = Vec::with_capacity(cols.names.len());
        let mut bad = None;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => values.push(Some(s.to_string())),
                Err(_) => {
                    bad = Some(format!("column {:?} is not valid UTF-8", cols.names.get(i)));
                    values.push(None);
                }
            }
        }
        if bad.is_none() && values.len() != cols.names.len() {
            bad = Some(format!(
                "the row has {} fields but the header has {}",
                values.len(),
                cols.names.len()
            ));
        }
        let geometry = match &bad {
            Some(_) => None,
            None => wkt_col.map(|i| parse_wkt(values[i].as_deref().unwrap_or(""))),
        };
        values.resize(cols.names.len(), None);
        on_record(
            &cols,
            Record {
                row,
                values,
                geometry,
                problem: bad,
            },
        )?;
    }
    if !any {
        return Err(Error::Empty(path.to_path_buf()));
    }
    Ok(())
}

/// Parses WKT (through GDAL, then the shared WKB decoder). Blank text is "empty geometry".
pub fn parse_wkt(text: &str) -> Result<geo::Geometry<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty geometry".into());
    }
    let g = gdal::vector::Geometry::from_wkt(t).map_err(|e| format!("invalid WKT: {e}"))?;
    if g.is_empty() {
        return Err("empty geometry".into());
    }
    let bytes = g.wkb().map_err(|e| format!("invalid WKT: {e}"))?;
    wkb::decode(&bytes)
}
