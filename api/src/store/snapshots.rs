//! Snapshots: one classification run each, with its inputs, its rule sets, its per-unit
//! results and its per-area statistics. Written in one transaction, never changed after.

use super::bulk::{self, InsertAreaClass, InsertAreaStats, NewUnitClass, NewUnitResult};
use super::datasets::checksum_text;
use super::error::Hint;
use super::error::QueryContext;
use super::schema::{
    area_classes, area_stats, datasets, rule_sets, snapshot_datasets, snapshot_rules, snapshots,
    unit_classes, unit_results,
};
use super::{now, with_conn, DatasetInfo, Result, Store, StoreError, StoredUnits};
use bianca_engine::classify::{Classification, Reach, RuleResults};
use bianca_engine::model::{TechMask, Technology};
use bianca_engine::rules::{Decision, RuleSet, UNKNOWN_CLASS};
use bianca_engine::stats::Stats;
use diesel::prelude::*;
use std::collections::HashMap;

/// A snapshot about to be stored.
pub struct NewSnapshot<'a> {
    pub name: &'a str,
    pub reference_year: i32,
    pub created_by: &'a str,
    /// The registry classified.
    pub units: &'a DatasetInfo,
    /// The coverage and declarations datasets used.
    pub sources: &'a [DatasetInfo],
    /// The rule sets, primary first, each with the TOML text it was read from.
    pub rules: &'a [(RuleSet, String)],
}

/// One area's stored statistics: totals and, per rule set and class, its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArea {
    /// `comune`, `province`, `region` or `total`.
    pub level: String,
    pub code: String,
    pub name: String,
    pub addresses: i64,
    pub housing_units: i64,
    pub units_4g: i64,
    pub units_5g: i64,
    pub sum_best_down: f64,
    /// (rule set position, class, addresses, housing units), by position then class name.
    pub classes: Vec<(i32, String, i64, i64)>,
}

/// A stored snapshot's description.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    pub id: i64,
    pub name: String,
    pub reference_year: i32,
    pub created_at: chrono::NaiveDateTime,
    pub created_by: String,
    /// Name of the registry dataset.
    pub units_dataset: String,
    /// Names of the coverage and declarations datasets.
    pub sources: Vec<String>,
    /// Names of the rule sets, primary first.
    pub rules: Vec<String>,
    pub addresses: i64,
    pub housing_units: i64,
    pub pairs: i64,
    pub declared_pairs: i64,
}

/// A snapshot read back: the registry it classified and its results, as the engine's types
/// (so that it can be written with the same tables as a file-to-file run).
pub struct StoredSnapshot {
    pub info: SnapshotInfo,
    pub units: StoredUnits,
    pub classification: Classification,
    pub rules: Vec<RuleSet>,
}

#[derive(Queryable)]
struct SnapshotRow {
    id: i64,
    name: String,
    reference_year: i32,
    created_at: chrono::NaiveDateTime,
    created_by: String,
    units_dataset_id: i64,
    addresses: i64,
    housing_units: i64,
    pairs: i64,
    declared_pairs: i64,
}

#[derive(Insertable)]
#[diesel(table_name = snapshots)]
struct InsertSnapshot<'a> {
    name: &'a str,
    reference_year: i32,
    created_at: chrono::NaiveDateTime,
    created_by: &'a str,
    units_dataset_id: i64,
    addresses: i64,
    housing_units: i64,
    pairs: i64,
    declared_pairs: i64,
}

impl Store {
    /// Stores a classification run of a registry in one transaction. `unit_rows` are the
    /// registry's row ids as [`Store::load_units`] gave them, aligned with `cls`. `progress`
    /// counts the units written.
    pub fn save_snapshot(
        &mut self,
        new: &NewSnapshot<'_>,
        unit_rows: &[i64],
        cls: &Classification,
        stats: &Stats,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<SnapshotInfo> {
        if unit_rows.len() != cls.reach.len() {
            return Err(StoreError::Invalid(format!(
                "snapshot {}: {} units but {} results",
                new.name,
                unit_rows.len(),
                cls.reach.len()
            )));
        }
        let total = stats.rows.last();
        let id = self.transaction(|store| {
            let exists: i64 = with_conn!(&mut store.conn, |c| snapshots::table
                .filter(snapshots::name.eq(new.name))
                .count()
                .get_result(c))
            .doing(|| "looking up snapshots".into())?;
            if exists > 0 {
                return Err(StoreError::Exists {
                    kind: "snapshot",
                    name: new.name.into(),
                });
            }
            let row = InsertSnapshot {
                name: new.name,
                reference_year: new.reference_year,
                created_at: now(),
                created_by: new.created_by,
                units_dataset_id: new.units.id,
                addresses: unit_rows.len() as i64,
                housing_units: total.map_or(0, |t| t.units as i64),
                pairs: cls.pairs as i64,
                declared_pairs: cls.declared_pairs as i64,
            };
            let id: i64 = with_conn!(&mut store.conn, |c| diesel::insert_into(snapshots::table)
                .values(&row)
                .returning(snapshots::id)
                .get_result(c))
            .doing(|| format!("storing snapshot {}", new.name))?;
            for ds in new.sources {
                with_conn!(&mut store.conn, |c| diesel::insert_into(
                    snapshot_datasets::table
                )
                .values((
                    snapshot_datasets::snapshot_id.eq(id),
                    snapshot_datasets::dataset_id.eq(ds.id),
                ))
                .execute(c))
                .doing(|| "storing the snapshot's datasets".into())?;
            }
            for (pos, (rule, text)) in new.rules.iter().enumerate() {
                let rid = store.rule_set_id(rule, text)?;
                with_conn!(&mut store.conn, |c| diesel::insert_into(
                    snapshot_rules::table
                )
                .values((
                    snapshot_rules::snapshot_id.eq(id),
                    snapshot_rules::position.eq(pos as i32),
                    snapshot_rules::rule_set_id.eq(rid),
                ))
                .execute(c))
                .doing(|| "storing the snapshot's rule sets".into())?;
            }
            let results = unit_rows
                .iter()
                .zip(&cls.reach)
                .map(|(&row, r)| NewUnitResult {
                    snapshot_id: id,
                    unit_row: row,
                    best_down_mbps: f64::from(r.best_down),
                    best_up_mbps: f64::from(r.best_up),
                    technologies: r.technologies.to_string(),
                    networks_4g: i32::from(r.networks_4g),
                    networks_5g: i32::from(r.networks_5g),
                });
            bulk::insert_unit_results(&mut store.conn, results, progress)?;
            for (pos, rr) in cls.rules.iter().enumerate() {
                let classes =
                    unit_rows
                        .iter()
                        .zip(&rr.decisions)
                        .enumerate()
                        .map(|(i, (&row, d))| NewUnitClass {
                            snapshot_id: id,
                            position: pos as i32,
                            unit_row: row,
                            class: rr.class_name(i),
                            networks: i32::from(d.networks),
                            unknown_data: d.on_unknown,
                        });
                bulk::insert_unit_classes(&mut store.conn, classes, &|_| ())?;
            }
            store.save_stats(id, stats)?;
            Ok(id)
        })?;
        self.snapshots()?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| StoreError::Invalid(format!("snapshot {id} vanished after saving")))
    }

    fn save_stats(&mut self, id: i64, stats: &Stats) -> Result<()> {
        let levels: Vec<&str> = stats
            .rows
            .iter()
            .map(|r| r.level.map_or("", |l| l.as_str()))
            .collect();
        let totals: Vec<InsertAreaStats> = stats
            .rows
            .iter()
            .zip(&levels)
            .map(|(r, level)| InsertAreaStats {
                snapshot_id: id,
                level,
                code: &r.code,
                name: &r.name,
                addresses: r.addresses as i64,
                housing_units: r.units as i64,
                units_4g: r.units_4g as i64,
                units_5g: r.units_5g as i64,
                sum_best_down: r.sum_best_down,
            })
            .collect();
        let mut classes = Vec::new();
        for (r, level) in stats.rows.iter().zip(&levels) {
            for (pos, ((_, names), counts)) in stats.rules.iter().zip(&r.rules).enumerate() {
                for (k, name) in names
                    .iter()
                    .map(String::as_str)
                    .chain(["unknown"])
                    .enumerate()
                {
                    classes.push(InsertAreaClass {
                        snapshot_id: id,
                        level,
                        code: &r.code,
                        position: pos as i32,
                        class: name,
                        addresses: counts.addresses[k] as i64,
                        housing_units: counts.units[k] as i64,
                    });
                }
            }
        }
        bulk::insert_area_stats(&mut self.conn, totals.into_iter(), &|_| ())?;
        bulk::insert_area_classes(&mut self.conn, classes.into_iter(), &|_| ())
    }

    /// The id of a stored rule set with this exact text, storing it if new.
    fn rule_set_id(&mut self, rule: &RuleSet, text: &str) -> Result<i64> {
        let sum = checksum_text(text);
        let found: Option<i64> = with_conn!(&mut self.conn, |c| rule_sets::table
            .filter(rule_sets::checksum.eq(&sum))
            .select(rule_sets::id)
            .first(c)
            .optional())
        .doing(|| "looking up a rule set".into())?;
        if let Some(id) = found {
            return Ok(id);
        }
        with_conn!(&mut self.conn, |c| diesel::insert_into(rule_sets::table)
            .values((
                rule_sets::name.eq(&rule.name),
                rule_sets::version.eq(rule.version as i32),
                rule_sets::checksum.eq(&sum),
                rule_sets::toml.eq(text),
            ))
            .returning(rule_sets::id)
            .get_result(c))
        .doing(|| format!("storing rule set {}", rule.name))
    }

    /// Every snapshot, oldest first.
    pub fn snapshots(&mut self) -> Result<Vec<SnapshotInfo>> {
        let rows: Vec<SnapshotRow> = with_conn!(&mut self.conn, |c| snapshots::table
            .order(snapshots::id)
            .load(c))
        .doing(|| "listing snapshots".into())?;
        let names: HashMap<i64, String> = with_conn!(&mut self.conn, |c| datasets::table
            .select((datasets::id, datasets::name))
            .load::<(i64, String)>(c))
        .doing(|| "listing datasets".into())?
        .into_iter()
        .collect();
        let used: Vec<(i64, i64)> = with_conn!(&mut self.conn, |c| snapshot_datasets::table
            .select((
                snapshot_datasets::snapshot_id,
                snapshot_datasets::dataset_id
            ))
            .order((
                snapshot_datasets::snapshot_id,
                snapshot_datasets::dataset_id
            ))
            .load(c))
        .doing(|| "listing snapshot datasets".into())?;
        let rules: Vec<(i64, String)> = with_conn!(&mut self.conn, |c| snapshot_rules::table
            .inner_join(rule_sets::table.on(rule_sets::id.eq(snapshot_rules::rule_set_id)))
            .select((snapshot_rules::snapshot_id, rule_sets::name))
            .order((snapshot_rules::snapshot_id, snapshot_rules::position))
            .load(c))
        .doing(|| "listing snapshot rule sets".into())?;
        let name_of = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        Ok(rows
            .into_iter()
            .map(|r| SnapshotInfo {
                id: r.id,
                name: r.name,
                reference_year: r.reference_year,
                created_at: r.created_at,
                created_by: r.created_by,
                units_dataset: name_of(r.units_dataset_id),
                sources: used
                    .iter()
                    .filter(|(s, _)| *s == r.id)
                    .map(|&(_, d)| name_of(d))
                    .collect(),
                rules: rules
                    .iter()
                    .filter(|(s, _)| *s == r.id)
                    .map(|(_, n)| n.clone())
                    .collect(),
                addresses: r.addresses,
                housing_units: r.housing_units,
                pairs: r.pairs,
                declared_pairs: r.declared_pairs,
            })
            .collect())
    }

    /// The snapshot named `name`.
    pub fn snapshot(&mut self, name: &str) -> Result<SnapshotInfo> {
        let all = self.snapshots()?;
        let hint = Hint(if all.is_empty() {
            "the store has no snapshots: `bianca classify --snapshot NAME` makes one".into()
        } else {
            format!(
                "snapshots: {}",
                all.iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        all.into_iter()
            .find(|s| s.name == name)
            .ok_or(StoreError::NotFound {
                kind: "snapshot",
                name: name.into(),
                hint,
            })
    }

    /// Reads a snapshot back with its registry, in the registry's order.
    pub fn load_snapshot(&mut self, name: &str) -> Result<StoredSnapshot> {
        let info = self.snapshot(name)?;
        let ds = self.dataset(&info.units_dataset)?;
        let units = self.load_units(&ds)?;
        let pos_of: HashMap<i64, usize> = units
            .rows
            .iter()
            .enumerate()
            .map(|(i, &r)| (r, i))
            .collect();
        let n = units.rows.len();
        let corrupt = |table: &'static str, row: i64, message: String| StoreError::Corrupt {
            table,
            row,
            message,
        };

        let mut reach = vec![Reach::default(); n];
        let mut seen = 0usize;
        let results: Vec<(i64, f64, f64, String, i32, i32)> =
            with_conn!(&mut self.conn, |c| unit_results::table
                .filter(unit_results::snapshot_id.eq(info.id))
                .select((
                    unit_results::unit_row,
                    unit_results::best_down_mbps,
                    unit_results::best_up_mbps,
                    unit_results::technologies,
                    unit_results::networks_4g,
                    unit_results::networks_5g,
                ))
                .load(c))
            .doing(|| format!("reading the results of snapshot {name}"))?;
        for (row, down, up, tech, n4, n5) in results {
            let i = *pos_of
                .get(&row)
                .ok_or_else(|| corrupt("unit_results", row, "unit not in the registry".into()))?;
            let mut technologies = TechMask::default();
            for t in tech.split('|').filter(|t| !t.is_empty()) {
                let t: Technology = t
                    .parse()
                    .map_err(|e| corrupt("unit_results", row, format!("{e}")))?;
                technologies.insert(t);
            }
            reach[i] = Reach {
                best_down: down as f32,
                best_up: up as f32,
                technologies,
                networks_4g: u8::try_from(n4).unwrap_or(u8::MAX),
                networks_5g: u8::try_from(n5).unwrap_or(u8::MAX),
            };
            seen += 1;
        }
        if seen != n {
            return Err(corrupt(
                "snapshots",
                info.id,
                format!("{seen} results for {n} units"),
            ));
        }

        let rule_rows: Vec<(i32, String)> = with_conn!(&mut self.conn, |c| snapshot_rules::table
            .inner_join(rule_sets::table.on(rule_sets::id.eq(snapshot_rules::rule_set_id)))
            .filter(snapshot_rules::snapshot_id.eq(info.id))
            .order(snapshot_rules::position)
            .select((snapshot_rules::position, rule_sets::toml))
            .load(c))
        .doing(|| format!("reading the rule sets of snapshot {name}"))?;
        let mut rules = Vec::new();
        let mut rule_results = Vec::new();
        for (pos, toml) in rule_rows {
            let rule = RuleSet::from_toml(&toml, &format!("snapshot {name}"))?;
            let class_names: Vec<String> =
                rule.class_names().iter().map(|s| s.to_string()).collect();
            let mut decisions = vec![Decision::default(); n];
            let rows: Vec<(i64, String, i32, bool)> =
                with_conn!(&mut self.conn, |c| unit_classes::table
                    .filter(unit_classes::snapshot_id.eq(info.id))
                    .filter(unit_classes::position.eq(pos))
                    .select((
                        unit_classes::unit_row,
                        unit_classes::class,
                        unit_classes::networks,
                        unit_classes::unknown_data,
                    ))
                    .load(c))
                .doing(|| format!("reading the classes of snapshot {name}"))?;
            if rows.len() != n {
                return Err(corrupt(
                    "snapshots",
                    info.id,
                    format!("{} classes of {} for {n} units", rows.len(), rule.name),
                ));
            }
            for (row, class, networks, unknown) in rows {
                let i = *pos_of.get(&row).ok_or_else(|| {
                    corrupt("unit_classes", row, "unit not in the registry".into())
                })?;
                let class = match class_names.iter().position(|c| *c == class) {
                    Some(k) => k as u8,
                    None if class == "unknown" => UNKNOWN_CLASS,
                    None => {
                        return Err(corrupt(
                            "unit_classes",
                            row,
                            format!("class {class:?} is not a class of {}", rule.name),
                        ))
                    }
                };
                decisions[i] = Decision {
                    class,
                    networks: u8::try_from(networks).unwrap_or(u8::MAX),
                    on_unknown: unknown,
                };
            }
            rule_results.push(RuleResults {
                name: rule.name.clone(),
                class_names,
                decisions,
            });
            rules.push(rule);
        }
        let classification = Classification {
            rules: rule_results,
            reach,
            pairs: info.pairs as u64,
            declared_pairs: info.declared_pairs as u64,
            unmatched_declarations: 0,
            outside_coverage: 0,
            raster_unknown: 0,
            // per-operator mobile reach is not stored (only `--mobile-stats` of a file
            // run uses it)
            mobile_operators: Vec::new(),
            mobile_ops: Vec::new(),
        };
        Ok(StoredSnapshot {
            info,
            units,
            classification,
            rules,
        })
    }

    /// The per-area statistics stored with a snapshot, in the order they were computed
    /// (comuni, provinces, regions, total); `level` filters to one level.
    pub fn snapshot_stats(&mut self, name: &str, level: Option<&str>) -> Result<Vec<StoredArea>> {
        let info = self.snapshot(name)?;
        type Row = (String, String, String, i64, i64, i64, i64, f64);
        let rows: Vec<Row> = with_conn!(&mut self.conn, |c| {
            let mut q = area_stats::table
                .filter(area_stats::snapshot_id.eq(info.id))
                .select((
                    area_stats::level,
                    area_stats::code,
                    area_stats::name,
                    area_stats::addresses,
                    area_stats::housing_units,
                    area_stats::units_4g,
                    area_stats::units_5g,
                    area_stats::sum_best_down,
                ))
                .into_boxed();
            if let Some(l) = level {
                q = q.filter(area_stats::level.eq(l));
            }
            q.load(c)
        })
        .doing(|| format!("reading the statistics of snapshot {name}"))?;
        type ClassRow = (String, String, i32, String, i64, i64);
        let classes: Vec<ClassRow> = with_conn!(&mut self.conn, |c| {
            let mut q = area_classes::table
                .filter(area_classes::snapshot_id.eq(info.id))
                .select((
                    area_classes::level,
                    area_classes::code,
                    area_classes::position,
                    area_classes::class,
                    area_classes::addresses,
                    area_classes::housing_units,
                ))
                .into_boxed();
            if let Some(l) = level {
                q = q.filter(area_classes::level.eq(l));
            }
            q.load(c)
        })
        .doing(|| format!("reading the statistics of snapshot {name}"))?;
        type Counts = Vec<(i32, String, i64, i64)>;
        let mut by_area: HashMap<(String, String), Counts> = HashMap::new();
        for (level, code, pos, class, a, u) in classes {
            by_area
                .entry((level, code))
                .or_default()
                .push((pos, class, a, u));
        }
        let order = |l: &str| match l {
            "comune" => 0,
            "province" => 1,
            "region" => 2,
            "total" => 3,
            _ => 4,
        };
        let mut out: Vec<StoredArea> = rows
            .into_iter()
            .map(
                |(level, code, name, addresses, housing_units, units_4g, units_5g, sum)| {
                    let mut classes = by_area
                        .remove(&(level.clone(), code.clone()))
                        .unwrap_or_default();
                    classes.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
                    StoredArea {
                        level,
                        code,
                        name,
                        addresses,
                        housing_units,
                        units_4g,
                        units_5g,
                        sum_best_down: sum,
                        classes,
                    }
                },
            )
            .collect();
        out.sort_by(|a, b| {
            (order(&a.level), a.code.is_empty(), &a.code).cmp(&(
                order(&b.level),
                b.code.is_empty(),
                &b.code,
            ))
        });
        Ok(out)
    }
}
