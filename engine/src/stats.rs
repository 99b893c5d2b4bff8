//! Per-area statistics: addresses and housing units in each class, per comune, province,
//! region and in total, with shares. A comune is never labelled with one class: it gets the
//! share of its units in each.
//!
//! Province and region of a comune come, in order, from the areas file's own fields, from
//! the ISTAT reference list ([`crate::istat`]), or (province only) from the first three
//! digits of the comune code.

use crate::classify::{Classification, MobileOps, Reach};
use crate::istat;
use crate::model::{Interner, Sym};
use crate::rules::Decision;
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
#[inline]
fn down_fx(v: f32) -> i128 {
    let v = f64::from(v);
    // every real speed: a whole number of units well inside i64, which one conversion
    // instruction gives exactly (the general path below calls `round` and a 128-bit
    // conversion, once per unit)
    let x = v * DOWN_SCALE;
    if x.abs() < 4e18 {
        let t = x as i64;
        if t as f64 == x {
            return i128::from(t);
        }
    }
    if v.is_nan() {
        return 0;
    }
    (v.clamp(-1e18, 1e18) * DOWN_SCALE).round() as i128
}

/// Like [`compute`]; with `mobile`, also the mobile columns: shares of housing units with
/// 4G and with 5G, housing units reached by no 4G / 5G network at all (*mobile white*:
/// existing or planned, any speed; a rule set such as `it-5g` gives the plans' own
/// definition), and per mobile operator the housing units with its 4G and with its 5G.
///
/// # Panics
/// When `cls` has no per-unit results for `units` (it was not classified from them).
pub fn compute_with(
    units: &Units,
    cls: &Classification,
    info: &(dyn Fn(&str) -> Option<AreaInfo> + Sync),
    mobile: bool,
) -> Stats {
    let mut b = StatsBuilder::new(mobile);
    // one chunk cannot disagree with itself: the only error left is a classification of
    // other units
    if let Err(e) = b.add(units, cls) {
        panic!("compute_with: {e}");
    }
    b.finish(info)
}

/// Statistics folded over a registry classified in chunks (see `bianca classify
/// --chunk-units`): [`StatsBuilder::add`] each chunk's units and classification (or
/// [`StatsBuilder::add_counts`] the counts summed while classifying it), then
/// [`StatsBuilder::finish`]. Every sum is an integer (the speed sum in fixed point), so the
/// rows are the same, to the bit, as [`compute_with`] on the whole registry.
#[derive(Debug, Clone)]
pub struct StatsBuilder {
    mobile: bool,
    /// Set by the first [`StatsBuilder::add`] or [`StatsBuilder::add_counts`].
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

/// Per-area counts while they are summed up, one unit at a time
/// ([`AreaCounts::add_unit`]): a flat row of integers per comune of the registry (by its
/// [`Sym`] in the registry's comune codes) and one for units without a comune. Parallel
/// work sums into one `AreaCounts` per thread and [`AreaCounts::merge`]s them; the sums are
/// integers, so the order does not matter. [`StatsBuilder::add_counts`] turns them into rows.
#[derive(Debug, Clone)]
pub struct AreaCounts {
    layout: Layout,
    /// `layout.width` per area: see [`Layout`].
    counts: Vec<u64>,
    /// Per area, the sum of best download speeds in [`DOWN_SCALE`] units.
    down_fx: Vec<i128>,
}

/// Where each count sits in an area's row of [`AreaCounts::counts`]: addresses, units,
/// units with 4G, units with 5G; then per rule set `addresses` and `units` per class (plus
/// one for unknown) and the two on-unknown counts; then, with mobile columns, units reached
/// by no mobile network and per operator units with its 4G, then with its 5G.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    shape: Shape,
    mobile: bool,
    n_areas: usize,
    /// Per rule set, the offset of its counts in a row.
    rule_at: Vec<usize>,
    mobile_at: usize,
    width: usize,
}

impl AreaCounts {
    /// No unit counted yet, over `n_comuni` comuni (plus units without one), for `rules`
    /// (name, class names) and, with `mobile`, the mobile columns of `mobile_operators`
    /// (empty: units whose operators are not known; the first
    /// [`MAX_MOBILE_OPERATORS`](crate::classify::MAX_MOBILE_OPERATORS) only, as
    /// [`MobileOps`] tells no more apart).
    pub fn new(
        n_comuni: usize,
        rules: &[(String, Vec<String>)],
        mobile_operators: &[String],
        mobile: bool,
    ) -> Self {
        let mut rule_at = Vec::with_capacity(rules.len());
        let mut at = 4;
        for (_, classes) in rules {
            rule_at.push(at);
            at += 2 * (classes.len() + 1) + 2;
        }
        let told_apart = mobile_operators
            .len()
            .min(crate::classify::MAX_MOBILE_OPERATORS);
        let mobile_operators = if mobile {
            &mobile_operators[..told_apart]
        } else {
            &[]
        };
        let n_mobile = if mobile {
            1 + 2 * mobile_operators.len()
        } else {
            0
        };
        let layout = Layout {
            shape: Shape {
                rules: rules.to_vec(),
                n_classes: rules.iter().map(|r| r.1.len()).collect(),
                mobile_operators: mobile_operators.to_vec(),
            },
            mobile,
            n_areas: n_comuni + 1,
            rule_at,
            mobile_at: at,
            width: at + n_mobile,
        };
        AreaCounts {
            counts: vec![0; layout.n_areas * layout.width],
            down_fx: vec![0; layout.n_areas],
            layout,
        }
    }

    /// Counts one unit (one address): its comune ([`NO_AREA`] for none), housing units,
    /// reach, mobile operators (read only with per-operator columns) and, per rule set `r`,
    /// `decision(r)`.
    #[inline]
    pub fn add_unit(
        &mut self,
        comune: Sym,
        units: u32,
        reach: &Reach,
        ops: MobileOps,
        decision: impl Fn(usize) -> Decision,
    ) {
        let l = &self.layout;
        let area = if comune == NO_AREA {
            l.n_areas - 1
        } else {
            comune as usize
        };
        let row = &mut self.counts[area * l.width..(area + 1) * l.width];
        let u = u64::from(units);
        row[0] += 1;
        row[1] += u;
        if reach.networks_4g > 0 {
            row[2] += u;
        }
        if reach.networks_5g > 0 {
            row[3] += u;
        }
        self.down_fx[area] += down_fx(reach.best_down);
        for (r, &at) in l.rule_at.iter().enumerate() {
            let d = decision(r);
            let n = l.shape.rules[r].1.len();
            let c = (d.class as usize).min(n);
            row[at + c] += 1;
            row[at + n + 1 + c] += u;
            if d.on_unknown {
                row[at + 2 * (n + 1)] += 1;
                row[at + 2 * (n + 1) + 1] += u;
            }
        }
        if l.mobile {
            let m = &mut row[l.mobile_at..];
            if reach.networks_4g == 0 && reach.networks_5g == 0 {
                m[0] += u;
            }
            let n_ops = l.shape.mobile_operators.len();
            for k in 0..n_ops {
                if ops.ops_4g & (1 << k) != 0 {
                    m[1 + k] += u;
                }
                if ops.ops_5g & (1 << k) != 0 {
                    m[1 + n_ops + k] += u;
                }
            }
        }
    }

    /// Adds `other`'s counts (summed with the same layout).
    ///
    /// # Panics
    /// When `other` was made with other comuni, rule sets or mobile columns.
    pub fn merge(&mut self, other: &AreaCounts) {
        assert_eq!(self.layout, other.layout, "merging counts of another shape");
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.down_fx.iter_mut().zip(&other.down_fx) {
            *a += b;
        }
    }

    /// Area `a`'s counts as a row (code, name and level left empty); `None` when no unit
    /// was counted there.
    fn row(&self, a: usize) -> Option<AreaRow> {
        let l = &self.layout;
        let c = &self.counts[a * l.width..(a + 1) * l.width];
        if c[0] == 0 {
            return None;
        }
        let rules = l
            .rule_at
            .iter()
            .zip(&l.shape.rules)
            .map(|(&at, (_, classes))| {
                let n = classes.len() + 1;
                ClassCounts {
                    addresses: c[at..at + n].to_vec(),
                    units: c[at + n..at + 2 * n].to_vec(),
                    addresses_on_unknown: c[at + 2 * n],
                    units_on_unknown: c[at + 2 * n + 1],
                }
            })
            .collect();
        Some(AreaRow {
            addresses: c[0],
            units: c[1],
            units_4g: c[2],
            units_5g: c[3],
            rules,
            down_fx: self.down_fx[a],
            mobile: c[l.mobile_at..].to_vec(),
            ..Default::default()
        })
    }
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
    /// which differs, or that `cls` has no per-unit results (see [`classify_counts`]).
    ///
    /// [`classify_counts`]: crate::classify::classify_counts
    pub fn add(&mut self, units: &Units, cls: &Classification) -> Result<(), String> {
        let n = units.len();
        if cls.reach.len() != n || cls.rules.iter().any(|r| r.decisions.len() != n) {
            return Err("the classification has no per-unit results for these units".into());
        }
        // per-operator columns only where the run knows its units' operators
        let ops_known = cls.mobile_ops.len() == n;
        let rules: Vec<(String, Vec<String>)> = cls
            .rules
            .iter()
            .map(|r| (r.name.clone(), r.class_names.clone()))
            .collect();
        let empty = AreaCounts::new(
            units.comune_codes.len(),
            &rules,
            if ops_known {
                &cls.mobile_operators
            } else {
                &[]
            },
            self.mobile,
        );
        let counts = (0..n)
            .into_par_iter()
            .fold(
                || empty.clone(),
                |mut acc, i| {
                    let ops = cls.mobile_ops.get(i).copied().unwrap_or_default();
                    acc.add_unit(units.comune[i], units.units[i], &cls.reach[i], ops, |r| {
                        cls.rules[r].decisions[i]
                    });
                    acc
                },
            )
            .reduce(
                || empty.clone(),
                |mut a, b| {
                    a.merge(&b);
                    a
                },
            );
        self.add_counts(&units.comune_codes, &counts)
    }

    /// Adds counts summed up elsewhere (by [`classify_counts`], or [`AreaCounts::add_unit`]
    /// by hand); `comune_codes` names the comuni the counts are indexed by. The same checks
    /// as [`StatsBuilder::add`].
    ///
    /// [`classify_counts`]: crate::classify::classify_counts
    pub fn add_counts(
        &mut self,
        comune_codes: &Interner,
        counts: &AreaCounts,
    ) -> Result<(), String> {
        let l = &counts.layout;
        if l.mobile != self.mobile {
            return Err(
                "the counts were summed with other mobile columns than the statistics".into(),
            );
        }
        if l.n_areas != comune_codes.len() + 1 {
            return Err("the counts were summed over other comuni than the units'".into());
        }
        let shape = l.shape.clone();
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
        for a in 0..l.n_areas {
            let Some(row) = counts.row(a) else {
                continue;
            };
            let into = if a == l.n_areas - 1 {
                self.no_comune.get_or_insert_with(|| row.zeroed())
            } else {
                let code = comune_codes.name(a as Sym).to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition [`down_fx`] must agree with, without its fast path.
    fn down_fx_plain(v: f32) -> i128 {
        let v = f64::from(v);
        if v.is_nan() {
            return 0;
        }
        (v.clamp(-1e18, 1e18) * DOWN_SCALE).round() as i128
    }

    #[test]
    fn fixed_point_speeds_take_the_fast_path_only_where_it_is_exact() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            29.9,
            1000.0,
            1e-3,  // below 2^-9: a fraction of a unit (4294967.5), rounded
            1e-40, // subnormal
            f32::MIN_POSITIVE,
            -7.25,
            2_147_483_648.0, // 2^31 Mbps: 2^63 units, past i64
            1e9,
            1e20,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        // a sweep over the exponents and mantissas
        for bits in (1..0x7f80_0000u32).step_by(9973) {
            values.push(f32::from_bits(bits));
            values.push(-f32::from_bits(bits));
        }
        for v in values {
            assert_eq!(down_fx(v), down_fx_plain(v), "{v:e}");
        }
        assert_eq!(down_fx(1.0), 1 << 32);
        assert_eq!(down_fx(f32::NAN), 0);
    }
}
