//! The rule-set schema (TOML) and its validation.

use crate::error::{Error, Result};
use crate::model::{TechMask, Technology};
use serde::Deserialize;

/// Whether a speed threshold is inclusive (`>=`) or strict (`>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    #[default]
    AtLeast,
    MoreThan,
}

impl Bound {
    /// True when `value` meets `threshold` under this bound.
    pub fn meets(self, value: f32, threshold: f32) -> bool {
        match self {
            Bound::AtLeast => value >= threshold,
            Bound::MoreThan => value > threshold,
        }
    }
}

/// Which speeds the thresholds apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SpeedKind {
    /// `down_mbps` / `up_mbps`.
    #[default]
    Nominal,
    /// `peak_down_mbps` / `peak_up_mbps`; a missing value is unknown, never the nominal one.
    Peak,
}

/// Which offers qualify.
#[derive(Debug, Clone, PartialEq)]
pub struct Qualify {
    pub technologies: TechMask,
    /// Whether FWA on unlicensed spectrum counts.
    pub unlicensed_fwa: bool,
    /// Minimum download speed; `None` = no download threshold.
    pub min_down_mbps: Option<f32>,
    /// Minimum upload speed; `None` = no upload threshold.
    pub min_up_mbps: Option<f32>,
    pub bound: Bound,
    pub speed: SpeedKind,
}

/// Which planned offers count, besides existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// Planned with `year <= reference_year + n`.
    YearsAfterReference(i32),
    /// Planned with `year <= y`, whatever the reference year.
    UntilYear(i32),
    /// Only existing offers count.
    ExistingOnly,
}

impl Horizon {
    /// The last year whose planned coverage counts, or `None` when no planned coverage does.
    pub fn last_year(self, reference_year: i32) -> Option<i32> {
        match self {
            Horizon::YearsAfterReference(n) => Some(reference_year + n),
            Horizon::UntilYear(y) => Some(y),
            Horizon::ExistingOnly => None,
        }
    }
}

/// One class of a `best_speed` rule set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tier {
    pub name: String,
    #[serde(default)]
    pub min_down_mbps: Option<f32>,
    #[serde(default)]
    pub min_up_mbps: Option<f32>,
}

/// How qualifying offers map to a class.
#[derive(Debug, Clone, PartialEq)]
pub enum Classes {
    /// By the number of distinct networks: `names[k]` for k networks, the last name for
    /// k >= names.len() - 1.
    Networks { names: Vec<String> },
    /// By the best qualifying offer: the first tier it meets; the last tier otherwise.
    BestSpeed { tiers: Vec<Tier> },
}

/// One row of a rule set's `[[signal]]` table: what a raster of signal level (RSRP) gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signal {
    /// The technology the row applies to; `None` = every technology.
    pub technology: Option<Technology>,
    pub min_rsrp_dbm: f32,
    pub down_mbps: f32,
    pub up_mbps: f32,
}

/// A named, versioned classification policy.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub name: String,
    pub version: u32,
    pub title: String,
    /// The comment block at the top of the TOML file: the rule set's documentation.
    pub description: String,
    pub qualify: Qualify,
    pub horizon: Horizon,
    pub classes: Classes,
    /// How rasters of signal level map to speeds: the first row (in file order) for the
    /// technology whose `min_rsrp_dbm` the value reaches. Empty when the rule set has none.
    pub signal: Vec<Signal>,
}

impl RuleSet {
    /// The (download, upload) speeds the `[[signal]]` table gives a raster pixel of
    /// technology `t` with signal `rsrp_dbm`: the first row for `t` (or for every technology)
    /// whose threshold the value reaches; (0, 0) below every row. `None` when the table has
    /// no row for `t`: the speed is then unknown.
    pub fn signal_speeds(&self, t: Technology, rsrp_dbm: f32) -> Option<(f32, f32)> {
        let mut rows = self
            .signal
            .iter()
            .filter(|s| s.technology.is_none_or(|st| st == t))
            .peekable();
        rows.peek()?;
        Some(
            rows.find(|s| rsrp_dbm >= s.min_rsrp_dbm)
                .map_or((0.0, 0.0), |s| (s.down_mbps, s.up_mbps)),
        )
    }

    /// The class names, in class-index order.
    pub fn class_names(&self) -> Vec<&str> {
        match &self.classes {
            Classes::Networks { names } => names.iter().map(String::as_str).collect(),
            Classes::BestSpeed { tiers } => tiers.iter().map(|t| t.name.as_str()).collect(),
        }
    }

    /// Parses and validates a rule set. `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<RuleSet> {
        let err = |message: String| Error::Rules {
            name: origin.to_string(),
            message,
        };
        let raw: RawRuleSet = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut technologies = TechMask::default();
        for t in &raw.qualify.technologies {
            let tech: Technology = t
                .parse()
                .map_err(|e| err(format!("qualify.technologies: {e}")))?;
            technologies.insert(tech);
        }
        if technologies.is_empty() {
            return Err(err("qualify.technologies is empty".into()));
        }
        let h = &raw.horizon;
        let horizon = match (h.years_after_reference, h.until_year, h.planned) {
            (_, _, Some(false)) if h.years_after_reference.is_none() && h.until_year.is_none() => {
                Horizon::ExistingOnly
            }
            (Some(n), None, None | Some(true)) if n >= 0 => Horizon::YearsAfterReference(n),
            (None, Some(y), None | Some(true)) => Horizon::UntilYear(y),
            _ => {
                return Err(err(
                    "[horizon] needs exactly one of years_after_reference = N (N >= 0), \
                     until_year = YYYY, or planned = false"
                        .into(),
                ))
            }
        };
        let classes = match raw.classes.by.as_str() {
            "networks" => {
                let names = raw.classes.names.clone().unwrap_or_default();
                if names.len() < 2 {
                    return Err(err("classes.names needs at least two classes".into()));
                }
                Classes::Networks { names }
            }
            "best_speed" => {
                let tiers = raw.classes.tiers.clone().unwrap_or_default();
                if tiers.len() < 2 {
                    return Err(err("classes.tiers needs at least two tiers".into()));
                }
                let last = &tiers[tiers.len() - 1];
                if last.min_down_mbps.is_some() || last.min_up_mbps.is_some() {
                    return Err(err(format!(
                        "the last tier ({}) is the fallback and must have no thresholds",
                        last.name
                    )));
                }
                Classes::BestSpeed { tiers }
            }
            other => {
                return Err(err(format!(
                    "classes.by = {other:?}: expected \"networks\" or \"best_speed\""
                )))
            }
        };
        let names: Vec<&str> = match &classes {
            Classes::Networks { names } => names.iter().map(String::as_str).collect(),
            Classes::BestSpeed { tiers } => tiers.iter().map(|t| t.name.as_str()).collect(),
        };
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(err(format!(
                    "class name {n:?}: use letters, digits and underscores"
                )));
            }
            if *n == "unknown" || names[..i].contains(n) {
                return Err(err(format!("class name {n:?} is reserved or repeated")));
            }
        }
        if raw.name.is_empty() {
            return Err(err("name is empty".into()));
        }
        let description = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let mut signal: Vec<Signal> = Vec::with_capacity(raw.signal.len());
        for (i, row) in raw.signal.iter().enumerate() {
            let at = format!("signal row {}", i + 1);
            let technology = match &row.technology {
                Some(t) => Some(
                    t.parse::<Technology>()
                        .map_err(|e| err(format!("{at}: technology: {e}")))?,
                ),
                None => None,
            };
            if !(-200.0..=0.0).contains(&row.min_rsrp_dbm) {
                return Err(err(format!(
                    "{at}: min_rsrp_dbm = {} is not a signal level in dBm (-200 to 0)",
                    row.min_rsrp_dbm
                )));
            }
            if !(row.down_mbps >= 0.0 && row.up_mbps >= 0.0) {
                return Err(err(format!("{at}: speeds must be >= 0")));
            }
            // rows for the same technology from the strongest signal down, else a later row
            // could never apply
            if let Some(prev) = signal.iter().rev().find(|s| {
                s.technology == technology || s.technology.is_none() || technology.is_none()
            }) {
                if prev.min_rsrp_dbm <= row.min_rsrp_dbm {
                    return Err(err(format!(
                        "{at}: min_rsrp_dbm = {} after a row with {}: list the rows of a \
                         technology from the strongest signal down",
                        row.min_rsrp_dbm, prev.min_rsrp_dbm
                    )));
                }
            }
            signal.push(Signal {
                technology,
                min_rsrp_dbm: row.min_rsrp_dbm,
                down_mbps: row.down_mbps,
                up_mbps: row.up_mbps,
            });
        }
        Ok(RuleSet {
            name: raw.name,
            version: raw.version,
            title: raw.title,
            description,
            qualify: Qualify {
                technologies,
                unlicensed_fwa: raw.qualify.unlicensed_fwa,
                min_down_mbps: raw.qualify.min_down_mbps,
                min_up_mbps: raw.qualify.min_up_mbps,
                bound: raw.qualify.bound,
                speed: raw.qualify.speed,
            },
            horizon,
            classes,
            signal,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    name: String,
    #[serde(default = "one")]
    version: u32,
    #[serde(default)]
    title: String,
    qualify: RawQualify,
    horizon: RawHorizon,
    classes: RawClasses,
    #[serde(default)]
    signal: Vec<RawSignal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignal {
    technology: Option<String>,
    min_rsrp_dbm: f32,
    down_mbps: f32,
    up_mbps: f32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQualify {
    technologies: Vec<String>,
    #[serde(default)]
    unlicensed_fwa: bool,
    min_down_mbps: Option<f32>,
    min_up_mbps: Option<f32>,
    #[serde(default)]
    bound: Bound,
    #[serde(default)]
    speed: SpeedKind,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHorizon {
    years_after_reference: Option<i32>,
    until_year: Option<i32>,
    planned: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClasses {
    by: String,
    names: Option<Vec<String>>,
    tiers: Option<Vec<Tier>>,
}
