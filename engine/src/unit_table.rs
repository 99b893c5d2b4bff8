//! The per-unit results as a [`Table`]: one row per housing unit, in registry order.
//!
//! Columns: `id, lon, lat, units, comune, class, networks, unknown_data, best_down_mbps,
//! best_up_mbps, technologies, networks_4g, networks_5g`, then for every further rule set R
//! `class_R, networks_R` (R with `_` for `-`), and `address` when the registry has one.
//! `class` and `networks` are those of the first (primary) rule set;
//! `unknown_data` is 1 when offers with missing data reached the unit under it (the class was
//! decided anyway, or is `unknown`). `technologies` lists every technology reaching the unit
//! (existing or planned) as `FTTH|FWA|5G`.

use crate::classify::Classification;
use crate::table::{Column, ColumnType, Table, Value};
use crate::units::Units;

pub struct UnitTable<'a> {
    units: &'a Units,
    cls: &'a Classification,
    columns: Vec<Column>,
    technologies: Vec<String>,
}

const FIXED: usize = 13;

impl<'a> UnitTable<'a> {
    pub fn new(units: &'a Units, cls: &'a Classification) -> Self {
        use ColumnType::*;
        let mut columns: Vec<Column> = [
            ("id", Str),
            ("lon", Float),
            ("lat", Float),
            ("units", Int),
            ("comune", Str),
            ("class", Str),
            ("networks", Int),
            ("unknown_data", Int),
            ("best_down_mbps", Float),
            ("best_up_mbps", Float),
            ("technologies", Str),
            ("networks_4g", Int),
            ("networks_5g", Int),
        ]
        .into_iter()
        .map(|(n, t)| Column::new(n, t))
        .collect();
        for r in cls.rules.iter().skip(1) {
            let id = crate::table::identifier(&r.name);
            columns.push(Column::new(format!("class_{id}"), Str));
            columns.push(Column::new(format!("networks_{id}"), Int));
        }
        if units.address.is_some() {
            columns.push(Column::new("address", Str));
        }
        // technology sets are few: format each distinct mask once
        let technologies = (0..1u32 << 10)
            .map(|m| crate::model::TechMask(m as u16).to_string())
            .collect();
        UnitTable {
            units,
            cls,
            columns,
            technologies,
        }
    }
}

impl Table for UnitTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.units.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let u = self.units;
        let reach = &self.cls.reach[row];
        let primary = self.cls.rules.first();
        match col {
            0 => Value::Str(u.ids.get(row)),
            1 => Value::Float(u.lon[row]),
            2 => Value::Float(u.lat[row]),
            3 => Value::Int(u.units[row] as i64),
            4 => u.comune_code(row).map_or(Value::Null, Value::Str),
            5 => primary.map_or(Value::Null, |r| Value::Str(r.class_name(row))),
            6 => primary.map_or(Value::Null, |r| {
                Value::Int(r.decisions[row].networks as i64)
            }),
            7 => primary.map_or(Value::Null, |r| {
                Value::Int(r.decisions[row].on_unknown as i64)
            }),
            8 => Value::Float(reach.best_down as f64),
            9 => Value::Float(reach.best_up as f64),
            10 => Value::Str(&self.technologies[(reach.technologies.0 & 0x3ff) as usize]),
            11 => Value::Int(reach.networks_4g as i64),
            12 => Value::Int(reach.networks_5g as i64),
            c if c == self.columns.len() - 1 && self.units.address.is_some() => self
                .units
                .address
                .as_ref()
                .map_or(Value::Null, |a| Value::Str(a.get(row))),
            c => {
                let k = c - FIXED;
                let r = &self.cls.rules[1 + k / 2];
                if k.is_multiple_of(2) {
                    Value::Str(r.class_name(row))
                } else {
                    Value::Int(r.decisions[row].networks as i64)
                }
            }
        }
    }
    fn point(&self, row: usize) -> Option<(f64, f64)> {
        Some((self.units.lon[row], self.units.lat[row]))
    }
    fn has_geometry(&self) -> bool {
        true
    }
}
