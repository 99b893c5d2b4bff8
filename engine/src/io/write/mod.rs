//! Writing any [`Table`] to a file, atomically, in the format its extension names.
//!
//! | extension | format | geometry |
//! |---|---|---|
//! | `.csv` | CSV (RFC 4180) | `lon,lat` columns, added first if the table lacks them |
//! | `.geojson` | GeoJSON FeatureCollection (RFC 7946) | `Point`, or `null` |
//! | `.json` | JSON array of objects, one per row (attribute tables) | not written |
//! | `.parquet`, `.geoparquet` | GeoParquet 1.1 (plain Parquet without geometry) | WKB `Point` column `geometry` |
//! | `.gpkg` | GeoPackage (GDAL) | `Point` layer, EPSG:4326; attribute table without geometry |
//! | `.fgb` | FlatGeobuf (GDAL) | `Point` layer, EPSG:4326; a geometry is required |
//!
//! Extensions are matched case-insensitively. Every writer writes a temporary file in the
//! target's directory and renames it over the target only when everything succeeded (see
//! [`AtomicFile`]): a failed run never leaves a half-written file nor destroys an existing one.
//!
//! Before writing, column names are checked (no duplicates, no empty name), and every value
//! is checked against its column's type while writing: a [`Table`] that returns, say, a string
//! in an Int column fails with [`Error::Format`] naming the row and column, and nothing is
//! published.

mod atomic;
mod csv;
mod geojson;
mod geoparquet;
mod json;
mod ogr;
mod polygons;
mod raster;
mod rows;
#[cfg(test)]
mod test_table;

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

pub use self::atomic::AtomicFile;
pub use self::csv::{write_csv, write_csv_header, write_csv_rows, write_csv_to};
pub use self::geojson::{write_geojson, write_geojson_to};
pub use self::geoparquet::{
    wkb_point, write_geoparquet, ParquetAppender, GEOMETRY_COLUMN, ROW_GROUP_ROWS,
};
pub use self::json::{write_json, write_json_to};
pub use self::ogr::{write_ogr, OgrDriver};
pub use self::polygons::{write_polygons, PolygonRow};
pub use self::raster::{write_geotiff, RasterOut};

use crate::error::{Error, Result};
use crate::table::Table;

/// An output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    GeoJson,
    GeoParquet,
    GeoPackage,
    FlatGeobuf,
    /// A JSON array of objects, for attribute tables such as statistics.
    Json,
}

/// The extensions [`Format::from_path`] knows, for messages.
pub const SUPPORTED_EXTENSIONS: &str = ".csv, .geojson, .json, .parquet, .geoparquet, .gpkg, .fgb";

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::Csv,
        Format::GeoJson,
        Format::GeoParquet,
        Format::GeoPackage,
        Format::FlatGeobuf,
        Format::Json,
    ];

    /// The format named by `path`'s extension (case-insensitive): `.csv`, `.geojson`, `.json`,
    /// `.parquet` or `.geoparquet`, `.gpkg`, `.fgb`. Any other extension, or none, is an
    /// [`Error::Format`] naming the path and the supported extensions.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        Ok(match ext.as_deref() {
            Some("csv") => Format::Csv,
            Some("geojson") => Format::GeoJson,
            Some("json") => Format::Json,
            Some("parquet" | "geoparquet") => Format::GeoParquet,
            Some("gpkg") => Format::GeoPackage,
            Some("fgb") => Format::FlatGeobuf,
            other => {
                let what = match other {
                    Some(e) => format!("unknown output extension \".{e}\""),
                    None => "the output file has no extension".to_string(),
                };
                return Err(Error::Format {
                    path: path.to_path_buf(),
                    message: format!("{what}: supported extensions are {SUPPORTED_EXTENSIONS}"),
                });
            }
        })
    }

    /// The usual extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
            Format::GeoParquet => "parquet",
            Format::GeoPackage => "gpkg",
            Format::FlatGeobuf => "fgb",
            Format::Json => "json",
        }
    }

    /// True for formats that store the point geometry (all but CSV, which writes `lon,lat`
    /// columns, and JSON, which drops it).
    pub fn is_spatial(self) -> bool {
        !matches!(self, Format::Csv | Format::Json)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "CSV",
            Format::GeoJson => "GeoJSON",
            Format::GeoParquet => "GeoParquet",
            Format::GeoPackage => "GeoPackage",
            Format::FlatGeobuf => "FlatGeobuf",
            Format::Json => "JSON",
        })
    }
}

/// Writes `table` to `path` in the format named by its extension (see [`Format::from_path`]),
/// atomically.
pub fn write_table(path: &Path, table: &dyn Table) -> Result<()> {
    write_table_as(path, table, Format::from_path(path)?)
}

/// Writes `table` to `path` in `format`, whatever the extension, atomically: on error the
/// previous file at `path`, if any, is untouched and no temporary file is left.
///
/// Errors: [`Error::Io`] naming `path` (missing or read-only directory, disk full...);
/// [`Error::Format`] naming `path` for a bad table (duplicate or empty column names, a value
/// that does not match its column's type, a `geometry` column in GeoParquet, no geometry in
/// FlatGeobuf) or a failure of the Parquet or GDAL libraries.
pub fn write_table_as(path: &Path, table: &dyn Table, format: Format) -> Result<()> {
    check_columns(path, table)?;
    let _span =
        tracing::debug_span!("write_table", path = %path.display(), %format, rows = table.len())
            .entered();
    match format {
        Format::Csv => write_csv(path, table),
        Format::GeoJson => write_geojson(path, table),
        Format::Json => write_json(path, table),
        Format::GeoParquet => write_geoparquet(path, table),
        Format::GeoPackage => write_ogr(path, table, OgrDriver::GeoPackage),
        Format::FlatGeobuf => write_ogr(path, table, OgrDriver::FlatGeobuf),
    }
}

/// One file written from several tables with the same columns, one after the other, for
/// results too large to hold at once (`bianca classify --chunk-units`): CSV and GeoParquet
/// only ([`TableAppender::supports`]). It writes `path` directly: the caller stages it (see
/// [`AtomicFile`] or a temporary directory) and renames it when the run succeeded.
pub struct TableAppender {
    path: std::path::PathBuf,
    kind: AppenderKind,
}

enum AppenderKind {
    Csv {
        out: std::io::BufWriter<std::fs::File>,
        columns: Option<Vec<crate::table::Column>>,
    },
    Parquet {
        out: Option<std::fs::File>,
        writer: Option<Box<ParquetAppender<std::io::BufWriter<std::fs::File>>>>,
    },
}

impl TableAppender {
    /// Whether tables can be appended to a file of `format`.
    pub fn supports(format: Format) -> bool {
        matches!(format, Format::Csv | Format::GeoParquet)
    }

    /// Creates `path` (truncating it) for `format`; [`Error::Format`] for a format that
    /// cannot be appended to.
    pub fn create(path: &Path, format: Format) -> Result<Self> {
        if !Self::supports(format) {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: format!(
                    "{format} output cannot be written in pieces: use .csv or .parquet"
                ),
            });
        }
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let kind = match format {
            Format::Csv => AppenderKind::Csv {
                out: std::io::BufWriter::with_capacity(1 << 20, file),
                columns: None,
            },
            _ => AppenderKind::Parquet {
                out: Some(file),
                writer: None,
            },
        };
        Ok(TableAppender {
            path: path.to_path_buf(),
            kind,
        })
    }

    /// Appends every row of `table`; every table must have the columns of the first.
    pub fn append(&mut self, table: &dyn Table) -> Result<()> {
        let path = self.path.as_path();
        match &mut self.kind {
            AppenderKind::Csv { out, columns } => {
                match columns {
                    None => {
                        write_csv_header(out, path, table)?;
                        *columns = Some(table.columns().to_vec());
                    }
                    Some(c) if c.as_slice() == table.columns() => {}
                    Some(_) => {
                        return Err(Error::Format {
                            path: path.to_path_buf(),
                            message: "internal: appended a table with other columns".into(),
                        })
                    }
                }
                write_csv_rows(out, path, table)
            }
            AppenderKind::Parquet { out, writer } => {
                if writer.is_none() {
                    check_columns(path, table)?;
                    let file = out.take().ok_or_else(|| Error::Format {
                        path: path.to_path_buf(),
                        message: "internal: no file".into(),
                    })?;
                    *writer = Some(Box::new(ParquetAppender::new(
                        std::io::BufWriter::with_capacity(1 << 20, file),
                        path,
                        table,
                    )?));
                }
                match writer.as_mut() {
                    Some(w) => w.append(table),
                    None => Ok(()),
                }
            }
        }
    }

    /// Flushes and closes the file; an error if no table was appended.
    pub fn finish(self) -> Result<()> {
        let path = self.path;
        match self.kind {
            AppenderKind::Csv { mut out, columns } => {
                if columns.is_none() {
                    return Err(Error::Format {
                        path,
                        message: "internal: nothing was written".into(),
                    });
                }
                use std::io::Write;
                out.flush().map_err(|e| Error::io(&path, e))
            }
            AppenderKind::Parquet { writer, .. } => match writer {
                Some(w) => w.finish(),
                None => Err(Error::Format {
                    path,
                    message: "internal: nothing was written".into(),
                }),
            },
        }
    }
}

/// Column names must be non-empty and unique (every format but CSV needs that).
fn check_columns(path: &Path, table: &dyn Table) -> Result<()> {
    let mut seen = HashSet::new();
    for c in table.columns() {
        if c.name.is_empty() {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: "the table has a column with an empty name".into(),
            });
        }
        if !seen.insert(c.name.as_str()) {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: format!("the table has two columns named {:?}", c.name),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::test_table::{broken, sample};
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    #[test]
    fn format_from_extension() {
        let f = |p: &str| Format::from_path(Path::new(p)).unwrap();
        assert_eq!(f("a/b.csv"), Format::Csv);
        assert_eq!(f("b.CSV"), Format::Csv);
        assert_eq!(f("b.geojson"), Format::GeoJson);
        assert_eq!(f("b.json"), Format::Json);
        assert_eq!(f("b.parquet"), Format::GeoParquet);
        assert_eq!(f("b.geoparquet"), Format::GeoParquet);
        assert_eq!(f("b.gpkg"), Format::GeoPackage);
        assert_eq!(f("b.fgb"), Format::FlatGeobuf);
        for fmt in Format::ALL {
            assert_eq!(f(&format!("x.{}", fmt.extension())), fmt);
        }
    }

    #[test]
    fn unknown_extension_names_the_path_and_the_supported_ones() {
        let err = Format::from_path(Path::new("out/results.xlsx")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "out/results.xlsx: unknown output extension \".xlsx\": supported extensions are \
             .csv, .geojson, .json, .parquet, .geoparquet, .gpkg, .fgb"
        );
        let err = write_table(Path::new("results"), &sample()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("results: the output file has no extension: supported"),
            "{err}"
        );
    }

    fn all_paths(dir: &Path) -> Vec<PathBuf> {
        Format::ALL
            .iter()
            .map(|f| dir.join(format!("out.{}", f.extension())))
            .collect()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn every_format_writes_the_sample() {
        let dir = tempfile::tempdir().unwrap();
        for path in all_paths(dir.path()) {
            write_table(&path, &sample()).unwrap();
            assert!(fs::metadata(&path).unwrap().len() > 0, "{}", path.display());
        }
        assert_eq!(entries(dir.path()).len(), 6);
    }

    #[test]
    fn a_bad_value_fails_every_format_and_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // Big enough that the text writers have written earlier chunks before the error.
        let t = broken(200_000);
        for path in all_paths(dir.path()) {
            let err = write_table(&path, &t).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains("row 200000, column \"n\"") && msg.contains("a string"),
                "{}: {msg}",
                path.display()
            );
        }
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }

    #[test]
    fn a_failed_write_keeps_the_existing_output() {
        let dir = tempfile::tempdir().unwrap();
        let t = broken(10);
        for path in all_paths(dir.path()) {
            fs::write(&path, "previous").unwrap();
            assert!(write_table(&path, &t).is_err());
            assert_eq!(fs::read_to_string(&path).unwrap(), "previous");
        }
        assert_eq!(entries(dir.path()).len(), 6);
    }

    #[test]
    fn a_panicking_table_leaves_nothing() {
        struct Panics;
        impl Table for Panics {
            fn columns(&self) -> &[crate::table::Column] {
                static C: std::sync::OnceLock<Vec<crate::table::Column>> =
                    std::sync::OnceLock::new();
                C.get_or_init(|| {
                    vec![crate::table::Column::new(
                        "n",
                        crate::table::ColumnType::Int,
                    )]
                })
            }
            fn len(&self) -> usize {
                100_000
            }
            fn value(&self, row: usize, _: usize) -> crate::table::Value<'_> {
                assert!(row < 99_999, "table bug");
                crate::table::Value::Int(row as i64)
            }
            fn point(&self, _: usize) -> Option<(f64, f64)> {
                Some((0.0, 0.0))
            }
            fn has_geometry(&self) -> bool {
                true
            }
        }
        let dir = tempfile::tempdir().unwrap();
        for path in all_paths(dir.path()) {
            let r = std::panic::catch_unwind(|| write_table(&path, &Panics));
            assert!(r.is_err(), "{}", path.display());
        }
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        for path in all_paths(&dir.path().join("missing")) {
            let err = write_table(&path, &sample()).unwrap_err();
            assert!(matches!(err, Error::Io { .. }), "{err:?}");
            assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn duplicate_column_names_are_rejected() {
        let mut t = sample();
        t.columns[1].name = "id".into();
        let err = write_table(Path::new("x.csv"), &t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv: the table has two columns named \"id\""
        );
    }

    /// Writes 2M rows x 12 columns to every format and prints the times:
    /// `cargo test -p bianca-engine --release io::write::tests::speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn speed() {
        use crate::table::{Column, ColumnType, Value};
        struct Wide {
            columns: Vec<Column>,
            ids: Vec<String>,
            n: usize,
        }
        impl Table for Wide {
            fn columns(&self) -> &[Column] {
                &self.columns
            }
            fn len(&self) -> usize {
                self.n
            }
            fn value(&self, row: usize, col: usize) -> Value<'_> {
                let r = row as f64;
                match col {
                    0 => Value::Str(&self.ids[row]),
                    1 => Value::Float(10.0 + (r * 0.618_033_988_7).fract() * 2.5),
                    2 => Value::Float(42.5 + (r * 0.414_213_562_3).fract() * 1.8),
                    3 => Value::Str(["white", "grey", "black"][row % 3]),
                    4 => Value::Int((row % 7) as i64),
                    5 => Value::Float([30.0, 100.0, 1000.0, 7.5][row % 4]),
                    6 => Value::Float(r * 0.013),
                    7 => Value::Str(["048017", "048001", "050026", "049014"][row % 4]),
                    8 => Value::Int(1 + (row % 12) as i64),
                    9 if row % 10 == 3 => Value::Null,
                    9 => Value::Int(2026),
                    10 => Value::Str(["FTTH", "FWA", "FTTC"][row % 3]),
                    _ => Value::Float((r * 1.1).sqrt()),
                }
            }
            fn point(&self, row: usize) -> Option<(f64, f64)> {
                match (self.value(row, 1), self.value(row, 2)) {
                    (Value::Float(x), Value::Float(y)) => Some((x, y)),
                    _ => None,
                }
            }
            fn has_geometry(&self) -> bool {
                true
            }
        }
        let n = 2_000_000;
        let names = [
            ("id", ColumnType::Str),
            ("lon", ColumnType::Float),
            ("lat", ColumnType::Float),
            ("class", ColumnType::Str),
            ("operators", ColumnType::Int),
            ("down_mbps", ColumnType::Float),
            ("up_mbps", ColumnType::Float),
            ("pro_com_t", ColumnType::Str),
            ("units", ColumnType::Int),
            ("planned_year", ColumnType::Int),
            ("technology", ColumnType::Str),
            ("score", ColumnType::Float),
        ];
        let t = Wide {
            columns: names.iter().map(|(n, t)| Column::new(*n, *t)).collect(),
            ids: (0..n).map(|i| format!("IT{i:010}")).collect(),
            n,
        };
        let dir = tempfile::tempdir_in(".").unwrap();
        let formats =
            std::env::var("BIANCA_SPEED_FORMATS").unwrap_or_else(|_| "csv,parquet,geojson".into());
        let t0 = std::time::Instant::now();
        write_csv_to(&mut std::io::sink(), Path::new("sink.csv"), &t).unwrap();
        println!(
            "csv formatting only (no I/O): {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        for ext in formats.split(',') {
            let path = dir.path().join(format!("speed.{ext}"));
            let t0 = std::time::Instant::now();
            write_table(&path, &t).unwrap();
            let secs = t0.elapsed().as_secs_f64();
            let mb = fs::metadata(&path).unwrap().len() as f64 / 1e6;
            println!(
                "{ext:>8}: {n} rows x 12 columns in {secs:.2} s ({:.2} M rows/s, {mb:.0} MB)",
                n as f64 / secs / 1e6
            );
        }
    }
}
