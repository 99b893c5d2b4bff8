//! Operations: health, Prometheus metrics, the OpenAPI document.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

/// The server is up and serves a snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    pub snapshot: String,
    pub units: usize,
    pub uptime_seconds: f64,
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
    let cur = state.current();
    Json(Health {
        status: "ok".into(),
        snapshot: cur.served.info.name.clone(),
        units: cur.served.units.len(),
        uptime_seconds: state.started.elapsed().as_secs_f64(),
    })
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 401, description = "No token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
    ))]
pub async fn metrics(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_admin()?;
    let cur = state.current();
    let s = &cur.served;
    let gauges = [
        (
            "bianca_snapshot_units",
            "Addresses of the snapshot served.",
            format!("{{snapshot=\"{}\"}}", s.info.name.replace('"', "'")),
            s.units.len() as f64,
        ),
        (
            "bianca_snapshot_generation",
            "Snapshots loaded since the start, served or viewed by planners (the served one's number).",
            String::new(),
            cur.generation as f64,
        ),
        (
            "bianca_tile_cache_bytes",
            "Bytes of cached tiles.",
            String::new(),
            state.cache.weight() as f64,
        ),
        (
            "bianca_tile_cache_entries",
            "Cached tiles.",
            String::new(),
            state.cache.len() as f64,
        ),
        (
            "bianca_uptime_seconds",
            "Seconds since the server started.",
            String::new(),
            state.started.elapsed().as_secs_f64(),
        ),
    ];
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    ))
}

/// The document describing this API (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
#[allow(dead_code)]
pub async fn openapi_json() {}

#[derive(OpenApi)]
#[openapi(paths(openapi_json))]
pub struct OpenApiDoc;
