//! Writing many rows fast: `COPY ... FROM STDIN (FORMAT binary)` on PostgreSQL, multi-row
//! `INSERT`s of a few thousand rows (prepared once, cached) on SQLite. Always inside the
//! caller's transaction.

use super::error::QueryContext;
use super::schema::{
    area_classes, area_stats, declarations, footprints, progress_items, raster_areas, unit_classes,
    unit_results, units,
};
use super::{Conn, Result};
use diesel::prelude::*;
use postgis_diesel::types::{MultiPolygon, Point};

/// Rows per `COPY` statement: bounds the memory of one batch; the transaction spans all.
const COPY_ROWS: usize = 50_000;
/// SQLite binds at most 32,766 parameters per statement.
const SQLITE_PARAMS: usize = 32_000;

#[derive(Insertable)]
#[diesel(table_name = units)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewUnit<'a> {
    pub dataset_id: i64,
    pub ord: i32,
    pub unit_id: &'a str,
    pub housing_units: i32,
    pub comune: Option<&'a str>,
    pub address: Option<&'a str>,
    pub geom: Point,
}

#[derive(Insertable)]
#[diesel(table_name = footprints)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewFootprint<'a> {
    pub dataset_id: i64,
    pub ord: i32,
    pub operator: &'a str,
    pub infrastructure: &'a str,
    pub technology: &'a str,
    pub down_mbps: f64,
    pub up_mbps: f64,
    pub peak_down_mbps: Option<f64>,
    pub peak_up_mbps: Option<f64>,
    pub status: &'a str,
    pub year: Option<i32>,
    pub licensed: bool,
    pub geom: MultiPolygon<Point>,
}

#[derive(Insertable)]
#[diesel(table_name = raster_areas)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewRasterArea {
    pub dataset_id: i64,
    pub band: i32,
    pub class_min: f64,
    pub class_max: Option<f64>,
    pub geom: MultiPolygon<Point>,
}

#[derive(Insertable)]
#[diesel(table_name = declarations)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewDeclaration<'a> {
    pub dataset_id: i64,
    pub ord: i32,
    pub unit_id: &'a str,
    pub operator: &'a str,
    pub infrastructure: &'a str,
    pub technology: &'a str,
    pub down_mbps: f64,
    pub up_mbps: f64,
    pub peak_down_mbps: Option<f64>,
    pub peak_up_mbps: Option<f64>,
    pub status: &'a str,
    pub year: Option<i32>,
    pub licensed: bool,
}

#[derive(Insertable)]
#[diesel(table_name = unit_results)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewUnitResult {
    pub snapshot_id: i64,
    pub unit_row: i64,
    pub best_down_mbps: f64,
    pub best_up_mbps: f64,
    pub technologies: String,
    pub networks_4g: i32,
    pub networks_5g: i32,
}

#[derive(Insertable)]
#[diesel(table_name = unit_classes)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewUnitClass<'a> {
    pub snapshot_id: i64,
    pub position: i32,
    pub unit_row: i64,
    pub class: &'a str,
    pub networks: i32,
    pub unknown_data: bool,
}

#[derive(Insertable)]
#[diesel(table_name = area_stats)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct InsertAreaStats<'a> {
    pub snapshot_id: i64,
    pub level: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub addresses: i64,
    pub housing_units: i64,
    pub units_4g: i64,
    pub units_5g: i64,
    pub sum_best_down: f64,
}

#[derive(Insertable)]
#[diesel(table_name = area_classes)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct InsertAreaClass<'a> {
    pub snapshot_id: i64,
    pub level: &'a str,
    pub code: &'a str,
    pub position: i32,
    pub class: &'a str,
    pub addresses: i64,
    pub housing_units: i64,
}

#[derive(Insertable)]
#[diesel(table_name = progress_items)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct NewProgressItem<'a> {
    pub upload_id: i64,
    pub kind: &'a str,
    pub item_key: &'a str,
    pub operator: &'a str,
    pub plan: &'a str,
    pub lot: Option<&'a str>,
    pub comune: &'a str,
    pub source_comune: &'a str,
    pub technology: &'a str,
    pub status: &'a str,
    pub status_text: &'a str,
    pub status_date: chrono::NaiveDate,
    pub units: i64,
    pub planned_start: Option<chrono::NaiveDate>,
    pub planned_ready: Option<chrono::NaiveDate>,
    pub ready_date: Option<chrono::NaiveDate>,
    pub sellable_date: Option<chrono::NaiveDate>,
    pub max_down: Option<f64>,
    pub max_up: Option<f64>,
    pub note: Option<&'a str>,
    pub ref_id: Option<&'a str>,
    pub street: Option<&'a str>,
    pub number: Option<&'a str>,
    pub name: Option<&'a str>,
    pub geom: Option<Point>,
    pub extra: Option<&'a str>,
    pub source_row: i64,
}

/// Writes `rows` in batches: one `COPY` per batch on PostgreSQL, one multi-row `INSERT` on
/// SQLite. `$cols` is the number of columns (for SQLite's parameter limit).
macro_rules! bulk_insert {
    ($name:ident, $row:ty, $table:ident, $cols:expr) => {
        #[allow(clippy::extra_unused_lifetimes)]
        pub(crate) fn $name<'a>(
            conn: &mut Conn,
            rows: impl Iterator<Item = $row>,
            progress: &(dyn Fn(u64) + Sync),
        ) -> Result<()> {
            let batch_rows = match conn {
                Conn::Pg(_) => COPY_ROWS,
                Conn::Sqlite(_) => SQLITE_PARAMS / $cols,
            };
            let mut batch = Vec::with_capacity(batch_rows);
            let mut written = 0u64;
            let mut rows = rows.peekable();
            while rows.peek().is_some() {
                batch.clear();
                batch.extend(rows.by_ref().take(batch_rows));
                match conn {
                    Conn::Pg(c) => diesel::copy_from($table::table)
                        .from_insertable(&batch)
                        .execute(c)
                        .map(|_| ()),
                    Conn::Sqlite(c) => diesel::insert_into($table::table)
                        .values(&batch)
                        .execute(c)
                        .map(|_| ()),
                }
                .doing(|| {
                    format!(
                        "writing rows {} to {} of {}",
                        written + 1,
                        written + batch.len() as u64,
                        stringify!($table)
                    )
                })?;
                written += batch.len() as u64;
                progress(batch.len() as u64);
                fault::after_rows(written);
            }
            Ok(())
        }
    };
}

bulk_insert!(insert_units, NewUnit<'a>, units, 7);
bulk_insert!(insert_footprints, NewFootprint<'a>, footprints, 13);
bulk_insert!(insert_declarations, NewDeclaration<'a>, declarations, 13);
bulk_insert!(insert_raster_areas, NewRasterArea, raster_areas, 5);
bulk_insert!(insert_unit_results, NewUnitResult, unit_results, 7);
bulk_insert!(insert_unit_classes, NewUnitClass<'a>, unit_classes, 6);
bulk_insert!(insert_area_stats, InsertAreaStats<'a>, area_stats, 9);
bulk_insert!(insert_area_classes, InsertAreaClass<'a>, area_classes, 7);
bulk_insert!(
    insert_progress_items,
    NewProgressItem<'a>,
    progress_items,
    27
);

/// Fault injection for the crash tests, after a bulk write has written N or more rows inside
/// its transaction:
/// - `BIANCA_FAULT_ABORT_AFTER_ROWS=N`: the process aborts (no unwinding, no rollback sent by
///   the client);
/// - `BIANCA_FAULT_PAUSE_AFTER_ROWS=N`: it prints a line and sleeps, so that a test can
///   `kill -9` it while the transaction is open.
pub(crate) mod fault {
    use std::sync::OnceLock;

    fn limit(var: &'static str, cell: &'static OnceLock<Option<u64>>) -> Option<u64> {
        *cell.get_or_init(|| std::env::var(var).ok().and_then(|v| v.parse().ok()))
    }

    pub(crate) fn after_rows(written: u64) {
        static ABORT: OnceLock<Option<u64>> = OnceLock::new();
        static PAUSE: OnceLock<Option<u64>> = OnceLock::new();
        if let Some(n) = limit("BIANCA_FAULT_ABORT_AFTER_ROWS", &ABORT) {
            if written >= n {
                eprintln!(
                    "bianca: BIANCA_FAULT_ABORT_AFTER_ROWS={n}: aborting after {written} rows"
                );
                std::process::abort();
            }
        }
        if let Some(n) = limit("BIANCA_FAULT_PAUSE_AFTER_ROWS", &PAUSE) {
            if written >= n {
                eprintln!(
                    "bianca: BIANCA_FAULT_PAUSE_AFTER_ROWS={n}: pausing after {written} rows"
                );
                std::thread::sleep(std::time::Duration::from_secs(120));
            }
        }
    }
}
