//! The fast, parallel CSV reader of housing-unit registries.
//!
//! The file is read in blocks of [`BLOCK`] bytes; each block is cut at its last newline
//! (the rest is carried over to the next block), split into pieces of about [`PIECE`] bytes
//! at newline boundaries, and the pieces are parsed, reprojected and checked on rayon, then
//! merged in file order. Memory stays at about one block plus the registry itself.
//!
//! Dialect: comma or semicolon (detected from the header), header names case-insensitive
//! and trimmed, UTF-8 with an optional BOM, `\n` or `\r\n` line ends, blank lines ignored,
//! RFC 4180 quotes, but **a quoted field may not contain a line break** (such a row is
//! reported as an unterminated quoted field). Values are trimmed. Rows are numbered by
//! physical line, the header being line 1.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::address_cols::AddressCols;
use super::crs::Reprojector;
use super::csv_header::{parse_header, split_line, strip_bom, CsvHeader};
use super::offer_attrs::parse_f64;
use super::units_build::{finish_chunk, CoordFields, RawUnits, UnitChunk, UnitsBuilder, NO_COMUNE};
use super::ReadOptions;
use crate::error::{Error, Location, OnError, Reject, Result};
use crate::units::Units;

/// Bytes read from the file at a time.
const BLOCK: usize = 32 << 20;
/// Bytes of one piece parsed by one rayon task.
const PIECE: usize = 512 << 10;

/// Which column holds what.
#[derive(Debug, Clone)]
struct Layout {
    delimiter: u8,
    ncols: usize,
    id: usize,
    x: usize,
    y: usize,
    units: Option<usize>,
    comune: Option<usize>,
    address: Option<AddressCols>,
    /// Header names, for messages.
    names: Vec<String>,
}

/// Reads a CSV registry (see the module documentation for the dialect).
pub fn read_csv_units(path: &Path, opts: &ReadOptions) -> Result<(Units, Vec<Reject>)> {
    let mut reader = CsvBatchReader::open(path, opts)?;
    let (builder, _) = reader.read_lines(usize::MAX)?;
    builder.finish(path, opts.on_error)
}

/// A CSV registry read a given number of lines at a time: [`read_csv_units`] reads all of
/// them at once and checks ids; [`super::batches`] reads batches and checks ids across them.
pub(crate) struct CsvBatchReader {
    file: File,
    buf: Vec<u8>,
    eof: bool,
    layout: Layout,
    reprojector: Reprojector,
    coord_names: CoordFields,
    next_line: u64,
    path: std::path::PathBuf,
    on_error: OnError,
}

impl CsvBatchReader {
    pub(crate) fn open(path: &Path, opts: &ReadOptions) -> Result<Self> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut buf: Vec<u8> = Vec::with_capacity(BLOCK);
        let mut eof = fill(&mut file, &mut buf, BLOCK, path)?;
        let header_end = loop {
            if let Some(i) = memchr::memchr(b'\n', &buf) {
                break i;
            }
            if eof {
                break buf.len();
            }
            let cap = buf.len() + BLOCK;
            eof = fill(&mut file, &mut buf, cap, path)?;
        };
        let header_line = strip_bom(&buf[..header_end]);
        if header_line.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Empty(path.to_path_buf()));
        }
        let header = parse_header(header_line, path)?;
        let (layout, reprojector, coord_names) = layout(&header, path, opts)?;
        buf.drain(..(header_end + 1).min(buf.len()));
        Ok(CsvBatchReader {
            file,
            buf,
            eof,
            layout,
            reprojector,
            coord_names,
            next_line: 2,
            path: path.to_path_buf(),
            on_error: opts.on_error,
        })
    }

    pub(crate) fn has_address(&self) -> bool {
        self.layout.address.is_some()
    }

    /// The next `n` lines (at least one): their units (unchecked ids), the row of each, and
    /// the rejects. `None` at the end of the file.
    pub(crate) fn next_raw(&mut self, n: usize) -> Result<Option<RawUnits>> {
        let (builder, any) = self.read_lines(n)?;
        Ok(any.then(|| builder.finish_raw()))
    }

    /// The next `n` lines (at least one; `usize::MAX` for the rest of the file), parsed in
    /// parallel pieces, and whether there were any.
    fn read_lines(&mut self, n: usize) -> Result<(UnitsBuilder, bool)> {
        let n = n.max(1);
        let path = self.path.clone();
        let path = path.as_path();
        let mut builder = UnitsBuilder::new(self.layout.address.is_some());
        let mut lines = 0usize;
        let mut any = false;
        loop {
            let complete = if self.eof {
                self.buf.len()
            } else {
                memchr::memrchr(b'\n', &self.buf).map_or(0, |i| i + 1)
            };
            // no more than the lines this batch still wants (more than there are bytes:
            // all of them, no need to count)
            let cut = if n - lines > complete {
                complete
            } else {
                memchr::memchr_iter(b'\n', &self.buf[..complete])
                    .nth(n - lines - 1)
                    .map_or(complete, |i| i + 1)
            };
            if cut > 0 {
                any = true;
                let block = &self.buf[..cut];
                let pieces = split_pieces(block);
                let counts: Vec<u64> = pieces
                    .par_iter()
                    .map(|p| memchr::memchr_iter(b'\n', p).count() as u64)
                    .collect();
                let mut firsts = Vec::with_capacity(pieces.len());
                for c in &counts {
                    firsts.push(self.next_line);
                    self.next_line += c;
                }
                lines += counts.iter().sum::<u64>() as usize;
                let (layout, reprojector, names, on_error) = (
                    &self.layout,
                    &self.reprojector,
                    &self.coord_names,
                    self.on_error,
                );
                let chunks: Vec<Result<UnitChunk>> = pieces
                    .par_iter()
                    .zip(firsts.par_iter())
                    .map(|(piece, &first)| {
                        let mut c = parse_piece(piece, first, layout, path, on_error);
                        finish_chunk(&mut c, reprojector, names, path, on_error)?;
                        Ok(c)
                    })
                    .collect();
                for c in chunks {
                    builder.append(c?);
                }
                self.buf.drain(..cut);
            }
            if lines >= n || (self.eof && self.buf.is_empty()) {
                break;
            }
            let cap = self.buf.len() + BLOCK;
            self.eof = fill(&mut self.file, &mut self.buf, cap, path)?;
        }
        Ok((builder, any))
    }
}

/// Rows of a CSV file estimated from its size and its first 4 MiB.
pub(crate) fn estimate_csv_rows(path: &Path) -> Result<u64> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::new();
    fill(&mut file, &mut buf, 4 << 20, path)?;
    let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
    if buf.is_empty() {
        return Ok(0);
    }
    Ok((size as f64 * lines.max(1) as f64 / buf.len() as f64) as u64)
}

/// Reads until `buf` holds `cap` bytes or the file ends; returns true at end of file.
fn fill(file: &mut File, buf: &mut Vec<u8>, cap: usize, path: &Path) -> Result<bool> {
    let want = cap.saturating_sub(buf.len()) as u64;
    let got = file
        .by_ref()
        .take(want)
        .read_to_end(buf)
        .map_err(|e| Error::io(path, e))?;
    Ok((got as u64) < want)
}

/// Splits a block into pieces of about [`PIECE`] bytes, each ending after a newline
/// (except possibly the last).
fn split_pieces(block: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(block.len() / PIECE + 1);
    let mut start = 0;
    while start < block.len() {
        let target = start + PIECE;
        let end = if target >= block.len() {
            block.len()
        } else {
            memchr::memchr(b'\n', &block[target..]).map_or(block.len(), |i| target + i + 1)
        };
        out.push(&block[start..end]);
        start = end;
    }
    out
}

/// Finds the columns and the CRS of the coordinates.
///
/// `lon`/`lat` (also `longitude`/`lng`, `latitude`) are used without a CRS; with
/// `opts.crs`, `x`/`y` are preferred when present and the chosen columns are reprojected.
/// `x`/`y` without `opts.crs` is an error asking for the CRS.
fn layout(
    h: &CsvHeader,
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Layout, Reprojector, CoordFields)> {
    let id = h.index("id").ok_or_else(|| h.missing(path, "id"))?;
    let lonlat = (
        h.find(&["lon", "longitude", "lng"]),
        h.find(&["lat", "latitude"]),
    );
    let xy = (h.find(&["x"]), h.find(&["y"]));
    let (x, y, reprojector) = match (&opts.crs, lonlat, xy) {
        (Some(crs), _, (Some(x), Some(y))) | (Some(crs), (Some(x), Some(y)), _) => {
            (x, y, Reprojector::from_crs(crs)?)
        }
        (None, (Some(x), Some(y)), _) => (x, y, Reprojector::identity()),
        (None, (None, None), (Some(_), Some(_))) => {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: "columns x/y hold projected coordinates: give their CRS (bianca classify --units-crs) \
                          (for example EPSG:3003 or EPSG:32632)"
                    .into(),
            })
        }
        (_, (Some(_), None), _) => return Err(h.missing(path, "lat")),
        (_, (None, Some(_)), _) => return Err(h.missing(path, "lon")),
        _ => return Err(h.missing(path, "lon")),
    };
    let coord_names = CoordFields {
        x: h.names[x].clone(),
        y: h.names[y].clone(),
    };
    let layout = Layout {
        delimiter: h.delimiter,
        ncols: h.names.len(),
        id,
        x,
        y,
        units: h.index("units"),
        comune: h.index("comune"),
        address: AddressCols::find(&|k| h.index(k)),
        names: h.names.clone(),
    };
    Ok((layout, reprojector, coord_names))
}

/// Parses one piece (complete lines) whose first line is line number `first_line`.
fn parse_piece(
    piece: &[u8],
    first_line: u64,
    l: &Layout,
    path: &Path,
    on_error: OnError,
) -> UnitChunk {
    let mut c = UnitChunk::new(l.address.is_some());
    let mut spans = Vec::with_capacity(l.ncols);
    let mut scratch = Vec::new();
    let mut line_no = first_line;
    let mut start = 0;
    while start < piece.len() {
        let end = memchr::memchr(b'\n', &piece[start..]).map_or(piece.len(), |i| start + i);
        let raw = &piece[start..end];
        start = end + 1;
        let row = line_no;
        line_no += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let at = || Location::file(path).row(row);
        let Ok(line) = std::str::from_utf8(raw) else {
            if c.bad(at(), "the line is not valid UTF-8".into(), on_error) {
                break;
            }
            continue;
        };
        let in_scratch = match split_line(raw, l.delimiter, &mut spans, &mut scratch) {
            Ok(s) => s,
            Err(m) => {
                if c.bad(at(), m, on_error) {
                    break;
                }
                continue;
            }
        };
        // Quotes are ASCII, so the unescaped bytes of a valid UTF-8 line stay valid UTF-8.
        let src: &str = if in_scratch {
            match std::str::from_utf8(&scratch) {
                Ok(s) => s,
                Err(_) => {
                    if c.bad(at(), "the line is not valid UTF-8".into(), on_error) {
                        break;
                    }
                    continue;
                }
            }
        } else {
            line
        };
        if spans.len() != l.ncols {
            let mut m = format!(
                "the row has {} fields but the header has {}",
                spans.len(),
                l.ncols
            );
            let other = if l.delimiter == b',' { b';' } else { b',' };
            if spans.len() == 1 && raw.contains(&other) {
                m.push_str(&format!(
                    "; the row seems delimited by '{}' but the header by '{}'",
                    other as char, l.delimiter as char
                ));
            }
            if c.bad(at(), m, on_error) {
                break;
            }
            continue;
        }
        let field = |i: usize| src.get(spans[i].0..spans[i].1).unwrap_or("").trim();
        match parse_row(&field, l) {
            Ok((id, x, y, units, comune, address)) => {
                c.push(row, id, x, y, units, comune, address.as_deref())
            }
            Err((col, message)) => {
                if c.bad(at().field(l.names[col].as_str()), message, on_error) {
                    break;
                }
            }
        }
    }
    c
}

type Row<'a> = (&'a str, f64, f64, u32, u32, Option<Cow<'a, str>>);

/// Parses the values of one row; the error is (column index, message).
fn parse_row<'a>(field: &dyn Fn(usize) -> &'a str, l: &Layout) -> Result<Row<'a>, (usize, String)> {
    let id = field(l.id);
    if id.is_empty() {
        return Err((l.id, "missing value".into()));
    }
    let x = parse_coord(field(l.x)).map_err(|m| (l.x, m))?;
    let y = parse_coord(field(l.y)).map_err(|m| (l.y, m))?;
    let units = match l.units {
        Some(i) => parse_units(field(i)).map_err(|m| (i, m))?,
        None => 1,
    };
    let comune = match l.comune {
        Some(i) => parse_comune(field(i)).map_err(|m| (i, m))?,
        None => NO_COMUNE,
    };
    let address = l.address.as_ref().map(|a| a.compose(&|i| Some(field(i))));
    Ok((id, x, y, units, comune, address))
}

/// A finite coordinate value.
pub(crate) fn parse_coord(v: &str) -> Result<f64, String> {
    if v.is_empty() {
        return Err("missing value".into());
    }
    match parse_f64(v) {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(format!("{v:?} is not a finite number")),
        None => Err(format!("expected a number, got {v:?}")),
    }
}

/// Units at the address: blank means 1; otherwise an integer >= 1.
pub(crate) fn parse_units(v: &str) -> Result<u32, String> {
    if v.is_empty() {
        return Ok(1);
    }
    match v.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected an integer >= 1, got {v:?}")),
    }
}

/// An ISTAT comune code: 1 to 6 digits (zero-padded to 6 when stored); blank means unknown.
pub(crate) fn parse_comune(v: &str) -> Result<u32, String> {
    if v.is_empty() {
        return Ok(NO_COMUNE);
    }
    if v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        return v
            .parse()
            .map_err(|_| format!("{v:?} is not an ISTAT comune code"));
    }
    Err(format!(
        "{v:?} is not an ISTAT comune code (1 to 6 digits, such as 048017)"
    ))
}
