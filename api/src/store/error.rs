//! The store's errors.

use std::fmt;

/// An error of the store, of either backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or reached.
    #[error("cannot open the store {url}")]
    Connect {
        url: String,
        #[source]
        source: diesel::ConnectionError,
    },
    /// A query failed; `what` says what the store was doing.
    #[error("{what}")]
    Query {
        what: String,
        #[source]
        source: diesel::result::Error,
    },
    /// Applying the migrations failed.
    #[error("migrating the store: {0}")]
    Migration(String),
    /// The schema is older than this bianca: `bianca db migrate` first.
    #[error("the store has {pending} migration(s) to apply: run `bianca db migrate` first")]
    Pending { pending: usize },
    /// No dataset, snapshot or rule set of that name.
    #[error("no {kind} named {name:?} in the store{hint}")]
    NotFound {
        kind: &'static str,
        name: String,
        hint: Hint,
    },
    /// The name is taken.
    #[error("a {kind} named {name:?} already exists in the store")]
    Exists { kind: &'static str, name: String },
    /// Stored data that bianca cannot read back (edited by hand, or a bug).
    #[error("stored {table} row {row}: {message}")]
    Corrupt {
        table: &'static str,
        row: i64,
        message: String,
    },
    /// A request that makes no sense (e.g. a snapshot without a registry).
    #[error("{0}")]
    Invalid(String),
    /// An error of the engine (reading a rule set, ...).
    #[error(transparent)]
    Engine(#[from] bianca_engine::Error),
}

/// A suggestion appended to [`StoreError::NotFound`] (e.g. the names that do exist).
#[derive(Debug, Default)]
pub struct Hint(pub String);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " ({})", self.0)
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Adds what the store was doing to a diesel error.
pub(crate) trait QueryContext<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> QueryContext<T> for std::result::Result<T, diesel::result::Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| StoreError::Query {
            what: what(),
            source,
        })
    }
}
