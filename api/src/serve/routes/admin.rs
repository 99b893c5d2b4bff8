//! Administration: publishing datasets, reloading the snapshot.

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Whether a dataset is public.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Publication {
    pub public: bool,
}

/// Publishes a dataset (anonymous users may see it) or makes it confidential again.
#[utoipa::path(post, path = "/api/v1/datasets/{name}/publish", tag = "admin",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Dataset name")),
    request_body = Publication,
    responses(
        (status = 200, body = Publication),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    Json(p): Json<Publication>,
) -> Result<Json<Publication>, ApiError> {
    caller.require_admin()?;
    let s2 = state.clone();
    let who = caller.label();
    tokio::task::spawn_blocking(move || {
        {
            let mut s = s2.store.lock().map_err(|_| ApiError::internal("store lock poisoned"))?;
            s.set_public(&name, p.public)?;
        }
        tracing::info!(dataset = %name, public = p.public, by = %who, "dataset publication changed");
        s2.refresh_flags().map_err(ApiError::from)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(p))
}

/// What a reload did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// True when another snapshot is now served.
    pub changed: bool,
    pub snapshot: String,
}

/// Checks the store now (instead of at the next watch interval) and serves the newest
/// snapshot, or the pinned one.
#[utoipa::path(post, path = "/api/v1/reload", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Reloaded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
pub async fn reload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Reloaded>, ApiError> {
    caller.require_admin()?;
    let s2 = state.clone();
    let changed = tokio::task::spawn_blocking(move || s2.refresh().map_err(ApiError::from))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(Reloaded {
        changed,
        snapshot: state.current().served.info.name.clone(),
    }))
}
