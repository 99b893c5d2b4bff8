//! Outlines of labelled pixels as lon/lat polygons, through GDAL's polygonizer: shared by the
//! Italia 5G eligible areas ([`super::grid_5g::dissolve`]) and the value classes of coverage
//! rasters ([`super::value_areas`]).
//!
//! Pixels with the same label that share an edge (4-connectivity) form one polygon; label 0
//! is left out. Polygons follow pixel edges in the grid's CRS, and each vertex is then
//! reprojected to lon/lat (a pixel edge of a projected grid is not a straight line in
//! lon/lat, but at 100 m the difference is far below a pixel).

use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};
use gdal::DriverManager;
use geo::{Coord, LineString, Polygon};

use crate::error::{Error, Result};
use crate::io::read::Reprojector;

/// A grid of labels: `cols` x `rows` pixels, row-major, placed by a GDAL geotransform in
/// the CRS `crs` (`EPSG:N` or WKT).
pub struct Labels<'a> {
    pub labels: &'a [u32],
    pub cols: usize,
    pub rows: usize,
    pub geo_transform: [f64; 6],
    pub crs: &'a str,
}

/// One polygon per 4-connected group of equally labelled pixels (label > 0), with its
/// label, in lon/lat. `what` names the pixels in error messages ("the eligible pixels").
pub fn polygonize(g: &Labels, what: &str) -> Result<Vec<(u32, Polygon<f64>)>> {
    let gdal_err = |step: &str, e: gdal::errors::GdalError| {
        Error::Invalid(format!("polygonizing {what}: {step}: {e}"))
    };
    if g.labels.len() != g.cols * g.rows {
        return Err(Error::Invalid(format!(
            "polygonizing {what}: {} labels for {} x {} pixels",
            g.labels.len(),
            g.cols,
            g.rows
        )));
    }
    if g.labels.is_empty() || g.labels.iter().all(|&l| l == 0) {
        return Ok(Vec::new());
    }
    let srs = SpatialRef::from_definition(g.crs).map_err(|e| Error::Crs {
        crs: g.crs.into(),
        message: e.to_string(),
    })?;
    let mem = DriverManager::get_driver_by_name("MEM").map_err(|e| gdal_err("MEM driver", e))?;
    let mut ds = mem
        .create_with_band_type::<i32, _>("", g.cols, g.rows, 1)
        .map_err(|e| gdal_err("raster", e))?;
    ds.set_geo_transform(&g.geo_transform)
        .map_err(|e| gdal_err("geotransform", e))?;
    ds.set_spatial_ref(&srs).map_err(|e| gdal_err("CRS", e))?;
    let data: Vec<i32> = g.labels.iter().map(|&l| l as i32).collect();
    let mut buf = Buffer::new((g.cols, g.rows), data);
    let mut band = ds.rasterband(1).map_err(|e| gdal_err("band", e))?;
    band.write((0, 0), (g.cols, g.rows), &mut buf)
        .map_err(|e| gdal_err("writing labels", e))?;
    let vmem =
        DriverManager::get_driver_by_name("Memory").map_err(|e| gdal_err("Memory driver", e))?;
    let mut vds = vmem
        .create_vector_only("")
        .map_err(|e| gdal_err("vector dataset", e))?;
    let mut layer = vds
        .create_layer(LayerOptions {
            name: "labels",
            srs: Some(&srs),
            ty: OGRwkbGeometryType::wkbPolygon,
            options: None,
        })
        .map_err(|e| gdal_err("layer", e))?;
    FieldDefn::new("label", OGRFieldType::OFTInteger)
        .and_then(|f| f.add_to_layer(&layer))
        .map_err(|e| gdal_err("field", e))?;
    let band = ds.rasterband(1).map_err(|e| gdal_err("band", e))?;
    // SAFETY: both handles are alive for the call; the band is its own mask (0 = skip).
    let rc = unsafe {
        let h = band.c_rasterband();
        gdal_sys::GDALPolygonize(
            h,
            h,
            layer.c_layer(),
            0,
            std::ptr::null_mut(),
            None,
            std::ptr::null_mut(),
        )
    };
    if rc != gdal_sys::CPLErr::CE_None {
        return Err(Error::Invalid(format!(
            "polygonizing {what}: GDALPolygonize failed"
        )));
    }
    let to_lon_lat = Reprojector::from_spatial_ref(&srs, g.crs)?;
    let mut out = Vec::new();
    for f in layer.features() {
        let Some(Ok(label)) = f.field_as_integer(0).transpose() else {
            continue;
        };
        let Some(geom) = f.geometry() else { continue };
        let geo::Geometry::Polygon(p) = geom
            .to_geo()
            .map_err(|e| gdal_err("reading a polygon", e))?
        else {
            continue;
        };
        out.push((label as u32, reproject_polygon(&to_lon_lat, p)?));
    }
    Ok(out)
}

pub(crate) fn reproject_polygon(r: &Reprojector, p: Polygon<f64>) -> Result<Polygon<f64>> {
    if r.is_identity() {
        return Ok(p);
    }
    let ring = |ls: &LineString<f64>| -> Result<LineString<f64>> {
        let mut xs: Vec<f64> = ls.0.iter().map(|c| c.x).collect();
        let mut ys: Vec<f64> = ls.0.iter().map(|c| c.y).collect();
        r.transform(&mut xs, &mut ys)?;
        Ok(LineString::new(
            xs.into_iter()
                .zip(ys)
                .map(|(x, y)| Coord { x, y })
                .collect(),
        ))
    };
    let (ext, holes) = p.into_inner();
    Ok(Polygon::new(
        ring(&ext)?,
        holes.iter().map(ring).collect::<Result<_>>()?,
    ))
}
