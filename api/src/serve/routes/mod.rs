//! The routes: JSON API (`/api/v1`), tiles (`/tiles`), operations (`/healthz`, `/metrics`),
//! and the middleware around them (metrics, request logs, timeouts, body limits, CORS,
//! compression of JSON).

pub mod admin;
pub mod areas;
pub mod catalog;
pub mod export;
pub mod fonts;
pub mod moves;
pub mod ops;
pub mod progress;
pub mod search;
pub mod stats;
pub mod tiles;
pub mod units;
pub mod viewer;

use super::openapi::ApiDoc;
use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Instant;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The documented routes, as an [`OpenApiRouter`]: the OpenAPI document is generated from
/// the same handlers the router runs. Tile routes are added by [`router`] because their
/// paths (`{y}.mvt`) cannot be axum routes as written.
pub fn api() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(catalog::snapshots))
        .routes(routes!(catalog::rules))
        .routes(routes!(catalog::datasets))
        .routes(routes!(catalog::offers))
        .routes(routes!(stats::stats))
        .routes(routes!(areas::area))
        .routes(routes!(export::area_units))
        .routes(routes!(export::polygon_units))
        .routes(routes!(moves::moves))
        .routes(routes!(units::unit))
        .routes(routes!(search::search))
        .routes(routes!(admin::publish))
        .routes(routes!(admin::reload))
        .routes(routes!(progress::upload, progress::uploads))
        .routes(routes!(progress::upload_info))
        .routes(routes!(progress::report_route))
        .routes(routes!(progress::series))
        .routes(routes!(progress::points))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::metrics))
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api().split_for_parts();
    doc.merge(tiles::TileDoc::openapi());
    doc.merge(FontDoc::openapi());
    doc.merge(ops::OpenApiDoc::openapi());
    doc
}

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    let (api_router, _) = api().split_for_parts();
    let doc = Arc::new(openapi());
    let api_router = api_router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .layer(CompressionLayer::new().gzip(true));
    let tiles_router = Router::new()
        .route("/tiles/{file}", get(tiles::tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
        .route("/fonts/{fontstack}/{range}", get(fonts::glyphs))
        .route("/", get(viewer::public_map))
        .route("/planner", get(viewer::planner))
        .route("/viewer/{*path}", get(viewer::asset));
    let mut app = api_router
        .merge(tiles_router)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::auth::authenticate,
        ))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), record))
        .fallback(fallback)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.opts.timeout,
        ))
        // JSON bodies (Json extractors) are held to --body-limit-kb; progress uploads read
        // their body themselves, up to --upload-limit-mb
        .layer(axum::extract::DefaultBodyLimit::max(state.opts.body_limit))
        .layer(RequestBodyLimitLayer::new(
            state.opts.body_limit.max(state.opts.upload_limit),
        ))
        .layer(axum::middleware::from_fn(json_errors))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    if !state.opts.cors_origins.is_empty() {
        let origins = &state.opts.cors_origins;
        let allow = if origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok())
                    .collect::<Vec<_>>(),
            )
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                ]),
        );
    }
    app.with_state(state)
}

/// Gives every error the API's JSON shape, also those that axum and tower-http answer by
/// themselves in plain text (a bad query string or body, a body over the limit, a timeout).
async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return resp;
    }
    let text = match axum::body::to_bytes(resp.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let text = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    use super::error::ApiError;
    let e = match status.as_u16() {
        401 => ApiError::Unauthorized(text),
        403 => ApiError::Forbidden(text),
        404 | 405 => ApiError::NotFound(text),
        408 | 503 => ApiError::Unavailable(text),
        413 => ApiError::TooLarge(text),
        s if s >= 500 => ApiError::Internal(text),
        _ => ApiError::BadRequest(text),
    };
    let mut r = axum::response::IntoResponse::into_response(e);
    if status.as_u16() != 500 {
        *r.status_mut() = status;
    }
    r
}

#[derive(OpenApi)]
#[openapi(paths(fonts::glyphs))]
struct FontDoc;

async fn fallback() -> super::error::ApiError {
    super::error::ApiError::NotFound("no such route: see /api/v1/openapi.json".into())
}

/// Counts every request by route (the matched pattern, not the path: a bounded set).
async fn record(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let t0 = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    state.metrics.record(
        &route,
        &method,
        resp.status().as_u16(),
        t0.elapsed().as_secs_f64(),
    );
    resp
}
