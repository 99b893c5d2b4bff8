//! A uniform grid over the footprints: per cell, the footprints that cover the whole cell
//! (*inside*) and those whose boundary crosses it (*boundary*). Cells a footprint does not
//! touch hold nothing for it. A boundary entry carries an 8 x 8 sub-grid of the cell, as two
//! bit masks (sub-cells inside the footprint, sub-cells its boundary crosses), so that most
//! points in a boundary cell are settled by one bit test; only points in boundary sub-cells
//! go to the exact test ([`super::refine`]).
//!
//! Correctness rests on one invariant, at both levels: a (sub-)cell is marked *inside* or
//! left out for a footprint only when no edge of the footprint comes within a small margin
//! of the closed (sub-)cell. Then every point of it, including points whose index rounding
//! puts them in a neighbour, has the same status as any point of it, which is read off the
//! polygon's scanlines (the sorted crossings of its edges with one horizontal line per
//! sub-row, even-odd like the exact test).

use super::counting;
use super::refine::{Edge, PolygonSet};
use crate::scatter::Scatter;
use geo::MultiPolygon;
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

/// Sub-cells per side of a boundary cell.
const SUB: usize = 8;
const INSIDE: u32 = 1;
/// Margin, in (sub-)cell units, by which (sub-)cells are widened when edges are marked.
const MARGIN: f64 = 1e-6;

/// One (cell, polygon) pair: `tag` is `polygon << 1 | INSIDE?`; for boundary entries `sub`
/// indexes [`GridIndex::subgrids`].
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    tag: u32,
    sub: u32,
}

/// The 8 x 8 sub-grid of a boundary entry: bit `row * 8 + col`.
#[derive(Debug, Clone, Copy, Default)]
struct SubGrid {
    inside: u64,
    boundary: u64,
}

/// At most this many entries in a cell for [`GridIndex::candidates`] (one bit each).
pub const MAX_CELL_CANDIDATES: usize = 64;

/// The polygons a cell holds, prepared for testing many points of the cell (see
/// [`GridIndex::candidates`]).
#[derive(Debug, Clone, Default)]
pub struct CellCandidates {
    /// The cell's polygons in entry order: bit j of a mask stands for `polygons[j]`.
    polygons: Vec<u32>,
    /// The polygons that cover the whole cell.
    inside: u64,
    boundary: Vec<BoundaryCandidate>,
}

impl CellCandidates {
    /// The polygon of bit `j`.
    #[inline]
    pub fn polygon(&self, j: u32) -> u32 {
        self.polygons[j as usize]
    }
}

/// A polygon whose boundary crosses the cell: its bit in masks and its sub-grid.
#[derive(Debug, Clone, Copy)]
struct BoundaryCandidate {
    bit: u64,
    polygon: u32,
    sub: SubGrid,
}

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
    entries: Vec<Entry>,
    subgrids: Vec<SubGrid>,
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
        let t = std::time::Instant::now();
        let set = PolygonSet::build_with(n, get);
        tracing::debug!(target: "bianca::timing", phase = "index: edges", secs = t.elapsed().as_secs_f64());
        let bboxes: Vec<Option<[f64; 4]>> = (0..n).map(|i| set.bbox(i)).collect();
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
        let t = std::time::Instant::now();
        if sizes.is_empty() {
            return GridIndex {
                x0: 0.0,
                y0: 0.0,
                inv_cs: 0.0,
                nx: 0,
                ny: 0,
                cell_start: vec![0],
                entries: Vec::new(),
                subgrids: Vec::new(),
                polygons: set,
            };
        }
        sizes.sort_by(f64::total_cmp);
        let (w, h) = (ext[2] - ext[0], ext[3] - ext[1]);
        let mut cs = sizes[sizes.len() / 2] / opts.cells_per_footprint;
        // below 2^30 cells, so that a cell number leaves a bit free (`Cells::INSIDE`)
        let min_cs = ((w * h) / opts.max_cells.min(1 << 30) as f64).sqrt();
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
        let per_polygon: Vec<Cells> = (0..n)
            .into_par_iter()
            .map_init(Vec::new, |edges, p| match bboxes[p] {
                Some(b) => {
                    set.edges_into(p, edges);
                    grid.cells_of(b, edges)
                }
                None => Cells::default(),
            })
            .collect();
        tracing::debug!(target: "bianca::timing", phase = "index: cells", secs = t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        // counting sort of the entries by cell, in parallel blocks of polygons
        let keys = nx * ny;
        let writes = per_polygon.iter().map(|l| l.cells.len()).sum();
        let ranges = counting::ranges(n, counting::blocks(n, keys, writes));
        let mut counts = counting::count(&ranges, keys, |r, f| {
            for list in &per_polygon[r.clone()] {
                list.cells
                    .iter()
                    .for_each(|c| f((c & !Cells::INSIDE) as usize));
            }
        });
        let cell_start = counting::offsets(&mut counts, keys);
        // each block's first sub-grid: the polygons' sub-grids go in polygon order
        let mut sub_base = Vec::with_capacity(ranges.len());
        let mut total_sub = 0usize;
        for r in &ranges {
            sub_base.push(total_sub);
            total_sub += per_polygon[r.clone()]
                .iter()
                .map(|l| l.subgrids.len())
                .sum::<usize>();
        }
        let mut entries = counting::filled(cell_start[keys] as usize, Entry::default());
        let mut subgrids = counting::filled(total_sub, SubGrid::default());
        {
            let (entries_out, subgrids_out) =
                (Scatter::new(&mut entries), Scatter::new(&mut subgrids));
            ranges
                .par_iter()
                .zip(counts)
                .zip(&sub_base)
                .for_each(|((r, mut at), &base)| {
                    let mut sub = base;
                    for p in r.clone() {
                        let list = &per_polygon[p];
                        let tag = (p as u32) << 1;
                        // a boundary entry takes the polygon's next sub-grid
                        let mut own = list.subgrids.iter();
                        for c in &list.cells {
                            let e = if c & Cells::INSIDE != 0 {
                                Entry {
                                    tag: tag | INSIDE,
                                    sub: 0,
                                }
                            } else {
                                let g = *own.next().expect("one sub-grid per boundary cell");
                                // SAFETY: the blocks' sub-grid ranges are disjoint (`sub_base`)
                                unsafe { subgrids_out.write(sub, g) };
                                sub += 1;
                                Entry {
                                    tag,
                                    sub: (sub - 1) as u32,
                                }
                            };
                            let c = (c & !Cells::INSIDE) as usize;
                            // SAFETY: `offsets` gives every entry of every block its own
                            // position
                            unsafe { entries_out.write(at[c] as usize, e) };
                            at[c] += 1;
                        }
                    }
                });
        }
        drop(per_polygon);
        tracing::debug!(target: "bianca::timing", phase = "index: sort", secs = t.elapsed().as_secs_f64(), cells = nx * ny, entries = entries.len(), subgrids = subgrids.len());
        GridIndex {
            x0: ext[0],
            y0: ext[1],
            inv_cs,
            nx,
            ny,
            cell_start,
            entries,
            subgrids,
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
    /// are *inside* entries (no test needed), for reports and tuning.
    pub fn shape(&self) -> (usize, usize, usize, usize) {
        let inside = self.entries.len() - self.subgrids.len();
        (self.nx, self.ny, self.entries.len(), inside)
    }

    /// The most entries (polygons) any one cell holds.
    pub fn max_cell_entries(&self) -> usize {
        self.cell_start
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }

    /// Grid size: (columns, rows). Cell `c` is column `c % columns`, row `c / columns`.
    pub fn dims(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }

    /// Where (x, y) falls: its cell and the index (`row * 8 + column`) of its sub-cell;
    /// `None` outside the grid (outside the extent of every polygon) or for a coordinate
    /// that is not a number. A point on the line between two cells is in the upper / right
    /// one; the index's margin makes either answer correct.
    #[inline]
    pub fn place(&self, x: f64, y: f64) -> Option<(u32, u8)> {
        let fx = (x - self.x0) * self.inv_cs;
        let fy = (y - self.y0) * self.inv_cs;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (cx, cy) = (fx as usize, fy as usize);
        if cx >= self.nx || cy >= self.ny {
            return None;
        }
        let sx = (((fx - cx as f64) * SUB as f64) as usize).min(SUB - 1);
        let sy = (((fy - cy as f64) * SUB as f64) as usize).min(SUB - 1);
        Some(((cy * self.nx + cx) as u32, (sy * SUB + sx) as u8))
    }

    /// Calls `f(polygon)` for every polygon covering (x, y) (boundary included), in index
    /// order of the cell's entries; returns how many there were.
    #[inline]
    pub fn for_each_covering(&self, x: f64, y: f64, f: impl FnMut(u32)) -> u32 {
        self.probe(x, y, f).unwrap_or(0)
    }

    /// Like [`GridIndex::for_each_covering`], but tells a point outside the grid (`None`:
    /// outside the extent of every polygon) from one inside it that no polygon covers.
    #[inline]
    pub fn probe(&self, x: f64, y: f64, f: impl FnMut(u32)) -> Option<u32> {
        let (c, sub) = self.place(x, y)?;
        Some(self.probe_in(c, sub, x, y, f))
    }

    /// [`GridIndex::probe`] for a point already placed (by [`GridIndex::place`]) in cell
    /// `cell`, sub-cell `sub`.
    #[inline]
    pub fn probe_in(&self, cell: u32, sub: u8, x: f64, y: f64, mut f: impl FnMut(u32)) -> u32 {
        let c = cell as usize;
        let bit = 1u64 << sub;
        let mut n = 0;
        let range = self.cell_start[c] as usize..self.cell_start[c + 1] as usize;
        for e in &self.entries[range] {
            let p = e.tag >> 1;
            let hit = e.tag & INSIDE != 0 || {
                let sg = &self.subgrids[e.sub as usize];
                sg.inside & bit != 0
                    || (sg.boundary & bit != 0 && self.polygons.covers(p as usize, x, y))
            };
            if hit {
                f(p);
                n += 1;
            }
        }
        n
    }

    /// Prepares the candidates of cell `cell` for [`GridIndex::covering_mask`]; false (and
    /// `out` unusable) when the cell has more than [`MAX_CELL_CANDIDATES`] entries, which
    /// [`GridIndex::probe_in`] handles instead.
    pub fn candidates(&self, cell: u32, out: &mut CellCandidates) -> bool {
        let c = cell as usize;
        let entries = &self.entries[self.cell_start[c] as usize..self.cell_start[c + 1] as usize];
        out.polygons.clear();
        out.boundary.clear();
        out.inside = 0;
        if entries.len() > MAX_CELL_CANDIDATES {
            return false;
        }
        for (j, e) in entries.iter().enumerate() {
            out.polygons.push(e.tag >> 1);
            if e.tag & INSIDE != 0 {
                out.inside |= 1 << j;
            } else {
                out.boundary.push(BoundaryCandidate {
                    bit: 1 << j,
                    polygon: e.tag >> 1,
                    sub: self.subgrids[e.sub as usize],
                });
            }
        }
        true
    }

    /// The candidates of a cell (see [`GridIndex::candidates`]) that cover (x, y), a point
    /// of that cell in sub-cell `sub`: bit j stands for [`CellCandidates::polygon`]`(j)`.
    /// The same answers as [`GridIndex::probe_in`], as a mask, so that points of a cell
    /// with the same mask can share their results.
    #[inline]
    pub fn covering_mask(&self, cand: &CellCandidates, sub: u8, x: f64, y: f64) -> u64 {
        let bit = 1u64 << sub;
        let mut m = cand.inside;
        for b in &cand.boundary {
            if b.sub.inside & bit != 0
                || (b.sub.boundary & bit != 0 && self.polygons.covers(b.polygon as usize, x, y))
            {
                m |= b.bit;
            }
        }
        m
    }

    /// The exact test alone, for polygon `p` (used by tests and benches).
    pub fn covers(&self, p: usize, x: f64, y: f64) -> bool {
        self.polygons.covers(p, x, y)
    }
}

/// The cells of one polygon, as [`Grid::cells_of`] finds them: the cells it covers whole
/// (flagged) or crosses, and the sub-grids of the crossed ones in their order.
#[derive(Debug, Default)]
struct Cells {
    /// Cell numbers, with [`Cells::INSIDE`] set for inside entries.
    cells: Vec<u32>,
    subgrids: Vec<SubGrid>,
}

impl Cells {
    /// Flag of an inside entry in [`Cells::cells`] (cell numbers stay below 2^31: see
    /// `min_cs` in [`GridIndex::build_with`]).
    const INSIDE: u32 = 1 << 31;
}

/// A uniform grid: the index's own, or the sub-grid of one cell.
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
    /// Cell range [lo, hi] (inclusive) along one axis for the interval [a, b], widened by
    /// [`MARGIN`] so that rounding in [`GridIndex::place`] can never escape it.
    fn span(&self, a: f64, b: f64, origin: f64, n: usize) -> (usize, usize) {
        // for v >= 0, `v as usize` is floor(v); below 0 both clamp to cell 0
        let lo = ((a - origin) * self.inv_cs - MARGIN).max(0.0) as usize;
        let hi = (((b - origin) * self.inv_cs + MARGIN).max(0.0) as usize).min(n - 1);
        (lo.min(n - 1), hi)
    }

    /// The cells of polygon `p`.
    ///
    /// The edges are rasterised once, conservatively, at sub-cell resolution over the
    /// polygon's box: a sub-cell is *boundary* when an edge comes within the margin of it,
    /// and a cell is a boundary cell when any of its sub-cells is. Inside / outside of the
    /// other (sub-)cells is read off scanlines: every sub-row of the box has one horizontal
    /// line through its middle, the x of every crossing of an edge with it is computed once
    /// and sorted, and a point of a line is inside when an odd number of crossings lie left
    /// of it (even-odd, the rule of [`super::refine::covers_with`]; the crossing rule is the
    /// same half-open one). Only (sub-)cells that no edge comes near are decided this way,
    /// so a point tested is at least half a sub-cell from every edge and rounding of the
    /// crossings cannot change its side.
    fn cells_of(&self, b: [f64; 4], edges: &[Edge]) -> Cells {
        let (cx0, cx1) = self.span(b[0], b[2], self.x0, self.nx);
        let (cy0, cy1) = self.span(b[1], b[3], self.y0, self.ny);
        let w = cx1 - cx0 + 1;
        let h = cy1 - cy0 + 1;
        // boundary sub-cells: one byte per (sub-row, cell column), bit = sub-column
        let sub = Grid {
            x0: self.x0 + cx0 as f64 * self.cs,
            y0: self.y0 + cy0 as f64 * self.cs,
            cs: self.cs / SUB as f64,
            inv_cs: self.inv_cs * SUB as f64,
            nx: w * SUB,
            ny: h * SUB,
        };
        let mut marks = vec![0u8; h * SUB * w];
        for e in edges {
            sub.mark_edge(e, |row, c0, c1| {
                set_bits(&mut marks[row * w..(row + 1) * w], c0, c1)
            });
        }
        // sub-cells whose centre is inside, in the same layout
        let inside = Scanlines::new(self, cy0, h, edges).inside_bits(&sub, w);
        let mut out = Cells {
            cells: Vec::with_capacity((w * h).min(1 << 16)),
            subgrids: Vec::new(),
        };
        for row in 0..h {
            for col in 0..w {
                let cell = ((cy0 + row) * self.nx + cx0 + col) as u32;
                let (mut boundary, mut centres) = (0u64, 0u64);
                for s in 0..SUB {
                    let at = (row * SUB + s) * w + col;
                    boundary |= u64::from(marks[at]) << (s * SUB);
                    centres |= u64::from(inside[at]) << (s * SUB);
                }
                if boundary != 0 {
                    out.subgrids.push(SubGrid {
                        inside: centres & !boundary,
                        boundary,
                    });
                    out.cells.push(cell);
                } else if centres & 1 != 0 {
                    // no edge near the cell: its whole area has the status of any point of it
                    out.cells.push(cell | Cells::INSIDE);
                }
            }
        }
        out
    }

    /// Calls `mark(row, c0, c1)` for the cells `c0..=c1` of every row of the grid that the
    /// edge passes within the margin of.
    fn mark_edge(&self, e: &Edge, mut mark: impl FnMut(usize, usize, usize)) {
        let (ylo, yhi) = (e.y1.min(e.y2), e.y1.max(e.y2));
        let (ry0, ry1) = self.span(ylo, yhi, self.y0, self.ny);
        let margin = self.cs * MARGIN;
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
            mark(r, c0, c1);
        }
    }
}

/// Sets bits `c0..=c1` of a row of bytes (bit `c % 8` of byte `c / 8`).
fn set_bits(row: &mut [u8], c0: usize, c1: usize) {
    let (b0, b1) = (c0 / 8, c1 / 8);
    let head = (0xffu16 << (c0 % 8)) as u8;
    let tail = (0xffu16 >> (7 - c1 % 8)) as u8;
    if b0 == b1 {
        row[b0] |= head & tail;
    } else {
        row[b0] |= head;
        row[b0 + 1..b1].fill(0xff);
        row[b1] |= tail;
    }
}

/// The crossings of one polygon's edges with the horizontal line through the middle of
/// each sub-row of its cell rows, sorted along each line.
struct Scanlines {
    /// Crossings of line k: `xs[start[k]..start[k + 1]]`.
    start: Vec<usize>,
    xs: Vec<f64>,
}

impl Scanlines {
    /// The lines of cell rows `cy0..cy0 + h` of `grid` (`SUB` per row).
    fn new(grid: &Grid, cy0: usize, h: usize, edges: &[Edge]) -> Scanlines {
        let n = h * SUB;
        let sub_cs = grid.cs / SUB as f64;
        let ybase = grid.y0 + cy0 as f64 * grid.cs;
        let y_of = |k: usize| ybase + (k as f64 + 0.5) * sub_cs;
        let mut pairs: Vec<(u32, f64)> = Vec::with_capacity(2 * n);
        for e in edges {
            if e.y1 == e.y2 {
                continue;
            }
            let (lo, hi) = (e.y1.min(e.y2), e.y1.max(e.y2));
            // candidate lines, one wider on each side; the test below is the exact one
            let k0 = (((lo - ybase) / sub_cs - 1.5).max(0.0) as usize).min(n);
            let k1 = (((hi - ybase) / sub_cs + 1.5).max(0.0) as usize).min(n);
            for k in k0..k1 {
                let y = y_of(k);
                // the half-open rule of `covers_with`: each ring crosses a line evenly
                if (e.y1 > y) != (e.y2 > y) {
                    let x = e.x1 + (y - e.y1) * (e.x2 - e.x1) / (e.y2 - e.y1);
                    pairs.push((k as u32, x));
                }
            }
        }
        let mut start = vec![0usize; n + 1];
        for &(k, _) in &pairs {
            start[k as usize + 1] += 1;
        }
        for k in 1..=n {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut xs = vec![0.0; pairs.len()];
        for &(k, x) in &pairs {
            xs[fill[k as usize]] = x;
            fill[k as usize] += 1;
        }
        for k in 0..n {
            xs[start[k]..start[k + 1]].sort_unstable_by(f64::total_cmp);
        }
        Scanlines { start, xs }
    }

    /// The sub-cells of `sub` (the sub-grid over the polygon's box, `w` cells wide, one
    /// line per sub-row) whose centre is inside: one byte per (sub-row, cell column), bit =
    /// sub-column, like the boundary marks. A centre is inside when an odd number of its
    /// line's crossings lie left of it, i.e. it lies in (x[2k], x[2k + 1]] for some k.
    /// Only sub-cells no edge comes near are read from this, and their centres are at least
    /// half a sub-cell from every crossing, so rounding here cannot change their status.
    fn inside_bits(&self, sub: &Grid, w: usize) -> Vec<u8> {
        let n_sub = (w * SUB) as f64;
        let mut bits = vec![0u8; (self.start.len() - 1) * w];
        for (line, row) in bits.chunks_exact_mut(w).enumerate() {
            let xs = &self.xs[self.start[line]..self.start[line + 1]];
            for pair in xs.chunks_exact(2) {
                // centres x0 + (j + 0.5) cs with a < centre <= b
                let lo = ((pair[0] - sub.x0) * sub.inv_cs - 0.5).floor() + 1.0;
                let hi = ((pair[1] - sub.x0) * sub.inv_cs - 0.5).floor();
                let (lo, hi) = (lo.max(0.0), hi.min(n_sub - 1.0));
                if lo <= hi {
                    set_bits(row, lo as usize, hi as usize);
                }
            }
        }
        bits
    }
}
