//! Throwaway stores for tests, of both backends: an embedded file in a temporary directory,
//! and a fresh schema in the PostGIS database named by `BIANCA_TEST_DATABASE_URL` (which
//! `scripts/test.sh` starts). Not for production use.

use super::Backend;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable naming the test PostGIS database.
pub const TEST_DATABASE_URL: &str = "BIANCA_TEST_DATABASE_URL";
/// Set to 1 to run without PostGIS (the PostGIS half of every store test is then skipped).
pub const SKIP_POSTGIS: &str = "BIANCA_TEST_SKIP_POSTGIS";

/// One throwaway store: removed (file) or dropped (schema) on drop.
pub struct TestStore {
    pub backend: Backend,
    /// What to pass to [`super::Store::open`] or `--database-url`.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some((admin, schema)) = &self.pg {
            if let Ok(mut c) = PgConnection::establish(admin) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// An embedded store in a new temporary directory.
pub fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = dir.path().join("bianca.db").display().to_string();
    TestStore {
        backend: Backend::Sqlite,
        url,
        _dir: Some(dir),
        pg: None,
    }
}

/// A fresh, empty schema in the test PostGIS database (PostGIS itself stays in `public`),
/// or `None` when `BIANCA_TEST_SKIP_POSTGIS=1`. Panics when no test database is configured:
/// a store test must not pass silently without its PostGIS half.
pub fn postgis(tag: &str) -> Option<TestStore> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let admin = match std::env::var(TEST_DATABASE_URL) {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var(SKIP_POSTGIS).is_ok_and(|v| v == "1") => return None,
        _ => panic!(
            "{TEST_DATABASE_URL} is not set: run the tests with scripts/test.sh (it starts a \
             private PostGIS), point {TEST_DATABASE_URL} at a PostGIS database, or set \
             {SKIP_POSTGIS}=1 to skip the PostGIS half of the store tests"
        ),
    };
    let schema = format!(
        "t_{}_{}_{}",
        tag.chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            })
            .collect::<String>(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = PgConnection::establish(&admin)
        .unwrap_or_else(|e| panic!("cannot reach {TEST_DATABASE_URL}: {e}"));
    c.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
    let sep = if admin.contains('?') { '&' } else { '?' };
    let url = format!("{admin}{sep}options=-csearch_path%3D{schema},public");
    Some(TestStore {
        backend: Backend::Postgis,
        url,
        _dir: None,
        pg: Some((admin, schema)),
    })
}

/// Both backends (PostGIS unless skipped), for tests that must hold on each.
pub fn both(tag: &str) -> Vec<TestStore> {
    std::iter::once(sqlite()).chain(postgis(tag)).collect()
}
