//! Progress summed per area (comune, province, region, or everything), plan and
//! technology, as of a date; the time series of done and sellable work; and the join with
//! a classification (how many white-area units are pending, in works and done).
//!
//! Units are housing units (UI). Work that carries no units (mobile sites, the BUL
//! file's FWA and PCN lines) is counted as items only.

use super::history::{latest_on, History, Version};
use super::{Item, ItemKind, Plan, Status};
use crate::istat;
use crate::stats::Level;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Which work a report covers (`None`: all).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub plan: Option<Plan>,
    pub technology: Option<String>,
    /// Only this operator's work (case-insensitive).
    pub operator: Option<String>,
    pub kind: Option<ItemKind>,
}

impl Filter {
    pub fn keeps(&self, it: &Item) -> bool {
        self.plan.is_none_or(|p| p == it.plan)
            && self
                .technology
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(&it.technology))
            && self
                .operator
                .as_deref()
                .is_none_or(|o| o.eq_ignore_ascii_case(&it.operator))
            && self.kind.is_none_or(|k| k == it.kind)
    }
}

/// White-area units of a classification, for [`report`]'s join.
#[derive(Debug, Clone, Default)]
pub struct WhiteUnits {
    /// Housing units of each white unit (by registry id): per-address work joins here.
    pub by_unit: HashMap<String, i64>,
    /// White housing units per comune: per-comune work (BUL) joins here.
    pub by_comune: HashMap<String, i64>,
}

impl WhiteUnits {
    /// The white units of one rule set's results: those of its first class (`white` under
    /// the EU rules, `unserved` under BEAD), by unit id and summed per comune.
    pub fn from_classification(
        units: &crate::units::Units,
        results: &crate::classify::RuleResults,
    ) -> WhiteUnits {
        let mut w = WhiteUnits::default();
        for (i, d) in results.decisions.iter().enumerate() {
            if d.class != 0 || results.class_names.is_empty() {
                continue;
            }
            let n = i64::from(units.units[i]);
            w.by_unit.insert(units.ids.get(i).to_string(), n);
            if let Some(c) = units.comune_code(i) {
                *w.by_comune.entry(c.to_string()).or_default() += n;
            }
        }
        w
    }
}

/// White-area housing units by the state of the work that reaches them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WhiteProgress {
    /// Planned, in design or waiting for permits.
    pub pending: i64,
    /// In works, works closed or in testing.
    pub in_works: i64,
    /// Completed or sellable.
    pub done: i64,
}

/// One line of a report: one area, plan and technology.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub level: &'static str,
    pub code: String,
    pub name: String,
    pub plan: Plan,
    pub technology: String,
    /// Pieces of work (comuni for BUL, civici, sites).
    pub items: u64,
    pub units: i64,
    /// Housing units per status, in [`Status::ALL`] order (keyed by status name in JSON).
    pub units_by_status: BTreeMap<&'static str, i64>,
    pub items_by_status: BTreeMap<&'static str, u64>,
    /// Completed or sellable.
    pub done_units: i64,
    pub done_items: u64,
    pub sellable_units: i64,
    /// Done units over planned units (excluded work left out); `None` without units.
    pub completion_units: Option<f64>,
    /// Done items over items (excluded left out); `None` without items.
    pub completion_items: Option<f64>,
    /// Work whose planned ready date has passed and that is not done.
    pub late_items: u64,
    pub late_units: i64,
    /// The join with the classification, when one was given.
    pub white: Option<WhiteProgress>,
}

/// The code and name of the area of `level` that contains comune `code`.
pub fn area_of(level: Level, comune: &str) -> (String, String) {
    let c = istat::comune(comune);
    match level {
        Level::Comune => (
            comune.to_string(),
            c.map_or(comune.to_string(), |c| c.name.to_string()),
        ),
        Level::Province => c.map_or((String::new(), String::new()), |c| {
            (c.province_code.to_string(), c.province_name.to_string())
        }),
        Level::Region => c.map_or((String::new(), String::new()), |c| {
            (c.region_code.to_string(), c.region_name.to_string())
        }),
        Level::Total => ("total".to_string(), "Total".to_string()),
    }
}

/// Whether comune `comune` lies in the area `code` of `level`.
pub fn in_area(level: Level, code: &str, comune: &str) -> bool {
    match level {
        Level::Total => true,
        Level::Comune => comune == code,
        _ => area_of(level, comune).0 == code,
    }
}

#[derive(Default)]
struct Acc {
    items: u64,
    units: i64,
    units_by: [i64; 10],
    items_by: [u64; 10],
    late_items: u64,
    late_units: i64,
    white: Option<WhiteProgress>,
}

fn bump(w: &mut WhiteProgress, status: Status, units: i64) {
    if status.is_done() {
        w.done += units;
    } else if status.is_in_works() {
        w.in_works += units;
    } else if status.is_pending() {
        w.pending += units;
    }
}

/// The report as of `as_of` at `level`, one line per area, plan and technology, sorted by
/// area code, plan, technology.
///
/// With `white`, each line says how many white housing units the work reaches by state:
/// per-address work by its civico id (a civico that is not a white unit of the
/// classification adds nothing); per-comune work (BUL lines with units) by the comune's
/// white units, counted once per comune, plan and technology even when the file has two
/// rows for one comune (merged comuni): under the status of the row with the most units.
pub fn report(
    history: &History,
    as_of: NaiveDate,
    level: Level,
    filter: &Filter,
    white: Option<&WhiteUnits>,
) -> Vec<Line> {
    let mut acc: BTreeMap<(String, Plan, String), (String, Acc)> = BTreeMap::new();
    // per-comune white join: (comune, plan, technology) -> (units of the chosen row, status)
    let mut comune_work: HashMap<(String, Plan, String), (i64, Status)> = HashMap::new();
    for v in history.as_of(as_of) {
        let it = &v.item;
        if !filter.keeps(it) {
            continue;
        }
        let (code, name) = area_of(level, &it.comune);
        let (_, a) = acc
            .entry((code, it.plan, it.technology.clone()))
            .or_insert_with(|| (name, Acc::default()));
        a.items += 1;
        a.units += it.units;
        a.units_by[it.status.index()] += it.units;
        a.items_by[it.status.index()] += 1;
        if it.is_late(as_of) {
            a.late_items += 1;
            a.late_units += it.units;
        }
        if let Some(w) = white {
            let wp = a.white.get_or_insert_with(WhiteProgress::default);
            match it.kind {
                ItemKind::Civico => {
                    if let Some(&u) = it.ref_id.as_ref().and_then(|id| w.by_unit.get(id)) {
                        bump(wp, it.status, u);
                    }
                }
                ItemKind::Comune if it.units > 0 => {
                    let e = comune_work
                        .entry((it.comune.clone(), it.plan, it.technology.clone()))
                        .or_insert((it.units, it.status));
                    if it.units > e.0 {
                        *e = (it.units, it.status);
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(w) = white {
        for ((comune, plan, technology), (_, status)) in comune_work {
            let units = w.by_comune.get(&comune).copied().unwrap_or(0);
            let (code, _) = area_of(level, &comune);
            if let Some((_, a)) = acc.get_mut(&(code, plan, technology)) {
                bump(
                    a.white.get_or_insert_with(WhiteProgress::default),
                    status,
                    units,
                );
            }
        }
    }
    acc.into_iter()
        .map(|((code, plan, technology), (name, a))| {
            let excluded = Status::Excluded.index();
            let done_units =
                a.units_by[Status::Completed.index()] + a.units_by[Status::Sellable.index()];
            let done_items =
                a.items_by[Status::Completed.index()] + a.items_by[Status::Sellable.index()];
            let planned_units = a.units - a.units_by[excluded];
            let planned_items = a.items - a.items_by[excluded];
            Line {
                level: level.as_str(),
                code,
                name,
                plan,
                technology,
                items: a.items,
                units: a.units,
                units_by_status: Status::ALL
                    .iter()
                    .map(|s| (s.as_str(), a.units_by[s.index()]))
                    .collect(),
                items_by_status: Status::ALL
                    .iter()
                    .map(|s| (s.as_str(), a.items_by[s.index()]))
                    .collect(),
                done_units,
                done_items,
                sellable_units: a.units_by[Status::Sellable.index()],
                completion_units: (planned_units > 0)
                    .then(|| done_units as f64 / planned_units as f64),
                completion_items: (planned_items > 0)
                    .then(|| done_items as f64 / planned_items as f64),
                late_items: a.late_items,
                late_units: a.late_units,
                white: a.white,
            }
        })
        .collect()
}

/// One point of a time series: the state at the end of a month (or on the last date).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub date: NaiveDate,
    pub items: u64,
    pub units: i64,
    pub done_items: u64,
    pub done_units: i64,
    pub sellable_units: i64,
}

/// The last day of each month from `from`'s month to `to`'s, and `to` itself last.
pub fn month_ends(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    loop {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let Some(end) = NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| d.pred_opt()) else {
            break;
        };
        if end >= to {
            break;
        }
        out.push(end);
        (y, m) = (ny, nm);
    }
    if from <= to {
        out.push(to);
    }
    out
}

/// The time series of done and sellable work in one area (`level`, `code`) from the first
/// reported date (or `from`) to `to`, one point per month end.
pub fn series(
    history: &History,
    level: Level,
    code: &str,
    filter: &Filter,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> Vec<Point> {
    let Some(first) = from.or_else(|| history.span().map(|s| s.0)) else {
        return Vec::new();
    };
    let dates = month_ends(first, to);
    let mut points: Vec<Point> = dates
        .iter()
        .map(|&date| Point {
            date,
            items: 0,
            units: 0,
            done_items: 0,
            done_units: 0,
            sellable_units: 0,
        })
        .collect();
    for versions in history.by_key() {
        let it = &versions[0].item;
        if !filter.keeps(it) || !in_area(level, code, &it.comune) {
            continue;
        }
        for p in points.iter_mut() {
            let Some(Version { item, .. }) = latest_on(versions, p.date) else {
                continue;
            };
            p.items += 1;
            p.units += item.units;
            if item.status.is_done() {
                p.done_items += 1;
                p.done_units += item.units;
            }
            if item.status == Status::Sellable {
                p.sellable_units += item.units;
            }
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::history::tests::item;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn history() -> History {
        let mut late = item("c", Status::InWorks, "2025-02-01", 5);
        late.planned_ready = Some(day("2025-03-31"));
        let mut other = item("d", Status::Planned, "2025-01-10", 7);
        other.comune = "100005".into(); // Prato
        History::new(vec![
            Version {
                upload: 1,
                item: item("a", Status::Planned, "2025-01-05", 2),
            },
            Version {
                upload: 2,
                item: item("a", Status::Completed, "2025-02-20", 2),
            },
            Version {
                upload: 2,
                item: item("b", Status::Sellable, "2025-02-20", 3),
            },
            Version {
                upload: 1,
                item: late,
            },
            Version {
                upload: 1,
                item: item("e", Status::Excluded, "2025-01-05", 4),
            },
            Version {
                upload: 1,
                item: other,
            },
        ])
    }

    #[test]
    fn a_report_sums_the_state_as_of_its_date() {
        let h = history();
        let r = report(
            &h,
            day("2025-04-30"),
            Level::Comune,
            &Filter::default(),
            None,
        );
        assert_eq!(r.len(), 2);
        let firenze = &r[0];
        assert_eq!(
            (firenze.code.as_str(), firenze.name.as_str()),
            ("048017", "Firenze")
        );
        assert_eq!((firenze.items, firenze.units), (4, 14));
        assert_eq!(firenze.done_units, 5);
        assert_eq!(firenze.sellable_units, 3);
        assert_eq!(firenze.units_by_status["excluded"], 4);
        assert_eq!(firenze.completion_units, Some(0.5)); // 5 of the 10 not excluded
        assert_eq!((firenze.late_items, firenze.late_units), (1, 5));
        // earlier: a is planned, b not reported yet
        let r = report(
            &h,
            day("2025-01-31"),
            Level::Region,
            &Filter::default(),
            None,
        );
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].code.as_str(), r[0].name.as_str()), ("09", "Toscana"));
        assert_eq!((r[0].items, r[0].units, r[0].done_units), (3, 13, 0));
    }

    #[test]
    fn the_white_join_counts_white_units_by_state() {
        let h = history();
        let white = WhiteUnits {
            by_unit: [
                ("a".to_string(), 2),
                ("c".to_string(), 6),
                ("d".to_string(), 1),
            ]
            .into_iter()
            .collect(),
            by_comune: HashMap::new(),
        };
        let r = report(
            &h,
            day("2025-04-30"),
            Level::Total,
            &Filter::default(),
            Some(&white),
        );
        assert_eq!(
            r[0].white,
            Some(WhiteProgress {
                pending: 1,
                in_works: 6,
                done: 2
            })
        );
    }

    #[test]
    fn the_series_follows_the_months() {
        let h = history();
        let s = series(
            &h,
            Level::Comune,
            "048017",
            &Filter::default(),
            None,
            day("2025-03-15"),
        );
        let dates: Vec<String> = s.iter().map(|p| p.date.to_string()).collect();
        assert_eq!(dates, ["2025-01-31", "2025-02-28", "2025-03-15"]);
        assert_eq!(s[0].done_units, 0);
        assert_eq!(s[1].done_units, 5);
        assert_eq!(s[1].sellable_units, 3);
        assert_eq!(s[0].items, 2); // a and e; c and b come in February
    }
}
