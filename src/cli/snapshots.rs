//! `bianca snapshots` and `bianca datasets`: what the store holds, exporting a snapshot,
//! comparing two.

use super::output::{check_dir, pct, thousands, Staged};
use anyhow::{Context, Result};
use bianca_api::diff::{self, ChangedTable, MovesTable};
use bianca_engine::io::write::Format;
use bianca_engine::stats;
use bianca_engine::unit_table::UnitTable;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum SnapshotsCommand {
    /// Every snapshot, oldest first.
    List,
    /// Write a stored snapshot's per-unit results and statistics to files (the same tables as
    /// `bianca classify --out/--stats`).
    Export(ExportArgs),
    /// Compare two snapshots: units whose class changed, and per-comune counts of moves
    /// (white -> grey, ...).
    Diff(DiffArgs),
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The snapshot.
    pub name: String,
    /// Per-unit results: .csv, .geojson, .parquet, .gpkg or .fgb.
    #[arg(long, value_name = "FILE", required_unless_present = "stats")]
    pub out: Option<PathBuf>,
    /// Per-area statistics: .csv, .json, .parquet or .gpkg.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The earlier snapshot.
    pub a: String,
    /// The later snapshot.
    pub b: String,
    /// The rule set to compare under (default: the primary rule set of A).
    #[arg(long, value_name = "NAME")]
    pub rules: Option<String>,
    /// The units whose class changed (id, lon, lat, units, comune, class in A, class in B):
    /// .csv, .geojson, .parquet, .gpkg or .fgb.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Moves per comune and in total (level, code, from, to, addresses, units): .csv, .json...
    #[arg(long, value_name = "FILE")]
    pub moves: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum DatasetsCommand {
    /// Every imported dataset, oldest first.
    List,
    /// Remove a dataset and its rows (refused while a snapshot uses it), e.g. to import a
    /// file again with another --crs.
    Remove {
        /// The dataset.
        name: String,
    },
    /// Publish a dataset: anonymous users of `bianca serve` may then see its coverage.
    Publish {
        /// The dataset.
        name: String,
    },
    /// Make a dataset confidential again (planners and admins only).
    Unpublish {
        /// The dataset.
        name: String,
    },
}

pub fn run_datasets(c: &DatasetsCommand, database_url: Option<&str>) -> Result<()> {
    let mut store = super::store::open_existing(database_url)?;
    match c {
        DatasetsCommand::List => {
            let all = store.datasets()?;
            if all.is_empty() {
                eprintln!(
                    "no datasets in {}: `bianca import units|coverage|declarations FILE`",
                    store.url()
                );
                return Ok(());
            }
            println!(
                "{:<24} {:<12} {:>12} {:>8} {:<17} {:<10} {:<6} source",
                "name", "kind", "rows", "rejected", "imported (UTC)", "by", "public"
            );
            for d in all {
                println!(
                    "{:<24} {:<12} {:>12} {:>8} {:<17} {:<10} {:<6} {}",
                    d.name,
                    d.kind.as_str(),
                    thousands(d.rows as u64),
                    thousands(d.rejected as u64),
                    d.imported_at.format("%Y-%m-%d %H:%M"),
                    d.imported_by,
                    if d.public { "yes" } else { "no" },
                    d.source_file
                );
            }
        }
        DatasetsCommand::Publish { name } | DatasetsCommand::Unpublish { name } => {
            let public = matches!(c, DatasetsCommand::Publish { .. });
            let d = store.set_public(name, public)?;
            eprintln!(
                "bianca datasets: dataset {:?} is now {} (a running `bianca serve` applies it within its watch interval)",
                d.name,
                if d.public { "public" } else { "confidential" }
            );
        }
        DatasetsCommand::Remove { name } => {
            let d = store.remove_dataset(name)?;
            eprintln!(
                "bianca datasets remove: dataset {:?} ({} {} rows from {}) removed",
                d.name,
                thousands(d.rows as u64),
                d.kind.as_str(),
                d.source_file
            );
        }
    }
    Ok(())
}

pub fn run(c: &SnapshotsCommand, database_url: Option<&str>) -> Result<()> {
    let mut store = super::store::open_existing(database_url)?;
    match c {
        SnapshotsCommand::List => {
            let all = store.snapshots()?;
            if all.is_empty() {
                eprintln!(
                    "no snapshots in {}: `bianca classify --snapshot NAME --rules ...` makes one",
                    store.url()
                );
                return Ok(());
            }
            println!(
                "{:<20} {:<17} {:>5} {:<24} {:>12} {:>12}  coverage",
                "name", "created (UTC)", "year", "rules", "addresses", "units"
            );
            for s in all {
                println!(
                    "{:<20} {:<17} {:>5} {:<24} {:>12} {:>12}  {} <- {}",
                    s.name,
                    s.created_at.format("%Y-%m-%d %H:%M"),
                    s.reference_year,
                    s.rules.join(","),
                    thousands(s.addresses as u64),
                    thousands(s.housing_units as u64),
                    s.units_dataset,
                    s.sources.join(", ")
                );
            }
        }
        SnapshotsCommand::Export(a) => {
            for p in a.out.iter().chain(&a.stats) {
                Format::from_path(p)?;
                check_dir(p)?;
            }
            let snap = store
                .load_snapshot(&a.name)
                .with_context(|| format!("reading snapshot {}", a.name))?;
            let units = &snap.units.units;
            let cls = &snap.classification;
            let mut staged = Staged::default();
            if let Some(p) = &a.out {
                staged.write(p, &UnitTable::new(units, cls))?;
            }
            if let Some(p) = &a.stats {
                // a stored snapshot whose results do not match its units is an error naming
                // it, not a panic
                let mut sb = stats::StatsBuilder::new(false);
                sb.add(units, cls)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("snapshot {}", snap.info.name))?;
                staged.write(p, &sb.finish(&|_| None))?;
            }
            staged.commit()?;
            eprintln!(
                "bianca snapshots export: {} units of snapshot {} written",
                thousands(units.len() as u64),
                snap.info.name
            );
        }
        SnapshotsCommand::Diff(a) => {
            for p in a.out.iter().chain(&a.moves) {
                Format::from_path(p)?;
                check_dir(p)?;
            }
            let sa = store
                .load_snapshot(&a.a)
                .with_context(|| format!("reading snapshot {}", a.a))?;
            let sb = store
                .load_snapshot(&a.b)
                .with_context(|| format!("reading snapshot {}", a.b))?;
            let d = diff::diff(&sa, &sb, a.rules.as_deref()).map_err(anyhow::Error::msg)?;
            let mut staged = Staged::default();
            if let Some(p) = &a.out {
                staged.write(p, &ChangedTable::new(&d))?;
            }
            if let Some(p) = &a.moves {
                staged.write(p, &MovesTable::new(&d))?;
            }
            staged.commit()?;
            let total = d.changed.len() as u64 + d.unchanged;
            println!(
                "{} -> {} under {}: {} of {} addresses changed class ({:.2}%)",
                d.a,
                d.b,
                d.rules,
                thousands(d.changed.len() as u64),
                thousands(total),
                pct(d.changed.len() as u64, total)
            );
            let totals: Vec<_> = d.moves.iter().filter(|m| m.level == "total").collect();
            if !totals.is_empty() {
                println!(
                    "  {:<14} {:<14} {:>12} {:>12}",
                    "from", "to", "addresses", "units"
                );
                for m in totals {
                    println!(
                        "  {:<14} {:<14} {:>12} {:>12}",
                        m.from,
                        m.to,
                        thousands(m.addresses),
                        thousands(m.units)
                    );
                }
            }
            let comuni = d
                .moves
                .iter()
                .filter(|m| m.level == "comune")
                .map(|m| &m.code)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            println!("  in {comuni} comuni (--moves FILE for the per-comune table, --out FILE for the units)");
        }
    }
    Ok(())
}
