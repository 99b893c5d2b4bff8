//! GeoPackage and FlatGeobuf writers, through GDAL/OGR.
//!
//! - One layer named after the target's file stem (`results.gpkg` -> layer `results`).
//! - Tables with a geometry: `Point` layer in EPSG:4326 (lon/lat order). In GeoPackage a row
//!   without a point, or with a NaN or infinite coordinate, gets a null geometry. FlatGeobuf
//!   (GDAL 3.6) silently drops features without a geometry, so such a table is rejected with
//!   [`Error::Format`] naming the first row without a point, before anything is written.
//! - Tables without a geometry: a GeoPackage attribute table (`wkbNone`, registered as
//!   `attributes` in `gpkg_contents`); FlatGeobuf has no attribute-only layers, so it is
//!   rejected with [`Error::Format`].
//! - Fields: `OFTString`, `OFTInteger64`, `OFTReal`; Null is a null field. NaN floats are
//!   stored as whatever the driver makes of them (SQLite turns NaN into NULL).
//! - GeoPackage inserts run in one transaction. Files get the drivers' default spatial
//!   index (GPKG R-tree, FlatGeobuf packed Hilbert R-tree). GeoPackage keeps the row order
//!   (feature ids 1..=n); FlatGeobuf stores features in the index's Hilbert order, not in
//!   row order.
//! - GDAL writes into a private temporary directory next to the target, so its side files
//!   (SQLite journal, FlatGeobuf index scratch file) never appear next to the output, and a
//!   failure leaves nothing behind. After closing, the file is reopened and its feature count
//!   checked against the table (GDAL 3.6 reports no errors on close).

use std::path::Path;

use gdal::errors::GdalError;
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{
    Feature, FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
};
use gdal::{Dataset, DriverManager};

use crate::error::{Error, Result};
use crate::table::{ColumnType, Table, Value};

use super::atomic::AtomicFile;
use super::rows::Cells;

/// An OGR driver this module writes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OgrDriver {
    GeoPackage,
    FlatGeobuf,
}

impl OgrDriver {
    /// GDAL's short name of the driver.
    pub fn gdal_name(self) -> &'static str {
        match self {
            OgrDriver::GeoPackage => "GPKG",
            OgrDriver::FlatGeobuf => "FlatGeobuf",
        }
    }
}

/// Writes `table` to `path` with GDAL's `driver`, atomically.
pub fn write_ogr(path: &Path, table: &dyn Table, driver: OgrDriver) -> Result<()> {
    let geometry = table.has_geometry();
    if driver == OgrDriver::FlatGeobuf && !geometry {
        return Err(Error::Format {
            path: path.to_path_buf(),
            message: "FlatGeobuf needs a geometry and this table has none; write it as \
                      .gpkg, .parquet, .csv or .json"
                .into(),
        });
    }
    if driver == OgrDriver::FlatGeobuf {
        if let Some(row) = first_row_without_point(table) {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: format!(
                    "row {}: FlatGeobuf cannot store a feature without a point (GDAL would drop \
                     it); write .gpkg, .parquet or .geojson instead",
                    row + 1
                ),
            });
        }
    }
    let err = |what: &str, e: GdalError| Error::Format {
        path: path.to_path_buf(),
        message: format!("{} {what}: {e}", driver.gdal_name()),
    };
    let layer_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();

    let file = AtomicFile::for_external_writer(path)?;
    let gdal_driver =
        DriverManager::get_driver_by_name(driver.gdal_name()).map_err(|e| err("driver", e))?;
    let mut ds = gdal_driver
        .create_vector_only(file.path())
        .map_err(|e| err("creating the file", e))?;

    let srs = if geometry {
        let mut srs = SpatialRef::from_epsg(4326).map_err(|e| err("EPSG:4326", e))?;
        srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        Some(srs)
    } else {
        None
    };
    {
        let layer = ds
            .create_layer(LayerOptions {
                name: &layer_name,
                srs: srs.as_ref(),
                ty: if geometry {
                    OGRwkbGeometryType::wkbPoint
                } else {
                    OGRwkbGeometryType::wkbNone
                },
                options: None,
            })
            .map_err(|e| err("creating the layer", e))?;
        add_fields(&layer, table.columns(), &err)?;
    }

    let cells = Cells::new(table, path);
    match driver {
        OgrDriver::GeoPackage => {
            // The GPKG driver creates the table lazily; create it now, outside the
            // transaction, so that a rollback leaves a consistent (if unused) file.
            ds.flush_cache().map_err(|e| err("creating the table", e))?;
            let txn = ds
                .start_transaction()
                .map_err(|e| err("starting a transaction", e))?;
            {
                let layer = txn.layer(0).map_err(|e| err("opening the layer", e))?;
                insert(&layer, &cells, table, path, driver)?;
            }
            txn.commit().map_err(|e| err("committing", e))?;
        }
        OgrDriver::FlatGeobuf => {
            let layer = ds.layer(0).map_err(|e| err("opening the layer", e))?;
            insert(&layer, &cells, table, path, driver)?;
        }
    }
    ds.close().map_err(|e| err("closing", e))?;

    let written = Dataset::open(file.path())
        .and_then(|ds| ds.layer(0).map(|l| l.feature_count()))
        .map_err(|e| err("reopening the written file", e))?;
    if written != table.len() as u64 {
        return Err(Error::Format {
            path: path.to_path_buf(),
            message: format!(
                "{} wrote {written} features instead of {}",
                driver.gdal_name(),
                table.len()
            ),
        });
    }
    file.commit()
}

/// The first row whose point is missing or not finite, if any.
fn first_row_without_point(table: &dyn Table) -> Option<usize> {
    use rayon::prelude::*;
    (0..table.len()).into_par_iter().position_first(
        |row| !matches!(table.point(row), Some((x, y)) if x.is_finite() && y.is_finite()),
    )
}

/// Inserts every row of `table` as a feature of `layer`.
/// Adds one field per column to a new layer: `OFTString`, `OFTInteger64` or `OFTReal`.
pub(super) fn add_fields(
    layer: &gdal::vector::Layer,
    columns: &[crate::table::Column],
    err: &dyn Fn(&str, GdalError) -> Error,
) -> Result<()> {
    for c in columns {
        let ty = match c.ty {
            ColumnType::Str => OGRFieldType::OFTString,
            ColumnType::Int => OGRFieldType::OFTInteger64,
            ColumnType::Float => OGRFieldType::OFTReal,
        };
        FieldDefn::new(&c.name, ty)
            .and_then(|f| f.add_to_layer(layer))
            .map_err(|e| err(&format!("creating field {:?}", c.name), e))?;
    }
    Ok(())
}

/// Sets field `col` of a feature to a cell's value (Null: a null field).
pub(super) fn set_field(f: &mut Feature, col: usize, v: Value) -> gdal::errors::Result<()> {
    match v {
        Value::Str(s) => f.set_field_string(col, s),
        Value::Int(i) => f.set_field_integer64(col, i),
        Value::Float(x) => f.set_field_double(col, x),
        Value::Null => f.set_field_null(col),
    }
}

fn insert<L: LayerAccess>(
    layer: &L,
    cells: &Cells<'_>,
    table: &dyn Table,
    path: &Path,
    driver: OgrDriver,
) -> Result<()> {
    let geometry = table.has_geometry();
    for row in 0..table.len() {
        let err = |what: &str, e: GdalError| Error::Format {
            path: path.to_path_buf(),
            message: format!("{} row {}: {what}: {e}", driver.gdal_name(), row + 1),
        };
        let mut f = Feature::new(layer.defn()).map_err(|e| err("new feature", e))?;
        for col in 0..cells.ncols() {
            set_field(&mut f, col, cells.get(row, col)?)
                .map_err(|e| err(&format!("column {:?}", table.columns()[col].name), e))?;
        }
        if geometry {
            if let Some((x, y)) = table
                .point(row)
                .filter(|(x, y)| x.is_finite() && y.is_finite())
            {
                let mut g = Geometry::empty(OGRwkbGeometryType::wkbPoint)
                    .map_err(|e| err("geometry", e))?;
                g.set_point_2d(0, (x, y));
                f.set_geometry(g).map_err(|e| err("geometry", e))?;
            }
        }
        f.create(layer).map_err(|e| err("inserting", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::write::test_table::{broken, sample, sample_attributes, Cell, VecTable};
    use gdal::vector::FieldValue;

    /// (fields by name, point) of every feature.
    type Feat = (Vec<(String, Option<FieldValue>)>, Option<(f64, f64)>);

    fn read(path: &Path) -> (String, Option<String>, Vec<Feat>) {
        let ds = Dataset::open(path).unwrap();
        let mut layer = ds.layer(0).unwrap();
        let name = layer.name();
        let srs = layer
            .spatial_ref()
            .map(|s| format!("{}:{}", s.auth_name().unwrap(), s.auth_code().unwrap()));
        let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
        // gdal 0.19's `Feature::field` checks OGR_F_IsFieldNull only, so an *unset* field
        // (how GDAL's FlatGeobuf reader presents a null) reads as 0 or "". OGR SQL treats
        // unset as NULL: find the null cells with an attribute filter per column.
        let mut nulls = std::collections::HashSet::new();
        for (i, n) in names.iter().enumerate() {
            layer
                .set_attribute_filter(&format!("\"{n}\" IS NULL"))
                .unwrap();
            nulls.extend(layer.features().map(|f| (f.fid().unwrap(), i)));
        }
        layer.clear_attribute_filter();
        let feats = layer
            .features()
            .map(|f| {
                let fid = f.fid().unwrap();
                let fields = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let v = if nulls.contains(&(fid, i)) {
                            None
                        } else {
                            f.field(i).unwrap()
                        };
                        (n.clone(), v)
                    })
                    .collect();
                // gdal 0.19 returns `Some` with a null handle for a null geometry.
                // SAFETY: only the pointer value is read.
                let p = f
                    .geometry()
                    .filter(|g| !unsafe { g.c_geometry() }.is_null())
                    .map(|g| {
                        let (x, y, _) = g.get_point(0);
                        (x, y)
                    });
                (fields, p)
            })
            .collect();
        (name, srs, feats)
    }

    fn expected(t: &VecTable, row: usize) -> Vec<(String, Option<FieldValue>)> {
        t.columns
            .iter()
            .zip(&t.rows[row])
            .map(|(c, v)| {
                let v = match v {
                    Cell::S(s) => Some(FieldValue::StringValue(s.clone())),
                    Cell::I(i) => Some(FieldValue::Integer64Value(*i)),
                    Cell::F(f) => Some(FieldValue::RealValue(*f)),
                    Cell::N => None,
                };
                (c.name.clone(), v)
            })
            .collect()
    }

    fn round_trip(driver: OgrDriver, ext: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("units.{ext}"));
        let mut t = sample();
        if driver == OgrDriver::GeoPackage {
            t.points.as_mut().unwrap()[2] = None;
        }
        write_ogr(&path, &t, driver).unwrap();
        let (name, srs, feats) = read(&path);
        assert_eq!(name, "units");
        assert_eq!(srs.as_deref(), Some("EPSG:4326"));
        assert_eq!(feats.len(), 3);
        for (fields, p) in &feats {
            // FlatGeobuf's spatial index stores features in Hilbert order: match by id.
            let row = (0..t.rows.len())
                .find(|&r| fields[0].1 == Some(FieldValue::StringValue(t.str(r, 0).into())))
                .unwrap();
            assert_eq!(fields, &expected(&t, row), "row {row}");
            assert_eq!(*p, t.point(row), "row {row}");
        }
        if driver == OgrDriver::GeoPackage {
            let ids: Vec<_> = feats.iter().map(|f| f.0[0].1.clone()).collect();
            let want: Vec<_> = (0..3)
                .map(|r| Some(FieldValue::StringValue(t.str(r, 0).into())))
                .collect();
            assert_eq!(ids, want, "GeoPackage keeps the row order");
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "side files left: {left:?}");
    }

    #[test]
    fn geopackage_round_trip() {
        round_trip(OgrDriver::GeoPackage, "gpkg");
    }

    #[test]
    fn flatgeobuf_round_trip() {
        round_trip(OgrDriver::FlatGeobuf, "fgb");
    }

    #[test]
    fn geopackage_attribute_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.gpkg");
        let t = sample_attributes();
        write_ogr(&path, &t, OgrDriver::GeoPackage).unwrap();
        let (name, srs, feats) = read(&path);
        assert_eq!(name, "stats");
        assert_eq!(srs, None);
        assert_eq!(feats.len(), 3);
        assert_eq!(feats[1].0, expected(&t, 1));
        assert_eq!(feats[1].1, None);
    }

    #[test]
    fn flatgeobuf_without_geometry_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.fgb");
        let err = write_ogr(&path, &sample_attributes(), OgrDriver::FlatGeobuf).unwrap_err();
        assert!(
            err.to_string().contains("FlatGeobuf needs a geometry"),
            "{err}"
        );
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn flatgeobuf_row_without_point_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("units.fgb");
        let mut t = sample();
        t.points.as_mut().unwrap()[1] = Some((f64::NAN, 1.0));
        let err = write_ogr(&path, &t, OgrDriver::FlatGeobuf).unwrap_err();
        assert!(
            err.to_string().contains("row 2: FlatGeobuf cannot store"),
            "{err}"
        );
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn failure_keeps_the_existing_file_and_leaves_no_temporary() {
        for (driver, ext) in [
            (OgrDriver::GeoPackage, "gpkg"),
            (OgrDriver::FlatGeobuf, "fgb"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("out.{ext}"));
            std::fs::write(&path, "previous").unwrap();
            let err = write_ogr(&path, &broken(1000), driver).unwrap_err();
            assert!(err.to_string().contains("row 1000, column \"n\""), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous");
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }
}
