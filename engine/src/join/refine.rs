//! Exact point-in-polygon ("covers": boundary included) on polygons whose edges are bucketed
//! by horizontal bands, so that a test reads only the few edges near the point's latitude.

use geo::{Coord, LineString, MultiPolygon};
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
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    inv_h: f64,
    nbands: u32,
    /// Index into `band_start` of this polygon's first band.
    band0: u32,
    /// Index into `ring_start` of this polygon's first ring.
    ring0: u32,
}

/// Many (multi)polygons prepared for exact tests, in shared arrays: every ring's vertices
/// (closed), and per polygon horizontal bands listing the edges that reach into them (an
/// edge is named by the index of its first vertex; it ends at the next one).
#[derive(Debug, Clone, Default)]
pub struct PolygonSet {
    meta: Vec<Meta>,
    /// Ring r's vertices: `vertices[ring_start[r]..ring_start[r + 1]]`.
    ring_start: Vec<u32>,
    vertices: Vec<Coord<f64>>,
    /// For polygon p, band b: edges `band_edges[band_start[band0 + b]..band_start[band0 + b + 1]]`.
    band_start: Vec<u32>,
    band_edges: Vec<u32>,
}

/// The rings of `mp` that have edges: each part's outer ring, then its holes.
fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .filter(|r| r.0.len() >= 2)
}

/// A ring's vertices as stored: its coordinates, closed (geo closes rings, but be safe
/// with an unclosed one).
fn closed(ring: &LineString<f64>) -> impl Iterator<Item = Coord<f64>> + '_ {
    let c = &ring.0;
    let close = (c.first() != c.last()).then(|| c[0]);
    c.iter().copied().chain(close)
}

/// Calls `f(k, a, b)` for every edge of `mp` from vertex a to vertex b, `k` being a's
/// position among the stored vertices of `mp` ([`closed`] rings in [`rings`] order);
/// zero-length edges are left out.
fn for_each_edge(mp: &MultiPolygon<f64>, mut f: impl FnMut(usize, Coord<f64>, Coord<f64>)) {
    let mut k = 0;
    for ring in rings(mp) {
        let mut prev: Option<Coord<f64>> = None;
        for v in closed(ring) {
            match prev {
                Some(a) if a != v => f(k - 1, a, v),
                _ => {}
            }
            prev = Some(v);
            k += 1;
        }
    }
}

impl Edge {
    #[inline]
    fn new(a: Coord<f64>, b: Coord<f64>) -> Edge {
        Edge {
            x1: a.x,
            y1: a.y,
            x2: b.x,
            y2: b.y,
        }
    }
}

/// One polygon's place in the set: its bounds and bands, and how many rings, vertices and
/// (band, edge) pairs it stores (an edge goes in every band it spans). Computed first for
/// every polygon, so that the set's arrays are allocated once and filled in place, in
/// parallel.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// `band0` and `ring0` are left 0 until the polygon's place in the set is known.
    meta: Meta,
    rings: usize,
    vertices: usize,
    pairs: usize,
}

impl Layout {
    fn of(mp: &MultiPolygon<f64>) -> Layout {
        let (mut xmin, mut xmax) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut edges = 0;
        for_each_edge(mp, |_, a, b| {
            xmin = xmin.min(a.x.min(b.x));
            xmax = xmax.max(a.x.max(b.x));
            ymin = ymin.min(a.y.min(b.y));
            ymax = ymax.max(a.y.max(b.y));
            edges += 1;
        });
        let (rings, vertices) =
            rings(mp).fold((0, 0), |(r, v), ring| (r + 1, v + closed(ring).count()));
        let mut l = Layout {
            meta: Meta {
                xmin,
                xmax,
                ymin,
                ymax,
                inv_h: 0.0,
                nbands: 0,
                band0: 0,
                ring0: 0,
            },
            rings,
            vertices,
            pairs: 0,
        };
        if edges == 0 {
            // never matches: ymin > ymax
            (l.meta.ymin, l.meta.ymax) = (1.0, 0.0);
            return l;
        }
        // About two edges per band: a horizontal line through a simple polygon crosses few.
        let nbands = (edges / 2).clamp(1, 1 << 16) as u32;
        let height = ymax - ymin;
        l.meta.nbands = nbands;
        l.meta.inv_h = if height > 0.0 {
            nbands as f64 / height
        } else {
            0.0
        };
        let mut pairs = 0;
        for_each_edge(mp, |_, a, b| {
            let (lo, hi) = l.span(a.y, b.y);
            pairs += hi - lo + 1;
        });
        l.pairs = pairs;
        l
    }

    fn band(&self, y: f64) -> usize {
        let m = &self.meta;
        (((y - m.ymin) * m.inv_h) as u32).min(m.nbands - 1) as usize
    }

    /// First and last band of an edge whose ends have ordinates `y1`, `y2`.
    fn span(&self, y1: f64, y2: f64) -> (usize, usize) {
        (self.band(y1.min(y2)), self.band(y1.max(y2)))
    }

    /// Writes the polygon's part of the set: ring starts (`self.rings` long, `vbase` +
    /// offset in `vertices`), vertices, band starts (`nbands + 1` long, `pbase` + offset in
    /// `pairs`) and the (band, edge) pairs sorted by band.
    fn fill(
        &self,
        mp: &MultiPolygon<f64>,
        (vbase, pbase): (u32, u32),
        rings_out: &mut [u32],
        vertices: &mut [Coord<f64>],
        starts: &mut [u32],
        pairs: &mut [u32],
    ) {
        let mut k = 0;
        for (r, ring) in rings(mp).enumerate() {
            rings_out[r] = vbase + k as u32;
            for v in closed(ring) {
                vertices[k] = v;
                k += 1;
            }
        }
        if self.meta.nbands == 0 {
            starts[0] = pbase;
            return;
        }
        starts.fill(0);
        for_each_edge(mp, |_, a, b| {
            let (lo, hi) = self.span(a.y, b.y);
            for s in &mut starts[lo + 1..=hi + 1] {
                *s += 1;
            }
        });
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut fill = starts[..starts.len() - 1].to_vec();
        for_each_edge(mp, |k, a, b| {
            let (lo, hi) = self.span(a.y, b.y);
            for f in &mut fill[lo..=hi] {
                pairs[*f as usize] = vbase + k as u32;
                *f += 1;
            }
        });
        for s in starts.iter_mut() {
            *s += pbase;
        }
    }
}

impl PolygonSet {
    pub fn new(polygons: &[MultiPolygon<f64>]) -> Self {
        Self::build_with(polygons.len(), |i| &polygons[i])
    }

    /// The set of `n` polygons, polygon i being `get(i)`, prepared in parallel: every
    /// polygon's layout first, then the shared arrays allocated once and each polygon's
    /// part filled in place.
    pub fn build_with<'a>(n: usize, get: impl Fn(usize) -> &'a MultiPolygon<f64> + Sync) -> Self {
        use rayon::prelude::*;
        let mut layouts: Vec<Layout> = (0..n).into_par_iter().map(|i| Layout::of(get(i))).collect();
        // each polygon's first ring, vertex, band start and pair
        let (mut ring0, mut band0, mut v0, mut p0) = (0usize, 0usize, 0usize, 0usize);
        let mut bases = Vec::with_capacity(n);
        for l in &mut layouts {
            l.meta.ring0 = ring0 as u32;
            l.meta.band0 = band0 as u32;
            bases.push((v0 as u32, p0 as u32));
            ring0 += l.rings;
            band0 += l.meta.nbands as usize + 1;
            v0 += l.vertices;
            p0 += l.pairs;
        }
        let mut ring_start = vec![0u32; ring0 + 1];
        ring_start[ring0] = v0 as u32;
        let mut vertices = vec![Coord { x: 0.0, y: 0.0 }; v0];
        let mut band_start = vec![0u32; band0];
        let mut band_edges = vec![0u32; p0];
        // one set of slices per polygon, in order
        let mut slices = Vec::with_capacity(n);
        let (mut rs, mut vs) = (&mut ring_start[..ring0], vertices.as_mut_slice());
        let (mut bs, mut ps) = (band_start.as_mut_slice(), band_edges.as_mut_slice());
        for l in &layouts {
            let (r, rrest) = std::mem::take(&mut rs).split_at_mut(l.rings);
            let (v, vrest) = std::mem::take(&mut vs).split_at_mut(l.vertices);
            let (b, brest) = std::mem::take(&mut bs).split_at_mut(l.meta.nbands as usize + 1);
            let (e, erest) = std::mem::take(&mut ps).split_at_mut(l.pairs);
            slices.push((r, v, b, e));
            (rs, vs, bs, ps) = (rrest, vrest, brest, erest);
        }
        slices
            .into_par_iter()
            .zip(layouts.par_iter())
            .zip(bases.par_iter())
            .enumerate()
            .for_each(|(i, (((r, v, b, e), l), &base))| l.fill(get(i), base, r, v, b, e));
        PolygonSet {
            meta: layouts.into_iter().map(|l| l.meta).collect(),
            ring_start,
            vertices,
            band_start,
            band_edges,
        }
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Polygon `p`'s bounding box `[xmin, ymin, xmax, ymax]`; `None` when it has no edge.
    pub fn bbox(&self, p: usize) -> Option<[f64; 4]> {
        let m = &self.meta[p];
        (m.ymin <= m.ymax).then_some([m.xmin, m.ymin, m.xmax, m.ymax])
    }

    /// Puts polygon `p`'s edges into `out` (cleared first; zero-length edges left out).
    pub fn edges_into(&self, p: usize, out: &mut Vec<Edge>) {
        out.clear();
        let r0 = self.meta[p].ring0 as usize;
        let r1 = self
            .meta
            .get(p + 1)
            .map_or(self.ring_start.len() - 1, |m| m.ring0 as usize);
        for r in r0..r1 {
            let ring = &self.vertices[self.ring_start[r] as usize..self.ring_start[r + 1] as usize];
            for w in ring.windows(2) {
                if w[0] != w[1] {
                    out.push(Edge::new(w[0], w[1]));
                }
            }
        }
    }

    /// True when polygon `p` covers (x, y): inside, or on an edge or vertex of any ring.
    #[inline]
    pub fn covers(&self, p: usize, x: f64, y: f64) -> bool {
        let m = &self.meta[p];
        if !(y >= m.ymin && y <= m.ymax && x >= m.xmin && x <= m.xmax) {
            return false;
        }
        let b = (((y - m.ymin) * m.inv_h) as u32).min(m.nbands - 1);
        let i = (m.band0 + b) as usize;
        let ids = &self.band_edges[self.band_start[i] as usize..self.band_start[i + 1] as usize];
        covers_with(
            ids.iter().map(|&e| {
                let e = e as usize;
                Edge::new(self.vertices[e], self.vertices[e + 1])
            }),
            x,
            y,
        )
    }
}

/// Crossing-number test with an exact boundary check over `edges`, which must contain every
/// edge of the polygon whose y-range contains `y`.
#[inline]
pub fn covers_with(edges: impl IntoIterator<Item = Edge>, x: f64, y: f64) -> bool {
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
