//! The web map, built into the binary: the public map at `/`, the planner workspace at
//! `/planner`, their scripts and styles under `/viewer/`.

use crate::serve::basemap;
use crate::serve::error::ApiError;
use crate::serve::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

mod files {
    include!(concat!(env!("OUT_DIR"), "/viewer_files.rs"));
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// An embedded file by its path under `viewer/src` (or `vendor/...`).
pub fn file(path: &str) -> Option<&'static [u8]> {
    files::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| *b)
}

/// Every embedded file, for `bianca export-public`.
pub fn all() -> &'static [(&'static str, &'static [u8])] {
    files::FILES
}

/// A page of the map, with the server's configuration of the map (the basemap) written in.
fn page(name: &str, state: &AppState) -> Response {
    if !files::MISSING.is_empty() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<!doctype html><meta charset=utf-8><title>bianca</title><h1>bianca</h1><p>The map's JavaScript was missing when this bianca was built ({}). Run <code>npm ci</code> in <code>viewer/</code> (or <code>scripts/setup.sh</code>) and build again. The API works: <a href=/api/v1/openapi.json>/api/v1/openapi.json</a>.</p>",
                files::MISSING.join(", ")
            )),
        )
            .into_response();
    }
    let config = basemap::page_config(
        state.opts.basemap_style.as_deref(),
        state.mobile_white.is_some(),
    );
    match file(name) {
        Some(b) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            match &config {
                Some(c) => basemap::with_config(&String::from_utf8_lossy(b), c).into_bytes(),
                None => b.to_vec(),
            },
        )
            .into_response(),
        None => ApiError::NotFound(format!("{name} is not built in")).into_response(),
    }
}

/// The public coverage map.
pub async fn public_map(State(state): State<Arc<AppState>>) -> Response {
    page("index.html", &state)
}

/// The planner workspace.
pub async fn planner(State(state): State<Arc<AppState>>) -> Response {
    page("planner.html", &state)
}

/// A script, style or image of the map.
pub async fn asset(Path(path): Path<String>) -> Response {
    match file(&path) {
        Some(b) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&path)),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=300"),
                ),
            ],
            b,
        )
            .into_response(),
        None => ApiError::NotFound(format!("no file {path:?} in the map")).into_response(),
    }
}
