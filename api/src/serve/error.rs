//! The API's errors: one JSON shape, `{"error": {"code": "...", "message": "..."}}`, with the
//! status code that goes with it. Internal errors are logged; their body says only that
//! something failed on the server.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `too_large`, `internal`, `unavailable`.
    pub code: String,
    /// For people; never contains data the caller may not see.
    pub message: String,
}

/// An error of a request.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    /// No or a bad token.
    Unauthorized(String),
    /// A valid caller without the right to this.
    Forbidden(String),
    NotFound(String),
    /// A request body over the limit.
    TooLarge(String),
    /// Logged with its cause; the client sees only that it failed.
    Internal(String),
    Unavailable(String),
}

impl ApiError {
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(what.to_string())
    }

    /// A refusal: 401 for an anonymous caller (a token may help), 403 for a token without
    /// the right.
    pub fn denied(caller: &crate::serve::auth::Caller, message: &str) -> ApiError {
        match caller {
            crate::serve::auth::Caller::Anonymous => ApiError::Unauthorized(message.into()),
            _ => ApiError::Forbidden(message.into()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            other => ApiError::Internal(format!("{:#}", anyhow_like(&other))),
        }
    }
}

/// An error with its chain of causes, on one line.
fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error: see the server's log".to_string(),
                )
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
            },
        };
        let mut r = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"bianca\""),
            );
        }
        r
    }
}

/// Errors of starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server failed")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
}
