//! GeoParquet and plain Parquet inputs, through the parquet crate (GDAL 3.6 has no Parquet
//! driver).
//!
//! The geometry is the WKB column named by the `geo` file metadata (`primary_column`,
//! usually `geometry`); without `geo` metadata a column named `geometry` of binary type is
//! used if present. The CRS is the `crs` of that column: absent means OGC:CRS84, `null`
//! means unknown (taken as lon/lat), otherwise PROJJSON (its `id`, such as EPSG:3003, is
//! used when present). [`ReadOptions::crs`] overrides it. Registries may instead have
//! `lon`/`lat` columns (or `x`/`y` with a CRS) and no geometry.
//!
//! Registries are decoded row group by row group in parallel; rows are numbered 1, 2, ...
//! across the whole file.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;

use super::address_cols::AddressCols;
use super::crs::Reprojector;
use super::csv_units::{parse_comune, parse_coord, parse_units};
use super::geometry::point_xy;
use super::records::{reprojector_for, Columns, Record};
use super::units_build::{finish_chunk, CoordFields, UnitChunk, UnitsBuilder};
use super::{wkb, ReadOptions};
use crate::error::{Error, Location, Reject, Result};
use crate::units::Units;

/// Rows per record batch.
const BATCH: usize = 64 * 1024;

/// The file's metadata, schema and geometry column.
struct Meta {
    arrow: ArrowReaderMetadata,
    names: Vec<String>,
    geometry: Option<usize>,
    /// The file's own CRS (from the `geo` metadata), before [`ReadOptions::crs`].
    own_crs: Option<Result<Reprojector>>,
}

fn format_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn open_meta(path: &Path) -> Result<(File, Meta)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let arrow = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| format_err(path, format!("not a readable Parquet file ({e})")))?;
    let names: Vec<String> = arrow
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let geo_json = arrow
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.clone());
    let (geometry, own_crs) = match geo_json {
        Some(text) => {
            let geo: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format_err(path, format!("invalid `geo` metadata ({e})")))?;
            let primary = geo
                .get("primary_column")
                .and_then(|v| v.as_str())
                .unwrap_or("geometry")
                .to_string();
            let col = geo.get("columns").and_then(|c| c.get(&primary));
            if let Some(enc) = col.and_then(|c| c.get("encoding")).and_then(|e| e.as_str()) {
                if !enc.eq_ignore_ascii_case("WKB") {
                    return Err(format_err(
                        path,
                        format!("geometry encoding {enc:?} is not supported (only WKB)"),
                    ));
                }
            }
            let idx = names.iter().position(|n| *n == primary).ok_or_else(|| {
                format_err(
                    path,
                    format!("the `geo` metadata names column {primary:?}, which is absent"),
                )
            })?;
            let crs = match col.and_then(|c| c.get("crs")) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(Reprojector::from_crs(s)),
                Some(v) => Some(projjson_reprojector(v)),
            };
            (Some(idx), crs)
        }
        None => {
            let idx = arrow.schema().fields().iter().position(|f| {
                f.name().eq_ignore_ascii_case("geometry")
                    && matches!(
                        f.data_type(),
                        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
                    )
            });
            (idx, None)
        }
    };
    Ok((
        file,
        Meta {
            arrow,
            names,
            geometry,
            own_crs,
        },
    ))
}

/// A reprojector from a PROJJSON CRS: its `id` (authority:code) when present, else the JSON.
fn projjson_reprojector(v: &serde_json::Value) -> Result<Reprojector> {
    if let Some(id) = v.get("id") {
        if let (Some(a), Some(c)) = (id.get("authority").and_then(|a| a.as_str()), id.get("code")) {
            let code = match c {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Reprojector::from_crs(&format!("{a}:{code}"));
        }
    }
    Reprojector::from_crs(&v.to_string())
}

/// One column of a record batch, downcast once.
enum Col<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
    Binary(&'a arrow_array::BinaryArray),
    LargeBinary(&'a arrow_array::LargeBinaryArray),
    BinaryView(&'a arrow_array::BinaryViewArray),
    Bool(&'a arrow_array::BooleanArray),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Dict(Box<Col<'a>>, Vec<usize>, &'a dyn Array),
    Unsupported,
}

macro_rules! ints {
    ($a:expr, $($t:ty),*) => {{
        $(
            if let Some(p) = $a.as_primitive_opt::<$t>() {
                return Col::Int(p.iter().map(|v| v.and_then(|v| i64::try_from(v).ok())).collect());
            }
        )*
    }};
}

impl<'a> Col<'a> {
    fn new(a: &'a dyn Array) -> Col<'a> {
        match a.data_type() {
            DataType::Utf8 => return Col::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => return Col::LargeUtf8(a.as_string::<i64>()),
            DataType::Utf8View => return Col::Utf8View(a.as_string_view()),
            DataType::Binary => return Col::Binary(a.as_binary::<i32>()),
            DataType::LargeBinary => return Col::LargeBinary(a.as_binary::<i64>()),
            DataType::BinaryView => return Col::BinaryView(a.as_binary_view()),
            DataType::Boolean => return Col::Bool(a.as_boolean()),
            DataType::Float64 => {
                return Col::Float(a.as_primitive::<Float64Type>().iter().collect())
            }
            DataType::Float32 => {
                return Col::Float(
                    a.as_primitive::<Float32Type>()
                        .iter()
                        .map(|v| v.map(f64::from))
                        .collect(),
                )
            }
            _ => {}
        }
        ints!(
            a, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
            UInt64Type
        );
        if let Some(d) = a.as_any_dictionary_opt() {
            return Col::Dict(
                Box::new(Col::new(d.values().as_ref())),
                d.normalized_keys(),
                d.keys(),
            );
        }
        Col::Unsupported
    }

    /// The value as text (`None` for null); numbers are formatted, binary is not text.
    fn str_at(&self, i: usize) -> Option<Cow<'a, str>> {
        match self {
            Col::Utf8(a) => a.is_valid(i).then(|| Cow::Borrowed(a.value(i))),
            Col::LargeUtf8(a) => a.is_valid(i).then(|| Cow::Borrowed(a.value(i))),
            Col::Utf8View(a) => a.is_valid(i).then(|| Cow::Borrowed(a.value(i))),
            Col::Bool(a) => a.is_valid(i).then(|| Cow::Owned(a.value(i).to_string())),
            Col::Int(v) => v
                .get(i)
                .copied()
                .flatten()
                .map(|x| Cow::Owned(x.to_string())),
            Col::Float(v) => v
                .get(i)
                .copied()
                .flatten()
                .map(|x| Cow::Owned(x.to_string())),
            Col::Dict(values, keys, k) => {
                if !k.is_valid(i) {
                    return None;
                }
                values.str_at(*keys.get(i)?)
            }
            Col::Binary(_) | Col::LargeBinary(_) | Col::BinaryView(_) | Col::Unsupported => None,
        }
    }

    /// Like [`Col::str_at`], but writes the text into `buf` (cleared first) so that numbers
    /// are formatted without a heap string per value; false for null.
    fn str_into(&self, i: usize, buf: &mut String) -> bool {
        buf.clear();
        match self {
            Col::Int(v) => match v.get(i).copied().flatten() {
                Some(x) => {
                    buf.push_str(itoa::Buffer::new().format(x));
                    true
                }
                None => false,
            },
            other => match other.str_at(i) {
                Some(s) => {
                    buf.push_str(&s);
                    true
                }
                None => false,
            },
        }
    }

    /// The `units` field of row `i` as [`parse_units`] reads its text, without formatting
    /// an integer column's values first.
    fn units_at(&self, i: usize, text: &mut String) -> Result<u32, String> {
        match self {
            Col::Int(v) => match v.get(i).copied().flatten() {
                None => Ok(1),
                Some(n) => match u32::try_from(n) {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(format!("expected an integer >= 1, got {:?}", n.to_string())),
                },
            },
            _ => {
                self.str_into(i, text);
                parse_units(text.trim())
            }
        }
    }

    fn bytes_at(&self, i: usize) -> Option<&'a [u8]> {
        match self {
            Col::Binary(a) => a.is_valid(i).then(|| a.value(i)),
            Col::LargeBinary(a) => a.is_valid(i).then(|| a.value(i)),
            Col::BinaryView(a) => a.is_valid(i).then(|| a.value(i)),
            _ => None,
        }
    }

    /// For a dictionary column, the key (index into the values) of row `i`; `None` for a
    /// null row or another kind of column.
    fn dict_key(&self, i: usize) -> Option<usize> {
        match self {
            Col::Dict(_, keys, k) if k.is_valid(i) => keys.get(i).copied(),
            _ => None,
        }
    }

    /// Number of values (rows) of the column.
    fn len(&self) -> usize {
        match self {
            Col::Utf8(a) => a.len(),
            Col::LargeUtf8(a) => a.len(),
            Col::Utf8View(a) => a.len(),
            Col::Binary(a) => a.len(),
            Col::LargeBinary(a) => a.len(),
            Col::BinaryView(a) => a.len(),
            Col::Bool(a) => a.len(),
            Col::Int(v) => v.len(),
            Col::Float(v) => v.len(),
            Col::Dict(_, keys, _) => keys.len(),
            Col::Unsupported => 0,
        }
    }

    fn f64_at(&self, i: usize) -> Result<Option<f64>, String> {
        match self {
            Col::Float(v) => Ok(v.get(i).copied().flatten()),
            Col::Int(v) => Ok(v.get(i).copied().flatten().map(|x| x as f64)),
            other => match other.str_at(i) {
                None => Ok(None),
                Some(s) if s.trim().is_empty() => Ok(None),
                Some(s) => parse_coord(s.trim()).map(Some),
            },
        }
    }
}

/// See [`super::records::visit`].
pub fn visit(
    path: &Path,
    opts: &ReadOptions,
    want_geometry: bool,
    on_open: &mut dyn FnMut(&Columns) -> Result<()>,
    on_record: &mut dyn FnMut(&Columns, Record) -> Result<()>,
) -> Result<()> {
    let (file, meta) = open_meta(path)?;
    if want_geometry && meta.geometry.is_none() {
        return Err(Error::MissingColumn {
            file: path.to_path_buf(),
            column: "geometry".into(),
            present: meta.names.join(", "),
        });
    }
    let cols = Columns::new(
        meta.names.clone(),
        reprojector_for(opts, meta.own_crs)?,
        want_geometry,
    );
    on_open(&cols)?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.arrow)
        .with_batch_size(BATCH)
        .build()
        .map_err(|e| format_err(path, e.to_string()))?;
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| format_err(path, e.to_string()))?;
        let arrays: Vec<Col> = batch
            .columns()
            .iter()
            .map(|a| Col::new(a.as_ref()))
            .collect();
        for i in 0..batch.num_rows() {
            row += 1;
            let mut values: Vec<Option<String>> = Vec::with_capacity(arrays.len());
            for (k, c) in arrays.iter().enumerate() {
                values.push(if Some(k) == meta.geometry {
                    None
                } else {
                    c.str_at(i).map(Cow::into_owned)
                });
            }
            let geometry = match (want_geometry, meta.geometry) {
                (true, Some(g)) => Some(match arrays[g].bytes_at(i) {
                    None => Err("missing geometry".to_string()),
                    Some(b) => wkb::decode(b),
                }),
                _ => None,
            };
            on_record(
                &cols,
                Record {
                    row,
                    values,
                    geometry,
                    problem: None,
                },
            )?;
        }
    }
    if row == 0 {
        return Err(Error::Empty(path.to_path_buf()));
    }
    Ok(())
}

/// Where a registry's coordinates come from.
#[derive(Clone, Copy)]
enum Coords {
    Geometry(usize),
    Columns(usize, usize),
}

/// Reads a registry: `id`, the point geometry (or `lon`/`lat`, or `x`/`y` with a CRS),
/// optional `units`, `comune` (integer or text), `address` (or its parts:
/// [`super::address_cols`]). Row groups are decoded in
/// parallel.
pub fn read_parquet_units(path: &Path, opts: &ReadOptions) -> Result<(Units, Vec<Reject>)> {
    let p = UnitsPlan::new(path, opts)?;
    let pieces: Vec<Piece> = (0..p.group_rows.len())
        .map(|g| Piece {
            group: g,
            skip: 0,
            rows: p.group_rows[g],
        })
        .collect();
    let t = std::time::Instant::now();
    let mut builder = UnitsBuilder::new(p.layout.address.is_some());
    p.decode_into(&pieces, &mut builder)?;
    tracing::debug!(target: "bianca::timing", phase = "parquet decode", secs = t.elapsed().as_secs_f64());
    builder.finish(path, opts.on_error)
}

/// A registry file opened for reading units: its layout, CRS and row groups.
pub(crate) struct UnitsPlan {
    path: std::path::PathBuf,
    opts: ReadOptions,
    arrow: ArrowReaderMetadata,
    layout: UnitCols,
    reprojector: Reprojector,
    names: CoordFields,
    /// Rows of each row group.
    group_rows: Vec<usize>,
    /// Row number (1-based, across the file) of each row group's first row.
    firsts: Vec<u64>,
}

/// Rows `skip..skip + rows` of one row group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    group: usize,
    skip: usize,
    rows: usize,
}

impl UnitsPlan {
    pub(crate) fn new(path: &Path, opts: &ReadOptions) -> Result<Self> {
        let (file, meta) = open_meta(path)?;
        drop(file);
        let cols = Columns::new(meta.names.clone(), Reprojector::identity(), false);
        let id = cols.index("id").ok_or_else(|| cols.missing(path, "id"))?;
        let find = |keys: &[&str]| keys.iter().find_map(|k| cols.index(k));
        let (coords, reprojector, names) = if let Some(g) = meta.geometry {
            (
                Coords::Geometry(g),
                reprojector_for(opts, meta.own_crs)?,
                CoordFields {
                    x: cols.names[g].clone(),
                    y: cols.names[g].clone(),
                },
            )
        } else {
            let lonlat = (
                find(&["lon", "longitude", "lng"]),
                find(&["lat", "latitude"]),
            );
            let xy = (find(&["x"]), find(&["y"]));
            let (x, y, r) = match (&opts.crs, lonlat, xy) {
                (Some(crs), _, (Some(x), Some(y))) | (Some(crs), (Some(x), Some(y)), _) => {
                    (x, y, Reprojector::from_crs(crs)?)
                }
                (None, (Some(x), Some(y)), _) => (x, y, Reprojector::identity()),
                (None, (None, None), (Some(_), Some(_))) => return Err(format_err(
                    path,
                    "columns x/y hold projected coordinates: give their CRS (bianca classify --units-crs) (for example EPSG:3003)",
                )),
                (_, (Some(_), None), _) => return Err(cols.missing(path, "lat")),
                _ => return Err(cols.missing(path, "lon")),
            };
            (
                Coords::Columns(x, y),
                r,
                CoordFields {
                    x: cols.names[x].clone(),
                    y: cols.names[y].clone(),
                },
            )
        };
        let mut layout = UnitCols {
            id,
            coords,
            units: cols.index("units"),
            comune: cols.index("comune"),
            address: AddressCols::find(&|k| cols.index(k)),
            names: cols.names.clone(),
            pos: Vec::new(),
        };
        layout.pos = layout.batch_positions();
        let md = meta.arrow.metadata().clone();
        let mut firsts = Vec::with_capacity(md.num_row_groups());
        let mut group_rows = Vec::with_capacity(md.num_row_groups());
        let mut next = 1u64;
        for g in 0..md.num_row_groups() {
            firsts.push(next);
            let n = md.row_group(g).num_rows().max(0) as usize;
            group_rows.push(n);
            next += n as u64;
        }
        Ok(UnitsPlan {
            path: path.to_path_buf(),
            opts: opts.clone(),
            arrow: meta.arrow,
            layout,
            reprojector,
            names,
            group_rows,
            firsts,
        })
    }

    /// Rows in the file (from its metadata).
    pub(crate) fn rows(&self) -> u64 {
        self.group_rows.iter().map(|&n| n as u64).sum()
    }

    pub(crate) fn has_address(&self) -> bool {
        self.layout.address.is_some()
    }

    /// The file cut into batches of about `n` rows: whole row groups while they fit, a row
    /// group larger than `n` cut into slices of `n` rows.
    pub(crate) fn batches(&self, n: usize) -> Vec<Vec<Piece>> {
        let n = n.max(1);
        let mut out: Vec<Vec<Piece>> = Vec::new();
        let mut cur: Vec<Piece> = Vec::new();
        let mut cur_rows = 0;
        for (g, &rows) in self.group_rows.iter().enumerate() {
            if rows == 0 {
                continue;
            }
            if rows > n {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    cur_rows = 0;
                }
                let mut skip = 0;
                while skip < rows {
                    let take = n.min(rows - skip);
                    out.push(vec![Piece {
                        group: g,
                        skip,
                        rows: take,
                    }]);
                    skip += take;
                }
                continue;
            }
            if cur_rows + rows > n && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
                cur_rows = 0;
            }
            cur.push(Piece {
                group: g,
                skip: 0,
                rows,
            });
            cur_rows += rows;
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    /// Decodes the pieces in parallel, each reprojected and checked ([`finish_chunk`]), and
    /// appends them to `builder` in order.
    ///
    /// Pieces are decoded a wave (one per thread) at a time and each wave is appended and
    /// dropped before the next: the memory of decoded pieces is reused instead of every
    /// piece being held beside the merged columns.
    pub(crate) fn decode_into(&self, pieces: &[Piece], builder: &mut UnitsBuilder) -> Result<()> {
        // fewer pieces than threads (a batch of one row group): cut them so that every
        // thread decodes a part; pages before a part are skipped, not decoded
        let threads = rayon::current_num_threads().max(1);
        let split: Vec<Piece>;
        let pieces = if pieces.len() >= threads {
            pieces
        } else {
            let parts = threads.div_ceil(pieces.len().max(1));
            split = pieces
                .iter()
                .flat_map(|p| {
                    let per = p.rows.div_ceil(parts).max(BATCH);
                    (0..p.rows).step_by(per).map(move |k| Piece {
                        group: p.group,
                        skip: p.skip + k,
                        rows: per.min(p.rows - k),
                    })
                })
                .collect();
            &split
        };
        let total: usize = pieces.iter().map(|p| p.rows).sum();
        builder.reserve(total, 0);
        let (mut rows, mut bytes) = (0usize, 0usize);
        for wave in pieces.chunks(threads) {
            let results: Vec<Result<UnitChunk>> =
                wave.par_iter().map(|p| self.decode_piece(p)).collect();
            let chunks: Vec<UnitChunk> = results.into_iter().collect::<Result<_>>()?;
            // room for this wave's ids and, at the bytes per row seen so far, the rest's
            let wave_bytes: usize = chunks.iter().map(|c| c.ids.byte_len()).sum();
            rows += wave.iter().map(|p| p.rows).sum::<usize>();
            bytes += wave_bytes;
            let rest = (total - rows) as f64 * bytes as f64 / rows.max(1) as f64;
            builder.reserve_ids(wave_bytes + (rest * 1.25) as usize);
            for c in chunks {
                builder.append(c);
            }
        }
        Ok(())
    }

    /// Decodes one piece, reprojected and checked ([`finish_chunk`]).
    fn decode_piece(&self, p: &Piece) -> Result<UnitChunk> {
        let path = self.path.as_path();
        let opts = &self.opts;
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // only the columns read: a geometry column makes lon/lat (and every other
        // attribute) pages that need no decoding
        let projection = ProjectionMask::roots(
            self.arrow.metadata().file_metadata().schema_descr(),
            self.layout.used(),
        );
        let mut b = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.arrow.clone())
            .with_row_groups(vec![p.group])
            .with_projection(projection)
            .with_batch_size(BATCH);
        if p.skip > 0 || p.rows < self.group_rows[p.group] {
            b = b.with_row_selection(RowSelection::from(vec![
                RowSelector::skip(p.skip),
                RowSelector::select(p.rows),
            ]));
        }
        let reader = b.build().map_err(|e| format_err(path, e.to_string()))?;
        let mut c = UnitChunk::with_capacity(self.layout.address.is_some(), p.rows);
        let mut row = self.firsts[p.group] + p.skip as u64;
        for batch in reader {
            let batch = batch.map_err(|e| format_err(path, e.to_string()))?;
            if parse_batch(&batch, &self.layout, &mut row, &mut c, path, opts) {
                break;
            }
        }
        finish_chunk(&mut c, &self.reprojector, &self.names, path, opts.on_error)?;
        Ok(c)
    }
}

struct UnitCols {
    id: usize,
    coords: Coords,
    units: Option<usize>,
    comune: Option<usize>,
    address: Option<AddressCols>,
    names: Vec<String>,
    /// Per column of the file, its position in a projected batch ([`UnitCols::used`]).
    pos: Vec<usize>,
}

impl UnitCols {
    /// The file's columns that are read, in file order.
    fn used(&self) -> Vec<usize> {
        let mut cols = vec![self.id];
        match self.coords {
            Coords::Geometry(g) => cols.push(g),
            Coords::Columns(x, y) => cols.extend([x, y]),
        }
        cols.extend(self.units);
        cols.extend(self.comune);
        if let Some(a) = &self.address {
            cols.extend(a.columns());
        }
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// Per column of the file, its position among [`UnitCols::used`] (`usize::MAX` when it
    /// is not read).
    fn batch_positions(&self) -> Vec<usize> {
        let mut pos = vec![usize::MAX; self.names.len()];
        for (k, c) in self.used().into_iter().enumerate() {
            pos[c] = k;
        }
        pos
    }
}

/// Parses one batch into `c`; returns true when reading must stop (fail mode).
fn parse_batch(
    batch: &RecordBatch,
    l: &UnitCols,
    row: &mut u64,
    c: &mut UnitChunk,
    path: &Path,
    opts: &ReadOptions,
) -> bool {
    let col = |i: usize| Col::new(batch.column(l.pos[i]).as_ref());
    let id = col(l.id);
    let (geom, xcol, ycol) = match l.coords {
        Coords::Geometry(g) => (Some(col(g)), None, None),
        Coords::Columns(x, y) => (None, Some(col(x)), Some(col(y))),
    };
    let units = l.units.map(col);
    let comune = l.comune.map(col);
    let address: Vec<(usize, Col)> = l.address.as_ref().map_or_else(Vec::new, |a| {
        a.columns().into_iter().map(|k| (k, col(k))).collect()
    });
    // text of the current row's id, units and comune: reused, no heap string per row
    let (mut idv, mut text) = (String::new(), String::new());
    let comune_codes: Option<Vec<Result<u32, String>>> = match &comune {
        Some(Col::Dict(values, ..)) => Some(
            (0..values.len())
                .map(|v| match values.str_at(v) {
                    Some(t) => parse_comune(t.trim()),
                    None => Ok(super::units_build::NO_COMUNE),
                })
                .collect(),
        ),
        _ => None,
    };
    for i in 0..batch.num_rows() {
        let r = *row;
        *row += 1;
        let at = |f: usize| Location::file(path).row(r).field(l.names[f].as_str());
        let res = (|| -> Result<(), (usize, String)> {
            id.str_into(i, &mut idv);
            let idt = idv.trim();
            if idt.is_empty() {
                return Err((l.id, "missing value".into()));
            }
            let (x, y) = match (&geom, l.coords) {
                (Some(g), Coords::Geometry(gi)) => {
                    let b = g.bytes_at(i).ok_or((gi, "missing geometry".to_string()))?;
                    // plain 2D points without a Geometry; anything else (and every error)
                    // through the full decoder
                    match wkb::point_2d(b) {
                        Some(xy) => xy,
                        None => {
                            let geo = wkb::decode(b).map_err(|m| (gi, m))?;
                            let (x, y) = point_xy(&geo).map_err(|m| (gi, m))?;
                            if !x.is_finite() || !y.is_finite() {
                                return Err((gi, "a coordinate is not a finite number".into()));
                            }
                            (x, y)
                        }
                    }
                }
                (_, Coords::Columns(xi, yi)) => {
                    let get = |c: &Option<Col>, k: usize| -> Result<f64, (usize, String)> {
                        match c.as_ref().map(|c| c.f64_at(i)) {
                            Some(Ok(Some(v))) if v.is_finite() => Ok(v),
                            Some(Ok(Some(v))) => Err((k, format!("{v} is not a finite number"))),
                            Some(Err(m)) => Err((k, m)),
                            _ => Err((k, "missing value".into())),
                        }
                    };
                    (get(&xcol, xi)?, get(&ycol, yi)?)
                }
                _ => return Err((l.id, "internal: no coordinates".into())),
            };
            // a null reads as blank, as in a CSV
            let u = match (&units, l.units) {
                (Some(c), Some(k)) => c.units_at(i, &mut text).map_err(|m| (k, m))?,
                _ => 1,
            };
            let cm = match (&comune, l.comune) {
                (Some(c), Some(k)) => match &comune_codes {
                    // a dictionary column: each distinct code parsed once
                    Some(codes) => match c.dict_key(i) {
                        Some(key) => codes
                            .get(key)
                            .cloned()
                            .unwrap_or(Ok(super::units_build::NO_COMUNE))
                            .map_err(|m| (k, m))?,
                        None => super::units_build::NO_COMUNE,
                    },
                    None => {
                        c.str_into(i, &mut text);
                        parse_comune(text.trim()).map_err(|m| (k, m))?
                    }
                },
                _ => super::units_build::NO_COMUNE,
            };
            let a = l.address.as_ref().map(|a| {
                let vals: Vec<(usize, Option<Cow<str>>)> =
                    address.iter().map(|(k, c)| (*k, c.str_at(i))).collect();
                a.compose(&|k| {
                    vals.iter()
                        .find(|(j, _)| *j == k)
                        .and_then(|(_, v)| v.as_deref())
                        .map(str::trim)
                })
                .into_owned()
            });
            c.push(r, idt, x, y, u, cm, a.as_deref().map(str::trim));
            Ok(())
        })();
        if let Err((f, m)) = res {
            if c.bad(at(f), m, opts.on_error) {
                return true;
            }
        }
    }
    false
}
