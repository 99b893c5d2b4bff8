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

/// One polygon's bands: where they lie, and how many (band, edge) pairs they hold (an edge
/// goes in every band it spans). Computed first for every polygon, so that the set's
/// arrays are allocated once and filled in place, in parallel.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// `band0` is left 0 until the polygon's place in the set is known.
    meta: Meta,
    /// (band, edge) pairs.
    pairs: usize,
}

impl Layout {
    fn of(edges: &[Edge]) -> Layout {
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
            return Layout { meta, pairs: 0 };
        }
        // About two edges per band: a horizontal line through a simple polygon crosses few.
        let nbands = (edges.len() / 2).clamp(1, 1 << 16) as u32;
        let height = ymax - ymin;
        let inv_h = if height > 0.0 {
            nbands as f64 / height
        } else {
            0.0
        };
        let mut l = Layout {
            meta: Meta {
                ymin,
                ymax,
                inv_h,
                nbands,
                band0: 0,
            },
            pairs: 0,
        };
        l.pairs = edges
            .iter()
            .map(|e| {
                let (lo, hi) = l.span(e);
                hi - lo + 1
            })
            .sum();
        l
    }

    fn band(&self, y: f64) -> usize {
        let m = &self.meta;
        (((y - m.ymin) * m.inv_h) as u32).min(m.nbands - 1) as usize
    }

    /// First and last band of an edge.
    fn span(&self, e: &Edge) -> (usize, usize) {
        (self.band(e.y1.min(e.y2)), self.band(e.y1.max(e.y2)))
    }

    /// Sorts the (band, edge) pairs by band into `out` (`self.pairs` long) and writes the
    /// band starts, `base` + offset in `out`, one per band plus the end, into `starts`
    /// (`nbands + 1` long).
    fn fill(&self, edges: &[Edge], base: u32, starts: &mut [u32], out: &mut [Edge]) {
        starts.fill(0);
        if self.meta.nbands == 0 {
            starts[0] = base;
            return;
        }
        for e in edges {
            let (lo, hi) = self.span(e);
            for b in lo..=hi {
                starts[b + 1] += 1;
            }
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut fill = starts[..starts.len() - 1].to_vec();
        for e in edges {
            let (lo, hi) = self.span(e);
            for b in lo..=hi {
                out[fill[b] as usize] = *e;
                fill[b] += 1;
            }
        }
        for s in starts.iter_mut() {
            *s += base;
        }
    }
}

impl PolygonSet {
    pub fn new(polygons: &[MultiPolygon<f64>]) -> Self {
        let edges: Vec<Vec<Edge>> = polygons.iter().map(edges_of).collect();
        Self::from_edges(&edges)
    }

    /// The set of polygons given by their edges (polygon i = `edges[i]`), prepared in
    /// parallel: every polygon's layout first, then the shared arrays allocated once and
    /// each polygon's part filled in place.
    pub fn from_edges(edges: &[Vec<Edge>]) -> Self {
        use rayon::prelude::*;
        let mut layouts: Vec<Layout> = edges.par_iter().map(|e| Layout::of(e)).collect();
        // each polygon's first band start and first edge
        let (mut band0, mut edge0) = (0usize, 0usize);
        let mut firsts = Vec::with_capacity(layouts.len());
        for l in &mut layouts {
            l.meta.band0 = band0 as u32;
            firsts.push(edge0);
            band0 += l.meta.nbands as usize + 1;
            edge0 += l.pairs;
        }
        let placeholder = Edge {
            x1: 0.0,
            y1: 0.0,
            x2: 0.0,
            y2: 0.0,
        };
        let mut band_start = vec![0u32; band0];
        let mut all = vec![placeholder; edge0];
        // one (starts, edges) pair of slices per polygon, in order
        let mut slices = Vec::with_capacity(layouts.len());
        let (mut bs, mut es) = (band_start.as_mut_slice(), all.as_mut_slice());
        for l in &layouts {
            let (b, brest) = std::mem::take(&mut bs).split_at_mut(l.meta.nbands as usize + 1);
            let (e, erest) = std::mem::take(&mut es).split_at_mut(l.pairs);
            slices.push((b, e));
            (bs, es) = (brest, erest);
        }
        slices
            .into_par_iter()
            .zip(layouts.par_iter())
            .zip(edges.par_iter())
            .zip(firsts.par_iter())
            .for_each(|((((b, e), l), src), &first)| l.fill(src, first as u32, b, e));
        PolygonSet {
            meta: layouts.into_iter().map(|l| l.meta).collect(),
            band_start,
            edges: all,
        }
    }

    /// Adds a polygon given by its edges; returns its index.
    pub fn push(&mut self, edges: &[Edge]) -> usize {
        let mut l = Layout::of(edges);
        l.meta.band0 = self.band_start.len() as u32;
        let base = self.edges.len();
        let placeholder = Edge {
            x1: 0.0,
            y1: 0.0,
            x2: 0.0,
            y2: 0.0,
        };
        self.band_start
            .resize(self.band_start.len() + l.meta.nbands as usize + 1, 0);
        self.edges.resize(base + l.pairs, placeholder);
        let b0 = l.meta.band0 as usize;
        l.fill(
            edges,
            base as u32,
            &mut self.band_start[b0..],
            &mut self.edges[base..],
        );
        self.meta.push(l.meta);
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
