//! Rule sets: named, versioned classification policies loaded from TOML.
//!
//! A rule set says which offers *qualify* (technologies, minimum speeds, nominal or
//! peak-hour speeds, planning horizon) and how the qualifying offers reaching a unit map to a
//! class: by the number of distinct physical networks (`by = "networks"`) or by the best
//! qualifying speed (`by = "best_speed"`). The presets shipped in `data/rules/` are compiled
//! in; any other TOML file with the same schema can be loaded by path.

mod eval;
mod spec;

pub use eval::{Decision, PreparedRules, Qual, RasterSample, UNKNOWN_CLASS};
pub use spec::{Bound, Classes, Horizon, Qualify, RuleSet, Signal, SpeedKind, Tier};

use crate::error::{Error, Result};
use std::path::Path;

/// The presets compiled into the binary: (name, TOML text).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "eu2013-nga",
        include_str!("../../../data/rules/eu2013-nga.toml"),
    ),
    (
        "eu2023-gigabit",
        include_str!("../../../data/rules/eu2023-gigabit.toml"),
    ),
    (
        "it-1giga-2026",
        include_str!("../../../data/rules/it-1giga-2026.toml"),
    ),
    (
        "it-2028-300",
        include_str!("../../../data/rules/it-2028-300.toml"),
    ),
    ("bead", include_str!("../../../data/rules/bead.toml")),
    ("it-5g", include_str!("../../../data/rules/it-5g.toml")),
    (
        "fcc-4g-5-1",
        include_str!("../../../data/rules/fcc-4g-5-1.toml"),
    ),
    (
        "fcc-5g-7-1",
        include_str!("../../../data/rules/fcc-5g-7-1.toml"),
    ),
    (
        "fcc-5g-35-3",
        include_str!("../../../data/rules/fcc-5g-35-3.toml"),
    ),
];

/// Loads a rule set by preset name or, when `name_or_path` names an existing file or ends
/// in `.toml`, from that file.
pub fn load(name_or_path: &str) -> Result<RuleSet> {
    load_with_text(name_or_path).map(|(r, _)| r)
}

/// Like [`load`], also returning the TOML text the rule set was read from (stored with
/// snapshots, so that a snapshot says exactly which rules made it).
pub fn load_with_text(name_or_path: &str) -> Result<(RuleSet, String)> {
    if let Some((_, text)) = PRESETS.iter().find(|(n, _)| *n == name_or_path) {
        return Ok((RuleSet::from_toml(text, name_or_path)?, text.to_string()));
    }
    let path = Path::new(name_or_path);
    if path.exists() || name_or_path.ends_with(".toml") {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        return Ok((RuleSet::from_toml(&text, name_or_path)?, text));
    }
    Err(Error::Rules {
        name: name_or_path.to_string(),
        message: format!(
            "no such preset and no such file (presets: {})",
            PRESETS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// All presets, parsed.
pub fn presets() -> Result<Vec<RuleSet>> {
    PRESETS
        .iter()
        .map(|(n, t)| RuleSet::from_toml(t, n))
        .collect()
}

/// The TOML text of a preset, for `bianca rules show`.
pub fn preset_text(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests;
