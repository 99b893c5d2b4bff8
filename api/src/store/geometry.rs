//! geo <-> postgis_diesel geometries. Everything stored is lon/lat, EPSG:4326.

use geo::{Coord, LineString};
use postgis_diesel::types::{MultiPolygon, Point, Polygon};

pub(crate) const SRID: u32 = 4326;

pub(crate) fn point(lon: f64, lat: f64) -> Point {
    Point {
        x: lon,
        y: lat,
        srid: Some(SRID),
    }
}

fn ring(ls: &LineString<f64>) -> Vec<Point> {
    ls.0.iter().map(|c| point(c.x, c.y)).collect()
}

pub(crate) fn multipolygon(mp: &geo::MultiPolygon<f64>) -> MultiPolygon<Point> {
    MultiPolygon {
        polygons: mp
            .0
            .iter()
            .map(|p| Polygon {
                rings: std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring)
                    .collect(),
                srid: Some(SRID),
            })
            .collect(),
        srid: Some(SRID),
    }
}

fn line(points: &[Point]) -> LineString<f64> {
    LineString(points.iter().map(|p| Coord { x: p.x, y: p.y }).collect())
}

/// The stored multipolygon as geo's; `None` when a polygon has no exterior ring.
pub(crate) fn to_geo(mp: &MultiPolygon<Point>) -> Option<geo::MultiPolygon<f64>> {
    let mut polys = Vec::with_capacity(mp.polygons.len());
    for p in &mp.polygons {
        let (ext, holes) = p.rings.split_first()?;
        polys.push(geo::Polygon::new(
            line(ext),
            holes.iter().map(|h| line(h)).collect(),
        ));
    }
    Some(geo::MultiPolygon(polys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn multipolygons_round_trip_with_holes() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            interiors: [[(x: 2., y: 2.), (x: 3., y: 2.), (x: 3., y: 3.)]],
        );
        let q = polygon![(x: 20., y: 20.), (x: 21., y: 20.), (x: 21., y: 21.)];
        let mp = geo::MultiPolygon(vec![p, q]);
        let stored = multipolygon(&mp);
        assert_eq!(stored.srid, Some(4326));
        assert_eq!(stored.polygons[0].rings.len(), 2);
        assert_eq!(to_geo(&stored), Some(mp));
    }
}
