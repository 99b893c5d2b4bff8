//! A small, defensive WKB decoder (GeoParquet geometry columns, and GDAL geometries exported
//! as WKB so that every format goes through one code path).
//!
//! Handles both byte orders, the seven OGC types, ISO Z/M/ZM type codes (1000/2000/3000)
//! and EWKB flags (Z, M, SRID; the SRID is skipped). Z and M values are dropped. An empty
//! point (NaN coordinates) decodes to a point with NaN coordinates: see
//! [`super::geometry::is_empty`]. Truncated or malformed input is an error, never a panic,
//! and counts are checked against the remaining bytes before anything is allocated.

use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

/// Nesting depth allowed for geometry collections.
const MAX_DEPTH: u32 = 32;

/// Decodes one WKB geometry. Trailing bytes after the geometry are an error.
pub fn decode(bytes: &[u8]) -> Result<Geometry<f64>, String> {
    let mut r = Reader { b: bytes, pos: 0 };
    let g = r.geometry(0)?;
    if r.pos != bytes.len() {
        return Err(format!(
            "invalid WKB: {} trailing bytes",
            bytes.len() - r.pos
        ));
    }
    Ok(g)
}

/// The coordinates of a plain 2D WKB point (21 bytes, either byte order, type code 1) with
/// finite coordinates; `None` for anything else (other types, Z/M/SRID variants, empty or
/// non-finite points, malformed bytes), which callers send through [`decode`] so that every
/// message stays the same. A registry's millions of points take this path without
/// building a [`Geometry`].
#[inline]
pub fn point_2d(bytes: &[u8]) -> Option<(f64, f64)> {
    let b: &[u8; 21] = bytes.try_into().ok()?;
    let word = |k: usize| -> [u8; 8] {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[k..k + 8]);
        w
    };
    let ty = [b[1], b[2], b[3], b[4]];
    let (x, y) = match b[0] {
        1 if u32::from_le_bytes(ty) == 1 => {
            (f64::from_le_bytes(word(5)), f64::from_le_bytes(word(13)))
        }
        0 if u32::from_be_bytes(ty) == 1 => {
            (f64::from_be_bytes(word(5)), f64::from_be_bytes(word(13)))
        }
        _ => return None,
    };
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

#[derive(Clone, Copy)]
struct Header {
    little: bool,
    dims: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos + N;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| "invalid WKB: truncated".to_string())?;
        self.pos = end;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let a = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let a = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }

    /// Reads a count and checks that `count * min_bytes` bytes remain.
    fn count(&mut self, h: Header, min_bytes: usize) -> Result<usize, String> {
        let n = self.u32(h.little)? as usize;
        let remaining = self.b.len() - self.pos;
        if n.saturating_mul(min_bytes) > remaining {
            return Err(format!(
                "invalid WKB: count {n} exceeds the remaining {remaining} bytes"
            ));
        }
        Ok(n)
    }

    fn coord(&mut self, h: Header) -> Result<Coord<f64>, String> {
        let x = self.f64(h.little)?;
        let y = self.f64(h.little)?;
        for _ in 2..h.dims {
            self.f64(h.little)?;
        }
        Ok(Coord { x, y })
    }

    fn coords(&mut self, h: Header) -> Result<LineString<f64>, String> {
        let n = self.count(h, 8 * h.dims)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.coord(h)?);
        }
        Ok(LineString(v))
    }

    fn polygon(&mut self, h: Header) -> Result<Polygon<f64>, String> {
        let n = self.count(h, 4)?;
        let mut rings = Vec::with_capacity(n);
        for _ in 0..n {
            rings.push(self.coords(h)?);
        }
        let mut it = rings.into_iter();
        let exterior = it.next().unwrap_or_else(|| LineString(Vec::new()));
        Ok(Polygon::new(exterior, it.collect()))
    }

    /// Byte order and type code; returns (header, base type 1..=7).
    fn header(&mut self) -> Result<(Header, u32), String> {
        let [order] = self.take::<1>()?;
        let little = match order {
            0 => false,
            1 => true,
            o => return Err(format!("invalid WKB: byte order {o}")),
        };
        let raw = self.u32(little)?;
        let mut dims = 2;
        if raw & 0x8000_0000 != 0 {
            dims += 1;
        }
        if raw & 0x4000_0000 != 0 {
            dims += 1;
        }
        if raw & 0x2000_0000 != 0 {
            self.u32(little)?; // EWKB SRID
        }
        let code = raw & 0x0FFF_FFFF;
        let (base, iso_dims) = (code % 1000, code / 1000);
        dims += match iso_dims {
            0 => 0,
            1 | 2 => 1,
            3 => 2,
            _ => return Err(format!("invalid WKB: geometry type {raw}")),
        };
        Ok((Header { little, dims }, base))
    }

    fn geometry(&mut self, depth: u32) -> Result<Geometry<f64>, String> {
        if depth > MAX_DEPTH {
            return Err("invalid WKB: geometry collections nested too deeply".into());
        }
        let (h, base) = self.header()?;
        Ok(match base {
            1 => Geometry::Point(Point(self.coord(h)?)),
            2 => Geometry::LineString(self.coords(h)?),
            3 => Geometry::Polygon(self.polygon(h)?),
            4 => {
                let n = self.count(h, 5)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    match self.geometry(depth + 1)? {
                        Geometry::Point(p) => v.push(p),
                        _ => return Err("invalid WKB: a MultiPoint member is not a point".into()),
                    }
                }
                Geometry::MultiPoint(MultiPoint(v))
            }
            5 => {
                let n = self.count(h, 5)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    match self.geometry(depth + 1)? {
                        Geometry::LineString(l) => v.push(l),
                        _ => {
                            return Err(
                                "invalid WKB: a MultiLineString member is not a line string".into(),
                            )
                        }
                    }
                }
                Geometry::MultiLineString(MultiLineString(v))
            }
            6 => {
                let n = self.count(h, 5)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    match self.geometry(depth + 1)? {
                        Geometry::Polygon(p) => v.push(p),
                        _ => {
                            return Err("invalid WKB: a MultiPolygon member is not a polygon".into())
                        }
                    }
                }
                Geometry::MultiPolygon(MultiPolygon(v))
            }
            7 => {
                let n = self.count(h, 5)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.geometry(depth + 1)?);
                }
                Geometry::GeometryCollection(GeometryCollection(v))
            }
            t => {
                return Err(format!(
                    "unsupported WKB geometry type {t} (curves and surfaces are not supported)"
                ))
            }
        })
    }
}

/// Encodes a point as little-endian 2D WKB (for tests and writers).
pub fn encode_point(x: f64, y: f64) -> Vec<u8> {
    let mut v = Vec::with_capacity(21);
    v.push(1);
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&x.to_le_bytes());
    v.extend_from_slice(&y.to_le_bytes());
    v
}

/// Encodes a polygon as little-endian 2D WKB (for tests and writers).
pub fn encode_polygon(p: &Polygon<f64>) -> Vec<u8> {
    let mut v = vec![1];
    v.extend_from_slice(&3u32.to_le_bytes());
    let rings: Vec<&LineString<f64>> = std::iter::once(p.exterior())
        .chain(p.interiors().iter())
        .collect();
    v.extend_from_slice(&(rings.len() as u32).to_le_bytes());
    for r in rings {
        v.extend_from_slice(&(r.0.len() as u32).to_le_bytes());
        for c in &r.0 {
            v.extend_from_slice(&c.x.to_le_bytes());
            v.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn point_2d_agrees_with_decode_and_declines_the_rest() {
        let le = encode_point(11.5, -43.25);
        assert_eq!(point_2d(&le), Some((11.5, -43.25)));
        // big endian
        let mut be = vec![0u8];
        be.extend_from_slice(&1u32.to_be_bytes());
        be.extend_from_slice(&11.5f64.to_be_bytes());
        be.extend_from_slice(&(-43.25f64).to_be_bytes());
        assert_eq!(point_2d(&be), Some((11.5, -43.25)));
        assert_eq!(
            decode(&be).unwrap(),
            Geometry::Point(Point::new(11.5, -43.25))
        );
        // empty point (NaN), EWKB with SRID, truncated, trailing byte, other type, bad order
        assert_eq!(point_2d(&encode_point(f64::NAN, f64::NAN)), None);
        assert_eq!(point_2d(&encode_point(f64::INFINITY, 1.0)), None);
        let mut srid = vec![1u8];
        srid.extend_from_slice(&(1u32 | 0x2000_0000).to_le_bytes());
        srid.extend_from_slice(&4326u32.to_le_bytes());
        srid.extend_from_slice(&1f64.to_le_bytes());
        srid.extend_from_slice(&2f64.to_le_bytes());
        assert_eq!(point_2d(&srid), None);
        assert!(decode(&srid).is_ok());
        assert_eq!(point_2d(&le[..20]), None);
        let mut long = le.clone();
        long.push(0);
        assert_eq!(point_2d(&long), None);
        let mut line = le.clone();
        line[1] = 2;
        assert_eq!(point_2d(&line), None);
        let mut order = le.clone();
        order[0] = 7;
        assert_eq!(point_2d(&order), None);
    }

    #[test]
    fn round_trips_points_and_polygons() {
        assert_eq!(
            decode(&encode_point(11.5, 43.25)).unwrap(),
            Geometry::Point(Point::new(11.5, 43.25))
        );
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 0.)];
        assert_eq!(decode(&encode_polygon(&p)).unwrap(), Geometry::Polygon(p));
    }

    #[test]
    fn decodes_big_endian_iso_z_and_ewkb_srid() {
        // Big endian Point Z (ISO 1001).
        let mut v = vec![0];
        v.extend_from_slice(&1001u32.to_be_bytes());
        for f in [1.0f64, 2.0, 3.0] {
            v.extend_from_slice(&f.to_be_bytes());
        }
        assert_eq!(decode(&v).unwrap(), Geometry::Point(Point::new(1.0, 2.0)));
        // EWKB point with SRID 4326.
        let mut v = vec![1];
        v.extend_from_slice(&(1u32 | 0x2000_0000).to_le_bytes());
        v.extend_from_slice(&4326u32.to_le_bytes());
        v.extend_from_slice(&5.0f64.to_le_bytes());
        v.extend_from_slice(&6.0f64.to_le_bytes());
        assert_eq!(decode(&v).unwrap(), Geometry::Point(Point::new(5.0, 6.0)));
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[1, 1, 0, 0]).is_err());
        assert!(decode(&[7, 1, 0, 0, 0]).is_err());
        // Polygon claiming 2^32-1 rings.
        let mut v = vec![1];
        v.extend_from_slice(&3u32.to_le_bytes());
        v.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&v).unwrap_err().contains("count"));
        let mut p = encode_point(1.0, 2.0);
        p.push(0);
        assert!(decode(&p).unwrap_err().contains("trailing"));
    }
}
