//! The areas a coverage raster band reaches, by class of its value: the polygons a map draws
//! for mobile coverage (the classification itself always samples the pixels, never these).
//!
//! A band's pixels fall in the display classes of its [`ValueKind`] ([`class_bounds`]):
//! speeds from 5, 30, 100 and 300 Mbit/s, signal levels from -110, -100, -90 and -80 dBm.
//! A pixel is in the highest class whose lower bound its value reaches (a value equal to a
//! bound belongs to the class above it); pixels below the lowest bound and nodata pixels
//! are in none. Neighbouring pixels of one class (sharing an edge) form one polygon, which
//! follows the pixel edges of the raster's grid and is reprojected to lon/lat.

use geo::Polygon;

use super::band::Band;
use super::polygonize::{polygonize, Labels};
use crate::error::Result;
use crate::model::ValueKind;

/// One polygon of pixels in one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueArea {
    /// Index into [`class_bounds`] of the band's kind.
    pub class: usize,
    /// The class's lowest value (Mbit/s or dBm).
    pub min: f32,
    /// The next class's lowest value; `None` for the top class.
    pub max: Option<f32>,
    pub polygon: Polygon<f64>,
}

/// The lower bounds of the display classes of a kind of value, ascending.
pub fn class_bounds(kind: ValueKind) -> &'static [f32] {
    match kind {
        ValueKind::DownMbps | ValueKind::PeakDownMbps => &[5.0, 30.0, 100.0, 300.0],
        ValueKind::RsrpDbm => &[-110.0, -100.0, -90.0, -80.0],
    }
}

/// The class of a value: 1 + the index of the highest bound it reaches, 0 for none (below
/// every bound, or NaN).
fn label(bounds: &[f32], v: f32) -> u32 {
    bounds.iter().take_while(|&&b| v >= b).count() as u32
}

/// The rank of the class holding `value` among the display classes of `kind`: 1 for the
/// lowest, 0 for none (below every bound, or NaN).
pub fn level(kind: ValueKind, value: f32) -> u32 {
    label(class_bounds(kind), value)
}

/// The polygons of every class of `band` (whose pixels measure `kind`), in lon/lat.
pub fn value_areas(band: &Band, kind: ValueKind) -> Result<Vec<ValueArea>> {
    let bounds = class_bounds(kind);
    let labels: Vec<u32> = band.values.iter().map(|&v| label(bounds, v)).collect();
    let polygons = polygonize(
        &Labels {
            labels: &labels,
            cols: band.width,
            rows: band.height,
            geo_transform: band.geo_transform,
            crs: &band.crs_key,
        },
        &format!("the value classes of {}", band.label),
    )?;
    Ok(polygons
        .into_iter()
        .filter(|(l, _)| *l > 0)
        .map(|(l, polygon)| {
            let class = l as usize - 1;
            ValueArea {
                class,
                min: bounds[class],
                max: bounds.get(class + 1).copied(),
                polygon,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read::Reprojector;
    use crate::mobile::NO_DATA;
    use geo::{Area, Contains, Point};

    fn band(values: Vec<f32>, width: usize, crs: &str, to: Reprojector) -> Band {
        let height = values.len() / width;
        Band {
            width,
            height,
            geo_transform: [600_000.0, 100.0, 0.0, 4_800_000.0, 0.0, -100.0],
            to_crs: to,
            crs_key: crs.into(),
            values,
            label: "test band 1".into(),
        }
    }

    #[test]
    fn values_on_a_bound_go_to_the_class_above() {
        let b = class_bounds(ValueKind::DownMbps);
        assert_eq!(label(b, 4.99), 0);
        assert_eq!(label(b, 5.0), 1);
        assert_eq!(label(b, 30.0), 2);
        assert_eq!(label(b, 299.9), 3);
        assert_eq!(label(b, 1000.0), 4);
        assert_eq!(label(b, f32::NAN), 0);
        let r = class_bounds(ValueKind::RsrpDbm);
        assert_eq!(label(r, -111.0), 0);
        assert_eq!(label(r, -80.0), 4);
    }

    #[test]
    fn pixels_of_a_class_become_one_polygon_per_connected_group() {
        // 4 x 3 pixels of 100 m in UTM 32N:
        //   50  50  2  200
        //   50  ND  2  200
        //   2   2   2  40
        let v = vec![
            50.0, 50.0, 2.0, 200.0, //
            50.0, NO_DATA, 2.0, 200.0, //
            2.0, 2.0, 2.0, 40.0,
        ];
        let srs = gdal::spatial_ref::SpatialRef::from_epsg(32632).unwrap();
        let to = Reprojector::from_lon_lat_to(&srs, "EPSG:32632").unwrap();
        let b = band(v, 4, "EPSG:32632", to.clone());
        let mut areas = value_areas(&b, ValueKind::DownMbps).unwrap();
        areas.sort_by_key(|a| a.class);
        let classes: Vec<usize> = areas.iter().map(|a| a.class).collect();
        // 30-100: the L of three pixels top left, and the single pixel bottom right
        // (diagonal to nothing of its class); 100-300: the two pixels top right
        assert_eq!(classes, vec![1, 1, 2]);
        assert_eq!((areas[2].min, areas[2].max), (100.0, Some(300.0)));
        // back in UTM, the areas are 3, 1 and 2 pixels of 1 ha
        let ha = |p: &Polygon<f64>| {
            let mut xs: Vec<f64> = p.exterior().0.iter().map(|c| c.x).collect();
            let mut ys: Vec<f64> = p.exterior().0.iter().map(|c| c.y).collect();
            to.transform(&mut xs, &mut ys).unwrap();
            let ring: Vec<(f64, f64)> = xs.into_iter().zip(ys).collect();
            (Polygon::new(ring.into(), vec![]).unsigned_area() / 10_000.0).round()
        };
        let mut sizes: Vec<f64> = areas.iter().map(|a| ha(&a.polygon)).collect();
        sizes.sort_by(f64::total_cmp);
        assert_eq!(sizes, vec![1.0, 2.0, 3.0]);
        // the centre of the top-right pixel is inside the 100-300 polygon, in lon/lat
        let (lon, lat) = from_utm(&srs, 600_350.0, 4_799_950.0);
        assert!(areas[2].polygon.contains(&Point::new(lon, lat)));
    }

    fn from_utm(srs: &gdal::spatial_ref::SpatialRef, x: f64, y: f64) -> (f64, f64) {
        let r = Reprojector::from_spatial_ref(srs, "EPSG:32632").unwrap();
        r.transform_point(x, y).unwrap().unwrap()
    }

    #[test]
    fn a_band_without_values_in_any_class_has_no_areas() {
        let b = band(
            vec![NO_DATA, 1.0, 2.0, 4.9],
            2,
            "EPSG:4326",
            Reprojector::identity(),
        );
        assert!(value_areas(&b, ValueKind::PeakDownMbps).unwrap().is_empty());
    }
}
