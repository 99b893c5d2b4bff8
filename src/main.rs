//! `bianca`: broadband rollout and white-area planning.
//!
//! The binary only parses arguments and calls the engine; see `bianca --help`.

mod cli;
mod gdal_lazy;
mod memory;
mod progress;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bianca",
    version,
    about = "Classify housing units as white / grey / black against operators' coverage",
    long_about = "bianca joins a housing-unit registry with operators' coverage (polygons and \
                  per-address declarations) and classifies every unit under a rule set \
                  (EU 2013 NGA, EU 2023 gigabit, Italia 1 Giga, BEAD, ...)."
)]
struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true, env = "BIANCA_THREADS")]
    threads: Option<usize>,
    /// The store: a `postgres://` URL for PostGIS, or a file for the embedded store
    /// (default: ./bianca.db).
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify a registry against coverage files (or what is stored, with --snapshot) and
    /// write per-unit results and statistics.
    Classify(Box<cli::classify::ClassifyArgs>),
    /// Import a registry, coverage or declarations file into the store.
    #[command(subcommand)]
    Import(cli::import::ImportCommand),
    /// The datasets in the store.
    #[command(subcommand)]
    Datasets(cli::snapshots::DatasetsCommand),
    /// The snapshots in the store: list, export, diff.
    #[command(subcommand)]
    Snapshots(cli::snapshots::SnapshotsCommand),
    /// The store's schema: migrate, status.
    #[command(subcommand)]
    Db(cli::db::DbCommand),
    /// Match a list of addresses (comune, street, civico) to a registry's units: every row
    /// with the unit, its point, the method (exact ... unmatched) and a score.
    Match(Box<cli::match_cmd::MatchArgs>),
    /// Generate a deterministic synthetic Tuscany (units, coverage, declarations, and with
    /// --rasters mobile coverage rasters).
    Synth(cli::synth::SynthArgs),
    /// Classify grids as the mobile plans do: Italia 5G pixels, FCC-style H3 hexagons.
    #[command(subcommand)]
    Grid(cli::grid::GridCommand),
    /// Serve the latest snapshot: vector tiles, the JSON API (/api/v1) and metrics over HTTP.
    Serve(cli::serve::ServeArgs),
    /// Write the public map as a static site: viewer, PMTiles archive, statistics.
    ExportPublic(cli::export_public::ExportPublicArgs),
    /// Deployment progress: upload files (BUL, per address, mobile sites), reports as of a
    /// date, time series, the upload history.
    #[command(subcommand)]
    Progress(cli::progress::ProgressCommand),
    /// API tokens for `bianca serve`: create, list, revoke.
    #[command(subcommand)]
    Tokens(cli::tokens::TokensCommand),
    /// List or show the rule sets.
    #[command(subcommand)]
    Rules(cli::rules::RulesCommand),
}

fn main() -> std::process::ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    // the server logs every request (tower_http) and its reloads; other commands only warn
    let default_log = match cli.command {
        Command::Serve(_) => "warn,bianca_api=info,tower_http=info",
        _ => "warn",
    };
    // a server runs for days and gives memory back; every other command ends with its work
    if !matches!(cli.command, Command::Serve(_)) {
        memory::keep_freed_memory();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BIANCA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // GDAL prints its own errors to stderr ("ERROR 1: ..."); the readers turn them into
    // bianca's messages, so send GDAL's text to the log instead (BIANCA_LOG=debug)
    gdal_lazy::on_load(|| {
        gdal::config::set_error_handler(|class, code, msg| {
            tracing::debug!(target: "gdal", ?class, code, "{msg}");
        })
    });
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: cannot start {n} threads: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let db = cli.database_url.as_deref();
    let result = match &cli.command {
        Command::Classify(a) => cli::classify::run(a, db),
        Command::Import(c) => cli::import::run(c, db),
        Command::Datasets(c) => cli::snapshots::run_datasets(c, db),
        Command::Snapshots(c) => cli::snapshots::run(c, db),
        Command::Db(c) => cli::db::run(c, db),
        Command::Match(a) => cli::match_cmd::run(a),
        Command::Synth(a) => cli::synth::run(a),
        Command::Grid(c) => cli::grid::run(c),
        Command::Rules(c) => cli::rules::run(c),
        Command::Serve(a) => cli::serve::run(a, db),
        Command::Tokens(c) => cli::tokens::run(c, db),
        Command::Progress(c) => cli::progress::run(c, db),
        Command::ExportPublic(a) => cli::export_public::run(a, db),
    };
    tracing::debug!(target: "bianca::timing", phase = "main", secs = started.elapsed().as_secs_f64(), gdal_loaded = gdal_lazy::loaded(), epoch = ?std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
