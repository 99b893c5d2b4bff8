//! Deployment progress uploads: validated whole, stored whole (one transaction) or not at
//! all, deduplicated by content, and never updated: each upload is a version.

use super::bulk::{self, NewProgressItem};
use super::error::QueryContext;
use super::schema::{progress_items, progress_uploads};
use super::{checksum_bytes, geometry, now, with_conn, Result, Store, StoreError};
use bianca_engine::progress::history::Version;
use bianca_engine::progress::validate::validate;
use bianca_engine::progress::{
    parse, Format, History, Item, ItemKind, Plan, Problem, Resolution, Status,
};
use bianca_engine::OnError;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use postgis_diesel::types::Point;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

/// Who uploads what, and how to treat bad rows.
#[derive(Debug, Clone)]
pub struct UploadRequest<'a> {
    /// Detected from the header when `None`.
    pub format: Option<Format>,
    /// `Fail`: any problem rejects the whole file; `Skip`: the rows with problems are left
    /// out and the rest is stored (rows of another operator than the uploader's always
    /// reject the file).
    pub on_error: OnError,
    /// The date a BUL file reports (its rows carry none).
    pub reported_on: NaiveDate,
    pub source_file: &'a str,
    /// For the audit: `token 4 (label)`, `cli:alice`.
    pub uploaded_by: &'a str,
    /// An uploader token's operator: only its rows may be uploaded. `None` for admins and
    /// the command line.
    pub operator: Option<&'a str>,
}

/// What was found in a file, stored with the upload and answered to the uploader.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    pub format: Option<Format>,
    pub rows: u64,
    pub stored_rows: u64,
    pub stored_items: u64,
    pub skipped_rows: u64,
    /// Problems by row and field: they reject the file, or (with skip) their rows.
    pub problems: Vec<Problem>,
    /// Accepted, but worth a look (BUL steps back).
    pub warnings: Vec<Problem>,
    /// Old comune codes and the current comune they were resolved to.
    pub resolutions: Vec<Resolution>,
    /// Comune codes that could not be resolved.
    pub unresolved: Vec<String>,
}

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadInfo {
    pub id: i64,
    pub format: Format,
    pub source_file: String,
    pub checksum: String,
    pub reported_on: NaiveDate,
    pub rows: i64,
    pub items: i64,
    pub skipped: i64,
    pub uploaded_at: NaiveDateTime,
    pub uploaded_by: String,
    pub operator: Option<String>,
}

/// What [`Store::upload_progress`] did.
#[derive(Debug, Clone)]
pub enum UploadOutcome {
    Accepted {
        upload: UploadInfo,
        report: UploadReport,
    },
    /// The same content was uploaded before: nothing done.
    Duplicate { upload: UploadInfo },
    /// Nothing stored.
    Rejected { report: UploadReport },
}

#[derive(Insertable)]
#[diesel(table_name = progress_uploads)]
struct NewUpload<'a> {
    format: &'a str,
    source_file: &'a str,
    checksum: &'a str,
    reported_on: NaiveDate,
    row_count: i64,
    item_count: i64,
    skipped: i64,
    uploaded_at: NaiveDateTime,
    uploaded_by: &'a str,
    operator: Option<&'a str>,
    report: &'a str,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = progress_uploads)]
struct UploadRow {
    id: i64,
    format: String,
    source_file: String,
    checksum: String,
    reported_on: NaiveDate,
    row_count: i64,
    item_count: i64,
    skipped: i64,
    uploaded_at: NaiveDateTime,
    uploaded_by: String,
    operator: Option<String>,
}

impl TryFrom<UploadRow> for UploadInfo {
    type Error = StoreError;
    fn try_from(r: UploadRow) -> Result<Self> {
        let format = Format::parse(&r.format).ok_or_else(|| StoreError::Corrupt {
            table: "progress_uploads",
            row: r.id,
            message: format!("unknown format {:?}", r.format),
        })?;
        Ok(UploadInfo {
            id: r.id,
            format,
            source_file: r.source_file,
            checksum: r.checksum,
            reported_on: r.reported_on,
            rows: r.row_count,
            items: r.item_count,
            skipped: r.skipped,
            uploaded_at: r.uploaded_at,
            uploaded_by: r.uploaded_by,
            operator: r.operator,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = progress_items)]
struct ItemRow {
    id: i64,
    upload_id: i64,
    kind: String,
    item_key: String,
    operator: String,
    plan: String,
    lot: Option<String>,
    comune: String,
    source_comune: String,
    technology: String,
    status: String,
    status_text: String,
    status_date: NaiveDate,
    units: i64,
    planned_start: Option<NaiveDate>,
    planned_ready: Option<NaiveDate>,
    ready_date: Option<NaiveDate>,
    sellable_date: Option<NaiveDate>,
    max_down: Option<f64>,
    max_up: Option<f64>,
    note: Option<String>,
    ref_id: Option<String>,
    street: Option<String>,
    number: Option<String>,
    name: Option<String>,
    geom: Option<Point>,
    extra: Option<String>,
    source_row: i64,
}

impl TryFrom<ItemRow> for Version {
    type Error = StoreError;
    fn try_from(r: ItemRow) -> Result<Self> {
        let corrupt = |message: String| StoreError::Corrupt {
            table: "progress_items",
            row: r.id,
            message,
        };
        let kind = ItemKind::parse(&r.kind).ok_or_else(|| corrupt(format!("kind {:?}", r.kind)))?;
        let plan = Plan::parse(&r.plan).ok_or_else(|| corrupt(format!("plan {:?}", r.plan)))?;
        let status = Status::ALL
            .into_iter()
            .find(|s| s.as_str() == r.status)
            .ok_or_else(|| corrupt(format!("status {:?}", r.status)))?;
        Ok(Version {
            upload: r.upload_id,
            item: Item {
                kind,
                key: r.item_key,
                operator: r.operator,
                plan,
                lot: r.lot,
                comune: r.comune,
                source_comune: r.source_comune,
                technology: r.technology,
                status,
                status_text: r.status_text,
                status_date: r.status_date,
                units: r.units,
                planned_start: r.planned_start,
                planned_ready: r.planned_ready,
                ready_date: r.ready_date,
                sellable_date: r.sellable_date,
                max_down: r.max_down,
                max_up: r.max_up,
                note: r.note,
                ref_id: r.ref_id,
                street: r.street,
                number: r.number,
                name: r.name,
                lon: r.geom.as_ref().map(|p| p.x),
                lat: r.geom.as_ref().map(|p| p.y),
                extra: r.extra,
                row: r.source_row as u64,
            },
        })
    }
}

fn kind_of(format: Format) -> ItemKind {
    match format {
        Format::Bul => ItemKind::Comune,
        Format::Civico => ItemKind::Civico,
        Format::Sites => ItemKind::Site,
    }
}

/// The distinct comune codes of "unknown comune code" problems.
fn unresolved(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.message.starts_with("unknown comune code"))
        .map(|p| p.value.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

impl Store {
    /// Validates and stores one progress file in one transaction: accepted whole (or, with
    /// [`OnError::Skip`], without its bad rows), or rejected whole with every problem by row
    /// and field. The same content uploaded again is a no-op answered with the earlier
    /// upload. A kill or a crash in the middle stores nothing.
    pub fn upload_progress(&mut self, bytes: &[u8], req: &UploadRequest) -> Result<UploadOutcome> {
        let checksum = checksum_bytes(bytes);
        if let Some(upload) = self.progress_upload_by_checksum(&checksum)? {
            return Ok(UploadOutcome::Duplicate { upload });
        }
        let parsed = parse(bytes, req.format, req.reported_on);
        let mut report = UploadReport {
            format: parsed.format,
            rows: parsed.rows,
            resolutions: parsed.resolutions,
            unresolved: unresolved(&parsed.problems),
            ..UploadReport::default()
        };
        let Some(format) = parsed.format else {
            report.problems = parsed.problems;
            return Ok(UploadOutcome::Rejected { report });
        };
        // a problem with the header (a missing column) rejects the file in any mode
        let header_problem = parsed.problems.iter().any(|p| p.row <= 1);
        if header_problem || parsed.rows == 0 {
            report.problems = parsed.problems;
            if parsed.rows == 0 && !header_problem {
                report
                    .problems
                    .push(Problem::new(0, "file", "", "no data rows"));
            }
            return Ok(UploadOutcome::Rejected { report });
        }
        let mut bad_rows = parsed.bad_rows;
        let mut problems = parsed.problems;
        let items = parsed.items;
        self.transaction(|store| {
            // another upload of the same content may have committed meanwhile
            if let Some(upload) = store.progress_upload_by_checksum(&checksum)? {
                return Ok(UploadOutcome::Duplicate { upload });
            }
            let operators: HashSet<&str> = items.iter().map(|i| i.operator.as_str()).collect();
            let history = store.progress_history_of(Some(kind_of(format)), Some(&operators))?;
            let checked = validate(format, &items, &history, req.operator);
            let foreign = checked
                .problems
                .iter()
                .any(|p| p.field == "operator_id" || p.field == "format");
            bad_rows.extend(checked.problems.iter().map(|p| p.row));
            problems.extend(checked.problems);
            problems.sort_by_key(|p| p.row);
            report.unresolved = unresolved(&problems);
            report.warnings = checked.warnings;
            if !problems.is_empty() && (req.on_error == OnError::Fail || foreign) {
                report.problems = problems;
                return Ok(UploadOutcome::Rejected { report });
            }
            let kept: Vec<&Item> = items
                .iter()
                .filter(|i| !bad_rows.contains(&i.row))
                .collect();
            report.skipped_rows = bad_rows.len() as u64;
            report.stored_rows = report.rows - report.skipped_rows;
            report.stored_items = kept.len() as u64;
            report.problems = problems;
            if kept.is_empty() {
                report
                    .problems
                    .push(Problem::new(0, "file", "", "no row left to store"));
                return Ok(UploadOutcome::Rejected { report });
            }
            let report_json = serde_json::to_string(&report)
                .map_err(|e| StoreError::Invalid(format!("writing the upload report: {e}")))?;
            let row = NewUpload {
                format: format.as_str(),
                source_file: req.source_file,
                checksum: &checksum,
                reported_on: req.reported_on,
                row_count: report.rows as i64,
                item_count: kept.len() as i64,
                skipped: report.skipped_rows as i64,
                uploaded_at: now(),
                uploaded_by: req.uploaded_by,
                operator: req.operator,
                report: &report_json,
            };
            let id: i64 = with_conn!(&mut store.conn, |c| diesel::insert_into(
                progress_uploads::table
            )
            .values(&row)
            .returning(progress_uploads::id)
            .get_result(c))
            .doing(|| format!("storing the upload of {}", req.source_file))?;
            bulk::insert_progress_items(
                &mut store.conn,
                kept.iter().map(|i| NewProgressItem {
                    upload_id: id,
                    kind: i.kind.as_str(),
                    item_key: &i.key,
                    operator: &i.operator,
                    plan: i.plan.as_str(),
                    lot: i.lot.as_deref(),
                    comune: &i.comune,
                    source_comune: &i.source_comune,
                    technology: &i.technology,
                    status: i.status.as_str(),
                    status_text: &i.status_text,
                    status_date: i.status_date,
                    units: i.units,
                    planned_start: i.planned_start,
                    planned_ready: i.planned_ready,
                    ready_date: i.ready_date,
                    sellable_date: i.sellable_date,
                    max_down: i.max_down,
                    max_up: i.max_up,
                    note: i.note.as_deref(),
                    ref_id: i.ref_id.as_deref(),
                    street: i.street.as_deref(),
                    number: i.number.as_deref(),
                    name: i.name.as_deref(),
                    geom: i.lon.zip(i.lat).map(|(x, y)| geometry::point(x, y)),
                    extra: i.extra.as_deref(),
                    source_row: i.row as i64,
                }),
                &|_| {},
            )?;
            let upload = store
                .progress_upload(id)?
                .ok_or_else(|| StoreError::Invalid(format!("upload {id} vanished")))?;
            Ok(UploadOutcome::Accepted { upload, report })
        })
    }

    fn progress_upload_by_checksum(&mut self, checksum: &str) -> Result<Option<UploadInfo>> {
        let row: Option<UploadRow> = with_conn!(&mut self.conn, |c| progress_uploads::table
            .filter(progress_uploads::checksum.eq(checksum))
            .select(UploadRow::as_select())
            .first(c)
            .optional())
        .doing(|| "looking for an earlier upload of the same content".into())?;
        row.map(UploadInfo::try_from).transpose()
    }

    /// One upload.
    pub fn progress_upload(&mut self, id: i64) -> Result<Option<UploadInfo>> {
        let row: Option<UploadRow> = with_conn!(&mut self.conn, |c| progress_uploads::table
            .find(id)
            .select(UploadRow::as_select())
            .first(c)
            .optional())
        .doing(|| format!("reading upload {id}"))?;
        row.map(UploadInfo::try_from).transpose()
    }

    /// The report stored with an upload (JSON).
    pub fn progress_upload_report(&mut self, id: i64) -> Result<Option<String>> {
        with_conn!(&mut self.conn, |c| progress_uploads::table
            .find(id)
            .select(progress_uploads::report)
            .first(c)
            .optional())
        .doing(|| format!("reading the report of upload {id}"))
    }

    /// The uploads, oldest first; only those of uploader tokens of `operator` when given.
    pub fn progress_uploads(&mut self, operator: Option<&str>) -> Result<Vec<UploadInfo>> {
        let rows: Vec<UploadRow> = with_conn!(&mut self.conn, |c| {
            let mut q = progress_uploads::table
                .select(UploadRow::as_select())
                .order(progress_uploads::id)
                .into_boxed();
            if let Some(op) = operator {
                q = q.filter(progress_uploads::operator.eq(op));
            }
            q.load(c)
        })
        .doing(|| "reading the progress uploads".into())?;
        rows.into_iter().map(UploadInfo::try_from).collect()
    }

    /// Every stored version of every item: the whole history.
    pub fn progress_history(&mut self) -> Result<History> {
        self.progress_history_of(None, None)
    }

    fn progress_history_of(
        &mut self,
        kind: Option<ItemKind>,
        operators: Option<&HashSet<&str>>,
    ) -> Result<History> {
        let ops: Option<Vec<&str>> = operators.map(|o| o.iter().copied().collect());
        let rows: Vec<ItemRow> = with_conn!(&mut self.conn, |c| {
            let mut q = progress_items::table
                .select(ItemRow::as_select())
                .into_boxed();
            if let Some(k) = kind {
                q = q.filter(progress_items::kind.eq(k.as_str()));
            }
            if let Some(ops) = &ops {
                q = q.filter(progress_items::operator.eq_any(ops.clone()));
            }
            q.load(c)
        })
        .doing(|| "reading the progress history".into())?;
        let versions = rows
            .into_iter()
            .map(Version::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(History::new(versions))
    }

    /// The last upload's id (0 with none): a server reloads progress when it changes.
    pub fn progress_generation(&mut self) -> Result<i64> {
        let id: Option<i64> = with_conn!(&mut self.conn, |c| progress_uploads::table
            .select(diesel::dsl::max(progress_uploads::id))
            .first(c))
        .doing(|| "reading the last upload".into())?;
        Ok(id.unwrap_or(0))
    }
}
