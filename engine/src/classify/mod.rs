//! Classifying a registry: for every unit, the offers that reach it (footprints through the
//! join index, declarations by unit id, raster pixels sampled at the unit), then every rule
//! set's decision.
//!
//! Units are visited cell by cell of the join index ([`crate::join::probe::cell_order`]), in
//! parallel chunks. The units of one cell are tested against the cell's candidates only,
//! and units of a cell covered by the same footprints share one evaluation of the rules.
//! [`classify`] gives columnar results in the registry's order; [`classify_counts`] adds
//! each chunk's units to per-comune counts instead and keeps nothing per unit.

use crate::join::index::{GridIndex, GridOptions};
use crate::join::probe::cell_order;
use crate::mobile::Sampler;
use crate::model::{Coverage, TechMask, Technology};
use crate::rules::{Decision, PreparedRules, RasterSample, RuleSet};
use crate::stats::AreaCounts;
use crate::units::Units;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

mod chunk;

use crate::scatter::Scatter;
use chunk::{classify_chunk, ChunkResults, Chunks, Evaluated};

/// Units per parallel task.
const CHUNK: usize = 4096;

#[derive(Debug, Clone, Copy)]
pub struct ClassifyOptions {
    /// The year "existing" refers to; horizons relative to it count from it.
    pub reference_year: i32,
    pub grid: GridOptions,
    /// Keep the mobile operators reaching each unit ([`Classification::mobile_ops`]). Only
    /// per-operator statistics read them: without, they are neither computed into nor
    /// allocated (8 bytes a unit), and `mobile_ops` is empty.
    pub mobile_ops: bool,
}

/// One rule set's results, per unit.
#[derive(Debug, Clone)]
pub struct RuleResults {
    pub name: String,
    pub class_names: Vec<String>,
    pub decisions: Vec<Decision>,
}

impl RuleResults {
    /// The class name of unit `i` (`unknown` when it depends on missing data).
    pub fn class_name(&self, i: usize) -> &str {
        self.class_names
            .get(self.decisions[i].class as usize)
            .map_or("unknown", String::as_str)
    }
}

/// Rule-independent facts about a unit: what reaches it, whatever the status or year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reach {
    /// Best download / upload speed of any offer reaching the unit, existing or planned
    /// (0 when none).
    pub best_down: f32,
    pub best_up: f32,
    /// Technologies of the offers reaching the unit, existing or planned.
    pub technologies: TechMask,
    /// Distinct networks with 4G / with 5G reaching the unit, existing or planned.
    pub networks_4g: u8,
    pub networks_5g: u8,
}

/// The mobile operators reaching a unit, existing or planned: bit k stands for
/// [`Classification::mobile_operators`]`[k]` (the first [`MAX_MOBILE_OPERATORS`] only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MobileOps {
    pub ops_4g: u32,
    pub ops_5g: u32,
}

/// At most this many mobile operators are told apart in [`MobileOps`].
pub const MAX_MOBILE_OPERATORS: usize = 32;

/// The results of a classification run, aligned with the registry's rows.
#[derive(Debug, Clone)]
pub struct Classification {
    pub rules: Vec<RuleResults>,
    pub reach: Vec<Reach>,
    /// Unit x footprint pairs found by the spatial join.
    pub pairs: u64,
    /// Unit x offer pairs from declarations.
    pub declared_pairs: u64,
    /// Declarations whose unit id is not in the registry.
    pub unmatched_declarations: usize,
    /// Units outside the bounding box of all footprints (many of them hint at swapped
    /// lon/lat or a wrong CRS).
    pub outside_coverage: u64,
    /// Units with no value in at least one coverage raster (outside its extent, or nodata).
    pub raster_unknown: u64,
    /// Operators of 4G / 5G offers, sorted by name (at most [`MAX_MOBILE_OPERATORS`]; more
    /// are not told apart per operator).
    pub mobile_operators: Vec<String>,
    /// Per unit, the mobile operators reaching it; empty when not known (a stored
    /// snapshot keeps no per-operator reach), not asked for ([`ClassifyOptions::mobile_ops`])
    /// or when no offer is 4G / 5G (`mobile_operators` is empty).
    pub mobile_ops: Vec<MobileOps>,
}

/// What a run found besides its per-unit results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunFacts {
    /// Unit x footprint pairs found by the spatial join.
    pub pairs: u64,
    /// Unit x offer pairs from declarations.
    pub declared_pairs: u64,
    /// Declarations whose unit id is not in the registry.
    pub unmatched_declarations: usize,
    /// Units outside the bounding box of all footprints.
    pub outside_coverage: u64,
    /// Units with no value in at least one coverage raster.
    pub raster_unknown: u64,
}

impl Classification {
    /// The run's facts besides its per-unit results.
    pub fn facts(&self) -> RunFacts {
        RunFacts {
            pairs: self.pairs,
            declared_pairs: self.declared_pairs,
            unmatched_declarations: self.unmatched_declarations,
            outside_coverage: self.outside_coverage,
            raster_unknown: self.raster_unknown,
        }
    }
}

/// A registry classified straight into per-comune counts ([`classify_counts`]): nothing is
/// kept per unit.
#[derive(Debug, Clone)]
pub struct Counted {
    /// Per comune of the registry (and units without one), what
    /// [`crate::stats::StatsBuilder::add_counts`] turns into statistics rows.
    pub counts: AreaCounts,
    pub facts: RunFacts,
}

/// Classifies every unit. `index` must have been built over `coverage.footprints` in order
/// (see [`build_index`]). `progress` is called with the number of units just finished.
pub fn classify(
    units: &Units,
    coverage: &Coverage,
    index: &GridIndex,
    rules: &[RuleSet],
    opts: &ClassifyOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Classification {
    let n = units.len();
    let nr = rules.len();
    let (mobile_operators, mobile_bit) = mobile_operators(coverage);
    // results in registry order; pages are first touched in parallel
    let mut reach: Vec<Reach> = Vec::with_capacity(n);
    reach.par_extend(rayon::iter::repeat_n(Reach::default(), n));
    // not asked for, or without mobile operators (every unit's would be none): not kept
    // (see `mobile_ops`)
    let mut mobile_ops: Vec<MobileOps> = Vec::new();
    if opts.mobile_ops && !mobile_operators.is_empty() {
        mobile_ops.reserve_exact(n);
        mobile_ops.par_extend(rayon::iter::repeat_n(MobileOps::default(), n));
    }
    let mut decisions: Vec<Vec<Decision>> = (0..nr)
        .map(|_| {
            let mut d = Vec::with_capacity(n);
            d.par_extend(rayon::iter::repeat_n(Decision::default(), n));
            d
        })
        .collect();
    let keep_ops = !mobile_ops.is_empty();
    let (reach_out, ops_out) = (Scatter::new(&mut reach), Scatter::new(&mut mobile_ops));
    let dec_out: Vec<Scatter<Decision>> = decisions.iter_mut().map(|d| Scatter::new(d)).collect();
    let facts = run(
        units,
        coverage,
        index,
        rules,
        opts,
        &mobile_bit,
        progress,
        |idx, local| {
            for (k, &i) in idx.iter().enumerate() {
                let i = i as usize;
                // SAFETY: `run` hands over disjoint chunks of a permutation of the rows, so
                // row `i` is written by this chunk only
                unsafe {
                    reach_out.write(i, local.reach[k]);
                    if keep_ops {
                        ops_out.write(i, local.ops[k]);
                    }
                    for (r, out) in dec_out.iter().enumerate() {
                        out.write(i, local.decs[k * nr + r]);
                    }
                }
            }
        },
    );
    let rules_out = rules
        .iter()
        .zip(decisions)
        .map(|(rule, decisions)| RuleResults {
            name: rule.name.clone(),
            class_names: rule.class_names().iter().map(|s| s.to_string()).collect(),
            decisions,
        })
        .collect();
    Classification {
        rules: rules_out,
        reach,
        pairs: facts.pairs,
        declared_pairs: facts.declared_pairs,
        unmatched_declarations: facts.unmatched_declarations,
        outside_coverage: facts.outside_coverage,
        raster_unknown: facts.raster_unknown,
        mobile_operators,
        mobile_ops,
    }
}

/// Classifies every unit like [`classify`], adding each unit to the counts of its comune
/// as soon as it is classified instead of keeping its results: what per-comune statistics
/// need, without a pass over per-unit arrays or the memory for them. With `mobile`, the
/// counts have the mobile columns (see [`crate::stats::compute_with`]), per operator when
/// [`ClassifyOptions::mobile_ops`] is set.
pub fn classify_counts(
    units: &Units,
    coverage: &Coverage,
    index: &GridIndex,
    rules: &[RuleSet],
    opts: &ClassifyOptions,
    mobile: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Counted {
    let names: Vec<(String, Vec<String>)> = rules
        .iter()
        .map(|r| {
            let classes = r.class_names().iter().map(|s| s.to_string()).collect();
            (r.name.clone(), classes)
        })
        .collect();
    let (operators, mobile_bit) = mobile_operators(coverage);
    let known = if opts.mobile_ops { &operators[..] } else { &[] };
    let empty = AreaCounts::new(units.comune_codes.len(), &names, known, mobile);
    // one accumulator per thread (by its index in the pool): chunks on one thread add up
    // into it without contention
    let per_thread: Vec<Mutex<Option<AreaCounts>>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::new(None))
        .collect();
    let nr = rules.len();
    let facts = run(
        units,
        coverage,
        index,
        rules,
        opts,
        &mobile_bit,
        progress,
        |idx, local| {
            let t = rayon::current_thread_index().unwrap_or(0) % per_thread.len();
            let mut slot = per_thread[t].lock().unwrap_or_else(|e| e.into_inner());
            let acc = slot.get_or_insert_with(|| empty.clone());
            for (k, &i) in idx.iter().enumerate() {
                let i = i as usize;
                let ops = local.ops[k];
                acc.add_unit(units.comune[i], units.units[i], &local.reach[k], ops, |r| {
                    local.decs[k * nr + r]
                });
            }
        },
    );
    let mut counts = empty;
    for acc in per_thread {
        if let Some(c) = acc.into_inner().unwrap_or_else(|e| e.into_inner()) {
            counts.merge(&c);
        }
    }
    Counted { counts, facts }
}

/// The classification itself, for [`classify`] and [`classify_counts`]: every unit visited
/// once, in parallel chunks of the visiting order; `take(rows, results)` receives each
/// chunk's rows (registry positions; the chunks are disjoint and together every row once)
/// and their results in the same order. `mobile_bit` is [`mobile_operators`]' second half.
/// Returns the run's facts.
#[allow(clippy::too_many_arguments)]
fn run(
    units: &Units,
    coverage: &Coverage,
    index: &GridIndex,
    rules: &[RuleSet],
    opts: &ClassifyOptions,
    mobile_bit: &[u32],
    progress: &(dyn Fn(u64) + Sync),
    take: impl Fn(&[u32], &ChunkResults) + Sync,
) -> RunFacts {
    let offers = &coverage.offers.offers;
    let prepared: Vec<PreparedRules> = rules
        .iter()
        .map(|r| PreparedRules::new(r, offers, opts.reference_year))
        .collect();
    let fp_offer: Vec<u32> = coverage.footprints.iter().map(|f| f.offer).collect();

    // declarations: unit id -> offers (hash join)
    let mut declared: HashMap<&str, Vec<u32>> = HashMap::new();
    for d in &coverage.declarations {
        declared
            .entry(d.unit_id.as_str())
            .or_default()
            .push(d.offer);
    }
    let unmatched = if declared.is_empty() {
        0
    } else {
        let ids: std::collections::HashSet<&str> = units.ids.iter().collect();
        coverage
            .declarations
            .iter()
            .filter(|d| !ids.contains(d.unit_id.as_str()))
            .count()
    };

    let n = units.len();
    let t = std::time::Instant::now();
    let placed = cell_order(index, &units.lon, &units.lat);
    let order = &placed.order;
    tracing::debug!(target: "bianca::timing", phase = "spatial order", secs = t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let pairs = AtomicU64::new(0);
    let declared_pairs = AtomicU64::new(0);
    let outside = AtomicU64::new(0);
    let raster_unknown = AtomicU64::new(0);
    let sampler = Sampler::new(&coverage.rasters);
    let nr = prepared.len();
    let ctx = Chunks {
        units,
        coverage,
        index,
        placed: &placed,
        prepared: &prepared,
        offers,
        fp_offer: &fp_offer,
        mobile_bit,
        declared: &declared,
        sampler: &sampler,
        nr,
    };
    debug_assert!(is_permutation(order, n));
    order.par_chunks(CHUNK).for_each_init(
        || (Evaluated::new(nr), ChunkResults::default()),
        |(evaluated, local), idx| {
            local.resize(idx.len(), nr);
            let c = classify_chunk(
                &ctx,
                evaluated,
                &mut local.reach,
                &mut local.ops,
                &mut local.decs,
                idx,
            );
            take(idx, local);
            pairs.fetch_add(c.pairs, Ordering::Relaxed);
            raster_unknown.fetch_add(c.raster_unknown, Ordering::Relaxed);
            declared_pairs.fetch_add(c.declared_pairs, Ordering::Relaxed);
            outside.fetch_add(c.outside, Ordering::Relaxed);
            progress(idx.len() as u64);
        },
    );
    tracing::debug!(target: "bianca::timing", phase = "probe and rules", secs = t.elapsed().as_secs_f64());
    RunFacts {
        pairs: pairs.into_inner(),
        declared_pairs: declared_pairs.into_inner(),
        unmatched_declarations: unmatched,
        outside_coverage: outside.into_inner(),
        raster_unknown: raster_unknown.into_inner(),
    }
}

/// True when `order` holds every row `0..n` once.
fn is_permutation(order: &[u32], n: usize) -> bool {
    let mut seen = vec![false; n];
    order.len() == n
        && order
            .iter()
            .all(|&i| !std::mem::replace(&mut seen[i as usize], true))
}

/// The operators of 4G / 5G offers, sorted, and per offer its bit in [`MobileOps`]
/// (0 for other technologies and operators past [`MAX_MOBILE_OPERATORS`]).
fn mobile_operators(coverage: &Coverage) -> (Vec<String>, Vec<u32>) {
    let offers = &coverage.offers;
    let mut names: Vec<&str> = offers
        .offers
        .iter()
        .filter(|o| o.technology.is_mobile())
        .map(|o| offers.names.name(o.operator))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.truncate(MAX_MOBILE_OPERATORS);
    let bits = offers
        .offers
        .iter()
        .map(|o| {
            let name = offers.names.name(o.operator);
            match names.iter().position(|n| *n == name) {
                Some(k) if o.technology.is_mobile() => 1u32 << k,
                _ => 0,
            }
        })
        .collect();
    (names.into_iter().map(str::to_string).collect(), bits)
}

/// The join index over the footprints of `coverage`, in order.
pub fn build_index(coverage: &Coverage, grid: GridOptions) -> GridIndex {
    GridIndex::build_with(
        coverage.footprints.len(),
        |i| &coverage.footprints[i].geometry,
        grid,
    )
}

/// What reaches a unit, whatever the rule set: offers (`hits`) and raster pixels that
/// reach it (see [`crate::mobile::reaches`]; a pixel of speed gives its speed, in whole
/// Mbit/s rounded down, as the best download speed; a pixel of signal gives none).
fn reach_of(
    hits: &[u32],
    samples: &[RasterSample],
    coverage: &Coverage,
    mobile_bit: &[u32],
    scratch: &mut Vec<u32>,
) -> (Reach, MobileOps) {
    let offers = &coverage.offers.offers;
    let mut r = Reach::default();
    for &h in hits {
        let o = &offers[h as usize];
        r.best_down = r.best_down.max(o.down_mbps);
        r.best_up = r.best_up.max(o.up_mbps);
        r.technologies.insert(o.technology);
    }
    let reaching = || {
        samples
            .iter()
            .filter(|s| crate::mobile::reaches(s.kind, s.value))
    };
    for s in reaching() {
        if s.kind != crate::model::ValueKind::RsrpDbm {
            r.best_down = r.best_down.max(s.value.floor());
            r.best_up = r.best_up.max(s.up_mbps.unwrap_or(0.0));
        }
        r.technologies.insert(offers[s.offer as usize].technology);
    }
    let mut count = |t: Technology| -> u8 {
        if !r.technologies.contains(t) {
            return 0;
        }
        scratch.clear();
        let nets = hits
            .iter()
            .copied()
            .chain(reaching().map(|s| s.offer))
            .map(|h| &offers[h as usize]);
        for o in nets {
            if o.technology == t && !scratch.contains(&o.infrastructure) {
                scratch.push(o.infrastructure);
            }
        }
        scratch.len().min(u8::MAX as usize) as u8
    };
    r.networks_4g = count(Technology::Mobile4g);
    r.networks_5g = count(Technology::Mobile5g);
    let mut m = MobileOps::default();
    for h in hits.iter().copied().chain(reaching().map(|s| s.offer)) {
        match offers[h as usize].technology {
            Technology::Mobile4g => m.ops_4g |= mobile_bit[h as usize],
            Technology::Mobile5g => m.ops_5g |= mobile_bit[h as usize],
            _ => {}
        }
    }
    (r, m)
}
