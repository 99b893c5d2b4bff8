//! Opening the store for a subcommand: `--database-url` / `DATABASE_URL`, or the embedded
//! default file.

use anyhow::{Context, Result};
use bianca_api::store::{embedded_path, Backend, Store};

/// The embedded store used when no database URL is given.
pub const DEFAULT_DATABASE: &str = "bianca.db";

/// Opens the store and makes sure its schema is current: the embedded store migrates
/// itself; a PostGIS database must be migrated with `bianca db migrate` (it may be shared).
pub fn open(database_url: Option<&str>) -> Result<Store> {
    let mut store = open_unchecked(database_url)?;
    let embedded = store.backend() == Backend::Sqlite;
    store
        .ensure_migrated(embedded)
        .with_context(|| format!("opening the store {}", store.url()))?;
    Ok(store)
}

/// Opens a store that must exist already (for commands that only read): an embedded file
/// that is not there is an error, not a new empty store.
pub fn open_existing(database_url: Option<&str>) -> Result<Store> {
    let url = database_url.unwrap_or(DEFAULT_DATABASE);
    if let Some(path) = embedded_path(url).filter(|p| !std::path::Path::new(p).exists()) {
        anyhow::bail!(
            "no store at {path}: `bianca import` creates one; give --database-url (or \
             DATABASE_URL) to use another"
        );
    }
    open(database_url)
}

/// Opens the store without looking at its schema (for `bianca db`).
pub fn open_unchecked(database_url: Option<&str>) -> Result<Store> {
    let url = database_url.unwrap_or(DEFAULT_DATABASE);
    Ok(Store::open(url)?)
}

/// Who is running bianca, for the `imported_by` / `created_by` columns.
pub fn current_user() -> String {
    ["BIANCA_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}
