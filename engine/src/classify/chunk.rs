//! Classifying one chunk of units in visiting order (cell by cell): the covering mask of
//! each unit against its cell's candidates, the offers it stands for, and the rules'
//! results, shared between units of a cell with the same mask and between units anywhere
//! under the same offers.

use super::{reach_of, MobileOps, Reach};
use crate::join::index::{CellCandidates, GridIndex};
use crate::join::probe::{CellOrder, OUTSIDE};
use crate::mobile::{sample, Sampler};
use crate::model::{Coverage, Offer};
use crate::rules::{Decision, PreparedRules, RasterSample};
use crate::units::Units;
use std::collections::HashMap;

/// Distinct covering masks remembered per cell (more are evaluated without sharing).
const CELL_CACHE: usize = 64;

/// What every chunk of one classification reads.
pub(super) struct Chunks<'a> {
    pub units: &'a Units,
    pub coverage: &'a Coverage,
    pub index: &'a GridIndex,
    pub placed: &'a CellOrder,
    pub prepared: &'a [PreparedRules<'a>],
    pub offers: &'a [Offer],
    /// Per footprint, its offer.
    pub fp_offer: &'a [u32],
    /// Per offer, its bit in [`MobileOps`].
    pub mobile_bit: &'a [u32],
    /// Unit id -> declared offers.
    pub declared: &'a HashMap<&'a str, Vec<u32>>,
    pub sampler: &'a Sampler<'a>,
    /// Rule sets.
    pub nr: usize,
}

/// A chunk's counts.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub pairs: u64,
    pub declared_pairs: u64,
    pub outside: u64,
    pub raster_unknown: u64,
}

/// Classifies the units `idx` (registry rows, in visiting order) into `reach`, `ops` and
/// `decs` (`nr` per unit), in the same order.
pub(super) fn classify_chunk(
    ctx: &Chunks,
    evaluated: &mut Evaluated,
    reach: &mut [Reach],
    ops: &mut [MobileOps],
    decs: &mut [Decision],
    idx: &[u32],
) -> Counts {
    let mut hits: Vec<u32> = Vec::with_capacity(64);
    let mut scratch: Vec<u32> = Vec::with_capacity(16);
    // the current cell's candidates, and its covering masks already evaluated
    let mut cand = CellCandidates::default();
    let (mut cur, mut masked) = (OUTSIDE, false);
    let mut cache: Vec<(u64, usize)> = Vec::with_capacity(CELL_CACHE);
    let (mut p, mut dp, mut out, mut unknown) = (0u64, 0u64, 0u64, 0u64);
    // the chunk's raster values, raster-major
    let mut values: Vec<f32> = Vec::new();
    let mut samples: Vec<RasterSample> = Vec::with_capacity(ctx.sampler.len());
    // the chunk's coordinates and places gathered first: the registry is in file
    // order, so these reads miss the cache, and in a loop of their own they overlap
    // instead of stalling every probe
    let lon: Vec<f64> = idx.iter().map(|&i| ctx.units.lon[i as usize]).collect();
    let lat: Vec<f64> = idx.iter().map(|&i| ctx.units.lat[i as usize]).collect();
    let cell: Vec<u32> = idx.iter().map(|&i| ctx.placed.cell[i as usize]).collect();
    let sub: Vec<u8> = idx.iter().map(|&i| ctx.placed.sub[i as usize]).collect();
    if !ctx.sampler.is_empty() {
        ctx.sampler
            .sample(&lon, &lat, &mut values, &mut sample::Scratch::default());
    }
    for (k, &i) in idx.iter().enumerate() {
        let i = i as usize;
        sample::fill_samples(&ctx.coverage.rasters, &values, idx.len(), k, &mut samples);
        unknown += u64::from(samples.iter().any(|s| s.value.is_nan()));
        if k == 0 || cell[k] != cur {
            cur = cell[k];
            cache.clear();
            masked = cur != OUTSIDE && ctx.index.candidates(cur, &mut cand);
        }
        let declared_here = match ctx.declared.is_empty() {
            true => None,
            false => ctx.declared.get(ctx.units.ids.get(i)),
        };
        // results that depend on the footprints alone can be shared
        let shared = samples.is_empty() && declared_here.is_none();
        hits.clear();
        let mask = if cur == OUTSIDE {
            out += 1;
            None
        } else if masked {
            let m = ctx.index.covering_mask(&cand, sub[k], lon[k], lat[k]);
            p += u64::from(m.count_ones());
            if shared {
                if let Some(&(_, src)) = cache.iter().find(|c| c.0 == m) {
                    copy_results(reach, ops, decs, ctx.nr, src, k);
                    continue;
                }
            }
            let mut bits = m;
            while bits != 0 {
                let j = bits.trailing_zeros();
                hits.push(ctx.fp_offer[cand.polygon(j) as usize]);
                bits &= bits - 1;
            }
            Some(m)
        } else {
            p += u64::from(ctx.index.probe_in(cur, sub[k], lon[k], lat[k], |fp| {
                hits.push(ctx.fp_offer[fp as usize])
            }));
            None
        };
        if let Some(list) = declared_here {
            hits.extend_from_slice(list);
            dp += list.len() as u64;
        }
        let remember = |cache: &mut Vec<(u64, usize)>| {
            if let Some(m) = mask.filter(|_| shared && cache.len() < CELL_CACHE) {
                cache.push((m, k));
            }
        };
        // units in other cells mostly lie under the same offers: the same offers
        // (and no raster) give the same results, so copy them
        let decs_k = &mut decs[k * ctx.nr..(k + 1) * ctx.nr];
        if samples.is_empty() && evaluated.copy(&hits, &mut reach[k], &mut ops[k], decs_k) {
            remember(&mut cache);
            continue;
        }
        (reach[k], ops[k]) = reach_of(&hits, &samples, ctx.coverage, ctx.mobile_bit, &mut scratch);
        for (r, pr) in ctx.prepared.iter().enumerate() {
            decs_k[r] = pr.decide_with(&hits, &samples, ctx.offers, &mut scratch);
        }
        if samples.is_empty() {
            evaluated.insert(&hits, reach[k], ops[k], decs_k);
            remember(&mut cache);
        }
    }
    Counts {
        pairs: p,
        declared_pairs: dp,
        outside: out,
        raster_unknown: unknown,
    }
}

/// Results already evaluated (on one thread), by the offers reaching a unit, for units
/// without raster samples: their results depend on those offers alone.
pub(super) struct Evaluated {
    by_offers: HashMap<Vec<u32>, u32, foldhash::fast::FixedState>,
    reach: Vec<(Reach, MobileOps)>,
    /// `nr` per entry.
    decisions: Vec<Decision>,
    nr: usize,
}

impl Evaluated {
    /// Entries kept at most; past it the cache starts over.
    const MAX: usize = 1 << 16;

    pub(super) fn new(nr: usize) -> Self {
        Evaluated {
            by_offers: HashMap::default(),
            reach: Vec::new(),
            decisions: Vec::new(),
            nr,
        }
    }

    /// Copies the results for `offers` into `reach`, `ops`, `decisions` if they are known.
    #[inline]
    fn copy(
        &self,
        offers: &[u32],
        reach: &mut Reach,
        ops: &mut MobileOps,
        decisions: &mut [Decision],
    ) -> bool {
        let Some(&e) = self.by_offers.get(offers) else {
            return false;
        };
        let e = e as usize;
        (*reach, *ops) = self.reach[e];
        decisions.copy_from_slice(&self.decisions[e * self.nr..(e + 1) * self.nr]);
        true
    }

    fn insert(&mut self, offers: &[u32], reach: Reach, ops: MobileOps, decisions: &[Decision]) {
        if self.reach.len() >= Self::MAX {
            self.by_offers.clear();
            self.reach.clear();
            self.decisions.clear();
        }
        self.by_offers
            .insert(offers.to_vec(), self.reach.len() as u32);
        self.reach.push((reach, ops));
        self.decisions.extend_from_slice(decisions);
    }
}

/// Copies unit `src`'s results to unit `dst` (positions in one chunk).
#[inline]
fn copy_results(
    reach: &mut [Reach],
    ops: &mut [MobileOps],
    decs: &mut [Decision],
    nr: usize,
    src: usize,
    dst: usize,
) {
    (reach[dst], ops[dst]) = (reach[src], ops[src]);
    decs.copy_within(src * nr..(src + 1) * nr, dst * nr);
}

/// One chunk's results in visiting order, reused from chunk to chunk on a thread.
#[derive(Default)]
pub(super) struct ChunkResults {
    pub reach: Vec<Reach>,
    pub ops: Vec<MobileOps>,
    /// `nr` per unit.
    pub decs: Vec<Decision>,
}

impl ChunkResults {
    /// Room for `n` units of `nr` rule sets.
    pub(super) fn resize(&mut self, n: usize, nr: usize) {
        self.reach.resize(n, Reach::default());
        self.ops.resize(n, MobileOps::default());
        self.decs.resize(n * nr, Decision::default());
    }
}
