//! A fast reader of housing-unit registries in FlatGeobuf (`.fgb`) files.
//!
//! The file is read sequentially in large blocks; the length-prefixed features of a block are
//! located in one scan, then decoded (with the flatbuffers verifier), reprojected and checked
//! in parallel chunks. The semantics are those of the GDAL path
//! ([`super::ogr::read_ogr_units`]): same columns, same values (integer ids become their
//! decimal text), same CRS (taken from GDAL's view of the layer), same errors and rejects,
//! features numbered 1, 2, ... in file order.
//!
//! Whatever this reader does not handle exactly like GDAL falls back to the GDAL path: a
//! header geometry type other than Point, a needed column (`id`, `units`, `comune`,
//! `address`) of a type other than integer or string, an address split in parts
//! ([`super::address_cols`]), features with their own schema, no
//! feature count in the header, and any malformed or truncated feature (GDAL stops reading
//! there, and the fallback keeps that behaviour).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use flatgeobuf::{ColumnType, GeometryType};
use gdal::vector::LayerAccess;
use rayon::prelude::*;

use super::address_cols::AddressCols;
use super::crs::Reprojector;
use super::csv_units::{parse_comune, parse_units};
use super::ogr;
use super::records::{reprojector_for, Columns};
use super::units_build::{finish_chunk, CoordFields, UnitChunk, UnitsBuilder};
use super::ReadOptions;
use crate::error::{Error, Location, OnError, Reject, Result};
use crate::units::Units;

/// Features per chunk decoded in parallel.
const CHUNK_ROWS: usize = 1 << 15;
/// Bytes read from the file at a time (grown when one feature is larger).
const BLOCK_BYTES: usize = 32 << 20;
/// Largest header accepted (as in the `flatgeobuf` crate).
const HEADER_MAX: usize = 10 << 20;
const MAGIC: [u8; 3] = *b"fgb";

/// Why the fast reader gives up: the file goes through GDAL instead.
enum Stop {
    Unsupported(String),
    Fail(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Fail(e)
    }
}

type Fast<T> = std::result::Result<T, Stop>;

fn unsupported<T>(why: impl Into<String>) -> Fast<T> {
    Err(Stop::Unsupported(why.into()))
}

/// Reads a registry from a FlatGeobuf point layer; see [`super::ogr::read_ogr_units`] for
/// the columns and checks. Falls back to GDAL for files this reader does not handle.
pub fn read_fgb_units(path: &Path, opts: &ReadOptions) -> Result<(Units, Vec<Reject>)> {
    match read_fast(path, opts) {
        Ok(r) => Ok(r),
        Err(Stop::Fail(e)) => Err(e),
        Err(Stop::Unsupported(why)) => {
            tracing::debug!(path = %path.display(), why, "FlatGeobuf registry read through GDAL");
            ogr::read_ogr_units(path, opts)
        }
    }
}

/// How a needed property is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    Str,
}

/// The byte size of a fixed-size value, `None` for length-prefixed ones.
fn fixed_size(t: ColumnType) -> Option<usize> {
    match t {
        ColumnType::Byte | ColumnType::UByte | ColumnType::Bool => Some(1),
        ColumnType::Short | ColumnType::UShort => Some(2),
        ColumnType::Int | ColumnType::UInt | ColumnType::Float => Some(4),
        ColumnType::Long | ColumnType::ULong | ColumnType::Double => Some(8),
        _ => None,
    }
}

fn kind(t: ColumnType) -> Option<Kind> {
    Some(match t {
        ColumnType::Byte => Kind::I8,
        ColumnType::UByte | ColumnType::Bool => Kind::U8,
        ColumnType::Short => Kind::I16,
        ColumnType::UShort => Kind::U16,
        ColumnType::Int => Kind::I32,
        ColumnType::UInt => Kind::U32,
        ColumnType::Long => Kind::I64,
        ColumnType::String => Kind::Str,
        _ => return None,
    })
}

/// The layout of the file and what each feature needs.
struct Schema {
    /// Per column: the fixed value size (`None`: u32 length prefix).
    sizes: Vec<Option<usize>>,
    /// Per column: which needed field it is (0 id, 1 units, 2 comune, 3 address).
    slot: Vec<Option<usize>>,
    /// Per needed field: its storage kind (when the column exists).
    kinds: [Option<Kind>; 4],
    has_z: bool,
    has_m: bool,
    has_address: bool,
}

const FIELDS: [&str; 4] = ["id", "units", "comune", "address"];

fn read_fast(path: &Path, opts: &ReadOptions) -> Fast<(Units, Vec<Reject>)> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return unsupported(format!("cannot open ({e})")),
    };
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut start = [0u8; 12];
    if file.read_exact(&mut start).is_err() || start[..3] != MAGIC || start[4..7] != MAGIC {
        return unsupported("not a FlatGeobuf file");
    }
    let header_len = u32::from_le_bytes([start[8], start[9], start[10], start[11]]) as usize;
    if !(8..=HEADER_MAX).contains(&header_len) || 12 + header_len as u64 > file_len {
        return unsupported("bad header size");
    }
    // Flatbuffers are aligned relative to their size prefix: keep it.
    let mut header_buf = vec![0u8; header_len + 4];
    header_buf[..4].copy_from_slice(&start[8..12]);
    if file.read_exact(&mut header_buf[4..]).is_err() {
        return unsupported("truncated header");
    }
    let header = match flatgeobuf::size_prefixed_root_as_header(&header_buf) {
        Ok(h) => h,
        Err(e) => return unsupported(format!("invalid header ({e})")),
    };
    if header.geometry_type() != GeometryType::Point {
        return unsupported("the header's geometry type is not Point");
    }
    let count = header.features_count();
    if count == 0 {
        return unsupported("no feature count in the header");
    }
    let index_len = match index_size(count, header.index_node_size()) {
        Some(n) => n,
        None => return unsupported("bad spatial index size"),
    };
    let names: Vec<String> = header
        .columns()
        .map(|cs| cs.iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    let types: Vec<ColumnType> = header
        .columns()
        .map(|cs| cs.iter().map(|c| c.type_()).collect())
        .unwrap_or_default();

    // The CRS and the field list as GDAL sees them, so that both paths agree exactly.
    let ds = ogr::open(path)?;
    if ds.layer_count() != 1 {
        return unsupported("not exactly one layer");
    }
    let layer = match ds.layer(0) {
        Ok(l) => l,
        Err(e) => return unsupported(format!("GDAL cannot open the layer ({e})")),
    };
    let gdal_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    if gdal_names != names {
        return unsupported("GDAL's field list differs from the header's");
    }
    let own = layer
        .spatial_ref()
        .map(|srs| Reprojector::from_spatial_ref(&srs, &ogr::srs_label(&srs)));
    drop(ds);
    let cols = Columns::new(names, reprojector_for(opts, own)?, true);
    cols.require(path, &["id"])?;
    if AddressCols::find(&|k| cols.index(k)).is_some_and(|a| a.is_split()) {
        return unsupported("the address is split in parts");
    }

    let mut slot = vec![None; types.len()];
    let mut kinds = [None; 4];
    for (f, key) in FIELDS.iter().enumerate() {
        if let Some(i) = cols.index(key) {
            match types.get(i).copied().and_then(kind) {
                Some(k) => {
                    kinds[f] = Some(k);
                    slot[i] = Some(f);
                }
                None => return unsupported(format!("column {key:?} has an unsupported type")),
            }
        }
    }
    let schema = Schema {
        sizes: types.iter().map(|&t| fixed_size(t)).collect(),
        slot,
        kinds,
        has_z: header.has_z(),
        has_m: header.has_m(),
        has_address: cols.index("address").is_some(),
    };

    // Skip the spatial index.
    let skip = index_len;
    let features_at = 12u64 + header_len as u64 + skip;
    if features_at > file_len {
        return unsupported("truncated spatial index");
    }
    if std::io::copy(&mut (&mut file).take(skip), &mut std::io::sink()).ok() != Some(skip) {
        return unsupported("truncated spatial index");
    }

    let reprojector = cols.reprojector.clone();
    let ctx = Ctx {
        path,
        on_error: opts.on_error,
        schema: &schema,
        reprojector: &reprojector,
        names: CoordFields {
            x: "geometry".into(),
            y: "geometry".into(),
        },
    };
    let mut remaining = file_len - features_at;
    let mut left = count;
    let mut row = 0u64;
    let mut chunks: Vec<UnitChunk> = Vec::new();
    let mut next = read_block(&mut file, Vec::new(), BLOCK_BYTES, &mut remaining);
    while left > 0 {
        let buf = next.map_err(|e| Stop::Fail(Error::io(path, e)))?;
        // Locate complete features in the block.
        let mut offsets: Vec<(usize, usize)> = Vec::new();
        let mut pos = 0usize;
        while left > 0 && pos + 4 <= buf.len() {
            let Some(size) = le::<4>(&buf, pos) else {
                break;
            };
            let size = u32::from_le_bytes(size) as usize;
            if pos + 4 + size > buf.len() {
                break;
            }
            offsets.push((pos, size + 4));
            pos += 4 + size;
            left -= 1;
        }
        let tail = buf.get(pos..).unwrap_or_default().to_vec();
        if left > 0 && remaining == 0 && offsets.is_empty() {
            return unsupported("truncated feature");
        }
        // A feature larger than a block: read enough for it next time.
        let want = if let (true, Some(size)) = (offsets.is_empty(), le::<4>(&tail, 0)) {
            let size = u32::from_le_bytes(size) as usize;
            if (size as u64) > remaining + tail.len() as u64 {
                return unsupported("truncated feature");
            }
            (size + 4).max(BLOCK_BYTES)
        } else {
            BLOCK_BYTES
        };
        let first_row = row;
        row += offsets.len() as u64;
        let block = &buf;
        let (read, decoded) = rayon::join(
            || {
                if left > 0 {
                    read_block(&mut file, tail, want, &mut remaining)
                } else {
                    Ok(Vec::new())
                }
            },
            || {
                offsets
                    .par_chunks(CHUNK_ROWS)
                    .enumerate()
                    .map(|(k, part)| ctx.chunk(block, part, first_row + (k * CHUNK_ROWS) as u64))
                    .collect::<Vec<Fast<UnitChunk>>>()
            },
        );
        next = read;
        let mut failed: Option<Error> = None;
        for c in decoded {
            match c {
                Ok(c) => chunks.push(c),
                Err(Stop::Unsupported(why)) => return unsupported(why),
                Err(Stop::Fail(e)) => {
                    failed.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failed {
            return Err(Stop::Fail(e));
        }
    }
    if row == 0 {
        return Err(Stop::Fail(Error::Empty(path.to_path_buf())));
    }
    let mut builder = UnitsBuilder::new(schema.has_address);
    for c in chunks {
        builder.append(c);
    }
    Ok(builder.finish(path, opts.on_error)?)
}

/// Appends up to `want` more bytes of the file to `buf` (fewer at the end of the file).
fn read_block(
    file: &mut File,
    mut buf: Vec<u8>,
    want: usize,
    remaining: &mut u64,
) -> std::io::Result<Vec<u8>> {
    let n = (want as u64).min(*remaining) as usize;
    let have = buf.len();
    buf.resize(have + n, 0);
    file.read_exact(&mut buf[have..])?;
    *remaining -= n as u64;
    Ok(buf)
}

/// Size in bytes of the packed Hilbert R-tree of `count` items (0 without an index);
/// `None` when it overflows or the node size is invalid.
fn index_size(count: u64, node_size: u16) -> Option<u64> {
    if node_size == 0 {
        return Some(0);
    }
    if node_size < 2 {
        return None;
    }
    let node = node_size as u64;
    let mut n = count;
    let mut nodes = n;
    loop {
        n = n.div_ceil(node);
        nodes = nodes.checked_add(n)?;
        if n <= 1 {
            break;
        }
    }
    nodes.checked_mul(40)
}

struct Ctx<'a> {
    path: &'a Path,
    on_error: OnError,
    schema: &'a Schema,
    reprojector: &'a Reprojector,
    names: CoordFields,
}

/// A needed value of one feature: its kind and bytes (strings without the length prefix).
type Raw<'b> = Option<(Kind, &'b [u8])>;

impl Ctx<'_> {
    /// Decodes, reprojects and checks the features at `part` (offset, size in `block`, both
    /// with the size prefix);
    /// the first has 0-based number `first`.
    fn chunk(&self, block: &[u8], part: &[(usize, usize)], first: u64) -> Fast<UnitChunk> {
        let mut c = UnitChunk::new(self.schema.has_address);
        let mut text = [String::new(), String::new(), String::new(), String::new()];
        for (k, &(at, size)) in part.iter().enumerate() {
            let row = first + k as u64 + 1;
            let Some(bytes) = block.get(at..at + size) else {
                return unsupported("feature out of bounds");
            };
            let (geom, raw) = self.decode(bytes)?;
            for (f, r) in raw.iter().enumerate() {
                value_text(*r, &mut text[f]);
            }
            match unit(geom, &text) {
                Ok((x, y, units, comune)) => c.push(
                    row,
                    text[0].trim(),
                    x,
                    y,
                    units,
                    comune,
                    Some(text[3].trim()),
                ),
                Err((field, msg)) => {
                    let at = Location::file(self.path).row(row).field(field);
                    if c.bad(at, msg, self.on_error) {
                        break;
                    }
                }
            }
        }
        finish_chunk(
            &mut c,
            self.reprojector,
            &self.names,
            self.path,
            self.on_error,
        )?;
        Ok(c)
    }

    /// The point (`None`: no geometry) and the needed values of one feature.
    #[allow(clippy::type_complexity)]
    fn decode<'b>(&self, bytes: &'b [u8]) -> Fast<(Option<(f64, f64)>, [Raw<'b>; 4])> {
        let f = match flatgeobuf::size_prefixed_root_as_feature(bytes) {
            Ok(f) => f,
            Err(e) => return unsupported(format!("invalid feature ({e})")),
        };
        if f.columns().is_some() {
            return unsupported("a feature has its own columns");
        }
        let geom = match f.geometry() {
            None => None,
            Some(g) => {
                let xy = match g.xy() {
                    Some(xy) if xy.len() >= 2 => xy,
                    _ => return unsupported("a point without coordinates"),
                };
                if self.schema.has_z && g.z().is_none_or(|z| z.is_empty()) {
                    return unsupported("a point without z");
                }
                if self.schema.has_m && g.m().is_none_or(|m| m.is_empty()) {
                    return unsupported("a point without m");
                }
                Some((xy.get(0), xy.get(1)))
            }
        };
        let mut raw: [Raw<'b>; 4] = [None; 4];
        if let Some(props) = f.properties() {
            let p = props.bytes();
            let mut pos = 0usize;
            while pos < p.len() {
                let Some(col) = le::<2>(p, pos) else {
                    return unsupported("truncated properties");
                };
                let col = u16::from_le_bytes(col) as usize;
                pos += 2;
                let Some(&size) = self.schema.sizes.get(col) else {
                    return unsupported("property of an unknown column");
                };
                let (start, len) = match size {
                    Some(n) => (pos, n),
                    None => {
                        let Some(l) = le::<4>(p, pos) else {
                            return unsupported("truncated properties");
                        };
                        let l = u32::from_le_bytes(l) as usize;
                        (pos + 4, l)
                    }
                };
                let Some(v) = p.get(start..start.saturating_add(len)) else {
                    return unsupported("truncated properties");
                };
                pos = start + len;
                if let Some(f) = self.schema.slot[col] {
                    if let Some(k) = self.schema.kinds[f] {
                        raw[f] = Some((k, v));
                    }
                }
            }
        }
        Ok((geom, raw))
    }
}

/// The text GDAL gives for a value (`field_as_string`), into `out`; empty for null.
fn value_text(raw: Raw<'_>, out: &mut String) {
    out.clear();
    let Some((kind, v)) = raw else {
        return;
    };
    let mut b = itoa::Buffer::new();
    let s = match kind {
        Kind::I8 => le::<1>(v, 0).map(|a| b.format(i8::from_le_bytes(a))),
        Kind::U8 => le::<1>(v, 0).map(|a| b.format(u8::from_le_bytes(a))),
        Kind::I16 => le::<2>(v, 0).map(|a| b.format(i16::from_le_bytes(a))),
        Kind::U16 => le::<2>(v, 0).map(|a| b.format(u16::from_le_bytes(a))),
        Kind::I32 => le::<4>(v, 0).map(|a| b.format(i32::from_le_bytes(a))),
        Kind::U32 => le::<4>(v, 0).map(|a| b.format(u32::from_le_bytes(a))),
        Kind::I64 => le::<8>(v, 0).map(|a| b.format(i64::from_le_bytes(a))),
        Kind::Str => {
            // GDAL keeps the string as C text: it ends at the first NUL.
            let end = memchr::memchr(0, v).unwrap_or(v.len());
            out.push_str(&String::from_utf8_lossy(&v[..end]));
            return;
        }
    };
    if let Some(s) = s {
        out.push_str(s);
    }
}

/// `N` bytes of `b` at `at`, if there are that many.
fn le<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Checks one feature like `unit_from_record` in the GDAL path: id, geometry, units, comune.
fn unit(
    geom: Option<(f64, f64)>,
    text: &[String; 4],
) -> std::result::Result<(f64, f64, u32, u32), (&'static str, String)> {
    if text[0].trim().is_empty() {
        return Err(("id", "missing value".to_string()));
    }
    let (x, y) = geom.ok_or(("geometry", "missing geometry".to_string()))?;
    if x.is_nan() && y.is_nan() {
        return Err(("geometry", "empty geometry".into()));
    }
    if !x.is_finite() || !y.is_finite() {
        return Err(("geometry", "a coordinate is not a finite number".into()));
    }
    let units = parse_units(text[1].trim()).map_err(|m| ("units", m))?;
    let comune = parse_comune(text[2].trim()).map_err(|m| ("comune", m))?;
    Ok((x, y, units, comune))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdal::spatial_ref::SpatialRef;
    use gdal::vector::{Feature, FieldDefn, Geometry, LayerOptions, OGRFieldType};
    use gdal::DriverManager;

    /// Writes a FlatGeobuf point file through GDAL. Integer fields take their value parsed
    /// from the text; an empty text leaves the field unset; an empty WKT, no geometry.
    fn write_fgb(
        path: &Path,
        epsg: Option<u32>,
        index: bool,
        fields: &[(&str, OGRFieldType::Type)],
        rows: &[(&[&str], &str)],
    ) {
        let drv = DriverManager::get_driver_by_name("FlatGeobuf").unwrap();
        let mut ds = drv.create_vector_only(path).unwrap();
        let srs = epsg.map(|e| SpatialRef::from_epsg(e).unwrap());
        let opts = [if index {
            "SPATIAL_INDEX=YES"
        } else {
            "SPATIAL_INDEX=NO"
        }];
        let layer = ds
            .create_layer(LayerOptions {
                name: "data",
                srs: srs.as_ref(),
                ty: gdal::vector::OGRwkbGeometryType::wkbPoint,
                options: Some(&opts),
            })
            .unwrap();
        for (name, ty) in fields {
            FieldDefn::new(name, *ty)
                .unwrap()
                .add_to_layer(&layer)
                .unwrap();
        }
        for (values, wkt) in rows {
            let mut feat = Feature::new(layer.defn()).unwrap();
            for (i, v) in values.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                match fields[i].1 {
                    OGRFieldType::OFTInteger => feat.set_field_integer(i, v.parse().unwrap()),
                    OGRFieldType::OFTInteger64 => feat.set_field_integer64(i, v.parse().unwrap()),
                    _ => feat.set_field_string(i, v),
                }
                .unwrap();
            }
            if !wkt.is_empty() {
                feat.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
            }
            feat.create(&layer).unwrap();
        }
    }

    fn outcome(r: Result<(Units, Vec<Reject>)>) -> String {
        match r {
            Ok((u, rejects)) => {
                // The interner's hash map prints in any order: drop it (names stay).
                let text = format!("{u:?}");
                let cut = text
                    .find(", index: {")
                    .and_then(|a| text[a..].find('}').map(|b| (a, a + b + 1)));
                let text = match cut {
                    Some((a, b)) => format!("{}{}", &text[..a], &text[b..]),
                    None => text,
                };
                format!("{text}\n{rejects:?}")
            }
            Err(e) => format!("error: {e}"),
        }
    }

    /// Both readers, both error modes, optionally a CRS override: identical outcomes.
    fn same_as_gdal(path: &Path, crs: Option<&str>, falls_back: bool) -> Vec<String> {
        let mut seen = Vec::new();
        for on_error in [OnError::Fail, OnError::Skip] {
            let opts = ReadOptions {
                crs: crs.map(str::to_string),
                on_error,
            };
            let unsupported = matches!(read_fast(path, &opts), Err(Stop::Unsupported(_)));
            assert_eq!(unsupported, falls_back, "{}", path.display());
            let fast = outcome(read_fgb_units(path, &opts));
            let gdal = outcome(ogr::read_ogr_units(path, &opts));
            assert_eq!(fast, gdal, "{} {on_error:?}", path.display());
            seen.push(fast);
        }
        seen
    }

    const S: OGRFieldType::Type = OGRFieldType::OFTString;
    const I: OGRFieldType::Type = OGRFieldType::OFTInteger;
    const L: OGRFieldType::Type = OGRFieldType::OFTInteger64;

    #[test]
    fn same_units_as_gdal_with_and_without_index() {
        let d = tempfile::tempdir().unwrap();
        let rows: Vec<(&[&str], &str)> = vec![
            (
                &["7", " 3 ", "48017", " Via Roma, 1 "],
                "POINT (681000 4850000)",
            ),
            (
                &["123456789012", "", "1", ""],
                "POINT (681000.123456789 4850000.987654321)",
            ),
            (&["-5", "2", "", "Via Po"], "POINT (600000 4900000)"),
        ];
        for index in [false, true] {
            let p = d.path().join(format!("int{index}.fgb"));
            let fields = [("ID", L), ("units", S), ("comune", S), ("address", S)];
            write_fgb(&p, Some(32632), index, &fields, &rows);
            let seen = same_as_gdal(&p, None, false);
            assert!(seen[0].contains("123456789012"), "{}", seen[0]);
            assert!(seen[0].contains("Via Roma, 1"), "{}", seen[0]);
            same_as_gdal(&p, Some("EPSG:3003"), false);

            let p = d.path().join(format!("str{index}.fgb"));
            let fields = [("id", S), ("units", I), ("comune", I)];
            let rows: Vec<(&[&str], &str)> = vec![
                (&[" a1 ", "3", "48017"], "POINT (11.25 43.75)"),
                (&["a2", "", "1"], "POINT (11.5 43.5)"),
            ];
            write_fgb(&p, None, index, &fields, &rows);
            let seen = same_as_gdal(&p, None, false);
            assert!(seen[0].contains("048017"), "{}", seen[0]);
        }
    }

    #[test]
    fn same_errors_and_rejects_as_gdal() {
        let d = tempfile::tempdir().unwrap();
        let rows: Vec<(&[&str], &str)> = vec![
            (&["a", "1", "48017"], "POINT (11.25 43.75)"),
            (&["", "1", "48017"], "POINT (11.25 43.75)"),
            (&["b", "0", "48017"], "POINT (11.25 43.75)"),
            (&["c", "1", "1234567"], "POINT (11.25 43.75)"),
            (&["d", "1", "x"], "POINT (200 43.75)"),
            (&["e", "1", ""], "POINT (43.75 120)"),
            (&["f", "1", ""], ""),
            (&["a", "2", ""], "POINT (11 43)"),
            (&["g", "-3", ""], "POINT (11 43)"),
        ];
        let fields = [("id", S), ("units", I), ("comune", S)];
        let p = d.path().join("bad.fgb");
        write_fgb(&p, None, false, &fields, &rows);
        let seen = same_as_gdal(&p, None, false);
        assert!(seen[0].starts_with("error:"), "{}", seen[0]);
        assert!(seen[1].contains("duplicate id"), "{}", seen[1]);

        // Missing id column; CRS override errors.
        let p = d.path().join("noid.fgb");
        write_fgb(
            &p,
            Some(32632),
            true,
            &[("name", S)],
            &[(&["x"], "POINT (1 2)")],
        );
        assert!(same_as_gdal(&p, None, false)[0].contains("id"));
        same_as_gdal(&p, Some("EPSG:999999"), false);
    }

    #[test]
    fn falls_back_to_gdal_for_other_geometry_types() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("poly.fgb");
        let drv = DriverManager::get_driver_by_name("FlatGeobuf").unwrap();
        let mut ds = drv.create_vector_only(&p).unwrap();
        let layer = ds
            .create_layer(LayerOptions {
                name: "data",
                ..Default::default()
            })
            .unwrap();
        FieldDefn::new("id", S)
            .unwrap()
            .add_to_layer(&layer)
            .unwrap();
        for (id, wkt) in [
            ("a", "POINT (11 43)"),
            ("b", "LINESTRING (11 43, 12 44)"),
            ("c", "MULTIPOINT ((11 43))"),
        ] {
            let mut feat = Feature::new(layer.defn()).unwrap();
            feat.set_field_string(0, id).unwrap();
            feat.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
            feat.create(&layer).unwrap();
        }
        drop(ds);
        let seen = same_as_gdal(&p, None, true);
        assert!(seen[1].contains("expected a point geometry"), "{}", seen[1]);
    }

    #[test]
    fn malformed_files_never_panic() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ok.fgb");
        let rows: Vec<(&[&str], &str)> = (0..50)
            .map(|_| (&["x", "Via Roma"][..], "POINT (11.25 43.75)"))
            .collect();
        write_fgb(&p, Some(4326), true, &[("id", S), ("address", S)], &rows);
        let bytes = std::fs::read(&p).unwrap();
        let q = d.path().join("bad.fgb");
        let opts = ReadOptions {
            crs: None,
            on_error: OnError::Skip,
        };
        let mut state = 12345u64;
        for k in 0..300 {
            let mut b = bytes.clone();
            if k % 3 == 0 {
                b.truncate((k * 7919) % bytes.len());
            } else {
                for _ in 0..4 {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let at = (state >> 33) as usize % b.len();
                    b[at] = (state >> 17) as u8;
                }
            }
            std::fs::write(&q, &b).unwrap();
            let _ = read_fgb_units(&q, &opts);
        }
    }

    /// `cargo test --release -p bianca-engine fgb::tests::bench -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn bench() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.bench/data/medium/points.fgb");
        let opts = ReadOptions::default();
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let (u, _) = read_fgb_units(&p, &opts).unwrap();
            let fast = t.elapsed().as_secs_f64();
            println!(
                "fgb reader: {} units in {fast:.3} s ({:.1} M/s)",
                u.len(),
                u.len() as f64 / fast / 1e6
            );
        }
        let t = std::time::Instant::now();
        let (u, _) = ogr::read_ogr_units(&p, &opts).unwrap();
        println!(
            "gdal path: {} units in {:.3} s",
            u.len(),
            t.elapsed().as_secs_f64()
        );
    }
}
