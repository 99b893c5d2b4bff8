//! Writers of the synthetic data set: every file goes to a temporary name in the output
//! directory and is renamed into place once complete.

use std::io::{BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::io::write::AtomicFile;
use crate::model::{Coverage, Offer, Technology};
use crate::units::Units;
use tempfile::NamedTempFile;

/// Writes `v` with exactly 7 decimals (values are already rounded to 7 decimals).
pub fn push_fixed7(buf: &mut Vec<u8>, v: f64) {
    let n = (v * 1e7).round() as i64;
    if n < 0 {
        buf.push(b'-');
    }
    let a = n.unsigned_abs();
    let int = a / 10_000_000;
    let frac = a % 10_000_000;
    buf.extend_from_slice(int.to_string().as_bytes());
    buf.push(b'.');
    let mut digits = [b'0'; 7];
    let mut f = frac;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    buf.extend_from_slice(&digits);
}

/// A speed: integers without a decimal point, others in the shortest exact form.
fn num(v: f32) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        (v as i64).to_string()
    } else {
        v.to_string()
    }
}

fn csv_field(buf: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        buf.push(b'"');
        buf.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

/// Writes a file through `fill` into a temporary file ([`AtomicFile`]), then renames it to
/// `path`. Returns the size in bytes.
pub fn atomic_write(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<NamedTempFile>) -> std::io::Result<()>,
) -> Result<u64> {
    let mut file = AtomicFile::create(path)?;
    let w = file
        .writer()
        .ok_or_else(|| Error::Invalid("synth: no writer for a plain file".into()))?;
    fill(w).map_err(|e| Error::io(path, e))?;
    file.commit()?;
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len())
}

/// `units.csv`: `id,lon,lat,units,comune,address`.
pub fn units_csv(units: &Units, path: &Path) -> Result<u64> {
    const ROWS: usize = 1 << 16;
    const BATCH: usize = 64;
    let chunks = units.len().div_ceil(ROWS);
    atomic_write(path, |w| {
        w.write_all(b"id,lon,lat,units,comune,address\n")?;
        for batch in (0..chunks).collect::<Vec<_>>().chunks(BATCH) {
            let bufs: Vec<Vec<u8>> = batch
                .par_iter()
                .map(|&k| {
                    let mut b = Vec::with_capacity(ROWS * 64);
                    for i in k * ROWS..((k + 1) * ROWS).min(units.len()) {
                        csv_field(&mut b, units.ids.get(i));
                        b.push(b',');
                        push_fixed7(&mut b, units.lon[i]);
                        b.push(b',');
                        push_fixed7(&mut b, units.lat[i]);
                        b.push(b',');
                        b.extend_from_slice(units.units[i].to_string().as_bytes());
                        b.push(b',');
                        csv_field(&mut b, units.comune_code(i).unwrap_or(""));
                        b.push(b',');
                        if let Some(a) = &units.address {
                            csv_field(&mut b, a.get(i));
                        }
                        b.push(b'\n');
                    }
                    b
                })
                .collect();
            for b in bufs {
                w.write_all(&b)?;
            }
        }
        Ok(())
    })
}

/// The column values of an offer, as text (`None` = empty / null).
struct Row<'a> {
    operator: &'a str,
    infrastructure: &'a str,
    technology: Technology,
    down: String,
    up: String,
    peak_down: Option<String>,
    peak_up: Option<String>,
    status: &'static str,
    year: Option<String>,
    /// Only for FWA; other technologies leave it empty.
    licensed: Option<bool>,
}

fn row<'a>(cov: &'a Coverage, o: &Offer) -> Row<'a> {
    Row {
        operator: cov.offers.names.name(o.operator),
        infrastructure: cov.offers.names.name(o.infrastructure),
        technology: o.technology,
        down: num(o.down_mbps),
        up: num(o.up_mbps),
        peak_down: o.peak_down_mbps.map(num),
        peak_up: o.peak_up_mbps.map(num),
        status: o.status.as_str(),
        year: o.year.map(|y| y.to_string()),
        licensed: (o.technology == Technology::Fwa).then_some(o.licensed),
    }
}

/// `declarations.csv`, one row per declaration.
pub fn declarations_csv(cov: &Coverage, path: &Path) -> Result<u64> {
    atomic_write(path, |w| {
        w.write_all(b"unit_id,operator,infrastructure,technology,down_mbps,up_mbps,peak_down_mbps,peak_up_mbps,status,year,licensed\n")?;
        let mut b = Vec::new();
        for d in &cov.declarations {
            let r = row(cov, &cov.offers.offers[d.offer as usize]);
            b.clear();
            for (i, field) in [
                d.unit_id.as_str(),
                r.operator,
                r.infrastructure,
                r.technology.as_str(),
                &r.down,
                &r.up,
                r.peak_down.as_deref().unwrap_or(""),
                r.peak_up.as_deref().unwrap_or(""),
                r.status,
                r.year.as_deref().unwrap_or(""),
                match r.licensed {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                },
            ]
            .iter()
            .enumerate()
            {
                if i > 0 {
                    b.push(b',');
                }
                csv_field(&mut b, field);
            }
            b.push(b'\n');
            w.write_all(&b)?;
        }
        Ok(())
    })
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// `coverage.geojson` (RFC 7946: lon/lat, exterior rings counter-clockwise, 7 decimals).
pub fn coverage_geojson(cov: &Coverage, path: &Path) -> Result<u64> {
    atomic_write(path, |w| {
        w.write_all(b"{\"type\":\"FeatureCollection\",\"name\":\"coverage\",\"features\":[\n")?;
        let mut b = Vec::new();
        for (k, f) in cov.footprints.iter().enumerate() {
            let r = row(cov, &cov.offers.offers[f.offer as usize]);
            b.clear();
            if k > 0 {
                b.extend_from_slice(b",\n");
            }
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".to_string());
            let props = format!(
                "{{\"type\":\"Feature\",\"properties\":{{\"operator\":{},\"infrastructure\":{},\"technology\":\"{}\",\"down_mbps\":{},\"up_mbps\":{},\"peak_down_mbps\":{},\"peak_up_mbps\":{},\"status\":\"{}\",\"year\":{},\"licensed\":{}}},\"geometry\":{{\"type\":\"MultiPolygon\",\"coordinates\":[",
                json_str(r.operator),
                json_str(r.infrastructure),
                r.technology,
                r.down,
                r.up,
                opt(&r.peak_down),
                opt(&r.peak_up),
                r.status,
                opt(&r.year),
                r.licensed.map_or("null".to_string(), |l| l.to_string()),
            );
            b.extend_from_slice(props.as_bytes());
            for (pi, poly) in f.geometry.0.iter().enumerate() {
                if pi > 0 {
                    b.push(b',');
                }
                b.push(b'[');
                for (ri, ring) in std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .enumerate()
                {
                    if ri > 0 {
                        b.push(b',');
                    }
                    b.push(b'[');
                    for (ci, c) in ring.0.iter().enumerate() {
                        if ci > 0 {
                            b.push(b',');
                        }
                        b.push(b'[');
                        push_fixed7(&mut b, c.x);
                        b.push(b',');
                        push_fixed7(&mut b, c.y);
                        b.push(b']');
                    }
                    b.push(b']');
                }
                b.push(b']');
            }
            b.extend_from_slice(b"]}}");
            w.write_all(&b)?;
        }
        w.write_all(b"\n]}\n")?;
        Ok(())
    })
}

/// Adds an OFTInteger field of subtype OFSTBoolean (the gdal crate has no API for subtypes),
/// which FlatGeobuf stores as a Bool column.
fn add_boolean_field<L: gdal::vector::LayerAccess>(
    layer: &L,
    name: &str,
) -> gdal::errors::Result<()> {
    use gdal::errors::GdalError;
    use gdal_sys::{OGRErr, OGRFieldSubType, OGRFieldType};
    let c_name = std::ffi::CString::new(name)?;
    // SAFETY: the field definition is created, used and destroyed here; `c_layer` is a
    // valid handle for as long as `layer` is borrowed; OGR_L_CreateField copies the field.
    let rv = unsafe {
        let fld = gdal_sys::OGR_Fld_Create(c_name.as_ptr(), OGRFieldType::OFTInteger);
        if fld.is_null() {
            return Err(GdalError::NullPointer {
                method_name: "OGR_Fld_Create",
                msg: String::new(),
            });
        }
        gdal_sys::OGR_Fld_SetSubType(fld, OGRFieldSubType::OFSTBoolean);
        let rv = gdal_sys::OGR_L_CreateField(layer.c_layer(), fld, 1);
        gdal_sys::OGR_Fld_Destroy(fld);
        rv
    };
    if rv != OGRErr::OGRERR_NONE {
        return Err(GdalError::OgrError {
            err: rv,
            method_name: "OGR_L_CreateField",
        });
    }
    Ok(())
}

fn gdal_err(path: &Path, e: gdal::errors::GdalError) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        message: format!("GDAL: {e}"),
    }
}

/// `coverage.fgb` through GDAL's FlatGeobuf driver (EPSG:4326, with a spatial index, which
/// orders features along a Hilbert curve).
pub fn coverage_fgb(cov: &Coverage, path: &Path) -> Result<u64> {
    use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
    use gdal::vector::{
        Feature, FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
    };
    use gdal::DriverManager;

    let file = AtomicFile::for_external_writer(path)?;
    let tmp = file.path().to_path_buf();
    let result = (|| -> gdal::errors::Result<()> {
        let driver = DriverManager::get_driver_by_name("FlatGeobuf")?;
        let mut ds = driver.create_vector_only(&tmp)?;
        let mut srs = SpatialRef::from_epsg(4326)?;
        srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let layer = ds.create_layer(LayerOptions {
            name: "coverage",
            srs: Some(&srs),
            ty: OGRwkbGeometryType::wkbMultiPolygon,
            options: Some(&["SPATIAL_INDEX=YES"]),
        })?;
        let fields = [
            ("operator", OGRFieldType::OFTString),
            ("infrastructure", OGRFieldType::OFTString),
            ("technology", OGRFieldType::OFTString),
            ("down_mbps", OGRFieldType::OFTReal),
            ("up_mbps", OGRFieldType::OFTReal),
            ("peak_down_mbps", OGRFieldType::OFTReal),
            ("peak_up_mbps", OGRFieldType::OFTReal),
            ("status", OGRFieldType::OFTString),
            ("year", OGRFieldType::OFTInteger),
            ("licensed", OGRFieldType::OFTInteger),
        ];
        for (name, ty) in fields {
            if name == "licensed" {
                add_boolean_field(&layer, name)?;
            } else {
                FieldDefn::new(name, ty)?.add_to_layer(&layer)?;
            }
        }
        for f in &cov.footprints {
            let o = &cov.offers.offers[f.offer as usize];
            let r = row(cov, o);
            let mut feat = Feature::new(layer.defn())?;
            feat.set_field_string(0, r.operator)?;
            feat.set_field_string(1, r.infrastructure)?;
            feat.set_field_string(2, r.technology.as_str())?;
            feat.set_field_double(3, o.down_mbps as f64)?;
            feat.set_field_double(4, o.up_mbps as f64)?;
            match o.peak_down_mbps {
                Some(v) => feat.set_field_double(5, v as f64)?,
                None => feat.set_field_null(5)?,
            }
            match o.peak_up_mbps {
                Some(v) => feat.set_field_double(6, v as f64)?,
                None => feat.set_field_null(6)?,
            }
            feat.set_field_string(7, r.status)?;
            match o.year {
                Some(y) => feat.set_field_integer(8, y)?,
                None => feat.set_field_null(8)?,
            }
            match r.licensed {
                Some(l) => feat.set_field_integer(9, l as i32)?,
                None => feat.set_field_null(9)?,
            }
            feat.set_geometry(f.geometry.to_gdal()?)?;
            feat.create(&layer)?;
        }
        ds.close()
    })();
    result.map_err(|e| gdal_err(path, e))?;
    file.commit()?;
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len())
}
