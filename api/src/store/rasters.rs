//! Coverage rasters in the store. A coverage dataset imported from a raster keeps:
//!
//! - `raster_files`: one self-describing GeoTIFF (see
//!   [`bianca_engine::io::raster_bytes`]): classification decodes it again, so that a
//!   snapshot samples exactly the pixels a file run would;
//! - `raster_bands`: one row per band, the offer it stands for, for SQL and QGIS users and
//!   the catalogue;
//! - `raster_areas`: the polygons of each band's value classes
//!   ([`bianca_engine::mobile::value_areas`]), which the map draws; they never classify.
//!
//! Removing the dataset removes all three (foreign keys with `ON DELETE CASCADE`).

use super::bulk::{self, NewRasterArea};
use super::error::QueryContext;
use super::schema::{raster_areas, raster_bands, raster_files};
use super::{datasets::wide, StoreError};
use super::{geometry, with_conn, DatasetInfo, DatasetKind, Imported, NewDataset, Result, Store};
use bianca_engine::io::raster_bytes::{decode_geotiff, GeoTiffCopy};
use bianca_engine::io::read::raster::register;
use bianca_engine::mobile::value_areas::ValueArea;
use bianca_engine::model::Coverage;
use diesel::prelude::*;
use postgis_diesel::types::{MultiPolygon, Point};
use std::path::Path;

#[derive(Insertable)]
#[diesel(table_name = raster_files)]
struct NewRasterFile<'a> {
    dataset_id: i64,
    content: &'a [u8],
}

#[derive(Insertable)]
#[diesel(table_name = raster_bands)]
#[diesel(treat_none_as_default_value = false)]
struct NewRasterBand<'a> {
    dataset_id: i64,
    band: i32,
    operator: &'a str,
    infrastructure: &'a str,
    technology: &'a str,
    value_kind: &'a str,
    up_mbps: Option<f64>,
    status: &'a str,
    year: Option<i32>,
    width: i32,
    height: i32,
    crs: &'a str,
}

/// A `raster_areas` row: id, band, class_min, class_max, geom.
type AreaRow = (i64, i32, f64, Option<f64>, MultiPolygon<Point>);

/// One stored polygon of a band's value class, as the map needs it.
#[derive(Debug, Clone)]
pub struct StoredRasterArea {
    /// The dataset (its name is the offers' source name).
    pub dataset: String,
    /// 1-based.
    pub band: u32,
    pub class_min: f64,
    pub class_max: Option<f64>,
    pub geometry: geo::MultiPolygon<f64>,
}

impl Store {
    /// Stores a coverage raster as a new dataset: its GeoTIFF copy, one row per band and
    /// `areas[b]`, the value-class polygons of band `b + 1`. One transaction; skipped when
    /// a coverage dataset with the same checksum exists.
    pub fn import_raster(
        &mut self,
        new: &NewDataset,
        copy: &GeoTiffCopy,
        areas: &[Vec<ValueArea>],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Imported> {
        if areas.len() != copy.bands.len() {
            return Err(StoreError::Invalid(format!(
                "{}: {} bands but value areas for {}",
                new.source_file,
                copy.bands.len(),
                areas.len()
            )));
        }
        let too_big = |what: &str, n: usize| {
            StoreError::Invalid(format!(
                "{}: {n} {what} is more than the store holds (2^31 - 1)",
                new.source_file
            ))
        };
        let n_bands = copy.bands.len();
        self.import(new, DatasetKind::Coverage, n_bands, |conn, id| {
            with_conn!(conn, |c| diesel::insert_into(raster_files::table)
                .values(&NewRasterFile {
                    dataset_id: id,
                    content: &copy.bytes,
                })
                .execute(c))
            .doing(|| format!("storing the raster of {}", new.source_file))?;
            for (i, d) in copy.bands.iter().enumerate() {
                let a = &d.attrs;
                let row = NewRasterBand {
                    dataset_id: id,
                    band: i as i32 + 1,
                    operator: &a.operator,
                    infrastructure: &a.infrastructure,
                    technology: a.technology.as_str(),
                    value_kind: d.kind.as_str(),
                    up_mbps: d.up_mbps.map(wide),
                    status: a.status.as_str(),
                    year: a.year,
                    width: i32::try_from(d.band.width)
                        .map_err(|_| too_big("columns", d.band.width))?,
                    height: i32::try_from(d.band.height)
                        .map_err(|_| too_big("rows", d.band.height))?,
                    crs: &d.band.crs_key,
                };
                with_conn!(conn, |c| diesel::insert_into(raster_bands::table)
                    .values(&row)
                    .execute(c))
                .doing(|| format!("storing band {} of {}", i + 1, new.source_file))?;
            }
            let rows = areas.iter().enumerate().flat_map(|(b, list)| {
                list.iter().map(move |v| NewRasterArea {
                    dataset_id: id,
                    band: b as i32 + 1,
                    class_min: f64::from(v.min),
                    class_max: v.max.map(f64::from),
                    geom: geometry::multipolygon(&geo::MultiPolygon::new(vec![v.polygon.clone()])),
                })
            });
            bulk::insert_raster_areas(conn, rows, progress)
        })
    }

    /// Adds the bands of raster dataset `ds` to `cov` (one source named after the dataset,
    /// one offer per band), reading only the pixels around `window` (lon/lat west, south,
    /// east, north) when given. Returns false, adding nothing, when `ds` holds no raster.
    pub(crate) fn load_raster(
        &mut self,
        ds: &DatasetInfo,
        cov: &mut Coverage,
        window: Option<[f64; 4]>,
    ) -> Result<bool> {
        let content: Option<Vec<u8>> = with_conn!(&mut self.conn, |c| raster_files::table
            .filter(raster_files::dataset_id.eq(ds.id))
            .select(raster_files::content)
            .first(c)
            .optional())
        .doing(|| format!("reading the raster of {}", ds.name))?;
        let Some(bytes) = content else {
            return Ok(false);
        };
        let bands: i64 = with_conn!(&mut self.conn, |c| raster_bands::table
            .filter(raster_bands::dataset_id.eq(ds.id))
            .count()
            .get_result(c))
        .doing(|| format!("reading the bands of {}", ds.name))?;
        let decoded = decode_geotiff(&format!("{}.tif", ds.name), bytes, window).map_err(|e| {
            StoreError::Corrupt {
                table: "raster_files",
                row: ds.id,
                message: e.to_string(),
            }
        })?;
        if decoded.len() as i64 != bands {
            return Err(StoreError::Corrupt {
                table: "raster_bands",
                row: ds.id,
                message: format!(
                    "dataset {} has {bands} band rows but its raster {} bands",
                    ds.name,
                    decoded.len()
                ),
            });
        }
        cov.rasters
            .extend(register(Path::new(&ds.name), decoded, &mut cov.offers));
        Ok(true)
    }

    /// The value-class polygons of the raster datasets among `sets`, by dataset, band and
    /// class.
    pub fn load_raster_areas(&mut self, sets: &[DatasetInfo]) -> Result<Vec<StoredRasterArea>> {
        let mut out = Vec::new();
        for ds in sets.iter().filter(|d| d.kind == DatasetKind::Coverage) {
            let rows: Vec<AreaRow> = with_conn!(&mut self.conn, |c| raster_areas::table
                .filter(raster_areas::dataset_id.eq(ds.id))
                .order((
                    raster_areas::band,
                    raster_areas::class_min,
                    raster_areas::id
                ))
                .select((
                    raster_areas::id,
                    raster_areas::band,
                    raster_areas::class_min,
                    raster_areas::class_max,
                    raster_areas::geom,
                ))
                .load(c))
            .doing(|| format!("reading the raster areas of {}", ds.name))?;
            for (id, band, class_min, class_max, geom) in rows {
                let geometry = geometry::to_geo(&geom).ok_or_else(|| StoreError::Corrupt {
                    table: "raster_areas",
                    row: id,
                    message: "a polygon without an exterior ring".into(),
                })?;
                out.push(StoredRasterArea {
                    dataset: ds.name.clone(),
                    band: u32::try_from(band).unwrap_or(0),
                    class_min,
                    class_max,
                    geometry,
                });
            }
        }
        Ok(out)
    }
}
