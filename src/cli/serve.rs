//! `bianca serve`: tiles, the JSON API and the map over HTTP, from the store.

use anyhow::{Context, Result};
use bianca_api::serve::{self, ServeOptions, DEFAULT_ATTRIBUTION};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port).
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8080",
        env = "BIANCA_BIND"
    )]
    pub bind: String,
    /// Serve this snapshot (default: the latest, following new ones as they are made).
    #[arg(long, value_name = "NAME")]
    pub snapshot: Option<String>,
    /// Seconds between checks of the store for a new snapshot or changed datasets (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub watch: u64,
    /// Memory for cached tiles, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub tile_cache_mb: u64,
    /// Allow cross-origin requests from these origins (comma separated; `*` for any).
    #[arg(long, value_name = "ORIGINS", value_delimiter = ',')]
    pub cors: Vec<String>,
    /// Largest request body, in KiB.
    #[arg(long, value_name = "KIB", default_value_t = 1024)]
    pub body_limit_kb: usize,
    /// Largest progress upload (POST /api/v1/progress/uploads), in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub upload_limit_mb: usize,
    /// Seconds before a request is answered 503 (a progress upload still running then is
    /// finished and stored: sending it again answers with its id).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Attribution shown on maps.
    #[arg(long, value_name = "TEXT", default_value = DEFAULT_ATTRIBUTION)]
    pub attribution: String,
    /// The server's public URL, for the tile URLs in TileJSON (default: from the request).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// A MapLibre style URL (http or https) whose layers the map draws under bianca's own,
    /// fetched by the browser. Default: none, nothing is fetched from another origin.
    #[arg(long, value_name = "URL", value_parser = basemap_url)]
    pub basemap_style: Option<String>,
    /// Snapshots other than the served one that planners may view, kept in memory at most
    /// (the most recently used); each takes about as much memory as the served one.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub keep_snapshots: u16,
    /// Mobile white areas to serve as the `mobile_white` tile layer (the --out-polygons of
    /// `bianca grid italia-5g`: .geojson, .gpkg, .fgb).
    #[arg(long, value_name = "FILE")]
    pub mobile_areas: Option<std::path::PathBuf>,
}

/// Checks `--basemap-style`.
pub fn basemap_url(s: &str) -> std::result::Result<String, String> {
    bianca_api::serve::basemap::check_style_url(s).map_err(|e| e.to_string())
}

pub fn run(a: &ServeArgs, database_url: Option<&str>) -> Result<()> {
    let url = database_url.unwrap_or(super::store::DEFAULT_DATABASE);
    if let Some(path) = bianca_api::store::embedded_path(url) {
        if !std::path::Path::new(path).exists() {
            anyhow::bail!(
                "no store at {path}: import data and classify first (scripts/demo.sh does it all), or give --database-url"
            );
        }
    }
    let opts = ServeOptions {
        bind: a.bind.clone(),
        snapshot: a.snapshot.clone(),
        watch: Duration::from_secs(a.watch),
        cache_bytes: a.tile_cache_mb << 20,
        cors_origins: a.cors.clone(),
        body_limit: a.body_limit_kb << 10,
        timeout: Duration::from_secs(a.timeout.max(1)),
        attribution: a.attribution.clone(),
        public_url: a.public_url.clone(),
        upload_limit: a.upload_limit_mb << 20,
        basemap_style: a.basemap_style.clone(),
        keep_snapshots: usize::from(a.keep_snapshots),
        mobile_areas: a.mobile_areas.clone(),
    };
    eprintln!(
        "bianca serve: loading the snapshot from {} ...",
        bianca_api::store::redact(url)
    );
    serve::run(url, opts, |r| {
        eprintln!(
            "bianca serve: snapshot {} ({} addresses, loaded in {:.1}s)",
            r.snapshot, r.units, r.load_seconds
        );
        // the line tests and scripts wait for: keep its shape
        eprintln!("bianca serve: listening on http://{}/", r.addr);
    })
    .with_context(|| format!("serving {}", bianca_api::store::redact(url)))
}
