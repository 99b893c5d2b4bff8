//! Schema migrations: the same list for both backends (`migrations/postgres` and
//! `migrations/sqlite` hold the same names), embedded in the binary.

use super::{with_conn, Result, Store, StoreError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

impl Store {
    fn migrations(&self) -> EmbeddedMigrations {
        match self.backend() {
            super::Backend::Sqlite => SQLITE,
            super::Backend::Postgis => POSTGRES,
        }
    }

    /// Applies the pending migrations, each in its own transaction; returns their names.
    pub fn migrate(&mut self) -> Result<Vec<String>> {
        let m = self.migrations();
        with_conn!(&mut self.conn, |c| {
            let done = c
                .run_pending_migrations(m)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            Ok(done.iter().map(|v| v.to_string()).collect())
        })
    }

    /// How many migrations are not applied yet.
    pub fn pending_migrations(&mut self) -> Result<usize> {
        let m = self.migrations();
        with_conn!(&mut self.conn, |c| {
            c.pending_migrations(m)
                .map(|p| p.len())
                .map_err(|e| StoreError::Migration(e.to_string()))
        })
    }

    /// Fails with [`StoreError::Pending`] unless the schema is up to date; with `apply`, applies
    /// the pending migrations instead (the embedded store does so: it has no administrator).
    pub fn ensure_migrated(&mut self, apply: bool) -> Result<()> {
        let pending = self.pending_migrations()?;
        if pending == 0 {
            return Ok(());
        }
        if apply {
            self.migrate()?;
            Ok(())
        } else {
            Err(StoreError::Pending { pending })
        }
    }
}
