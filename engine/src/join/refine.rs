//! Exact point-in-polygon ("covers": boundary included) on polygons whose edges are bucketed
//! by horizontal bands, so that a test reads only the few edges near the point's latitude.

use geo::MultiPolygon;
use robust::{orient2d, Coord as RCoord};

/// One polygon edge, from (x1, y1) to (x2, y2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
}

#[derive(Debug, Clone, Copy)]
struct Meta {
    ymin: f64,
    ymax: f64,
    inv_h: f64,
    nbands: u32,
    /// Index into `band_start` of this polygon's first band.
    band0: u32,
}

/// Many (multi)polygons prepared for exact tests, in shared arrays.
#[derive(Debug, Clone, Default)]
pub struct PolygonSet {
    meta: Vec<Meta>,
    /// For polygon p, band b: edges `edges[band_start[band0 + b]..band_start[band0 + b + 1]]`.
    band_start: Vec<u32>,
    edges: Vec<Edge>,
}

/// The edges of every ring of `mp` (closing edges included, zero-length edges dropped).
pub fn edges_of(mp: &MultiPolygon<f64>) -> Vec<Edge> {
    let mut out = Vec::new();
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let c = &ring.0;
            if c.len() < 2 {
                continue;
            }
            for w in c.windows(2) {
                if w[0] != w[1] {
                    out.push(Edge {
                        x1: w[0].x,
                        y1: w[0].y,
                        x2: w[1].x,
                        y2: w[1].y,
                    });
                }
            }
            // geo closes rings, but be safe with an unclosed one
            let (first, last) = (c[0], c[c.len() - 1]);
            if first != last {
                out.push(Edge {
                    x1: last.x,
                    y1: last.y,
                    x2: first.x,
                    y2: first.y,
                });
            }
        }
    }
    out
}

impl PolygonSet {
    pub fn new(polygons: &[MultiPolygon<f64>]) -> Self {
        let mut set = PolygonSet {
            meta: Vec::with_capacity(polygons.len()),
            band_start: Vec::new(),
            edges: Vec::new(),
        };
        for mp in polygons {
            set.push(&edges_of(mp));
        }
        set
    }

    /// Adds a polygon given by its edges; returns its index.
    pub fn push(&mut self, edges: &[Edge]) -> usize {
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        for e in edges {
            ymin = ymin.min(e.y1.min(e.y2));
            ymax = ymax.max(e.y1.max(e.y2));
        }
        let band0 = self.band_start.len() as u32;
        if edges.is_empty() {
            self.meta.push(Meta {
                ymin: 1.0,
                ymax: 0.0,
                inv_h: 0.0,
                nbands: 0,
                band0,
            });
            self.band_start.push(self.edges.len() as u32);
            return self.meta.len() - 1;
        }
        // About two edges per band: a horizontal line through a simple polygon crosses few.
        let nbands = (edges.len() / 2).clamp(1, 1 << 16) as u32;
        let height = ymax - ymin;
        let inv_h = if height > 0.0 {
            nbands as f64 / height
        } else {
            0.0
        };
        let band = |y: f64| -> u32 { (((y - ymin) * inv_h) as u32).min(nbands - 1) };
        let mut per_band: Vec<Vec<Edge>> = vec![Vec::new(); nbands as usize];
        for e in edges {
            let (lo, hi) = (band(e.y1.min(e.y2)), band(e.y1.max(e.y2)));
            for b in lo..=hi {
                per_band[b as usize].push(*e);
            }
        }
        for b in per_band {
            self.band_start.push(self.edges.len() as u32);
            self.edges.extend(b);
        }
        self.band_start.push(self.edges.len() as u32);
        self.meta.push(Meta {
            ymin,
            ymax,
            inv_h,
            nbands,
            band0,
        });
        self.meta.len() - 1
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// True when polygon `p` covers (x, y): inside, or on an edge or vertex of any ring.
    #[inline]
    pub fn covers(&self, p: usize, x: f64, y: f64) -> bool {
        let m = &self.meta[p];
        if !(y >= m.ymin && y <= m.ymax) {
            return false;
        }
        let b = (((y - m.ymin) * m.inv_h) as u32).min(m.nbands - 1);
        let i = (m.band0 + b) as usize;
        let edges = &self.edges[self.band_start[i] as usize..self.band_start[i + 1] as usize];
        covers_with(edges, x, y)
    }
}

/// Crossing-number test with an exact boundary check over `edges`, which must contain every
/// edge of the polygon whose y-range contains `y`.
#[inline]
pub fn covers_with(edges: &[Edge], x: f64, y: f64) -> bool {
    let mut inside = false;
    for e in edges {
        let up1 = e.y1 > y;
        let up2 = e.y2 > y;
        if up1 != up2 {
            // The edge crosses the horizontal line through the point (half-open rule).
            let o = orient2d(
                RCoord { x: e.x1, y: e.y1 },
                RCoord { x: e.x2, y: e.y2 },
                RCoord { x, y },
            );
            if o == 0.0 {
                return true; // on the edge
            }
            if (o > 0.0) == (e.y2 > e.y1) {
                inside = !inside; // the crossing is to the right of the point
            }
        } else if (e.y1 == y && e.x1 == x) || (e.y2 == y && e.x2 == x) {
            return true; // on a vertex
        } else if e.y1 == y && e.y2 == y && x >= e.x1.min(e.x2) && x <= e.x1.max(e.x2) {
            return true; // on a horizontal edge
        }
    }
    inside
}
