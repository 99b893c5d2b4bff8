//! Evaluating a rule set: first per offer (does it qualify?), then per unit (which class?).
//!
//! Qualification depends only on the offer, so it is computed once per offer
//! ([`PreparedRules::new`]); a unit's decision then only looks up the offers that reach it.

use super::spec::{Bound, Classes, RuleSet, SpeedKind};
use crate::model::{Offer, Status, Technology, ValueKind};

/// The class index of a unit whose class depends on unknown data (a missing peak speed).
pub const UNKNOWN_CLASS: u8 = u8::MAX;

/// Whether one offer qualifies under a rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Qual {
    No = 0,
    Yes = 1,
    /// The rule needs a value the offer does not have (a peak-hour speed).
    Unknown = 2,
}

/// A unit's class under one rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Index into [`RuleSet::class_names`], or [`UNKNOWN_CLASS`].
    pub class: u8,
    /// Distinct physical networks (by `infrastructure`) among the qualifying offers.
    pub networks: u8,
    /// Offers with unknown data reached the unit and could have changed the count: the class
    /// was decided anyway (it is the same either way) or is [`UNKNOWN_CLASS`].
    pub on_unknown: bool,
}

/// A raster pixel reaching a unit: the raster's offer and the pixel's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RasterSample {
    /// The raster band's offer (operator, technology, status, year).
    pub offer: u32,
    pub kind: ValueKind,
    /// The pixel's value; NaN when unknown (nodata, outside the raster's extent).
    pub value: f32,
    /// The band's upload speed, when the raster gives one.
    pub up_mbps: Option<f32>,
}

/// A rule set prepared against one table of offers and one reference year.
#[derive(Debug, Clone)]
pub struct PreparedRules<'a> {
    pub rule: &'a RuleSet,
    /// Per offer: [`Qual`] as u8.
    qual: Vec<u8>,
    /// Per offer, for `best_speed` rule sets: the index of the best tier it meets.
    tier: Vec<u8>,
    /// Per offer: its technology, status and year count under the rule set (speeds aside).
    counts: Vec<bool>,
    n_classes: u8,
    by_speed: bool,
}

impl<'a> PreparedRules<'a> {
    pub fn new(rule: &'a RuleSet, offers: &[Offer], reference_year: i32) -> Self {
        let last_year = rule.horizon.last_year(reference_year);
        let q = &rule.qualify;
        let counts: Vec<bool> = offers
            .iter()
            .map(|o| {
                let counts_now = match o.status {
                    Status::Existing => true,
                    Status::Planned => matches!((o.year, last_year), (Some(y), Some(l)) if y <= l),
                };
                q.technologies.contains(o.technology)
                    && !(o.technology == Technology::Fwa && !o.licensed && !q.unlicensed_fwa)
                    && counts_now
            })
            .collect();
        let mut p = PreparedRules {
            rule,
            qual: Vec::new(),
            tier: Vec::new(),
            counts,
            n_classes: rule.class_names().len() as u8,
            by_speed: matches!(rule.classes, Classes::BestSpeed { .. }),
        };
        p.qual = offers
            .iter()
            .zip(&p.counts)
            .map(|(o, &c)| {
                if !c {
                    return Qual::No as u8;
                }
                let (down, up) = p.speeds(o);
                p.speed_qual(down, up) as u8
            })
            .collect();
        if p.by_speed {
            p.tier = offers
                .iter()
                .map(|o| {
                    let (down, up) = p.speeds(o);
                    p.tier_of(down, up)
                })
                .collect();
        }
        p
    }

    /// The speeds of an offer the rule set's thresholds apply to (nominal or peak). A NaN
    /// nominal speed (a raster offer's unknown upload) is unknown.
    fn speeds(&self, o: &Offer) -> (Option<f32>, Option<f32>) {
        let known = |v: f32| (!v.is_nan()).then_some(v);
        match self.rule.qualify.speed {
            SpeedKind::Nominal => (known(o.down_mbps), known(o.up_mbps)),
            SpeedKind::Peak => (o.peak_down_mbps, o.peak_up_mbps),
        }
    }

    /// Whether speeds meet the thresholds; a missing speed that a threshold needs is unknown.
    fn speed_qual(&self, down: Option<f32>, up: Option<f32>) -> Qual {
        let q = &self.rule.qualify;
        let check = |value: Option<f32>, min: Option<f32>| match (min, value) {
            (None, _) => Some(true),
            (Some(_), None) => None,
            (Some(m), Some(v)) => Some(q.bound.meets(v, m)),
        };
        match (check(down, q.min_down_mbps), check(up, q.min_up_mbps)) {
            (Some(false), _) | (_, Some(false)) => Qual::No,
            (Some(true), Some(true)) => Qual::Yes,
            _ => Qual::Unknown,
        }
    }

    /// The best tier of a `best_speed` rule set that speeds meet (the fallback otherwise).
    fn tier_of(&self, down: Option<f32>, up: Option<f32>) -> u8 {
        let Classes::BestSpeed { tiers } = &self.rule.classes else {
            return 0;
        };
        let meets = |v: Option<f32>, m: Option<f32>| match m {
            None => true,
            Some(m) => v.is_some_and(|v| Bound::AtLeast.meets(v, m)),
        };
        tiers
            .iter()
            .position(|t| meets(down, t.min_down_mbps) && meets(up, t.min_up_mbps))
            .map_or((tiers.len() - 1) as u8, |p| p as u8)
    }

    /// The qualification of offer `offer`.
    pub fn qual(&self, offer: u32) -> Qual {
        match self.qual[offer as usize] {
            1 => Qual::Yes,
            2 => Qual::Unknown,
            _ => Qual::No,
        }
    }

    /// The qualification (and, for `best_speed` rule sets, the tier) of a raster pixel.
    ///
    /// The pixel's value becomes the speeds the thresholds apply to:
    /// - `down_mbps`: the nominal download speed; its peak-hour speed is unknown;
    /// - `peak_down_mbps`: the peak-hour download speed, and also the nominal one (a speed at
    ///   peak hours is never above the nominal speed, so this can only undercount);
    /// - `rsrp_dbm`: the speeds of the rule set's `[[signal]]` table (both nominal and peak);
    ///   unknown when the table has no row for the technology.
    ///
    /// The upload speed is the band's `UP_MBPS` (the signal table's for RSRP), else unknown.
    /// A pixel without a value (nodata, outside the raster) is unknown.
    pub fn sample_qual(&self, s: &RasterSample, offers: &[Offer]) -> (Qual, u8) {
        let fallback = self.n_classes.saturating_sub(1);
        if !self.counts[s.offer as usize] {
            return (Qual::No, fallback);
        }
        if s.value.is_nan() {
            return (Qual::Unknown, fallback);
        }
        let peak = self.rule.qualify.speed == SpeedKind::Peak;
        let (down, up) = match s.kind {
            ValueKind::DownMbps if peak => (None, None),
            ValueKind::DownMbps | ValueKind::PeakDownMbps => (Some(s.value), s.up_mbps),
            ValueKind::RsrpDbm => {
                let t = offers[s.offer as usize].technology;
                match self.rule.signal_speeds(t, s.value) {
                    Some((d, u)) => (Some(d), Some(u)),
                    None => (None, None),
                }
            }
        };
        let q = self.speed_qual(down, up);
        let tier = if self.by_speed {
            self.tier_of(down, up)
        } else {
            fallback
        };
        (q, tier)
    }

    /// Decides a unit from the offers reaching it (`hits`, indices into the offer table this
    /// was prepared with; repeats allowed). `scratch` is a reusable buffer.
    pub fn decide(&self, hits: &[u32], offers: &[Offer], scratch: &mut Vec<u32>) -> Decision {
        self.decide_with(hits, &[], offers, scratch)
    }

    /// Like [`PreparedRules::decide`], with raster pixels reaching the unit too: a raster
    /// counts like any offer of its operator's network, with the qualification of
    /// [`PreparedRules::sample_qual`].
    pub fn decide_with(
        &self,
        hits: &[u32],
        samples: &[RasterSample],
        offers: &[Offer],
        scratch: &mut Vec<u32>,
    ) -> Decision {
        // (qualification, tier, network) of everything reaching the unit
        let each = |f: &mut dyn FnMut(u8, u8, u32)| {
            for &h in hits {
                let tier = self.tier.get(h as usize).copied().unwrap_or(u8::MAX);
                f(
                    self.qual[h as usize],
                    tier,
                    offers[h as usize].infrastructure,
                );
            }
            for s in samples {
                let (q, t) = self.sample_qual(s, offers);
                f(q as u8, t, offers[s.offer as usize].infrastructure);
            }
        };
        // Distinct networks: qualifying ones first, then those only reached with unknown data.
        scratch.clear();
        let mut any_unknown = false;
        let mut best_tier = self.n_classes.saturating_sub(1);
        each(&mut |q, t, infra| {
            if q == Qual::Yes as u8 {
                if !scratch.contains(&infra) {
                    scratch.push(infra);
                }
                if self.by_speed {
                    best_tier = best_tier.min(t);
                }
            } else if q == Qual::Unknown as u8 {
                any_unknown = true;
            }
        });
        let definite = scratch.len();
        let mut possible = definite;
        if any_unknown {
            each(&mut |q, _, infra| {
                if q == Qual::Unknown as u8 && !scratch.contains(&infra) {
                    scratch.push(infra);
                }
            });
            possible = scratch.len();
        }
        let networks = definite.min(u8::MAX as usize - 1) as u8;
        match self.by_speed {
            false => {
                let top = (self.n_classes - 1) as usize;
                let (c_def, c_pos) = (definite.min(top), possible.min(top));
                Decision {
                    class: if c_def == c_pos {
                        c_def as u8
                    } else {
                        UNKNOWN_CLASS
                    },
                    networks,
                    on_unknown: possible > definite,
                }
            }
            true => {
                // An offer with unknown speed could be in any tier, so it can only be ignored
                // when the unit already has the best tier.
                let decided = !any_unknown || best_tier == 0;
                Decision {
                    class: if decided { best_tier } else { UNKNOWN_CLASS },
                    networks,
                    on_unknown: any_unknown,
                }
            }
        }
    }
}
