//! Per-area statistics: addresses and housing units in each class, per comune, province,
//! region and in total, with shares. A comune is never labelled with one class: it gets the
//! share of its units in each.
//!
//! Province and region of a comune come, in order, from the areas file's own fields, from
//! the ISTAT reference list ([`crate::istat`]), or (province only) from the first three
//! digits of the comune code.

use crate::classify::Classification;
use crate::istat;
use crate::model::Sym;
use crate::table::{Column, ColumnType, Table, Value};
use crate::units::{Units, NO_AREA};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Geographic level of a statistics row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Comune,
    Province,
    Region,
    Total,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Comune => "comune",
            Level::Province => "province",
            Level::Region => "region",
            Level::Total => "total",
        }
    }
}

/// Name, province and region of a comune, when an areas file says (overrides the ISTAT list).
#[derive(Debug, Clone, Default)]
pub struct AreaInfo {
    pub name: Option<String>,
    pub province: Option<String>,
    pub region: Option<String>,
}

/// Counts of one rule set in one area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassCounts {
    /// Per class index, plus one last entry for `unknown`.
    pub addresses: Vec<u64>,
    pub units: Vec<u64>,
    /// Addresses / units where unknown data was involved (decided anyway or unknown).
    pub addresses_on_unknown: u64,
    pub units_on_unknown: u64,
}

/// One row: an area and its counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaRow {
    pub level: Option<Level>,
    pub code: String,
    pub name: String,
    pub addresses: u64,
    pub units: u64,
    pub rules: Vec<ClassCounts>,
    pub units_4g: u64,
    pub units_5g: u64,
    /// Sum over addresses (not weighted by units) of the best download speed.
    pub sum_best_down: f64,
    /// The same sum in fixed point ([`DOWN_SCALE`]) while adding up: integer sums do not
    /// depend on the order of the additions, so the result is the same however the units
    /// are split (threads, chunks of the registry).
    down_fx: i128,
    /// With mobile statistics ([`compute_with`]): housing units reached by no 4G / 5G
    /// network, then per mobile operator (in [`Stats::mobile_operators`] order) units with its
    /// 4G, then units with its 5G. Empty otherwise.
    pub mobile: Vec<u64>,
}

impl AreaRow {
    fn empty(n_classes: &[usize], n_mobile: usize) -> Self {
        AreaRow {
            mobile: vec![0; n_mobile],
            rules: n_classes
                .iter()
                .map(|&n| ClassCounts {
                    addresses: vec![0; n + 1],
                    units: vec![0; n + 1],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// A row of the same shape with every count zero.
    fn zeroed(&self) -> Self {
        let n_classes: Vec<usize> = self.rules.iter().map(|r| r.addresses.len() - 1).collect();
        AreaRow::empty(&n_classes, self.mobile.len())
    }

    fn add(&mut self, o: &AreaRow) {
        self.addresses += o.addresses;
        self.units += o.units;
        self.units_4g += o.units_4g;
        self.units_5g += o.units_5g;
        self.down_fx += o.down_fx;
        for (a, b) in self.mobile.iter_mut().zip(&o.mobile) {
            *a += b;
        }
        for (a, b) in self.rules.iter_mut().zip(&o.rules) {
            for (x, y) in a.addresses.iter_mut().zip(&b.addresses) {
                *x += y;
            }
            for (x, y) in a.units.iter_mut().zip(&b.units) {
                *x += y;
            }
            a.addresses_on_unknown += b.addresses_on_unknown;
            a.units_on_unknown += b.units_on_unknown;
        }
    }
}

/// Statistics of one classification run.
#[derive(Debug, Clone)]
pub struct Stats {
    /// (rule set name, class names) in the order of [`AreaRow::rules`].
    pub rules: Vec<(String, Vec<String>)>,
    /// Comuni (sorted by code; units without a comune last, code ""), then provinces,
    /// regions, and the total.
    pub rows: Vec<AreaRow>,
    /// With mobile statistics: the mobile operators of [`AreaRow::mobile`]; else empty.
    pub mobile_operators: Vec<String>,
    /// Whether the mobile columns are present.
    mobile: bool,
    columns: Vec<Column>,
}

/// Aggregates `cls` per comune and rolls up to provinces, regions and the total.
/// `info(code)` may name a comune and give its province / region codes.
pub fn compute(
    units: &Units,
    cls: &Classification,
    info: &(dyn Fn(&str) -> Option<AreaInfo> + Sync),
) -> Stats {
    compute_with(units, cls, info, false)
}

/// Fixed-point scale of [`AreaRow::sum_best_down`] while summing: 2^32. Every `f32` of at
/// least 2^-9 Mbps is an exact multiple of 2^-32, so the sums are exact for any real speed.
const DOWN_SCALE: f64 = 4_294_967_296.0;

/// A speed in [`DOWN_SCALE`] units (clamped to +-2^60 Mbps; NaN counts 0).
fn down_fx(v: f32) -> i128 {
    let v = f64::from(v);
    if v.is_nan() {
        return 0;
    }
    (v.clamp(-1e18, 1e18) * DOWN_SCALE).round() as i128
}

/// Like [`compute`]; with `mobile`, also the mobile columns: shares of housing units with
/// 4G and with 5G, housing units reached by no 4G / 5G network at all (*mobile white*:
/// existing or planned, any speed; a rule set such as `it-5g` gives the plans' own
/// definition), and per mobile operator the housing units with its 4G and with its 5G.
pub fn compute_with(
    units: &Units,
    cls: &Classification,
    info: &(dyn Fn(&str) -> Option<AreaInfo> + Sync),
    mobile: bool,
) -> Stats {
    let mut b = StatsBuilder::new(mobile);
    // one chunk cannot disagree with itself
    let _ = b.add(units, cls);
    b.finish(info)
}

/// Statistics folded over a registry classified in chunks (see `bianca classify
/// --chunk-units`): [`StatsBuilder::add`] each chunk's units and classification, then
/// [`StatsBuilder::finish`]. Every sum is an integer (the speed sum in fixed point), so the
/// rows are the same, to the bit, as [`compute_with`] on the whole registry.
#[derive(Debug, Clone)]
pub struct StatsBuilder {
    mobile: bool,
    /// Set by the first [`StatsBuilder::add`].
    shape: Option<Shape>,
    comuni: BTreeMap<String, AreaRow>,
    no_comune: Option<AreaRow>,
}

/// What every chunk must agree on.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    rules: Vec<(String, Vec<String>)>,
    n_classes: Vec<usize>,
    /// Mobile operators with per-operator columns (empty without them).
    mobile_operators: Vec<String>,
}

impl StatsBuilder {
    pub fn new(mobile: bool) -> Self {
        StatsBuilder {
            mobile,
            shape: None,
            comuni: BTreeMap::new(),
            no_comune: None,
        }
    }

    /// Adds one chunk of units and its classification. Every chunk must have the same rule
    /// sets and mobile operators (they come from the coverage, read once); an error says
    /// which differs.
    pub fn add(&mut self, units: &Units, cls: &Classification) -> Result<(), String> {
        let n_classes: Vec<usize> = cls.rules.iter().map(|r| r.class_names.len()).collect();
        // per-operator columns only where the run knows its units' operators
        let n_ops = if self.mobile && cls.mobile_ops.len() == units.len() {
            cls.mobile_operators.len()
        } else {
            0
        };
        let shape = Shape {
            rules: cls
                .rules
                .iter()
                .map(|r| (r.name.clone(), r.class_names.clone()))
                .collect(),
            n_classes: n_classes.clone(),
            mobile_operators: cls.mobile_operators[..n_ops].to_vec(),
        };
        match &self.shape {
            None => self.shape = Some(shape),
            Some(s) if *s == shape => {}
            Some(_) => {
                return Err(
                    "a chunk of the registry was classified with other rule sets or mobile \
                     operators than the first"
                        .into(),
                )
            }
        }
        let mobile = self.mobile;
        let n_mobile = if mobile { 1 + 2 * n_ops } else { 0 };
        let n_areas = units.comune_codes.len() + 1; // last slot: no comune
        let slot = |c: Sym| {
            if c == NO_AREA {
                n_areas - 1
            } else {
                c as usize
            }
        };
        let per_area = (0..units.len())
            .into_par_iter()
            .fold(
                || vec![AreaRow::empty(&n_classes, n_mobile); n_areas],
                |mut acc, i| {
                    let row = &mut acc[slot(units.comune[i])];
                    let u = units.units[i] as u64;
                    row.addresses += 1;
                    row.units += u;
                    let reach = &cls.reach[i];
                    if reach.networks_4g > 0 {
                        row.units_4g += u;
                    }
                    if reach.networks_5g > 0 {
                        row.units_5g += u;
                    }
                    row.down_fx += down_fx(reach.best_down);
                    if mobile {
                        if reach.networks_4g == 0 && reach.networks_5g == 0 {
                            row.mobile[0] += u;
                        }
                        for k in 0..n_ops {
                            let ops = cls.mobile_ops[i];
                            if ops.ops_4g & (1 << k) != 0 {
                                row.mobile[1 + k] += u;
                            }
                            if ops.ops_5g & (1 << k) != 0 {
                                row.mobile[1 + n_ops + k] += u;
                            }
                        }
                    }
                    for (r, rr) in cls.rules.iter().enumerate() {
                        let d = rr.decisions[i];
                        let c = (d.class as usize).min(n_classes[r]);
                        let counts = &mut row.rules[r];
                        counts.addresses[c] += 1;
                        counts.units[c] += u;
                        if d.on_unknown {
                            counts.addresses_on_unknown += 1;
                            counts.units_on_unknown += u;
                        }
                    }
                    acc
                },
            )
            .reduce(
                || vec![AreaRow::empty(&n_classes, n_mobile); n_areas],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(&b) {
                        x.add(y);
                    }
                    a
                },
            );
        for (a, row) in per_area.into_iter().enumerate() {
            if row.addresses == 0 {
                continue;
            }
            let into = if a == n_areas - 1 {
                self.no_comune.get_or_insert_with(|| row.zeroed())
            } else {
                let code = units.comune_codes.name(a as Sym).to_string();
                self.comuni.entry(code).or_insert_with(|| row.zeroed())
            };
            into.add(&row);
        }
        Ok(())
    }

    /// Rolls the comuni up to provinces, regions and the total. `info(code)` may name a
    /// comune and give its province / region codes.
    pub fn finish(self, info: &(dyn Fn(&str) -> Option<AreaInfo> + Sync)) -> Stats {
        let Shape {
            rules,
            n_classes,
            mobile_operators,
        } = self.shape.unwrap_or(Shape {
            rules: Vec::new(),
            n_classes: Vec::new(),
            mobile_operators: Vec::new(),
        });
        let mobile = self.mobile;
        let n_mobile = if mobile {
            1 + 2 * mobile_operators.len()
        } else {
            0
        };
        let mut comuni: Vec<AreaRow> = Vec::with_capacity(self.comuni.len() + 1);
        let mut provinces: BTreeMap<String, AreaRow> = BTreeMap::new();
        let mut regions: BTreeMap<String, AreaRow> = BTreeMap::new();
        let mut total = AreaRow::empty(&n_classes, n_mobile);
        total.level = Some(Level::Total);
        total.name = "total".into();
        for (code, mut row) in self.comuni {
            total.add(&row);
            let given = info(&code).unwrap_or_default();
            let reference = istat::comune(&code);
            row.level = Some(Level::Comune);
            row.name = given
                .name
                .or_else(|| reference.map(|c| c.name.to_string()))
                .unwrap_or_default();
            let province = given
                .province
                .or_else(|| reference.map(|c| c.province_code.to_string()))
                .or_else(|| (code.len() == 6).then(|| code[..3].to_string()));
            let region = given
                .region
                .or_else(|| reference.map(|c| c.region_code.to_string()));
            if let Some(p) = province {
                let e = provinces.entry(p.clone()).or_insert_with(|| {
                    let mut r = AreaRow::empty(&n_classes, n_mobile);
                    r.level = Some(Level::Province);
                    r.name = istat::province_name(&p).unwrap_or_default().to_string();
                    r.code = p;
                    r
                });
                e.add(&row);
            }
            if let Some(g) = region {
                let e = regions.entry(g.clone()).or_insert_with(|| {
                    let mut r = AreaRow::empty(&n_classes, n_mobile);
                    r.level = Some(Level::Region);
                    r.name = istat::region_name(&g).unwrap_or_default().to_string();
                    r.code = g;
                    r
                });
                e.add(&row);
            }
            row.code = code;
            comuni.push(row);
        }
        if let Some(mut row) = self.no_comune {
            total.add(&row);
            row.level = Some(Level::Comune);
            row.name = "(no comune)".into();
            comuni.push(row);
        }
        let mut rows = comuni;
        rows.extend(provinces.into_values());
        rows.extend(regions.into_values());
        rows.push(total);
        for r in &mut rows {
            r.sum_best_down = r.down_fx as f64 / DOWN_SCALE;
        }
        let mut columns = stats_columns(&rules);
        if mobile {
            use ColumnType::*;
            columns.push(Column::new("share_units_4g", Float));
            columns.push(Column::new("share_units_5g", Float));
            columns.push(Column::new("units_mobile_white", Int));
            columns.push(Column::new("share_units_mobile_white", Float));
            for t in ["4g", "5g"] {
                for op in &mobile_operators {
                    let op = crate::table::identifier(op);
                    columns.push(Column::new(format!("units_{t}_{op}"), Int));
                    columns.push(Column::new(format!("share_units_{t}_{op}"), Float));
                }
            }
        }
        Stats {
            rules,
            rows,
            mobile_operators,
            mobile,
            columns,
        }
    }
}

/// Column prefix of rule set `r`: none for the first (primary) rule set, `NAME_` after, with
/// the name made a plain identifier (`eu2023_gigabit_`), so that SQL and QGIS expressions
/// need no quoting.
fn prefix(rules: &[(String, Vec<String>)], r: usize) -> String {
    if r == 0 {
        String::new()
    } else {
        format!("{}_", crate::table::identifier(&rules[r].0))
    }
}

fn stats_columns(rules: &[(String, Vec<String>)]) -> Vec<Column> {
    use ColumnType::*;
    let mut c = vec![
        Column::new("level", Str),
        Column::new("code", Str),
        Column::new("name", Str),
        Column::new("addresses", Int),
        Column::new("units", Int),
    ];
    for (r, (_, classes)) in rules.iter().enumerate() {
        let p = prefix(rules, r);
        for name in classes.iter().map(String::as_str).chain(["unknown"]) {
            c.push(Column::new(format!("{p}addresses_{name}"), Int));
            c.push(Column::new(format!("{p}units_{name}"), Int));
            c.push(Column::new(format!("{p}share_addresses_{name}"), Float));
            c.push(Column::new(format!("{p}share_units_{name}"), Float));
        }
        c.push(Column::new(format!("{p}units_on_unknown_data"), Int));
    }
    c.push(Column::new("units_4g", Int));
    c.push(Column::new("units_5g", Int));
    c.push(Column::new("sum_best_down_mbps", Float));
    c
}

fn share(part: u64, whole: u64) -> Value<'static> {
    if whole == 0 {
        Value::Null
    } else {
        // four decimals are plenty for a share and keep files readable
        Value::Float((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
    }
}

impl Table for Stats {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let r = &self.rows[row];
        match col {
            0 => return Value::Str(r.level.map_or("", Level::as_str)),
            1 => return Value::Str(&r.code),
            2 => return Value::Str(&r.name),
            3 => return Value::Int(r.addresses as i64),
            4 => return Value::Int(r.units as i64),
            _ => {}
        }
        let mut k = col - 5;
        for (ri, (_, classes)) in self.rules.iter().enumerate() {
            let per_rule = (classes.len() + 1) * 4 + 1;
            if k < per_rule {
                let counts = &r.rules[ri];
                if k == per_rule - 1 {
                    return Value::Int(counts.units_on_unknown as i64);
                }
                let (class, what) = (k / 4, k % 4);
                return match what {
                    0 => Value::Int(counts.addresses[class] as i64),
                    1 => Value::Int(counts.units[class] as i64),
                    2 => share(counts.addresses[class], r.addresses),
                    _ => share(counts.units[class], r.units),
                };
            }
            k -= per_rule;
        }
        match k {
            0 => Value::Int(r.units_4g as i64),
            1 => Value::Int(r.units_5g as i64),
            2 => Value::Float(r.sum_best_down),
            _ if !self.mobile => Value::Null,
            3 => share(r.units_4g, r.units),
            4 => share(r.units_5g, r.units),
            5 => Value::Int(r.mobile[0] as i64),
            6 => share(r.mobile[0], r.units),
            k => {
                // per operator and technology: count, share
                let j = 1 + (k - 7) / 2;
                match (k - 7) % 2 {
                    0 => Value::Int(r.mobile[j] as i64),
                    _ => share(r.mobile[j], r.units),
                }
            }
        }
    }
}

/// The per-comune table of the peer benchmark (`shared/peers`): comune, n_points,
/// units_total, units_white, units_grey, units_black, units_gigabit, units_5g,
/// sum_best_down. Needs the rule sets `eu2013-nga` (classes) and `eu2023-gigabit`
/// (units_gigabit = units reached by at least one gigabit network), in any order.
#[derive(Debug, Clone)]
pub struct PeersTable {
    rows: Vec<[i64; 8]>,
    codes: Vec<String>,
    columns: Vec<Column>,
}

impl PeersTable {
    /// The positions of `eu2013-nga` and `eu2023-gigabit` (classes white / grey / black)
    /// among `rules` (name, class names), the two rule sets the table is made of; an error
    /// naming the one missing. Checked before a run, so that it does not fail at the end.
    pub fn rule_positions(rules: &[(String, Vec<String>)]) -> Result<(usize, usize), String> {
        let wgb = ["white", "grey", "black"].map(String::from);
        let find = |name: &str| {
            rules
                .iter()
                .position(|r| r.0 == name && r.1 == wgb)
                .ok_or_else(|| {
                    format!(
                        "--stats-format peers needs the rule sets eu2013-nga and \
                         eu2023-gigabit (white / grey / black); {name} is missing"
                    )
                })
        };
        Ok((find("eu2013-nga")?, find("eu2023-gigabit")?))
    }

    pub fn new(stats: &Stats) -> Result<PeersTable, String> {
        let (n, g) = Self::rule_positions(&stats.rules)?;
        let mut rows = Vec::new();
        let mut codes = Vec::new();
        for r in stats.rows.iter().filter(|r| r.level == Some(Level::Comune)) {
            let nga = &r.rules[n];
            let gig = &r.rules[g];
            rows.push([
                r.addresses as i64,
                r.units as i64,
                nga.units[0] as i64,
                nga.units[1] as i64,
                nga.units[2] as i64,
                (gig.units[1] + gig.units[2]) as i64,
                r.units_5g as i64,
                r.sum_best_down.round() as i64,
            ]);
            codes.push(r.code.clone());
        }
        let mut columns = vec![Column::new("comune", ColumnType::Str)];
        for n in [
            "n_points",
            "units_total",
            "units_white",
            "units_grey",
            "units_black",
            "units_gigabit",
            "units_5g",
            "sum_best_down",
        ] {
            columns.push(Column::new(n, ColumnType::Int));
        }
        Ok(PeersTable {
            rows,
            codes,
            columns,
        })
    }
}

impl Table for PeersTable {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        match col {
            0 => Value::Str(&self.codes[row]),
            c => Value::Int(self.rows[row][c - 1]),
        }
    }
}
