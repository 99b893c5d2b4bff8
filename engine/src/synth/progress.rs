//! Synthetic rollout progress: monthly per-address uploads (Italia 1 Giga style) for the
//! white units of some comuni, and monthly 5G site uploads (Italia 5G style), so the demo
//! and the tests have a rollout to track.
//!
//! The plan is drawn per comune: about two comuni in five are in it, each in a lot with a
//! start month and a pace. Half of the comune's white units (EU 2013 NGA rules, reference
//! year 2025, on the synthetic coverage) are its civici; each civico enters the plan
//! within three months of the start and then steps through the statuses of
//! [`Status::ALL`] (planned → … → sellable) at the comune's pace, with some jitter; one in
//! thirty is excluded on the way, with a note. A month's file lists every civico in the
//! plan by then, in its state at the month's end, as operators send full lists.
//!
//! Mobile sites: about one comune in seven gets one to three sites (backhaul or
//! densification) of MobiTre or Aria5, near the comune's first town, stepping through the
//! statuses the same way.
//!
//! Files: `progress/civico-YYYY-MM.csv` and `progress/sites-YYYY-MM.csv` for the
//! [`MONTHS`] months from January 2025, each dated by its month's last day; a month with no
//! work of a kind yet has no file of it (an empty upload is refused). Status dates never go
//! back and never pass the file's month, so every file is accepted as it is.

use std::fmt::Write as _;

use chrono::{Datelike, Months, NaiveDate};

use super::gen::{ARIA5, FIBRANET, MOBITRE, TELCOUNO};
use super::rng::Rng;
use super::Synth;
use crate::classify::{build_index, classify, ClassifyOptions};
use crate::error::{Error, Result};
use crate::join::index::GridOptions;
use crate::progress::Status;

/// Stream purposes (keys of [`Rng::stream`]), apart from the generator's own.
const PLAN: u64 = 101;
const CIVICO: u64 = 102;
const SITE: u64 = 103;

/// The months the files cover, from January 2025.
pub const MONTHS: u32 = 22;
/// Share of comuni in the per-address plan.
const PLAN_SHARE: f64 = 0.4;
/// Share of a plan comune's white units that are civici of the plan.
const CIVICO_SHARE: f64 = 0.5;
/// Share of civici excluded on the way.
const EXCLUDED_SHARE: f64 = 1.0 / 30.0;
/// Share of comuni with 5G sites.
const SITE_SHARE: f64 = 0.15;
/// Months from a lot's start to its planned end.
const PLANNED_MONTHS: u32 = 14;

const CIVICO_HEADER: &str = "operator_id,plan,lot,istat_comune,civico_id,street,number,lat,lon,ui_count,technology,status,status_date,planned_start,planned_ready,ready_date,sellable_date,max_down,max_up,note\n";
const SITES_HEADER: &str =
    "operator_id,site_id,site_type,plan,lat,lon,istat_comune,technology,status,status_date,planned_ready,ready_date,note\n";
const EXCLUSION_NOTES: [&str; 3] = [
    "edificio non raggiungibile",
    "rifiuto del proprietario",
    "civico demolito",
];

/// One file: its name under `progress/` and its CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressFile {
    pub name: String,
    /// The date the file reports: its month's last day.
    pub date: NaiveDate,
    pub csv: String,
}

/// The first day of month `m` of the window (0 = January 2025).
fn month_start(m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1)
        .and_then(|d| d.checked_add_months(Months::new(m)))
        .unwrap_or(NaiveDate::MIN)
}

/// The last day of month `m` of the window.
pub fn month_end(m: u32) -> NaiveDate {
    month_start(m + 1).pred_opt().unwrap_or(NaiveDate::MIN)
}

/// The date of a fractional month: its month, and a day spread over the month by the
/// fraction (so later times never give earlier dates).
fn date_at(t: f64) -> (u32, NaiveDate) {
    let m = t.floor().max(0.0) as u32;
    let day = (t.fract() * 28.0).floor() as u64;
    (m, month_start(m) + chrono::Days::new(day))
}

/// The work on one civico or site: when it enters the plan and when it reaches each status.
struct Track {
    /// Month the work enters the plan (as `planned`).
    enters: f64,
    /// The time each later status of the ordered chain is reached, in months.
    steps: [f64; 8],
    /// The step at which the work is excluded instead (1..=8), if it is.
    excluded_at: Option<usize>,
}

impl Track {
    fn draw(rng: &mut Rng, start: f64, pace: f64, excluded: bool) -> Track {
        let enters = start + rng.range(0.0, 3.0);
        let mut t = enters;
        let mut steps = [0.0; 8];
        for s in &mut steps {
            t += pace * rng.range(0.6, 1.4);
            *s = t;
        }
        let excluded_at = excluded.then(|| 1 + rng.below(7));
        Track {
            enters,
            steps,
            excluded_at,
        }
    }

    /// The status at the end of month `m`, with its date; `None` before the work enters.
    fn at(&self, m: u32) -> Option<(Status, NaiveDate, [Option<NaiveDate>; 2])> {
        let (m0, d0) = date_at(self.enters);
        if m0 > m {
            return None;
        }
        let mut status = (Status::Planned, d0);
        let mut ready = None;
        let mut sellable = None;
        for (k, &t) in self.steps.iter().enumerate() {
            let (mk, dk) = date_at(t);
            if mk > m {
                break;
            }
            if self.excluded_at == Some(k + 1) {
                status = (Status::Excluded, dk);
                break;
            }
            status = (Status::ALL[k + 1], dk);
            match Status::ALL[k + 1] {
                Status::Completed => ready = Some(dk),
                Status::Sellable => sellable = Some(dk),
                _ => {}
            }
        }
        Some((status.0, status.1, [ready, sellable]))
    }
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Quotes a CSV field when it needs it.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One civico of the plan.
struct Civico {
    unit: usize,
    comune: String,
    operator: &'static str,
    lot: u32,
    track: Track,
    planned_start: NaiveDate,
    planned_ready: NaiveDate,
    down: u32,
    up: u32,
    note: &'static str,
}

/// One 5G site.
struct Site {
    id: String,
    comune: String,
    operator: &'static str,
    kind: &'static str,
    lon: f64,
    lat: f64,
    track: Track,
    planned_ready: NaiveDate,
}

/// The monthly files of the synthetic rollout.
pub fn files(synth: &Synth) -> Result<Vec<ProgressFile>> {
    let units = &synth.units;
    let rules = crate::rules::presets()?
        .into_iter()
        .filter(|r| r.name == "eu2013-nga")
        .collect::<Vec<_>>();
    if rules.is_empty() {
        return Err(Error::Invalid("synth: no eu2013-nga preset".into()));
    }
    let index = build_index(&synth.coverage, GridOptions::default());
    let opts = ClassifyOptions {
        reference_year: 2025,
        grid: GridOptions::default(),
        mobile_ops: true,
    };
    let classified = classify(units, &synth.coverage, &index, &rules, &opts, &|_| {});
    let white = &classified.rules[0].decisions;

    // the plan, per comune: (operator, lot, start month, months per step)
    let plan: Vec<Option<(&'static str, u32, f64, f64)>> = (0..synth.comuni.len())
        .map(|c| {
            let mut rng = Rng::stream(synth.seed, &[PLAN, c as u64]);
            rng.chance(PLAN_SHARE).then(|| {
                let lot = 1 + rng.below(5) as u32;
                let operator = if lot % 2 == 1 { FIBRANET } else { TELCOUNO };
                (operator, lot, rng.range(0.0, 10.0), rng.range(1.0, 2.6))
            })
        })
        .collect();
    let mut civici = Vec::new();
    for (i, d) in white.iter().enumerate() {
        let c = units.comune[i] as usize;
        let (Some(Some((operator, lot, start, pace))), 0) = (plan.get(c), d.class) else {
            continue;
        };
        let mut rng = Rng::stream(synth.seed, &[CIVICO, i as u64]);
        if !rng.chance(CIVICO_SHARE) {
            continue;
        }
        let Some(code) = units.comune_code(i) else {
            continue;
        };
        let excluded = rng.chance(EXCLUDED_SHARE);
        let ftth_2500 = rng.chance(0.3);
        let start_month = start.floor() as u32;
        civici.push(Civico {
            unit: i,
            comune: code.to_string(),
            operator,
            lot: *lot,
            track: Track::draw(&mut rng, *start, *pace, excluded),
            planned_start: month_start(start_month),
            planned_ready: month_end(start_month + PLANNED_MONTHS),
            down: if ftth_2500 { 2500 } else { 1000 },
            up: if ftth_2500 { 500 } else { 300 },
            note: EXCLUSION_NOTES[rng.below(EXCLUSION_NOTES.len())],
        });
    }

    let mut sites = Vec::new();
    for (c, comune) in synth.comuni.iter().enumerate() {
        let mut rng = Rng::stream(synth.seed, &[SITE, c as u64]);
        if !rng.chance(SITE_SHARE) {
            continue;
        }
        let Some(town) = synth.towns.iter().find(|t| t.comune == c) else {
            continue;
        };
        let start = rng.range(0.0, 12.0);
        let pace = rng.range(0.8, 2.0);
        for s in 0..1 + rng.below(3) {
            let operator = if rng.chance(0.5) { MOBITRE } else { ARIA5 };
            sites.push(Site {
                id: format!("S{}{:02}", comune.code, s + 1),
                comune: comune.code.clone(),
                operator,
                kind: if rng.chance(0.4) {
                    "backhaul"
                } else {
                    "densification"
                },
                lon: super::geom::round7(town.lon + rng.range(-0.03, 0.03)),
                lat: super::geom::round7(town.lat + rng.range(-0.02, 0.02)),
                track: Track::draw(&mut rng, start, pace, false),
                planned_ready: month_end(start.floor() as u32 + PLANNED_MONTHS),
            });
        }
    }

    let mut out = Vec::new();
    for m in 0..MONTHS {
        let date = month_end(m);
        let tag = format!("{}-{:02}", date.year(), date.month());
        let mut csv = String::from(CIVICO_HEADER);
        for c in &civici {
            let Some((status, on, [ready, sellable])) = c.track.at(m) else {
                continue;
            };
            let address = units.address.as_ref().map_or("", |a| a.get(c.unit));
            let (street, number) = address.rsplit_once(' ').unwrap_or((address, ""));
            let _ = writeln!(
                csv,
                "{},PI1G,L{},{},{},{},{},{},{},{},FTTH,{},{},{},{},{},{},{},{},{}",
                c.operator,
                c.lot,
                c.comune,
                units.ids.get(c.unit),
                field(street),
                field(number),
                units.lat[c.unit],
                units.lon[c.unit],
                units.units[c.unit],
                status.as_str(),
                on,
                c.planned_start,
                c.planned_ready,
                opt_date(ready),
                opt_date(sellable),
                c.down,
                c.up,
                if status == Status::Excluded {
                    c.note
                } else {
                    ""
                },
            );
        }
        if csv.len() > CIVICO_HEADER.len() {
            out.push(ProgressFile {
                name: format!("civico-{tag}.csv"),
                date,
                csv,
            });
        }
        let mut csv = String::from(SITES_HEADER);
        for s in &sites {
            let Some((status, on, [ready, _])) = s.track.at(m) else {
                continue;
            };
            let _ = writeln!(
                csv,
                "{},{},{},PI5G,{},{},{},5G,{},{},{},{},",
                s.operator,
                s.id,
                s.kind,
                s.lat,
                s.lon,
                s.comune,
                status.as_str(),
                on,
                s.planned_ready,
                opt_date(ready),
            );
        }
        if csv.len() > SITES_HEADER.len() {
            out.push(ProgressFile {
                name: format!("sites-{tag}.csv"),
                date,
                csv,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::parse::parse;
    use crate::progress::{history::History, history::Version, Format};
    use crate::synth::{generate, SynthOptions};

    #[test]
    fn every_month_parses_cleanly_and_no_status_steps_back() {
        let s = generate(&SynthOptions {
            units: 20_000,
            seed: 7,
        })
        .unwrap();
        let files = files(&s).unwrap();
        // the last months have both kinds of work
        assert!(files.len() > MONTHS as usize && files.len() <= 2 * MONTHS as usize);
        let mut versions = Vec::new();
        let (mut civici, mut sites) = (0, 0);
        for (n, f) in files.iter().enumerate() {
            let p = parse(f.csv.as_bytes(), None, f.date);
            assert!(
                p.problems.is_empty(),
                "{}: {:?}",
                f.name,
                &p.problems[..3.min(p.problems.len())]
            );
            let want = if f.name.starts_with("civico") {
                Format::Civico
            } else {
                Format::Sites
            };
            assert_eq!(p.format, Some(want), "{}", f.name);
            for item in &p.items {
                assert!(item.status_date <= f.date, "{}: {item:?}", f.name);
            }
            if f.date == month_end(MONTHS - 1) {
                if want == Format::Civico {
                    civici = p.items.len();
                } else {
                    sites = p.items.len();
                }
            }
            versions.extend(p.items.into_iter().map(|item| Version {
                upload: n as i64,
                item,
            }));
        }
        assert!(civici > 200, "{civici} civici");
        assert!(sites > 5, "{sites} sites");
        // per civico, statuses only move forward (excluded ends the chain)
        let history = History::new(versions);
        let mut reached_sellable = 0;
        for versions in history.by_key() {
            for w in versions.windows(2) {
                let (a, b) = (w[0].item.status, w[1].item.status);
                assert!(
                    a == b || a.index() < b.index(),
                    "{:?}: {a:?} then {b:?}",
                    w[1].item.key
                );
            }
            if versions.last().map(|v| v.item.status) == Some(Status::Sellable) {
                reached_sellable += 1;
            }
        }
        assert!(reached_sellable > 0, "nothing reached sellable");
        // the same seed gives the same files
        assert_eq!(files, super::files(&s).unwrap());
    }
}
