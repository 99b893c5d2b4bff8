//! Comparing two snapshots: which units changed class under a rule set, and how many
//! addresses and housing units moved from each class to each other, per comune and in total.
//!
//! Units are matched by their registry id, so two snapshots of different imports of the
//! same registry compare unit by unit; a unit in only one of them moves from or to
//! [`ABSENT`].

use crate::store::StoredSnapshot;
use bianca_engine::table::{Column, ColumnType, Table, Value};
use std::collections::{BTreeMap, HashMap};

/// The class of a unit missing from one of the two snapshots.
pub const ABSENT: &str = "(absent)";

/// One unit whose class differs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedUnit {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub units: u32,
    pub comune: Option<String>,
    pub from: String,
    pub to: String,
}

/// Addresses and housing units that moved from one class to another in one area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// `comune` or `total`.
    pub level: &'static str,
    /// The comune code; empty for the total and for units without a comune.
    pub code: String,
    pub from: String,
    pub to: String,
    pub addresses: u64,
    pub units: u64,
}

/// The difference between snapshots `a` and `b` under one rule set.
#[derive(Debug, Clone)]
pub struct Diff {
    pub rules: String,
    pub a: String,
    pub b: String,
    /// Units present in both, with the same class.
    pub unchanged: u64,
    /// Per comune (by code), then the total; moves between equal classes are left out.
    pub moves: Vec<Move>,
    /// Changed units in `b`'s order, then units only in `a`.
    pub changed: Vec<ChangedUnit>,
}

/// Compares `a` and `b` under the rule set `rules` (default: `a`'s primary rule set), which
/// both must have used.
pub fn diff(a: &StoredSnapshot, b: &StoredSnapshot, rules: Option<&str>) -> Result<Diff, String> {
    let name = match rules {
        Some(r) => r.to_string(),
        None => a
            .classification
            .rules
            .first()
            .map(|r| r.name.clone())
            .ok_or_else(|| format!("snapshot {} has no rule set", a.info.name))?,
    };
    let pick = |s: &'_ StoredSnapshot| {
        s.classification
            .rules
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| {
                format!(
                    "snapshot {} was not classified with {name} (it used {})",
                    s.info.name,
                    s.info.rules.join(", ")
                )
            })
    };
    let (ra, rb) = (pick(a)?, pick(b)?);
    let (ca, cb) = (&a.classification.rules[ra], &b.classification.rules[rb]);
    let (ua, ub) = (&a.units.units, &b.units.units);

    let mut in_a: HashMap<&str, usize> = HashMap::with_capacity(ua.len());
    for i in 0..ua.len() {
        in_a.insert(ua.ids.get(i), i);
    }
    let mut seen_in_a = vec![false; ua.len()];
    let mut changed = Vec::new();
    let mut unchanged = 0u64;
    // (comune code, from, to) -> (addresses, units)
    let mut tally: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    let mut count = |code: Option<&str>, from: &str, to: &str, units: u32| {
        let e = tally
            .entry((
                code.unwrap_or("").to_string(),
                from.to_string(),
                to.to_string(),
            ))
            .or_default();
        e.0 += 1;
        e.1 += u64::from(units);
    };
    for j in 0..ub.len() {
        let id = ub.ids.get(j);
        let to = cb.class_name(j);
        let from = match in_a.get(id) {
            Some(&i) => {
                seen_in_a[i] = true;
                ca.class_name(i)
            }
            None => ABSENT,
        };
        if from == to {
            unchanged += 1;
            continue;
        }
        count(ub.comune_code(j), from, to, ub.units[j]);
        changed.push(ChangedUnit {
            id: id.to_string(),
            lon: ub.lon[j],
            lat: ub.lat[j],
            units: ub.units[j],
            comune: ub.comune_code(j).map(str::to_string),
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    for (i, seen) in seen_in_a.iter().enumerate() {
        if *seen {
            continue;
        }
        let from = ca.class_name(i);
        count(ua.comune_code(i), from, ABSENT, ua.units[i]);
        changed.push(ChangedUnit {
            id: ua.ids.get(i).to_string(),
            lon: ua.lon[i],
            lat: ua.lat[i],
            units: ua.units[i],
            comune: ua.comune_code(i).map(str::to_string),
            from: from.to_string(),
            to: ABSENT.to_string(),
        });
    }
    let mut moves = Vec::new();
    let mut total: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for ((code, from, to), (addresses, units)) in tally {
        let t = total.entry((from.clone(), to.clone())).or_default();
        t.0 += addresses;
        t.1 += units;
        moves.push(Move {
            level: "comune",
            code,
            from,
            to,
            addresses,
            units,
        });
    }
    for ((from, to), (addresses, units)) in total {
        moves.push(Move {
            level: "total",
            code: String::new(),
            from,
            to,
            addresses,
            units,
        });
    }
    Ok(Diff {
        rules: name,
        a: a.info.name.clone(),
        b: b.info.name.clone(),
        unchanged,
        moves,
        changed,
    })
}

/// The changed units as a table with points: id, units, comune, from, to.
pub struct ChangedTable<'a> {
    rows: &'a [ChangedUnit],
    columns: Vec<Column>,
}

impl<'a> ChangedTable<'a> {
    pub fn new(diff: &'a Diff) -> Self {
        ChangedTable {
            rows: &diff.changed,
            columns: vec![
                Column::new("id", ColumnType::Str),
                Column::new("lon", ColumnType::Float),
                Column::new("lat", ColumnType::Float),
                Column::new("units", ColumnType::Int),
                Column::new("comune", ColumnType::Str),
                Column::new(format!("class_{}", diff.a), ColumnType::Str),
                Column::new(format!("class_{}", diff.b), ColumnType::Str),
            ],
        }
    }
}

impl Table for ChangedTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let r = &self.rows[row];
        match col {
            0 => Value::Str(&r.id),
            1 => Value::Float(r.lon),
            2 => Value::Float(r.lat),
            3 => Value::Int(i64::from(r.units)),
            4 => r.comune.as_deref().map_or(Value::Null, Value::Str),
            5 => Value::Str(&r.from),
            _ => Value::Str(&r.to),
        }
    }
    fn point(&self, row: usize) -> Option<(f64, f64)> {
        Some((self.rows[row].lon, self.rows[row].lat))
    }
    fn has_geometry(&self) -> bool {
        true
    }
}

/// The moves as a table: level, code, from, to, addresses, housing units.
pub struct MovesTable<'a> {
    rows: &'a [Move],
    columns: Vec<Column>,
}

impl<'a> MovesTable<'a> {
    pub fn new(diff: &'a Diff) -> Self {
        MovesTable {
            rows: &diff.moves,
            columns: vec![
                Column::new("level", ColumnType::Str),
                Column::new("code", ColumnType::Str),
                Column::new("from", ColumnType::Str),
                Column::new("to", ColumnType::Str),
                Column::new("addresses", ColumnType::Int),
                Column::new("units", ColumnType::Int),
            ],
        }
    }
}

impl Table for MovesTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let m = &self.rows[row];
        match col {
            0 => Value::Str(m.level),
            1 => Value::Str(&m.code),
            2 => Value::Str(&m.from),
            3 => Value::Str(&m.to),
            4 => Value::Int(m.addresses as i64),
            _ => Value::Int(m.units as i64),
        }
    }
}
