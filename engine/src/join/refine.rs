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

/// One polygon's bands, built on its own (in parallel) and appended to a set.
struct Part {
    meta: Meta,
    /// Band starts relative to `edges`, one per band plus the end.
    band_start: Vec<u32>,
    edges: Vec<Edge>,
}

impl Part {
    fn new(edges: &[Edge]) -> Part {
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        for e in edges {
            ymin = ymin.min(e.y1.min(e.y2));
            ymax = ymax.max(e.y1.max(e.y2));
        }
        if edges.is_empty() {
            // never matches: ymin > ymax
            let meta = Meta {
                ymin: 1.0,
                ymax: 0.0,
                inv_h: 0.0,
                nbands: 0,
                band0: 0,
            };
            return Part {
                meta,
                band_start: vec![0],
                edges: Vec::new(),
            };
        }
        // About two edges per band: a horizontal line through a simple polygon crosses few.
        let nbands = (edges.len() / 2).clamp(1, 1 << 16) as u32;
        let height = ymax - ymin;
        let inv_h = if height > 0.0 {
            nbands as f64 / height
        } else {
            0.0
        };
        let band = |y: f64| -> usize { (((y - ymin) * inv_h) as u32).min(nbands - 1) as usize };
        let span = |e: &Edge| (band(e.y1.min(e.y2)), band(e.y1.max(e.y2)));
        // counting sort of (band, edge) pairs: an edge goes in every band it spans
        let mut band_start = vec![0u32; nbands as usize + 1];
        for e in edges {
            let (lo, hi) = span(e);
            for b in lo..=hi {
                band_start[b + 1] += 1;
            }
        }
        for b in 1..band_start.len() {
            band_start[b] += band_start[b - 1];
        }
        let mut fill = band_start.clone();
        let placeholder = Edge {
            x1: 0.0,
            y1: 0.0,
            x2: 0.0,
            y2: 0.0,
        };
        let mut out = vec![placeholder; band_start[nbands as usize] as usize];
        for e in edges {
            let (lo, hi) = span(e);
            for b in lo..=hi {
                out[fill[b] as usize] = *e;
                fill[b] += 1;
            }
        }
        Part {
            meta: Meta {
                ymin,
                ymax,
                inv_h,
                nbands,
                band0: 0,
            },
            band_start,
            edges: out,
        }
    }
}

impl PolygonSet {
    pub fn new(polygons: &[MultiPolygon<f64>]) -> Self {
        let edges: Vec<Vec<Edge>> = polygons.iter().map(edges_of).collect();
        Self::from_edges(&edges)
    }

    /// The set of polygons given by their edges (polygon i = `edges[i]`), prepared in
    /// parallel.
    pub fn from_edges(edges: &[Vec<Edge>]) -> Self {
        use rayon::prelude::*;
        let parts: Vec<Part> = edges.par_iter().map(|e| Part::new(e)).collect();
        let mut set = PolygonSet {
            meta: Vec::with_capacity(parts.len()),
            band_start: Vec::with_capacity(parts.iter().map(|p| p.band_start.len()).sum()),
            edges: Vec::with_capacity(parts.iter().map(|p| p.edges.len()).sum()),
        };
        for p in parts {
            set.append(p);
        }
        set
    }

    /// Adds a polygon given by its edges; returns its index.
    pub fn push(&mut self, edges: &[Edge]) -> usize {
        self.append(Part::new(edges))
    }

    fn append(&mut self, p: Part) -> usize {
        let base = self.edges.len() as u32;
        let mut meta = p.meta;
        meta.band0 = self.band_start.len() as u32;
        // the part's last band start (its end) is the next polygon's first: keep one
        self.band_start.extend(
            p.band_start[..p.band_start.len() - 1]
                .iter()
                .map(|s| s + base),
        );
        self.edges.extend(p.edges);
        self.band_start.push(self.edges.len() as u32);
        self.meta.push(meta);
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
