//! An in-memory [`Table`] for the writers' tests.

use crate::table::{Column, ColumnType, Table, Value};

/// An owned cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    S(String),
    I(i64),
    F(f64),
    N,
}

impl From<Value<'_>> for Cell {
    fn from(v: Value<'_>) -> Self {
        match v {
            Value::Str(s) => Cell::S(s.to_string()),
            Value::Int(i) => Cell::I(i),
            Value::Float(f) => Cell::F(f),
            Value::Null => Cell::N,
        }
    }
}

/// Rows of owned cells; a cell's variant is not checked against its column type, so that
/// tests can build a table that breaks the [`Table`] contract.
pub(crate) struct VecTable {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// `Some` for a table with a geometry.
    pub points: Option<Vec<Option<(f64, f64)>>>,
}

impl VecTable {
    pub fn str(&self, row: usize, col: usize) -> &str {
        match &self.rows[row][col] {
            Cell::S(s) => s,
            _ => "",
        }
    }
}

impl Table for VecTable {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        match &self.rows[row][col] {
            Cell::S(s) => Value::Str(s),
            Cell::I(i) => Value::Int(*i),
            Cell::F(f) => Value::Float(*f),
            Cell::N => Value::Null,
        }
    }
    fn point(&self, row: usize) -> Option<(f64, f64)> {
        self.points.as_ref().and_then(|p| p[row])
    }
    fn has_geometry(&self) -> bool {
        self.points.is_some()
    }
}

/// The sample table: 3 rows with a string needing quotes (comma, quote, newline), an empty
/// string, nulls in an Int and a Float column, integral and fractional floats, and points equal
/// to the `lon`/`lat` columns.
pub(crate) fn sample() -> VecTable {
    use Cell::*;
    let s = |x: &str| S(x.to_string());
    let rows = vec![
        vec![s("a1"), s("plain"), I(3), F(30.0), F(11.25), F(43.5)],
        vec![
            s("a2"),
            s("Via Roma, 1 \"bis\"\n2nd floor"),
            N,
            F(0.1),
            F(10.123456789012345),
            F(44.0000001),
        ],
        vec![s("a3"), s(""), I(-7), N, F(12.0), F(42.0)],
    ];
    let points = rows
        .iter()
        .map(|r| match (&r[4], &r[5]) {
            (F(x), F(y)) => Some((*x, *y)),
            _ => None,
        })
        .collect();
    VecTable {
        columns: vec![
            Column::new("id", ColumnType::Str),
            Column::new("name", ColumnType::Str),
            Column::new("units", ColumnType::Int),
            Column::new("speed", ColumnType::Float),
            Column::new("lon", ColumnType::Float),
            Column::new("lat", ColumnType::Float),
        ],
        rows,
        points: Some(points),
    }
}

/// The sample without geometry (an attribute table).
pub(crate) fn sample_attributes() -> VecTable {
    VecTable {
        points: None,
        ..sample()
    }
}

/// A table that breaks the contract in its last row (a string in an Int column), after
/// `n - 1` valid rows: writers must fail and publish nothing.
pub(crate) fn broken(n: usize) -> VecTable {
    let mut rows: Vec<Vec<Cell>> = (0..n)
        .map(|i| vec![Cell::I(i as i64), Cell::F(i as f64)])
        .collect();
    if let Some(last) = rows.last_mut() {
        last[0] = Cell::S("oops".into());
    }
    VecTable {
        columns: vec![
            Column::new("n", ColumnType::Int),
            Column::new("x", ColumnType::Float),
        ],
        points: Some((0..n).map(|i| Some((i as f64 * 1e-3, 40.0))).collect()),
        rows,
    }
}
