//! Deployment progress over HTTP: uploads (uploaders for their operator, admins for any),
//! the upload history (planners and admins; an uploader sees its own), reports and time
//! series per area (public: aggregates only), and the per-address and site points
//! (planners, admins, and an uploader for its own operator).

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::AppState;
use crate::store::{Role, Store, UploadInfo, UploadOutcome, UploadReport, UploadRequest};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bianca_engine::progress::history::Version;
use bianca_engine::progress::parse::parse_date;
use bianca_engine::progress::report::{self, Filter};
use bianca_engine::progress::{Format, Plan, Status};
use bianca_engine::stats::Level;
use bianca_engine::OnError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadParams {
    /// `bul`, `civico` or `sites` (default: detected from the header).
    pub format: Option<String>,
    /// `fail` (default: any problem rejects the file) or `skip` (store the good rows).
    pub on_error: Option<String>,
    /// The date a BUL file reports, YYYY-MM-DD (default: today).
    pub date: Option<String>,
    /// The file's name, for the history (a multipart upload gives its own).
    pub name: Option<String>,
}

/// An accepted upload, or the earlier upload of the same content.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadOut {
    /// True when the same content had been uploaded before (nothing was done).
    pub duplicate: bool,
    #[schema(value_type = Object)]
    pub upload: UploadInfo,
    /// What was found (absent for a duplicate).
    #[schema(value_type = Object)]
    pub report: Option<UploadReport>,
}

/// A rejected upload: nothing was stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedOut {
    #[schema(value_type = Object)]
    pub error: serde_json::Value,
    /// Every problem by row and field, the resolved and unresolved comune codes.
    #[schema(value_type = Object)]
    pub report: UploadReport,
}

fn bad(what: &str, value: &str, expected: &str) -> ApiError {
    ApiError::BadRequest(format!("{what} {value:?}: expected {expected}"))
}

fn date_param(name: &str, v: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    v.filter(|s| !s.is_empty())
        .map(|s| parse_date(s).ok_or_else(|| bad(name, s, "a date YYYY-MM-DD")))
        .transpose()
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// The CSV of a request: the body itself, or the first file of a multipart form.
async fn csv_of(
    headers: &HeaderMap,
    body: Bytes,
    name: Option<String>,
) -> Result<(Bytes, String), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("multipart/form-data") {
        return Ok((body, name.unwrap_or_else(|| "upload.csv".into())));
    }
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| ApiError::BadRequest(format!("multipart body: {e}")))?;
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("multipart body: {e}")))?
    {
        let is_file = field.file_name().is_some() || field.name() == Some("file");
        if !is_file {
            continue;
        }
        let file = field
            .file_name()
            .map(str::to_string)
            .or(name.clone())
            .unwrap_or_else(|| "upload.csv".into());
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::BadRequest(format!("multipart body: {e}")))?;
        return Ok((bytes, file));
    }
    Err(ApiError::BadRequest(
        "the multipart form has no file (a field named `file`)".into(),
    ))
}

/// Uploads a progress file (CSV body, or a multipart form with a `file` field). An
/// uploader may upload only its own operator's rows; admins any. The file is accepted
/// whole (201) or rejected whole (422, with every problem by row and field); the same
/// content again answers 200 with the earlier upload.
#[utoipa::path(post, path = "/api/v1/progress/uploads", tag = "progress",
    security(("bearer" = [])),
    params(UploadParams),
    request_body(content = String, content_type = "text/csv",
        description = "The CSV file, or multipart/form-data with a `file` field"),
    responses(
        (status = 201, body = UploadOut, description = "Stored"),
        (status = 200, body = UploadOut, description = "The same content was stored before"),
        (status = 422, body = RejectedOut, description = "Rejected: nothing stored"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let operator = match (&caller, caller.role()) {
        (_, Some(Role::Admin)) => None,
        (Caller::Token(t), Some(Role::Uploader)) => {
            Some(t.operator.clone().ok_or_else(|| {
                ApiError::Forbidden("this uploader token names no operator".into())
            })?)
        }
        _ => {
            return Err(ApiError::denied(
                &caller,
                "uploading progress needs an uploader or admin token",
            ))
        }
    };
    let format = p
        .format
        .as_deref()
        .map(|f| Format::parse(f).ok_or_else(|| bad("format", f, "bul, civico or sites")))
        .transpose()?;
    let on_error = match p.on_error.as_deref() {
        None | Some("fail") => OnError::Fail,
        Some("skip") => OnError::Skip,
        Some(x) => return Err(bad("on_error", x, "fail or skip")),
    };
    let reported_on = date_param("date", p.date.as_deref())?.unwrap_or_else(today);
    let body = axum::body::to_bytes(body, state.opts.upload_limit)
        .await
        .map_err(|_| {
            ApiError::TooLarge(format!(
                "uploads are limited to {} MiB (bianca serve --upload-limit-mb)",
                state.opts.upload_limit >> 20
            ))
        })?;
    let (csv, file) = csv_of(&headers, body, p.name).await?;
    let who = caller.label();
    let url = state.store_url().to_string();
    let outcome = tokio::task::spawn_blocking(move || {
        // a connection of its own: a long upload does not hold up the shared one
        let mut store = Store::open(&url)?;
        store.upload_progress(
            &csv,
            &UploadRequest {
                format,
                on_error,
                reported_on,
                source_file: &file,
                uploaded_by: &who,
                operator: operator.as_deref(),
            },
        )
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(match outcome {
        UploadOutcome::Accepted { upload, report } => {
            tracing::info!(upload = upload.id, by = %upload.uploaded_by, items = upload.items, "progress upload accepted");
            let s2 = state.clone();
            tokio::task::spawn_blocking(move || s2.progress.refresh(&s2.store))
                .await
                .map_err(ApiError::internal)??;
            (
                StatusCode::CREATED,
                Json(UploadOut {
                    duplicate: false,
                    upload,
                    report: Some(report),
                }),
            )
                .into_response()
        }
        UploadOutcome::Duplicate { upload } => Json(UploadOut {
            duplicate: true,
            upload,
            report: None,
        })
        .into_response(),
        UploadOutcome::Rejected { report } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(RejectedOut {
                error: serde_json::json!({
                    "code": "rejected",
                    "message": format!("the file was rejected whole, nothing was stored: {} problem(s)", report.problems.len()),
                }),
                report,
            }),
        )
            .into_response(),
    })
}

/// The accepted uploads, oldest first (planners and admins; an uploader sees its own).
#[utoipa::path(get, path = "/api/v1/progress/uploads", tag = "progress",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Object>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub async fn uploads(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<UploadInfo>>, ApiError> {
    let operator = history_scope(&caller)?;
    let list = state
        .with_store(move |s| s.progress_uploads(operator.as_deref()))
        .await?;
    Ok(Json(list))
}

/// Who may read the upload history: planners and admins all of it (`None`), an uploader
/// its own operator's.
fn history_scope(caller: &Caller) -> Result<Option<String>, ApiError> {
    if caller.full_view() {
        return Ok(None);
    }
    match caller.operator() {
        Some(op) => Ok(Some(op.to_string())),
        None => Err(ApiError::denied(
            caller,
            "the upload history needs a planner, admin or uploader token",
        )),
    }
}

/// One upload with its report.
#[utoipa::path(get, path = "/api/v1/progress/uploads/{id}", tag = "progress",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Upload id")),
    responses(
        (status = 200, body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn upload_info(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let operator = history_scope(&caller)?;
    let (info, report) = state
        .with_store(move |s| Ok((s.progress_upload(id)?, s.progress_upload_report(id)?)))
        .await?;
    let not_found = || ApiError::NotFound(format!("no upload {id}"));
    let info = info.ok_or_else(not_found)?;
    // another operator's upload is answered as if it did not exist
    if operator.is_some() && info.operator != operator {
        return Err(not_found());
    }
    let report: serde_json::Value = report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok(Json(
        serde_json::json!({ "upload": info, "report": report }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportParams {
    /// The state on this date, YYYY-MM-DD (default: today).
    pub as_of: Option<String>,
    /// `comune` (default), `province`, `region` or `total`.
    pub level: Option<String>,
    /// BUL, PI1G, PI5G, PRIVATE or REGIONAL.
    pub plan: Option<String>,
    /// FTTH, FWA, 4G, 5G, PCN...
    pub technology: Option<String>,
    /// One operator's work (planners and admins; an uploader only its own).
    pub operator: Option<String>,
    /// The rule set of the white-unit join (default: the served snapshot's first).
    pub rules: Option<String>,
}

/// White housing units reached by the work, by state.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhiteOut {
    pub pending: i64,
    pub in_works: i64,
    pub done: i64,
}

/// One area, plan and technology.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineOut {
    pub level: String,
    pub code: String,
    pub name: String,
    pub plan: String,
    pub technology: String,
    pub items: u64,
    pub units: i64,
    pub units_by_status: BTreeMap<String, i64>,
    pub items_by_status: BTreeMap<String, u64>,
    pub done_units: i64,
    pub done_items: u64,
    pub sellable_units: i64,
    pub completion_units: Option<f64>,
    pub completion_items: Option<f64>,
    pub late_items: u64,
    pub late_units: i64,
    pub white: Option<WhiteOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub as_of: String,
    pub level: String,
    /// The snapshot and rule set of the white-unit join.
    pub snapshot: String,
    pub rules: Option<String>,
    pub lines: Vec<LineOut>,
}

fn level_param(v: Option<&str>, default: Level) -> Result<Level, ApiError> {
    Ok(match v {
        None => default,
        Some("comune") => Level::Comune,
        Some("province") => Level::Province,
        Some("region") => Level::Region,
        Some("total") => Level::Total,
        Some(x) => return Err(bad("level", x, "comune, province, region or total")),
    })
}

fn filter_of(
    caller: &Caller,
    plan: Option<&str>,
    technology: Option<&str>,
    operator: Option<&str>,
) -> Result<Filter, ApiError> {
    let plan = plan
        .filter(|p| !p.is_empty())
        .map(|p| {
            Plan::parse(p).ok_or_else(|| bad("plan", p, "BUL, PI1G, PI5G, PRIVATE or REGIONAL"))
        })
        .transpose()?;
    if let Some(op) = operator.filter(|o| !o.is_empty()) {
        let own = caller
            .operator()
            .is_some_and(|o| o.eq_ignore_ascii_case(op));
        if !caller.full_view() && !own {
            return Err(ApiError::denied(
                caller,
                "progress by operator needs a planner or admin token (an uploader: its own)",
            ));
        }
    }
    Ok(Filter {
        plan,
        technology: technology.filter(|t| !t.is_empty()).map(str::to_string),
        operator: operator.filter(|o| !o.is_empty()).map(str::to_string),
        kind: None,
    })
}

/// Units and work by status as of a date, per area, plan and technology, with completion,
/// late work and the served snapshot's white units reached (aggregates: public).
#[utoipa::path(get, path = "/api/v1/progress/report", tag = "progress",
    params(ReportParams),
    responses(
        (status = 200, body = ReportOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn report_route(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<ReportParams>,
) -> Result<Json<ReportOut>, ApiError> {
    let as_of = date_param("as_of", p.as_of.as_deref())?.unwrap_or_else(today);
    let level = level_param(p.level.as_deref(), Level::Comune)?;
    let filter = filter_of(
        &caller,
        p.plan.as_deref(),
        p.technology.as_deref(),
        p.operator.as_deref(),
    )?;
    let cur = state.current();
    let rule = match p.rules.as_deref() {
        None if cur.served.rules.is_empty() => None,
        r => Some(cur.served.rule(r).ok_or_else(|| {
            ApiError::NotFound(format!(
                "snapshot {} has no rule set {:?}",
                cur.served.info.name, r
            ))
        })?),
    };
    let s2 = state.clone();
    let out = tokio::task::spawn_blocking(move || {
        let progress = s2.progress.get();
        let white = rule.map(|r| s2.progress.white(&cur, r));
        let lines = report::report(&progress.history, as_of, level, &filter, white.as_deref());
        ReportOut {
            as_of: as_of.to_string(),
            level: level.as_str().to_string(),
            snapshot: cur.served.info.name.clone(),
            rules: rule.map(|r| cur.served.rules[r].name.clone()),
            lines: lines
                .into_iter()
                .map(|l| LineOut {
                    level: l.level.to_string(),
                    code: l.code,
                    name: l.name,
                    plan: l.plan.to_string(),
                    technology: l.technology,
                    items: l.items,
                    units: l.units,
                    units_by_status: l
                        .units_by_status
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                    items_by_status: l
                        .items_by_status
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                    done_units: l.done_units,
                    done_items: l.done_items,
                    sellable_units: l.sellable_units,
                    completion_units: l.completion_units,
                    completion_items: l.completion_items,
                    late_items: l.late_items,
                    late_units: l.late_units,
                    white: l.white.map(|w| WhiteOut {
                        pending: w.pending,
                        in_works: w.in_works,
                        done: w.done,
                    }),
                })
                .collect(),
        }
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SeriesParams {
    /// `total` (default), `region`, `province` or `comune`.
    pub level: Option<String>,
    /// The area's ISTAT code (not needed for `total`).
    pub code: Option<String>,
    pub plan: Option<String>,
    pub technology: Option<String>,
    pub operator: Option<String>,
    /// The first month (default: the first reported date).
    pub from: Option<String>,
    /// The last date (default: today).
    pub to: Option<String>,
}

/// The state at one month's end.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointOut {
    pub date: String,
    pub items: u64,
    pub units: i64,
    pub done_items: u64,
    pub done_units: i64,
    pub sellable_units: i64,
}

/// The monthly time series of done and sellable work in one area (public).
#[utoipa::path(get, path = "/api/v1/progress/series", tag = "progress",
    params(SeriesParams),
    responses(
        (status = 200, body = Vec<PointOut>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub async fn series(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<SeriesParams>,
) -> Result<Json<Vec<PointOut>>, ApiError> {
    let level = level_param(p.level.as_deref(), Level::Total)?;
    let code = match (level, p.code) {
        (Level::Total, _) => "total".to_string(),
        (_, Some(c)) if !c.is_empty() => c,
        _ => {
            return Err(ApiError::BadRequest(format!(
                "code is needed with level {}",
                level.as_str()
            )))
        }
    };
    let filter = filter_of(
        &caller,
        p.plan.as_deref(),
        p.technology.as_deref(),
        p.operator.as_deref(),
    )?;
    let from = date_param("from", p.from.as_deref())?;
    let to = date_param("to", p.to.as_deref())?.unwrap_or_else(today);
    let progress = state.progress.get();
    let points = tokio::task::spawn_blocking(move || {
        report::series(&progress.history, level, &code, &filter, from, to)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(
        points
            .into_iter()
            .map(|p| PointOut {
                date: p.date.to_string(),
                items: p.items,
                units: p.units,
                done_items: p.done_items,
                done_units: p.done_units,
                sellable_units: p.sellable_units,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PointsParams {
    /// west,south,east,north in degrees.
    pub bbox: String,
    pub as_of: Option<String>,
    pub plan: Option<String>,
    pub technology: Option<String>,
    /// At most this many features (default and maximum 20,000).
    pub limit: Option<usize>,
}

/// Per-address progress and mobile sites in a box, as GeoJSON, in their state as of a date
/// (planners and admins; an uploader sees its own operator's).
#[utoipa::path(get, path = "/api/v1/progress/points", tag = "progress",
    security(("bearer" = [])),
    params(PointsParams),
    responses(
        (status = 200, body = Object, content_type = "application/geo+json"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub async fn points(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(p): Query<PointsParams>,
) -> Result<Response, ApiError> {
    let operator = history_scope(&caller).map_err(|_| {
        ApiError::denied(
            &caller,
            "per-address progress needs a planner, admin or uploader token",
        )
    })?;
    let b: Vec<f64> = p
        .bbox
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("bbox", &p.bbox, "west,south,east,north in degrees"))?;
    let [w, s, e, n] = b[..] else {
        return Err(bad("bbox", &p.bbox, "west,south,east,north in degrees"));
    };
    let as_of = date_param("as_of", p.as_of.as_deref())?.unwrap_or_else(today);
    let mut filter = filter_of(&caller, p.plan.as_deref(), p.technology.as_deref(), None)?;
    filter.operator = operator;
    let limit = p.limit.unwrap_or(20_000).min(20_000);
    let progress = state.progress.get();
    let body = tokio::task::spawn_blocking(move || {
        let mut features = Vec::new();
        let mut truncated = false;
        for Version { item, upload } in progress.history.as_of(as_of) {
            let (Some(x), Some(y)) = (item.lon, item.lat) else {
                continue;
            };
            if !(w..=e).contains(&x) || !(s..=n).contains(&y) || !filter.keeps(item) {
                continue;
            }
            if features.len() == limit {
                truncated = true;
                break;
            }
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {
                    "kind": item.kind.as_str(),
                    "id": item.ref_id,
                    "operator": item.operator,
                    "plan": item.plan.as_str(),
                    "technology": item.technology,
                    "status": item.status.as_str(),
                    "step": Status::ALL.iter().position(|s| *s == item.status),
                    "status_date": item.status_date.to_string(),
                    "units": item.units,
                    "planned_ready": item.planned_ready.map(|d| d.to_string()),
                    "late": item.is_late(as_of),
                    "street": item.street,
                    "number": item.number,
                    "site_type": if item.kind == bianca_engine::progress::ItemKind::Site { item.name.clone() } else { None },
                    "note": item.note,
                    "upload": upload,
                }
            }));
        }
        serde_json::json!({
            "type": "FeatureCollection",
            "as_of": as_of.to_string(),
            "truncated": truncated,
            "features": features,
        })
        .to_string()
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}
