//! Who is calling: anonymous, or the holder of an API token (`Authorization: Bearer ...`).
//!
//! Deny by default: anonymous callers get the public view; a malformed, unknown or revoked
//! token is refused with 401 (never silently downgraded to anonymous). Verified tokens are
//! remembered for [`TOKEN_TTL`] so that a map drawing hundreds of tiles pays for one argon2
//! check, not hundreds; a revocation takes effect within that time.

use super::error::ApiError;
use super::AppState;
use crate::store::{Role, TokenInfo};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a verified (or refused) token is remembered.
pub const TOKEN_TTL: Duration = Duration::from_secs(30);

/// The caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Token(TokenInfo),
}

impl Caller {
    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::Anonymous => None,
            Caller::Token(t) => Some(t.role),
        }
    }

    /// Admins and planners see everything; others the public view.
    pub fn full_view(&self) -> bool {
        matches!(self.role(), Some(Role::Admin | Role::Planner))
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// The operator an uploader acts for.
    pub fn operator(&self) -> Option<&str> {
        match self {
            Caller::Token(t) if t.role == Role::Uploader => t.operator.as_deref(),
            _ => None,
        }
    }

    /// Refuses callers who are not admins.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self {
            Caller::Anonymous => Err(ApiError::Unauthorized(
                "this needs an admin token (Authorization: Bearer ...)".into(),
            )),
            _ if self.is_admin() => Ok(()),
            _ => Err(ApiError::Forbidden("this needs an admin token".into())),
        }
    }

    /// Refuses callers without the full view (admin, planner).
    pub fn require_full_view(&self) -> Result<(), ApiError> {
        match self {
            Caller::Anonymous => Err(ApiError::Unauthorized(
                "this needs a planner or admin token (Authorization: Bearer ...)".into(),
            )),
            _ if self.full_view() => Ok(()),
            _ => Err(ApiError::Forbidden(
                "this needs a planner or admin token".into(),
            )),
        }
    }

    /// The label for logs.
    pub fn label(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Token(t) => format!("token {} ({})", t.id, t.role),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    /// The caller [`authenticate`] found (anonymous if it did not run).
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous))
    }
}

/// Middleware: resolves the caller of every request from its `Authorization` header and
/// refuses a request with a bad token (401) before any handler runs.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    match resolve(&state, req.headers()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

async fn resolve(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })?;
    // a string that is not a bianca token costs neither a lookup nor a cache entry
    if !crate::store::well_formed(token) {
        return Err(ApiError::Unauthorized("unknown or revoked token".into()));
    }
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let cached = state
        .tokens
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
        .filter(|(_, at)| at.elapsed() < TOKEN_TTL);
    let info = match cached {
        Some((info, _)) => info,
        None => {
            let store = state.store.clone();
            let token = token.to_string();
            let info = tokio::task::spawn_blocking(move || {
                // the store is held for one indexed read; argon2 runs without it
                let stored = store
                    .lock()
                    .map_err(|_| ApiError::internal("store lock poisoned"))?
                    .token_for(&token)?;
                match stored {
                    Some(st) => crate::store::check_token(&st, &token).map_err(ApiError::from),
                    None => Ok(None),
                }
            })
            .await
            .map_err(ApiError::internal)??;
            if let Ok(mut m) = state.tokens.lock() {
                if m.len() > 10_000 {
                    m.retain(|_, (_, at)| at.elapsed() < TOKEN_TTL);
                }
                m.insert(key, (info.clone(), Instant::now()));
            }
            info
        }
    };
    match info {
        Some(t) => Ok(Caller::Token(t)),
        None => Err(ApiError::Unauthorized("unknown or revoked token".into())),
    }
}
