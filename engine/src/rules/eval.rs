//! Evaluating a rule set: first per offer (does it qualify?), then per unit (which class?).
//!
//! Qualification depends only on the offer, so it is computed once per offer
//! ([`PreparedRules::new`]); a unit's decision then only looks up the offers that reach it.

use super::spec::{Bound, Classes, RuleSet, SpeedKind};
use crate::model::{Offer, Status, Technology};

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

/// A rule set prepared against one table of offers and one reference year.
#[derive(Debug, Clone)]
pub struct PreparedRules<'a> {
    pub rule: &'a RuleSet,
    /// Per offer: [`Qual`] as u8.
    qual: Vec<u8>,
    /// Per offer, for `best_speed` rule sets: the index of the best tier it meets.
    tier: Vec<u8>,
    n_classes: u8,
    by_speed: bool,
}

impl<'a> PreparedRules<'a> {
    pub fn new(rule: &'a RuleSet, offers: &[Offer], reference_year: i32) -> Self {
        let last_year = rule.horizon.last_year(reference_year);
        let q = &rule.qualify;
        let speeds = |o: &Offer| match q.speed {
            SpeedKind::Nominal => (Some(o.down_mbps), Some(o.up_mbps)),
            SpeedKind::Peak => (o.peak_down_mbps, o.peak_up_mbps),
        };
        let qual = offers
            .iter()
            .map(|o| {
                let counts_now = match o.status {
                    Status::Existing => true,
                    Status::Planned => matches!((o.year, last_year), (Some(y), Some(l)) if y <= l),
                };
                if !q.technologies.contains(o.technology)
                    || (o.technology == Technology::Fwa && !o.licensed && !q.unlicensed_fwa)
                    || !counts_now
                {
                    return Qual::No as u8;
                }
                let (down, up) = speeds(o);
                let check = |value: Option<f32>, min: Option<f32>| match (min, value) {
                    (None, _) => Some(true),
                    (Some(_), None) => None,
                    (Some(m), Some(v)) => Some(q.bound.meets(v, m)),
                };
                match (check(down, q.min_down_mbps), check(up, q.min_up_mbps)) {
                    (Some(false), _) | (_, Some(false)) => Qual::No as u8,
                    (Some(true), Some(true)) => Qual::Yes as u8,
                    _ => Qual::Unknown as u8,
                }
            })
            .collect::<Vec<_>>();
        let (tier, n_classes) = match &rule.classes {
            Classes::Networks { names } => (Vec::new(), names.len() as u8),
            Classes::BestSpeed { tiers } => {
                let fallback = (tiers.len() - 1) as u8;
                let t = offers
                    .iter()
                    .map(|o| {
                        let (down, up) = speeds(o);
                        let meets = |v: Option<f32>, m: Option<f32>| match m {
                            None => true,
                            Some(m) => v.is_some_and(|v| Bound::AtLeast.meets(v, m)),
                        };
                        tiers
                            .iter()
                            .position(|t| meets(down, t.min_down_mbps) && meets(up, t.min_up_mbps))
                            .map_or(fallback, |p| p as u8)
                    })
                    .collect();
                (t, tiers.len() as u8)
            }
        };
        PreparedRules {
            rule,
            qual,
            tier,
            n_classes,
            by_speed: matches!(rule.classes, Classes::BestSpeed { .. }),
        }
    }

    /// The qualification of offer `offer`.
    pub fn qual(&self, offer: u32) -> Qual {
        match self.qual[offer as usize] {
            1 => Qual::Yes,
            2 => Qual::Unknown,
            _ => Qual::No,
        }
    }

    /// Decides a unit from the offers reaching it (`hits`, indices into the offer table this
    /// was prepared with; repeats allowed). `scratch` is a reusable buffer.
    pub fn decide(&self, hits: &[u32], offers: &[Offer], scratch: &mut Vec<u32>) -> Decision {
        // Distinct networks: qualifying ones first, then those only reached with unknown data.
        scratch.clear();
        let mut any_unknown = false;
        let mut best_tier = self.n_classes.saturating_sub(1);
        for &h in hits {
            if self.qual[h as usize] == Qual::Yes as u8 {
                let infra = offers[h as usize].infrastructure;
                if !scratch.contains(&infra) {
                    scratch.push(infra);
                }
                if let Some(&t) = self.tier.get(h as usize) {
                    best_tier = best_tier.min(t);
                }
            } else if self.qual[h as usize] == Qual::Unknown as u8 {
                any_unknown = true;
            }
        }
        let definite = scratch.len();
        let mut possible = definite;
        if any_unknown {
            for &h in hits {
                if self.qual[h as usize] == Qual::Unknown as u8 {
                    let infra = offers[h as usize].infrastructure;
                    if !scratch.contains(&infra) {
                        scratch.push(infra);
                    }
                }
            }
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
