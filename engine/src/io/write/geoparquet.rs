//! GeoParquet 1.1 writer (plain Parquet for tables without geometry).
//!
//! - One nullable Arrow column per table column: `Utf8`, `Int64` or `Float64`.
//! - Tables with a geometry get one more column, `geometry`: `Binary`, little-endian WKB
//!   `Point` (21 bytes), null when the row has no point or a coordinate is NaN or infinite.
//!   A table that already has a column named `geometry` is rejected.
//! - File key-value metadata `geo`:
//!   `{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB",
//!   "geometry_types":["Point"],"bbox":[minx,miny,maxx,maxy]}}}`. `crs` is omitted, which
//!   GeoParquet defines as OGC:CRS84 (lon/lat WGS84, i.e. EPSG:4326 in lon/lat order);
//!   `bbox` is omitted when no row has a point.
//! - Row groups of [`ROW_GROUP_ROWS`] rows, zstd level 1; the columns of a row group are
//!   built from the table in parallel. The Arrow schema is embedded (`ARROW:schema`).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::table::{ColumnType, Table, Value};

use super::atomic::write_atomically;
use super::rows::Cells;

/// Rows per row group (and per Arrow record batch).
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// Name of the geometry column.
pub const GEOMETRY_COLUMN: &str = "geometry";

/// Writes `table` to `path` as GeoParquet 1.1 (plain Parquet when it has no geometry),
/// atomically.
pub fn write_geoparquet(path: &Path, table: &dyn Table) -> Result<()> {
    write_atomically(path, |out| {
        let mut w = ParquetAppender::new(&mut *out, path, table)?;
        w.append(table)?;
        w.finish()
    })
}

/// A GeoParquet file written table after table (same columns), for tables too large to hold
/// at once; [`ParquetAppender::finish`] writes the footer with the bbox of every table.
pub struct ParquetAppender<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: Arc<Schema>,
    geometry: bool,
    bbox: BBox,
    columns: Vec<crate::table::Column>,
    path: std::path::PathBuf,
}

impl<W: Write + Send> ParquetAppender<W> {
    /// Starts a file with `table`'s columns (no rows written yet).
    pub fn new(out: W, path: &Path, table: &dyn Table) -> Result<Self> {
        let geometry = table.has_geometry();
        if geometry && table.columns().iter().any(|c| c.name == GEOMETRY_COLUMN) {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: format!(
                    "the table has a column named {GEOMETRY_COLUMN:?}, which GeoParquet output \
                     reserves for the point geometry; rename it"
                ),
            });
        }
        let format_err = |e: parquet::errors::ParquetError| Error::Format {
            path: path.to_path_buf(),
            message: format!("writing Parquet: {e}"),
        };
        let mut fields: Vec<Field> = table
            .columns()
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    ColumnType::Str => DataType::Utf8,
                    ColumnType::Int => DataType::Int64,
                    ColumnType::Float => DataType::Float64,
                };
                Field::new(c.name.clone(), ty, true)
            })
            .collect();
        if geometry {
            fields.push(Field::new(GEOMETRY_COLUMN, DataType::Binary, true));
        }
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(1).map_err(format_err)?,
            ))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            // Min/max of WKB blobs are meaningless; the bbox is in the `geo` metadata.
            .set_column_statistics_enabled(
                ColumnPath::from(GEOMETRY_COLUMN),
                EnabledStatistics::None,
            )
            .set_column_dictionary_enabled(ColumnPath::from(GEOMETRY_COLUMN), false)
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(format_err)?;
        Ok(ParquetAppender {
            writer,
            schema,
            geometry,
            bbox: BBox::default(),
            columns: table.columns().to_vec(),
            path: path.to_path_buf(),
        })
    }

    /// Appends every row of `table`, which must have the columns of the first.
    pub fn append(&mut self, table: &dyn Table) -> Result<()> {
        let path = self.path.as_path();
        if table.columns() != self.columns.as_slice() || table.has_geometry() != self.geometry {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: "internal: appended a table with other columns".into(),
            });
        }
        let format_err = |e: parquet::errors::ParquetError| Error::Format {
            path: path.to_path_buf(),
            message: format!("writing Parquet: {e}"),
        };
        let arrow_err = |e: arrow_schema::ArrowError| Error::Format {
            path: path.to_path_buf(),
            message: format!("building Arrow data: {e}"),
        };
        let cells = Cells::new(table, path);
        let geometry = self.geometry;
        let mut start = 0;
        while start < table.len() {
            let end = (start + ROW_GROUP_ROWS).min(table.len());
            let ncols = cells.ncols() + usize::from(geometry);
            let built: Vec<(ArrayRef, BBox)> = (0..ncols)
                .into_par_iter()
                .map(|col| {
                    if col < cells.ncols() {
                        Ok((
                            build_column(&cells, table, col, start, end)?,
                            BBox::default(),
                        ))
                    } else {
                        Ok(build_geometry(table, start, end))
                    }
                })
                .collect::<Result<_>>()?;
            let mut arrays = Vec::with_capacity(ncols);
            for (a, b) in built {
                self.bbox.merge(&b);
                arrays.push(a);
            }
            let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(arrow_err)?;
            self.writer.write(&batch).map_err(format_err)?;
            start = end;
        }
        Ok(())
    }

    /// Writes the footer (with the `geo` metadata).
    pub fn finish(mut self) -> Result<()> {
        let path = self.path.clone();
        let format_err = |e: parquet::errors::ParquetError| Error::Format {
            path: path.clone(),
            message: format!("writing Parquet: {e}"),
        };
        if self.geometry {
            self.writer.append_key_value_metadata(KeyValue::new(
                "geo".to_string(),
                geo_metadata(&self.bbox),
            ));
        }
        // the footer, then every buffer down to the file
        let mut out = self.writer.into_inner().map_err(format_err)?;
        out.flush().map_err(|e| Error::io(&path, e))
    }
}

/// One table column, rows `start..end`, as an Arrow array.
fn build_column(
    cells: &Cells<'_>,
    table: &dyn Table,
    col: usize,
    start: usize,
    end: usize,
) -> Result<ArrayRef> {
    let n = end - start;
    Ok(match table.columns()[col].ty {
        ColumnType::Str => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for row in start..end {
                match cells.get(row, col)? {
                    Value::Str(s) => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::Int => {
            let mut b = Int64Builder::with_capacity(n);
            for row in start..end {
                match cells.get(row, col)? {
                    Value::Int(i) => b.append_value(i),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ColumnType::Float => {
            let mut b = Float64Builder::with_capacity(n);
            for row in start..end {
                match cells.get(row, col)? {
                    Value::Float(f) => b.append_value(f),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// The WKB points of rows `start..end` and their bounding box.
fn build_geometry(table: &dyn Table, start: usize, end: usize) -> (ArrayRef, BBox) {
    let n = end - start;
    let mut b = BinaryBuilder::with_capacity(n, n * 21);
    let mut bbox = BBox::default();
    for row in start..end {
        match table.point(row) {
            Some((x, y)) if x.is_finite() && y.is_finite() => {
                b.append_value(wkb_point(x, y));
                bbox.add(x, y);
            }
            _ => b.append_null(),
        }
    }
    (Arc::new(b.finish()), bbox)
}

/// Little-endian ISO WKB of a 2D point: byte order 1, type 1, x, y.
pub fn wkb_point(x: f64, y: f64) -> [u8; 21] {
    let mut w = [0u8; 21];
    w[0] = 1;
    w[1..5].copy_from_slice(&1u32.to_le_bytes());
    w[5..13].copy_from_slice(&x.to_le_bytes());
    w[13..21].copy_from_slice(&y.to_le_bytes());
    w
}

#[derive(Debug, Clone, Copy)]
struct BBox {
    min: (f64, f64),
    max: (f64, f64),
}

impl Default for BBox {
    fn default() -> Self {
        Self {
            min: (f64::INFINITY, f64::INFINITY),
            max: (f64::NEG_INFINITY, f64::NEG_INFINITY),
        }
    }
}

impl BBox {
    fn add(&mut self, x: f64, y: f64) {
        self.min = (self.min.0.min(x), self.min.1.min(y));
        self.max = (self.max.0.max(x), self.max.1.max(y));
    }
    fn merge(&mut self, o: &BBox) {
        self.min = (self.min.0.min(o.min.0), self.min.1.min(o.min.1));
        self.max = (self.max.0.max(o.max.0), self.max.1.max(o.max.1));
    }
    fn is_empty(&self) -> bool {
        self.min.0 > self.max.0
    }
}

/// The `geo` file metadata (GeoParquet 1.1.0).
fn geo_metadata(bbox: &BBox) -> String {
    let mut column = serde_json::json!({
        "encoding": "WKB",
        "geometry_types": ["Point"],
    });
    if !bbox.is_empty() {
        column["bbox"] = serde_json::json!([bbox.min.0, bbox.min.1, bbox.max.0, bbox.max.1]);
    }
    serde_json::json!({
        "version": "1.1.0",
        "primary_column": GEOMETRY_COLUMN,
        "columns": { GEOMETRY_COLUMN: column },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::write::test_table::{sample, sample_attributes, Cell};
    use arrow_array::{Array, BinaryArray, Float64Array, Int64Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn read(path: &Path) -> (Vec<RecordBatch>, Option<String>) {
        let f = std::fs::File::open(path).unwrap();
        let meta = SerializedFileReader::new(f.try_clone().unwrap()).unwrap();
        let geo = meta
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "geo").cloned())
            .and_then(|k| k.value);
        let batches = ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
        (batches, geo)
    }

    #[test]
    fn round_trip_with_geo_metadata_and_wkb() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let mut t = sample();
        t.points.as_mut().unwrap()[2] = None;
        write_geoparquet(&path, &t).unwrap();
        let (batches, geo) = read(&path);
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.num_rows(), 3);
        let names: Vec<&str> = b
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names,
            ["id", "name", "units", "speed", "lon", "lat", "geometry"]
        );

        let name = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(name.value(1), "Via Roma, 1 \"bis\"\n2nd floor");
        assert_eq!(name.value(2), "");
        assert!(!name.is_null(2));
        let units = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(
            (units.value(0), units.is_null(1), units.value(2)),
            (3, true, -7)
        );
        let speed = b.column(3).as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(
            (speed.value(0), speed.value(1), speed.is_null(2)),
            (30.0, 0.1, true)
        );
        for (row, cells) in t.rows.iter().enumerate() {
            let lon = b.column(4).as_any().downcast_ref::<Float64Array>().unwrap();
            assert_eq!(Cell::F(lon.value(row)), cells[4]);
        }

        let g = b.column(6).as_any().downcast_ref::<BinaryArray>().unwrap();
        let mut expect = vec![1u8, 1, 0, 0, 0];
        expect.extend_from_slice(&11.25f64.to_le_bytes());
        expect.extend_from_slice(&43.5f64.to_le_bytes());
        assert_eq!(g.value(0), &expect[..]);
        assert_eq!(g.value(1), &wkb_point(10.123456789012345, 44.0000001)[..]);
        assert!(g.is_null(2));

        let geo: serde_json::Value = serde_json::from_str(&geo.expect("geo metadata")).unwrap();
        assert_eq!(
            geo,
            serde_json::json!({"version":"1.1.0","primary_column":"geometry",
                "columns":{"geometry":{"encoding":"WKB","geometry_types":["Point"],
                "bbox":[10.123456789012345,43.5,11.25,44.0000001]}}})
        );
    }

    #[test]
    fn attribute_table_is_plain_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.parquet");
        write_geoparquet(&path, &sample_attributes()).unwrap();
        let (batches, geo) = read(&path);
        assert!(geo.is_none());
        assert_eq!(batches[0].num_columns(), 6);
        assert_eq!(batches[0].num_rows(), 3);
    }

    #[test]
    fn geometry_column_name_clash_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let mut t = sample();
        t.columns[1].name = "geometry".into();
        let err = write_geoparquet(&path, &t).unwrap_err();
        assert!(err.to_string().contains("named \"geometry\""), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn rows_span_several_row_groups() {
        struct Big;
        impl Table for Big {
            fn columns(&self) -> &[crate::table::Column] {
                static C: std::sync::OnceLock<Vec<crate::table::Column>> =
                    std::sync::OnceLock::new();
                C.get_or_init(|| vec![crate::table::Column::new("i", ColumnType::Int)])
            }
            fn len(&self) -> usize {
                ROW_GROUP_ROWS + 5
            }
            fn value(&self, row: usize, _col: usize) -> Value<'_> {
                Value::Int(row as i64)
            }
            fn point(&self, row: usize) -> Option<(f64, f64)> {
                Some((row as f64 * 1e-6, -(row as f64) * 1e-6))
            }
            fn has_geometry(&self) -> bool {
                true
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.parquet");
        write_geoparquet(&path, &Big).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        let r = SerializedFileReader::new(f).unwrap();
        assert_eq!(r.metadata().num_row_groups(), 2);
        assert_eq!(
            r.metadata().file_metadata().num_rows(),
            (ROW_GROUP_ROWS + 5) as i64
        );
        let (_, geo) = read(&path);
        let geo: serde_json::Value = serde_json::from_str(&geo.unwrap()).unwrap();
        let last = (ROW_GROUP_ROWS + 4) as f64 * 1e-6;
        assert_eq!(
            geo["columns"]["geometry"]["bbox"],
            serde_json::json!([0.0, -last, last, 0.0])
        );
    }
}
