//! A format-independent view of a table or vector layer, row by row: the readers of
//! footprints, declarations and areas (and the OGR registry reader) are written once
//! against it.

use std::path::Path;

use geo::Geometry;

use super::crs::Reprojector;
use super::{csv_table, geoparquet, ogr, InputFormat, ReadOptions};
use crate::error::{Error, Result};

/// The columns of an input, known before the first row.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Names as written in the file (trimmed).
    pub names: Vec<String>,
    /// Names trimmed and lowercased, for lookups.
    pub keys: Vec<String>,
    /// From the input's CRS (or [`ReadOptions::crs`]) to lon/lat.
    pub reprojector: Reprojector,
    /// Whether records carry a geometry.
    pub has_geometry: bool,
}

impl Columns {
    pub fn new(names: Vec<String>, reprojector: Reprojector, has_geometry: bool) -> Self {
        let names: Vec<String> = names.into_iter().map(|n| n.trim().to_string()).collect();
        let keys = names.iter().map(|n| n.to_lowercase()).collect();
        Self {
            names,
            keys,
            reprojector,
            has_geometry,
        }
    }

    /// Index of the column named `key` (lowercase).
    pub fn index(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k == key)
    }

    /// [`Error::MissingColumn`] for the first of `required` that is absent.
    pub fn require(&self, path: &Path, required: &[&str]) -> Result<()> {
        match required.iter().find(|c| self.index(c).is_none()) {
            Some(c) => Err(self.missing(path, c)),
            None => Ok(()),
        }
    }

    pub fn missing(&self, path: &Path, column: &str) -> Error {
        Error::MissingColumn {
            file: path.to_path_buf(),
            column: column.to_string(),
            present: self.names.join(", "),
        }
    }
}

/// One row or feature.
#[derive(Debug, Clone)]
pub struct Record {
    /// CSV: physical line number (header = 1); other formats: 1-based feature number.
    pub row: u64,
    /// One value per column of [`Columns`]; `None` for null.
    pub values: Vec<Option<String>>,
    /// The geometry in the input CRS, when the input has one: `None` for a feature without
    /// geometry, `Some(Err)` for one that cannot be decoded.
    pub geometry: Option<Result<Geometry<f64>, String>>,
    /// A problem with the row as a whole (wrong number of fields, invalid UTF-8).
    pub problem: Option<String>,
}

impl Record {
    /// The value of column `key` (lowercase), trimmed; `None` when absent, null or blank.
    pub fn get(&self, cols: &Columns, key: &str) -> Option<String> {
        let v = self.values.get(cols.index(key)?)?.as_deref()?.trim();
        (!v.is_empty()).then(|| v.to_string())
    }
}

/// Reads every record of `path` in order.
///
/// `on_open` sees the columns first (to check required ones); `on_record` is called for each
/// record and may stop reading by returning an error. With `want_geometry`, a CSV file
/// must have a `wkt` column (WKT text); other formats use their geometry.
pub fn visit(
    path: &Path,
    opts: &ReadOptions,
    want_geometry: bool,
    on_open: &mut dyn FnMut(&Columns) -> Result<()>,
    on_record: &mut dyn FnMut(&Columns, Record) -> Result<()>,
) -> Result<()> {
    match InputFormat::of(path) {
        InputFormat::Csv => csv_table::visit(path, opts, want_geometry, on_open, on_record),
        InputFormat::Parquet => geoparquet::visit(path, opts, want_geometry, on_open, on_record),
        InputFormat::Ogr => ogr::visit(path, opts, want_geometry, on_open, on_record),
    }
}

/// The reprojector of an input: [`ReadOptions::crs`] if given, else `own` (the file's CRS),
/// else lon/lat.
pub fn reprojector_for(
    opts: &ReadOptions,
    own: Option<Result<Reprojector>>,
) -> Result<Reprojector> {
    match (&opts.crs, own) {
        (Some(crs), _) => Reprojector::from_crs(crs),
        (None, Some(r)) => r,
        (None, None) => Ok(Reprojector::identity()),
    }
}
