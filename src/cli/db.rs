//! `bianca db`: the store's schema.

use anyhow::{Context, Result};

#[derive(clap::Subcommand, Debug)]
pub enum DbCommand {
    /// Create the store's tables, or bring them up to date (safe to run again).
    Migrate,
    /// Which store is used and whether its schema is current.
    Status,
}

pub fn run(c: &DbCommand, database_url: Option<&str>) -> Result<()> {
    let mut store = super::store::open_unchecked(database_url)?;
    match c {
        DbCommand::Migrate => {
            let done = store
                .migrate()
                .with_context(|| format!("migrating {}", store.url()))?;
            if done.is_empty() {
                eprintln!(
                    "bianca db migrate: the {} store {} is up to date",
                    store.backend().as_str(),
                    store.url()
                );
            } else {
                eprintln!(
                    "bianca db migrate: applied {} to the {} store {}",
                    done.join(", "),
                    store.backend().as_str(),
                    store.url()
                );
            }
        }
        DbCommand::Status => {
            let pending = store.pending_migrations()?;
            println!("store:    {} ({})", store.url(), store.backend().as_str());
            if pending == 0 {
                println!("schema:   up to date");
            } else {
                println!("schema:   {pending} migration(s) pending: run `bianca db migrate`");
            }
        }
    }
    Ok(())
}
