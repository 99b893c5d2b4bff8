//! One raster band in memory, and which pixel holds a point.

use crate::io::read::Reprojector;

/// The value that marks a pixel without data in [`Band::values`].
pub const NO_DATA: f32 = f32::NAN;

/// One band of a raster, read whole into memory as `f32`.
///
/// Pixel `(col, row)` covers `[col, col + 1) x [row, row + 1)` in pixel/line coordinates
/// (GDAL's convention). Through the geotransform of a north-up raster this means: a point on
/// the edge between two pixels belongs to the pixel east of it (vertical edge) or south of it
/// (horizontal edge); a point on the raster's west or north boundary is inside, a point on its
/// east or south boundary is outside.
#[derive(Debug, Clone)]
pub struct Band {
    pub width: usize,
    pub height: usize,
    /// GDAL geotransform: `x = gt[0] + col * gt[1] + row * gt[2]`,
    /// `y = gt[3] + col * gt[4] + row * gt[5]`.
    pub geo_transform: [f64; 6],
    /// The CRS of the pixel grid, as given by the file (or the user). Maps lon/lat to it.
    pub to_crs: Reprojector,
    /// A key that is equal for bands in the same CRS (`EPSG:3035`, or the WKT).
    pub crs_key: String,
    /// Row-major pixel values; [`NO_DATA`] (NaN) where the band has no data.
    pub values: Vec<f32>,
    /// The file and band, for messages (`tuscany_4g.tif band 1`).
    pub label: String,
}

impl Band {
    /// The pixel `(col, row)` holding the point `(x, y)` in the band's CRS, or `None` when the
    /// point is outside the raster (or not finite).
    pub fn pixel(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (col, row) = Self::fractional_pixel(&self.geo_transform, x, y);
        let (col, row) = (col.floor(), row.floor());
        if !(col >= 0.0 && row >= 0.0 && col < self.width as f64 && row < self.height as f64) {
            return None;
        }
        Some((col as usize, row as usize))
    }

    /// Pixel/line coordinates of `(x, y)` through the inverse of geotransform `gt` (not
    /// floored: pixel `(c, r)` holds `[c, c + 1) x [r, r + 1)`).
    pub fn fractional_pixel(gt: &[f64; 6], x: f64, y: f64) -> (f64, f64) {
        let [x0, a, b, y0, d, e] = *gt;
        let (dx, dy) = (x - x0, y - y0);
        if b == 0.0 && d == 0.0 {
            // north-up: exact for points on pixel edges
            (dx / a, dy / e)
        } else {
            let det = a * e - b * d;
            ((e * dx - b * dy) / det, (a * dy - d * dx) / det)
        }
    }

    /// The value of the pixel holding `(x, y)` (band CRS), or `None` when the point is
    /// outside the raster or the pixel has no data.
    pub fn value_at(&self, x: f64, y: f64) -> Option<f32> {
        let (c, r) = self.pixel(x, y)?;
        let v = self.values[r * self.width + c];
        (!v.is_nan()).then_some(v)
    }

    /// The centre of pixel `(col, row)` in the band's CRS.
    pub fn centre(&self, col: usize, row: usize) -> (f64, f64) {
        let [x0, a, b, y0, d, e] = self.geo_transform;
        let (c, r) = (col as f64 + 0.5, row as f64 + 0.5);
        (x0 + c * a + r * b, y0 + c * d + r * e)
    }

    /// Memory held by the pixel values, in bytes.
    pub fn bytes(&self) -> usize {
        self.values.len() * std::mem::size_of::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(gt: [f64; 6]) -> Band {
        Band {
            width: 3,
            height: 2,
            geo_transform: gt,
            to_crs: Reprojector::identity(),
            crs_key: "EPSG:4326".into(),
            values: vec![1.0, 2.0, 3.0, 4.0, NO_DATA, 6.0],
            label: "test".into(),
        }
    }

    #[test]
    fn points_on_edges_belong_to_the_pixel_east_and_south() {
        // 100 m pixels, north-west corner at (1000, 5000)
        let b = band([1000.0, 100.0, 0.0, 5000.0, 0.0, -100.0]);
        assert_eq!(
            b.pixel(1000.0, 5000.0),
            Some((0, 0)),
            "north-west corner is inside"
        );
        assert_eq!(
            b.pixel(1100.0, 4950.0),
            Some((1, 0)),
            "vertical edge: pixel east"
        );
        assert_eq!(
            b.pixel(1050.0, 4900.0),
            Some((0, 1)),
            "horizontal edge: pixel south"
        );
        assert_eq!(b.pixel(1299.999, 4800.001), Some((2, 1)));
        assert_eq!(b.pixel(1300.0, 4850.0), None, "east boundary is outside");
        assert_eq!(b.pixel(1050.0, 4800.0), None, "south boundary is outside");
        assert_eq!(b.pixel(999.999, 4950.0), None);
        assert_eq!(b.pixel(f64::NAN, 4950.0), None);
        assert_eq!(b.value_at(1250.0, 4950.0), Some(3.0));
        assert_eq!(b.value_at(1150.0, 4850.0), None, "nodata");
        assert_eq!(b.centre(2, 1), (1250.0, 4850.0));
    }

    #[test]
    fn rotated_geotransform_is_inverted() {
        // 90 degrees: columns run south, rows run east
        let b = band([0.0, 0.0, 10.0, 0.0, -10.0, 0.0]);
        let (x, y) = b.centre(2, 1);
        assert_eq!(b.pixel(x, y), Some((2, 1)));
        assert_eq!(b.value_at(x, y), Some(6.0));
    }
}
