//! A uniform grid over the footprints: per cell, the footprints that cover the whole cell
//! (*inside*) and those whose boundary crosses it (*boundary*). Cells a footprint does not
//! touch hold nothing for it.
//!
//! Correctness rests on one invariant: a cell is marked *inside* or left out for a footprint
//! only when no edge of the footprint comes within a small margin of the closed cell. Then
//! every point of the cell, including points whose cell index rounding puts them in a
//! neighbour, has the same status as the cell's centre.

use super::refine::{edges_of, Edge, PolygonSet};
use geo::{BoundingRect, MultiPolygon};
use rayon::prelude::*;

/// Tuning of [`GridIndex::build`].
#[derive(Debug, Clone, Copy)]
pub struct GridOptions {
    /// Cells along the side of a typical (median) footprint's bounding box.
    pub cells_per_footprint: f64,
    /// Upper bound on the number of cells.
    pub max_cells: usize,
    /// Upper bound on the (cell, polygon) entries, per polygon on average: large polygons
    /// make cells coarser so that the index stays small and quick to build.
    pub entries_per_footprint: f64,
}

impl Default for GridOptions {
    fn default() -> Self {
        Self {
            cells_per_footprint: 16.0,
            max_cells: 1 << 24,
            entries_per_footprint: 200.0,
        }
    }
}

const INSIDE: u32 = 1;

/// The join index over a set of (multi)polygons.
#[derive(Debug, Clone)]
pub struct GridIndex {
    x0: f64,
    y0: f64,
    inv_cs: f64,
    nx: usize,
    ny: usize,
    /// Entries of cell c: `entries[cell_start[c]..cell_start[c + 1]]`.
    cell_start: Vec<u32>,
    /// `polygon << 1 | 1` when the polygon covers the whole cell, `polygon << 1` otherwise.
    entries: Vec<u32>,
    polygons: PolygonSet,
}

impl GridIndex {
    /// Builds the index over `polygons` (empty polygons are accepted and never match).
    pub fn build(polygons: &[MultiPolygon<f64>], opts: GridOptions) -> GridIndex {
        Self::build_with(polygons.len(), |i| &polygons[i], opts)
    }

    /// Builds the index over `n` polygons, polygon `i` being `get(i)`; indices reported by
    /// [`GridIndex::for_each_covering`] are these `i`.
    pub fn build_with<'a>(
        n: usize,
        get: impl Fn(usize) -> &'a MultiPolygon<f64> + Sync,
        opts: GridOptions,
    ) -> GridIndex {
        let bboxes: Vec<Option<[f64; 4]>> = (0..n)
            .map(|i| {
                let p = get(i);
                p.bounding_rect()
                    .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            })
            .collect();
        let mut ext = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut sizes = Vec::with_capacity(n);
        let mut dims = Vec::with_capacity(n);
        for b in bboxes.iter().flatten() {
            ext[0] = ext[0].min(b[0]);
            ext[1] = ext[1].min(b[1]);
            ext[2] = ext[2].max(b[2]);
            ext[3] = ext[3].max(b[3]);
            sizes.push((b[2] - b[0]).max(b[3] - b[1]));
            dims.push((b[2] - b[0], b[3] - b[1]));
        }
        let edge_lists: Vec<Vec<Edge>> = (0..n).into_par_iter().map(|i| edges_of(get(i))).collect();
        let mut set = PolygonSet::default();
        for e in &edge_lists {
            set.push(e);
        }
        if sizes.is_empty() {
            return GridIndex {
                x0: 0.0,
                y0: 0.0,
                inv_cs: 0.0,
                nx: 0,
                ny: 0,
                cell_start: vec![0],
                entries: Vec::new(),
                polygons: set,
            };
        }
        sizes.sort_by(f64::total_cmp);
        let (w, h) = (ext[2] - ext[0], ext[3] - ext[1]);
        let mut cs = sizes[sizes.len() / 2] / opts.cells_per_footprint;
        let min_cs = ((w * h) / opts.max_cells as f64).sqrt();
        // NaN-safe: a NaN or too small cell size falls back to the bound
        if cs.is_nan() || cs < min_cs {
            cs = min_cs;
        }
        if cs.is_nan() || cs <= 0.0 {
            cs = (w.max(h) / 1024.0).max(1e-9);
        }
        // coarser cells until the estimated number of entries fits the budget
        let budget = opts.entries_per_footprint * dims.len() as f64;
        let estimate = |cs: f64| -> f64 {
            dims.iter()
                .map(|(dw, dh)| (dw / cs + 1.0) * (dh / cs + 1.0))
                .sum()
        };
        while estimate(cs) > budget {
            cs *= 1.25;
        }
        let inv_cs = 1.0 / cs;
        let nx = ((w * inv_cs) as usize + 1).max(1);
        let ny = ((h * inv_cs) as usize + 1).max(1);
        let grid = Grid {
            x0: ext[0],
            y0: ext[1],
            cs,
            inv_cs,
            nx,
            ny,
        };
        let per_polygon: Vec<Vec<u64>> = (0..n)
            .into_par_iter()
            .map(|p| match bboxes[p] {
                Some(b) => grid.cells_of(p, b, &edge_lists[p], &set),
                None => Vec::new(),
            })
            .collect();
        // counting sort of (cell, entry) pairs by cell
        let mut cell_start = vec![0u32; nx * ny + 1];
        for list in &per_polygon {
            for &ce in list {
                cell_start[(ce >> 32) as usize + 1] += 1;
            }
        }
        for i in 1..cell_start.len() {
            cell_start[i] += cell_start[i - 1];
        }
        let mut fill = cell_start.clone();
        let mut entries = vec![0u32; cell_start[nx * ny] as usize];
        for list in &per_polygon {
            for &ce in list {
                let c = (ce >> 32) as usize;
                entries[fill[c] as usize] = ce as u32;
                fill[c] += 1;
            }
        }
        GridIndex {
            x0: ext[0],
            y0: ext[1],
            inv_cs,
            nx,
            ny,
            cell_start,
            entries,
            polygons: set,
        }
    }

    /// Number of indexed polygons.
    pub fn len(&self) -> usize {
        self.polygons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.polygons.is_empty()
    }

    /// Grid size (columns, rows), number of (cell, polygon) entries and how many of those
    /// are *inside* entries (no exact test needed), for reports and tuning.
    pub fn shape(&self) -> (usize, usize, usize, usize) {
        let inside = self.entries.iter().filter(|&&e| e & INSIDE != 0).count();
        (self.nx, self.ny, self.entries.len(), inside)
    }

    /// The cell of (x, y), if inside the grid.
    #[inline]
    pub fn cell_of(&self, x: f64, y: f64) -> Option<usize> {
        let fx = (x - self.x0) * self.inv_cs;
        let fy = (y - self.y0) * self.inv_cs;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (cx, cy) = (fx as usize, fy as usize);
        if cx >= self.nx || cy >= self.ny {
            return None;
        }
        Some(cy * self.nx + cx)
    }

    /// Calls `f(polygon)` for every polygon covering (x, y) (boundary included), in index
    /// order of the cell's entries; returns how many there were.
    #[inline]
    pub fn for_each_covering(&self, x: f64, y: f64, mut f: impl FnMut(u32)) -> u32 {
        let Some(c) = self.cell_of(x, y) else {
            return 0;
        };
        let mut n = 0;
        let range = self.cell_start[c] as usize..self.cell_start[c + 1] as usize;
        for &e in &self.entries[range] {
            let p = e >> 1;
            if e & INSIDE != 0 || self.polygons.covers(p as usize, x, y) {
                f(p);
                n += 1;
            }
        }
        n
    }

    /// The exact test alone, for polygon `p` (used by tests and benches).
    pub fn covers(&self, p: usize, x: f64, y: f64) -> bool {
        self.polygons.covers(p, x, y)
    }
}

#[derive(Debug, Clone, Copy)]
struct Grid {
    x0: f64,
    y0: f64,
    cs: f64,
    inv_cs: f64,
    nx: usize,
    ny: usize,
}

impl Grid {
    /// Cell range [lo, hi] (inclusive) along one axis for the interval [a, b], widened by a
    /// margin so that rounding in [`GridIndex::cell_of`] can never escape it.
    fn span(&self, a: f64, b: f64, origin: f64, n: usize) -> (usize, usize) {
        let margin = 1e-6;
        let lo = ((a - origin) * self.inv_cs - margin).floor().max(0.0) as usize;
        let hi = (((b - origin) * self.inv_cs + margin).floor().max(0.0) as usize).min(n - 1);
        (lo.min(n - 1), hi)
    }

    /// The (cell << 32 | entry) list of polygon `p`.
    fn cells_of(&self, p: usize, b: [f64; 4], edges: &[Edge], set: &PolygonSet) -> Vec<u64> {
        let (cx0, cx1) = self.span(b[0], b[2], self.x0, self.nx);
        let (cy0, cy1) = self.span(b[1], b[3], self.y0, self.ny);
        let w = cx1 - cx0 + 1;
        let h = cy1 - cy0 + 1;
        let mut boundary = vec![false; w * h];
        for e in edges {
            self.mark_edge(e, cx0, cy0, cx1, cy1, w, &mut boundary);
        }
        let mut out = Vec::new();
        let tag = (p as u64) << 1;
        for row in 0..h {
            let mut known: Option<bool> = None;
            for col in 0..w {
                let cell = ((cy0 + row) * self.nx + cx0 + col) as u64;
                if boundary[row * w + col] {
                    out.push(cell << 32 | tag);
                    known = None;
                    continue;
                }
                let inside = *known.get_or_insert_with(|| {
                    let cx = self.x0 + ((cx0 + col) as f64 + 0.5) * self.cs;
                    let cy = self.y0 + ((cy0 + row) as f64 + 0.5) * self.cs;
                    set.covers(p, cx, cy)
                });
                if inside {
                    out.push(cell << 32 | tag | INSIDE as u64);
                }
            }
        }
        out
    }

    /// Marks every cell that the edge passes within the margin of.
    #[allow(clippy::too_many_arguments)]
    fn mark_edge(
        &self,
        e: &Edge,
        cx0: usize,
        cy0: usize,
        cx1: usize,
        cy1: usize,
        w: usize,
        marks: &mut [bool],
    ) {
        let (ylo, yhi) = (e.y1.min(e.y2), e.y1.max(e.y2));
        let (ry0, ry1) = self.span(ylo, yhi, self.y0, self.ny);
        let (ry0, ry1) = (ry0.max(cy0), ry1.min(cy1));
        let margin = self.cs * 1e-6;
        for r in ry0..=ry1 {
            // the part of the edge inside this row's band (widened by the margin)
            let band_lo = self.y0 + r as f64 * self.cs - margin;
            let band_hi = self.y0 + (r + 1) as f64 * self.cs + margin;
            let (xa, xb) = if e.y1 == e.y2 {
                (e.x1.min(e.x2), e.x1.max(e.x2))
            } else {
                let t0 = ((band_lo - e.y1) / (e.y2 - e.y1)).clamp(0.0, 1.0);
                let t1 = ((band_hi - e.y1) / (e.y2 - e.y1)).clamp(0.0, 1.0);
                let xa = e.x1 + (e.x2 - e.x1) * t0;
                let xb = e.x1 + (e.x2 - e.x1) * t1;
                (xa.min(xb), xa.max(xb))
            };
            let (c0, c1) = self.span(xa, xb, self.x0, self.nx);
            let (c0, c1) = (c0.max(cx0), c1.min(cx1));
            for c in c0..=c1 {
                marks[(r - cy0) * w + (c - cx0)] = true;
            }
        }
    }
}
