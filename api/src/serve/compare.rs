//! Another snapshot's classes for the units of the served one (matched by unit id), so that
//! the planner's map can mark the units whose class changed. Loaded on demand, one at a time.

use super::snapshot::Served;
use crate::store::{Store, StoreError};
use bianca_engine::rules::UNKNOWN_CLASS;
use std::collections::HashMap;

/// Marks a unit absent from the compared snapshot.
pub const ABSENT: u16 = u16::MAX;

/// The classes of the served snapshot's units in another snapshot.
#[derive(Debug)]
pub struct Compared {
    pub name: String,
    /// Per rule set of the served snapshot (by position): `None` when the other snapshot
    /// does not have it; else its class names and, per served unit, an index into them or
    /// [`ABSENT`].
    pub rules: Vec<Option<(Vec<String>, Vec<u16>)>>,
}

impl Compared {
    pub fn load(store: &mut Store, served: &Served, name: &str) -> Result<Compared, StoreError> {
        let other = store.load_snapshot(name)?;
        let ou = &other.units.units;
        let pos: HashMap<&str, usize> = (0..ou.len()).map(|j| (ou.ids.get(j), j)).collect();
        let map: Vec<Option<usize>> = (0..served.units.len())
            .map(|i| pos.get(served.units.ids.get(i)).copied())
            .collect();
        let rules = served
            .rules
            .iter()
            .map(|r| {
                let p = other.rules.iter().position(|o| o.name == r.name)?;
                let mut names: Vec<String> = other.rules[p]
                    .class_names()
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                names.push("unknown".into());
                let unknown = (names.len() - 1) as u16;
                let decisions = &other.classification.rules[p].decisions;
                let classes = map
                    .iter()
                    .map(|j| match j {
                        None => ABSENT,
                        Some(j) => {
                            let c = decisions[*j].class;
                            if c == UNKNOWN_CLASS || usize::from(c) >= names.len() - 1 {
                                unknown
                            } else {
                                u16::from(c)
                            }
                        }
                    })
                    .collect();
                Some((names, classes))
            })
            .collect();
        Ok(Compared {
            name: name.to_string(),
            rules,
        })
    }

    /// The class of served unit `i` under the served rule set `rule` in the compared
    /// snapshot: `absent` when the unit is not there, `None` when the rule set is not.
    pub fn class_of(&self, rule: usize, i: usize) -> Option<&str> {
        let (names, classes) = self.rules.get(rule)?.as_ref()?;
        Some(match classes[i] {
            ABSENT => "absent",
            c => names[usize::from(c)].as_str(),
        })
    }
}
