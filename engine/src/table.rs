//! A minimal, format-independent view of a result table, so that one writer per file format
//! (CSV, GeoJSON, GeoParquet, GeoPackage, JSON) serves every output: per-unit results,
//! per-area statistics, rejects.

/// The type of a column. Writers map it to the format's type (e.g. Parquet Int64 / Float64 /
/// Utf8, OGR OFTInteger64 / OFTReal / OFTString).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Str,
    Int,
    Float,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// One cell. `Null` is written as an empty CSV field, JSON `null`, a Parquet null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
    Null,
}

/// A table of rows, optionally with a point geometry (lon/lat, EPSG:4326) per row.
///
/// Implementations must be cheap to query by (row, column) and usable from several threads.
pub trait Table: Sync {
    fn columns(&self) -> &[Column];
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value of column `col` in row `row`; its variant matches the column's type or is Null.
    fn value(&self, row: usize, col: usize) -> Value<'_>;
    /// The row's point (lon, lat), for tables with a geometry. `None` for attribute tables.
    fn point(&self, _row: usize) -> Option<(f64, f64)> {
        None
    }
    /// True when rows carry points; writers of spatial formats then write a Point geometry.
    fn has_geometry(&self) -> bool {
        false
    }
}

/// `name` as a plain column identifier: ASCII letters, digits and `_` (other characters
/// become `_`), e.g. `eu2013-nga` -> `eu2013_nga`.
pub fn identifier(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
