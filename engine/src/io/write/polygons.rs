//! Writing polygon layers (the dissolved Italia 5G eligible areas) through GDAL/OGR:
//! `.geojson` (RFC 7946), `.gpkg`, `.fgb`; lon/lat (EPSG:4326), atomically.

use std::path::Path;

use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{Feature, LayerAccess, LayerOptions, OGRwkbGeometryType, ToGdal};
use gdal::DriverManager;
use geo::MultiPolygon;

use super::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::table::{Column, Value};

/// One feature: a lon/lat multipolygon and one value per column.
#[derive(Debug, Clone)]
pub struct PolygonRow<'a> {
    pub geometry: &'a MultiPolygon<f64>,
    pub values: Vec<Value<'a>>,
}

/// Writes `rows` as a MultiPolygon layer named after the file stem. The format comes from the
/// extension: `.geojson`, `.gpkg` or `.fgb`; anything else is an [`Error::Format`].
pub fn write_polygons(path: &Path, columns: &[Column], rows: &[PolygonRow<'_>]) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (driver_name, options): (&str, &[&str]) = match ext.as_str() {
        "geojson" => ("GeoJSON", &["RFC7946=YES"]),
        "gpkg" => ("GPKG", &[]),
        "fgb" => ("FlatGeobuf", &[]),
        _ => {
            return Err(Error::Format {
                path: path.to_path_buf(),
                message: "polygons are written as .geojson, .gpkg or .fgb".into(),
            })
        }
    };
    let err = |what: &str, e: gdal::errors::GdalError| Error::Format {
        path: path.to_path_buf(),
        message: format!("{driver_name} {what}: {e}"),
    };
    let file = AtomicFile::for_external_writer(path)?;
    let driver = DriverManager::get_driver_by_name(driver_name).map_err(|e| err("driver", e))?;
    {
        let mut ds = driver
            .create_vector_only(file.path())
            .map_err(|e| err("creating the file", e))?;
        let mut srs = SpatialRef::from_epsg(4326).map_err(|e| err("EPSG:4326", e))?;
        srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let layer = ds
            .create_layer(LayerOptions {
                name: &name,
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbMultiPolygon,
                options: Some(options),
            })
            .map_err(|e| err("creating the layer", e))?;
        super::ogr::add_fields(&layer, columns, &err)?;
        for (i, row) in rows.iter().enumerate() {
            let at = |what: &str| format!("feature {}: {what}", i + 1);
            let mut f = Feature::new(layer.defn()).map_err(|e| err(&at("new feature"), e))?;
            for (col, v) in row.values.iter().enumerate() {
                super::ogr::set_field(&mut f, col, *v)
                    .map_err(|e| err(&at(&columns[col].name), e))?;
            }
            let g = row
                .geometry
                .to_gdal()
                .map_err(|e| err(&at("geometry"), e))?;
            f.set_geometry(g).map_err(|e| err(&at("geometry"), e))?;
            f.create(&layer).map_err(|e| err(&at("inserting"), e))?;
        }
    }
    file.commit()
}
