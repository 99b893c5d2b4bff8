//! Inputs read through GDAL/OGR (GeoJSON, GeoJSONSeq, FlatGeobuf, GeoPackage, Shapefile and
//! any other vector format GDAL opens). Only the first layer is read. The layer's CRS is
//! used unless [`ReadOptions::crs`] overrides it; a layer without a CRS is taken as lon/lat.
//! Features are numbered 1, 2, ... in reading order (not by FID).

use std::path::Path;

use gdal::spatial_ref::SpatialRef;
use gdal::vector::LayerAccess;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use rayon::prelude::*;

use super::address_cols::AddressCols;
use super::crs::Reprojector;
use super::csv_units::{parse_comune, parse_units};
use super::geometry::point_xy;
use super::records::{reprojector_for, Columns, Record};
use super::units_build::{finish_chunk, CoordFields, UnitChunk, UnitsBuilder};
use super::{wkb, ReadOptions};
use crate::error::{Error, Location, Reject, Result};
use crate::units::Units;

/// Rows per chunk when reprojecting and checking a registry in parallel.
const CHUNK_ROWS: usize = 1 << 16;

/// Opens a vector dataset read-only.
pub fn open(path: &Path) -> Result<Dataset> {
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        ..DatasetOptions::default()
    };
    if !path.exists() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    Dataset::open_ex(path, options).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        message: format!("GDAL cannot open it as a vector dataset ({e})"),
    })
}

/// A short name of a spatial reference for messages: `EPSG:32632`, or its name.
pub fn srs_label(srs: &SpatialRef) -> String {
    match (srs.auth_name(), srs.auth_code()) {
        (Some(a), Ok(c)) => format!("{a}:{c}"),
        _ => srs.name().unwrap_or_else(|| "the layer's CRS".to_string()),
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
    let ds = open(path)?;
    if ds.layer_count() == 0 {
        return Err(Error::Format {
            path: path.to_path_buf(),
            message: "the dataset has no vector layer".into(),
        });
    }
    let mut layer = ds.layer(0).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let own = layer
        .spatial_ref()
        .map(|srs| Reprojector::from_spatial_ref(&srs, &srs_label(&srs)));
    let cols = Columns::new(names, reprojector_for(opts, own)?, want_geometry);
    on_open(&cols)?;
    let n = cols.names.len();
    let mut any = false;
    for (k, feature) in layer.features().enumerate() {
        any = true;
        let values = (0..n)
            .map(|i| feature.field_as_string(i).ok().flatten())
            .collect();
        let geometry = want_geometry.then(|| match feature.geometry() {
            // gdal returns a null-pointer geometry for a feature without geometry.
            // SAFETY: the pointer is only compared with null, never dereferenced here;
            // `geometry()` has just set it, so `c_geometry` cannot panic.
            Some(g) if unsafe { g.c_geometry() }.is_null() => Err("missing geometry".to_string()),
            None => Err("missing geometry".to_string()),
            Some(g) if g.is_empty() => Err("empty geometry".to_string()),
            Some(g) => g
                .wkb()
                .map_err(|e| format!("cannot export the geometry ({e})"))
                .and_then(|b| wkb::decode(&b)),
        });
        on_record(
            &cols,
            Record {
                row: k as u64 + 1,
                values,
                geometry,
                problem: None,
            },
        )?;
    }
    if !any {
        return Err(Error::Empty(path.to_path_buf()));
    }
    Ok(())
}

/// Reads a registry from a point layer: `id` (required), optional `units`, `comune`,
/// `address` (or its parts: [`super::address_cols`]) attributes; coordinates from the point geometry (a one-point MultiPoint is
/// accepted). Features are read in order, then reprojected and checked in parallel chunks.
pub fn read_ogr_units(path: &Path, opts: &ReadOptions) -> Result<(Units, Vec<Reject>)> {
    read_units_from_records(path, opts, &mut |o, r| {
        super::records::visit(path, opts, true, o, r)
    })
}

type Visitor<'a> = dyn FnMut(
        &mut dyn FnMut(&Columns) -> Result<()>,
        &mut dyn FnMut(&Columns, Record) -> Result<()>,
    ) -> Result<()>
    + 'a;

/// Builds a registry from any record source with point geometries.
pub fn read_units_from_records(
    path: &Path,
    opts: &ReadOptions,
    visit: &mut Visitor<'_>,
) -> Result<(Units, Vec<Reject>)> {
    let mut chunks: Vec<UnitChunk> = Vec::new();
    let mut reprojector = Reprojector::identity();
    let mut has_address = false;
    let mut stop = false;
    visit(
        &mut |cols| {
            cols.require(path, &["id"])?;
            reprojector = cols.reprojector.clone();
            Ok(())
        },
        &mut |cols, rec| {
            if stop {
                return Ok(());
            }
            has_address = AddressCols::find(&|k| cols.index(k)).is_some();
            if chunks
                .last()
                .is_none_or(|c| c.len() + c.rejects.len() >= CHUNK_ROWS)
            {
                chunks.push(UnitChunk::new(has_address));
            }
            let Some(c) = chunks.last_mut() else {
                return Ok(());
            };
            let at = Location::file(path).row(rec.row);
            match unit_from_record(cols, &rec) {
                Ok((id, x, y, units, comune, address)) => {
                    c.push(rec.row, &id, x, y, units, comune, address.as_deref())
                }
                Err((field, msg)) => stop = c.bad(at.field(field), msg, opts.on_error),
            }
            Ok(())
        },
    )?;
    let names = CoordFields {
        x: "geometry".into(),
        y: "geometry".into(),
    };
    let results: Vec<Result<UnitChunk>> = chunks
        .into_par_iter()
        .map(|mut c| {
            finish_chunk(&mut c, &reprojector, &names, path, opts.on_error)?;
            Ok(c)
        })
        .collect();
    let mut builder = UnitsBuilder::new(has_address);
    for c in results {
        builder.append(c?);
    }
    builder.finish(path, opts.on_error)
}

type UnitRow = (String, f64, f64, u32, u32, Option<String>);

fn unit_from_record(cols: &Columns, rec: &Record) -> Result<UnitRow, (&'static str, String)> {
    if let Some(p) = &rec.problem {
        return Err(("id", p.clone()));
    }
    let id = rec
        .get(cols, "id")
        .ok_or(("id", "missing value".to_string()))?;
    let (x, y) = match &rec.geometry {
        Some(Ok(g)) => point_xy(g).map_err(|m| ("geometry", m))?,
        Some(Err(m)) => return Err(("geometry", m.clone())),
        None => return Err(("geometry", "missing geometry".into())),
    };
    if !x.is_finite() || !y.is_finite() {
        return Err(("geometry", "a coordinate is not a finite number".into()));
    }
    let units =
        parse_units(&rec.get(cols, "units").unwrap_or_default()).map_err(|m| ("units", m))?;
    let comune =
        parse_comune(&rec.get(cols, "comune").unwrap_or_default()).map_err(|m| ("comune", m))?;
    let address = AddressCols::find(&|k| cols.index(k)).map(|a| {
        a.compose(&|i| rec.values.get(i).and_then(|v| v.as_deref()).map(str::trim))
            .into_owned()
    });
    Ok((id, x, y, units, comune, address))
}
