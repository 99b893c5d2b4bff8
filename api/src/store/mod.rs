//! bianca's store: datasets (imported registries, coverage and declarations), snapshots
//! (classification runs with their per-unit results and per-area statistics), rule sets,
//! coverage rasters, administrative boundaries (areas), deployment progress uploads, users and API tokens.
//!
//! One interface, [`Store`], two backends with one schema ([`schema`]) and one list of
//! migrations (`migrations/postgres`, `migrations/sqlite`, same names):
//!
//! - **embedded** (the default): one SQLite file, geometries as EWKB blobs, no server;
//! - **PostGIS**: a `postgres://` URL; geometries are `geometry(Point|MultiPolygon, 4326)`
//!   with GiST indexes, so QGIS and psql read the same tables.
//!
//! Every write (an import, a snapshot) is one transaction: a failure, a kill or a crash in
//! the middle leaves the store as it was. Imports are deduplicated by the file's checksum.

mod areas;
mod bulk;
mod datasets;
pub mod error;
mod geometry;
mod load;
mod migrate;
mod progress;
mod rasters;
pub mod schema;
mod snapshots;
#[doc(hidden)]
pub mod testing;
mod tokens;

pub use areas::AreasImported;
pub use datasets::{
    checksum_bytes, checksum_file, checksum_text, DatasetInfo, DatasetKind, Imported, NewDataset,
};
pub use error::{Result, StoreError};
pub use load::StoredUnits;
pub use progress::{UploadInfo, UploadOutcome, UploadReport, UploadRequest};
pub use rasters::StoredRasterArea;
pub use snapshots::{NewSnapshot, SnapshotInfo, StoredArea, StoredSnapshot};
pub use tokens::{check_token, well_formed, CreatedToken, Role, StoredToken, TokenInfo};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

/// The connection of one backend. Queries are written once against [`schema`] and
/// compiled for both with [`with_conn!`].
pub(crate) enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Runs `$body` with `$c` bound to the backend's connection; the body is compiled once per
/// backend.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Pg($c) => $body,
        }
    };
}
pub(crate) use with_conn;

/// Which backend a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgis,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "embedded SQLite",
            Backend::Postgis => "PostGIS",
        }
    }
}

/// An open store.
pub struct Store {
    pub(crate) conn: Conn,
    url: String,
}

impl Store {
    /// Opens the store at `url`: `postgres://...` (or `postgresql://`) for PostGIS; a file
    /// path or `sqlite://PATH` for the embedded store, created when missing. Other URL
    /// schemes are refused.
    pub fn open(url: &str) -> Result<Store> {
        if let Some((scheme, _)) = url.split_once("://") {
            if !matches!(scheme, "postgres" | "postgresql" | "sqlite") {
                return Err(StoreError::Invalid(format!(
                    "{}: bianca stores data in PostgreSQL + PostGIS (postgres://...) or in an \
                     SQLite file (a path or sqlite://PATH), not {scheme}://",
                    redact(url)
                )));
            }
        }
        let conn = if let Some(path) = embedded_path(url) {
            let mut c =
                SqliteConnection::establish(path).map_err(|source| StoreError::Connect {
                    url: redact(url),
                    source,
                })?;
            // WAL: readers (a running `bianca serve`) are not blocked by an import, and a
            // killed writer leaves the last committed state; foreign keys are off by default;
            // a second writer waits (up to 10 minutes) for the first instead of failing
            c.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 600000;",
            )
            .map_err(|source| StoreError::Query {
                what: format!("configuring {path}"),
                source,
            })?;
            Conn::Sqlite(c)
        } else {
            let mut c = PgConnection::establish(url).map_err(|source| StoreError::Connect {
                url: redact(url),
                source,
            })?;
            // the PostGIS notices of CREATE EXTENSION IF NOT EXISTS are noise
            c.batch_execute("SET client_min_messages = warning")
                .map_err(|source| StoreError::Query {
                    what: "configuring the connection".into(),
                    source,
                })?;
            Conn::Pg(c)
        };
        Ok(Store {
            conn,
            url: redact(url),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgis,
        }
    }

    /// The URL the store was opened with, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The file of an embedded store URL (a path or `sqlite://PATH`); `None` for any other
/// `scheme://` URL (PostgreSQL, or one [`Store::open`] refuses).
pub fn embedded_path(url: &str) -> Option<&str> {
    match url.split_once("://") {
        Some(("sqlite", path)) => Some(path),
        Some(_) => None,
        None => Some(url),
    }
}

/// `postgres://user:secret@host/db?password=x` -> `postgres://user:***@host/db?password=***`,
/// for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // the host starts after the last '@' (a password may hold an unencoded '@')
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (Some(auth), host),
        None => (None, rest),
    };
    let auth = auth.map(|a| match a.split_once(':') {
        Some((user, _)) => format!("{user}:***@"),
        None => format!("{a}@"),
    });
    let host = match host.split_once('?') {
        Some((path, query)) => {
            let q: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", q.join("&"))
        }
        None => host.to_string(),
    };
    format!("{scheme}://{}{host}", auth.unwrap_or_default())
}

impl From<diesel::result::Error> for StoreError {
    fn from(source: diesel::result::Error) -> Self {
        StoreError::Query {
            what: "in the store".into(),
            source,
        }
    }
}

/// The current time, UTC, as stored in `TIMESTAMP` columns.
pub(crate) fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(
            redact("postgres://bob:hunter2@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact("postgres://bob@db/x"), "postgres://bob@db/x");
        assert_eq!(redact("./bianca.db"), "./bianca.db");
        assert_eq!(
            redact("postgres://bob:p@ss@db/x?sslmode=require&password=s3"),
            "postgres://bob:***@db/x?sslmode=require&password=***"
        );
    }

    #[test]
    fn other_url_schemes_are_refused_without_their_password() {
        let err = Store::open("mysql://bob:hunter2@db/x")
            .err()
            .expect("refused");
        let msg = err.to_string();
        assert!(msg.contains("not mysql://"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }
}
