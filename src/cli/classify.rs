//! `bianca classify`: files in, per-unit results and per-area statistics out.

use super::output::{check_dir, current_year, pct, thousands, RejectTable, Staged};
use crate::progress;
use anyhow::{bail, Context, Result};
use bianca_api::store::{
    DatasetInfo, DatasetKind, NewSnapshot, SnapshotInfo, Store, StoreError, StoredUnits,
};
use bianca_engine::address::{place_declarations, Matcher, Method, Placed};
use bianca_engine::classify::{build_index, classify, Classification, ClassifyOptions};
use bianca_engine::io::read::{self, ReadOptions, UnitBatch};
use bianca_engine::io::write::{Format, TableAppender};
use bianca_engine::join::index::{GridIndex, GridOptions};
use bianca_engine::model::Coverage;
use bianca_engine::stats::AreaInfo;
use bianca_engine::stats::{self, PeersTable, StatsBuilder};
use bianca_engine::unit_table::UnitTable;
use bianca_engine::units::Units;
use bianca_engine::{areas, rules, OnError, Reject};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// Housing-unit registry: CSV (id, lon, lat | x, y, units, comune, address), GeoJSON,
    /// GeoJSONSeq, FlatGeobuf, GeoParquet, GeoPackage, Shapefile...
    #[arg(long, value_name = "FILE", required_unless_present = "snapshot")]
    pub units: Option<PathBuf>,
    /// CRS of the registry's coordinates when the file does not say (CSV x/y), e.g. EPSG:3003.
    #[arg(long, value_name = "EPSG:N")]
    pub units_crs: Option<String>,
    /// Coverage: footprints (polygons with operator, technology, down_mbps, up_mbps, status,
    /// year...) or rasters (GeoTIFF or any GDAL raster: one offer per band, described by
    /// the OPERATOR, TECHNOLOGY, VALUE, STATUS, YEAR, UP_MBPS metadata items, or --raster-meta). Repeat or
    /// list several.
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "snapshot")]
    pub coverage: Vec<PathBuf>,
    /// CRS of the coverage files when they do not say (CSV wkt, rasters without a CRS).
    #[arg(long, value_name = "EPSG:N")]
    pub coverage_crs: Option<String>,
    #[command(flatten)]
    pub raster: super::coverage::RasterArgs,
    /// Per-address declarations: the offer columns and either `unit_id` or an address
    /// (comune and address, or street and civico columns), matched to the registry like
    /// `bianca match` (only exact, normalised and fuzzy_street matches are placed).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub declarations: Vec<PathBuf>,
    /// Area polygons (e.g. comuni), used for units without a comune.
    #[arg(long, value_name = "FILE")]
    pub areas: Option<PathBuf>,
    /// The areas' code field.
    #[arg(long, value_name = "NAME", default_value = "com_istat_code")]
    pub area_field: String,
    /// Rule set(s): a built-in name (see `bianca rules list`) or a TOML file. The first is
    /// the primary one (columns `class`, `networks`); repeat or separate with commas.
    #[arg(long, value_name = "NAME|FILE", value_delimiter = ',', num_args = 1.., required = true)]
    pub rules: Vec<String>,
    /// Reference year of "existing" and of relative planning horizons (default: this year).
    #[arg(long, value_name = "YYYY")]
    pub reference_year: Option<i32>,
    /// Per-unit results: .csv, .geojson, .parquet, .gpkg or .fgb. May be left out when only
    /// --stats is wanted.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["stats", "snapshot"])]
    pub out: Option<PathBuf>,
    /// Per-area statistics (comuni, provinces, regions, total): .csv or .json.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Add mobile columns to --stats: shares of housing units with 4G and 5G, units reached
    /// by no 4G / 5G network (mobile white), and per mobile operator its 4G and 5G units.
    #[arg(long)]
    pub mobile_stats: bool,
    /// `full` (every class, counts and shares, every rule set) or `peers` (the per-comune
    /// table of the peer benchmark; needs eu2013-nga and eu2023-gigabit).
    #[arg(long, value_name = "FORMAT", default_value = "full")]
    pub stats_format: StatsFormat,
    /// `fail`: stop at the first bad row; `skip`: write bad rows to the rejects file and go on.
    #[arg(long, value_name = "MODE", default_value = "fail")]
    pub on_error: OnErrorArg,
    /// Where `--on-error skip` writes the rejected rows (default: beside --out,
    /// NAME.rejects.csv).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Classify what is stored (see `bianca import`) instead of files, and store the run as
    /// snapshot NAME (with per-unit results and per-area statistics).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["units", "coverage", "declarations", "areas", "units_crs", "coverage_crs"])]
    pub snapshot: Option<String>,
    /// With --snapshot: the stored datasets to use (see `bianca datasets list`). Default: the
    /// latest registry and every coverage and declarations dataset.
    #[arg(long, value_name = "NAME", value_delimiter = ',', num_args = 1.., requires = "snapshot")]
    pub datasets: Vec<String>,
    /// Who runs it, recorded with the snapshot (default: $USER).
    #[arg(long, value_name = "NAME", requires = "snapshot")]
    pub by: Option<String>,
    /// Read and classify the registry N units at a time (GeoParquet and CSV registries), so
    /// that memory stays bounded however large it is: the coverage is indexed once, each
    /// chunk is classified, its statistics added up and its rows appended to --out (.csv or
    /// .parquet), then dropped. Results are the same as in one go. 0: never. Default:
    /// automatic, when the registry's rows times 150 bytes exceed --max-memory.
    #[arg(long, value_name = "N", conflicts_with = "snapshot")]
    pub chunk_units: Option<usize>,
    /// Memory budget for the automatic --chunk-units, e.g. 8G or 500M (default: half of the
    /// available memory, MemAvailable in /proc/meminfo).
    #[arg(long, value_name = "SIZE", conflicts_with = "snapshot")]
    pub max_memory: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    Full,
    Peers,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnErrorArg {
    Fail,
    Skip,
}

pub fn run(a: &ClassifyArgs, database_url: Option<&str>) -> Result<()> {
    let t0 = Instant::now();
    tracing::debug!(target: "bianca::timing", epoch = ?std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default(), "classify starts");
    let on_error = match a.on_error {
        OnErrorArg::Fail => OnError::Fail,
        OnErrorArg::Skip => OnError::Skip,
    };
    let rules_with_text = a
        .rules
        .iter()
        .map(|r| rules::load_with_text(r))
        .collect::<Result<Vec<_>, _>>()?;
    let rule_sets: Vec<rules::RuleSet> = rules_with_text.iter().map(|(r, _)| r.clone()).collect();
    for (i, r) in rule_sets.iter().enumerate() {
        if rule_sets[..i].iter().any(|o| o.name == r.name) {
            bail!("--rules names the rule set {} twice", r.name);
        }
    }
    tracing::debug!(target: "bianca::timing", phase = "rules", secs = t0.elapsed().as_secs_f64());
    let reference_year = a.reference_year.unwrap_or_else(current_year);
    if !(1990..=2100).contains(&reference_year) {
        bail!("--reference-year {reference_year}: expected a year between 1990 and 2100");
    }
    if a.rejects.is_some() && a.on_error != OnErrorArg::Skip {
        bail!("--rejects FILE only applies with --on-error skip");
    }
    // fail early on output paths we cannot write, before minutes of work
    // stored datasets were checked at import: a snapshot run has no rows to reject
    let rejects_path =
        (a.on_error == OnErrorArg::Skip && a.snapshot.is_none()).then(|| rejects_path(a));
    for p in a.out.iter().chain(&a.stats).chain(&rejects_path) {
        Format::from_path(p)?;
        check_dir(p)?;
    }
    if let Some(p) = &a.stats {
        if Format::from_path(p)? == Format::FlatGeobuf {
            bail!(
                "{}: statistics have no geometry and FlatGeobuf needs one: use .csv, .json, \
                 .parquet or .gpkg",
                p.display()
            );
        }
    }
    if a.mobile_stats && (a.stats.is_none() || a.stats_format == StatsFormat::Peers) {
        bail!("--mobile-stats adds columns to --stats FILE (format full)");
    }
    if a.stats_format == StatsFormat::Peers && a.stats.is_none() {
        bail!("--stats-format peers needs --stats FILE");
    }

    let grid = GridOptions::default();
    if a.snapshot.is_none() {
        if let Some(n) = chunking(a)? {
            return run_chunked(
                a,
                &Chunked {
                    on_error,
                    rule_sets: &rule_sets,
                    reference_year,
                    rejects_path: rejects_path.as_deref(),
                    grid,
                    chunk: n,
                    t0,
                },
            );
        }
    }
    let mut stored = None;
    let inputs = match &a.snapshot {
        None => read_files(a, on_error, grid)?,
        Some(name) => {
            let (inputs, ctx) = read_store(a, name, database_url, grid)?;
            stored = Some(ctx);
            inputs
        }
    };
    let Inputs {
        units,
        coverage,
        index,
        rejects,
        area_info,
        unplaced,
        by_address,
    } = inputs;
    let t_read = t0.elapsed();
    let t_index = t_read;
    let (gx, gy, entries, inside) = index.shape();
    tracing::info!(columns = gx, rows = gy, entries, inside, "join index built");

    let pb = progress::bar(units.len() as u64, "classifying");
    let cls = classify(
        &units,
        &coverage,
        &index,
        &rule_sets,
        &ClassifyOptions {
            reference_year,
            grid,
        },
        &|n| pb.inc(n),
    );
    pb.finish_and_clear();
    let t_classify = t0.elapsed();
    tracing::debug!(target: "bianca::timing", phase = "classify", secs = (t_classify - t_index).as_secs_f64());

    let sp = progress::spinner("writing results");
    // every output under a temporary name first, all renamed at the end: a failed run
    // leaves none of them behind and keeps the previous ones
    let mut staged = Staged::default();
    if let Some(out) = &a.out {
        staged.write(out, &UnitTable::new(&units, &cls))?;
    }
    let st = stats::compute_with(
        &units,
        &cls,
        &|code| area_info.get(code).cloned(),
        a.mobile_stats,
    );
    tracing::debug!(target: "bianca::timing", phase = "stats", secs = (t0.elapsed() - t_classify).as_secs_f64());
    if let Some(path) = &a.stats {
        match a.stats_format {
            StatsFormat::Full => staged.write(path, &st)?,
            StatsFormat::Peers => {
                let t = PeersTable::new(&st).map_err(anyhow::Error::msg)?;
                staged.write(path, &t)?
            }
        }
    }
    // in skip mode the rejects file is always written, so that an old one never outlives
    // the run it came from
    if let Some(p) = &rejects_path {
        staged.write(p, &RejectTable::new(&rejects))?;
    }
    // the snapshot before the files: if storing it fails, no file claims a run that the
    // store does not have
    let snapshot = match (&a.snapshot, stored.as_mut()) {
        (Some(name), Some(ctx)) => {
            sp.set_message("storing the snapshot");
            let by = a.by.clone().unwrap_or_else(super::store::current_user);
            let pb = progress::bar(units.len() as u64, "storing");
            let info = ctx
                .store
                .save_snapshot(
                    &NewSnapshot {
                        name,
                        reference_year,
                        created_by: &by,
                        units: &ctx.units_dataset,
                        sources: &ctx.sources,
                        rules: &rules_with_text,
                    },
                    &ctx.rows,
                    &cls,
                    &st,
                    &|n| pb.inc(n),
                )
                .with_context(|| format!("storing snapshot {name} in {}", ctx.store.url()))?;
            pb.finish_and_clear();
            Some(info)
        }
        _ => None,
    };
    staged.commit()?;
    sp.finish_and_clear();
    let t_write = t0.elapsed();

    if !a.quiet {
        print_summary(
            a,
            &Report {
                st: &st,
                coverage: &coverage,
                totals: &Totals::of(&units, &cls),
                reference_year,
                by_address: by_address.as_ref(),
                rejects_path: rejects_path.as_deref(),
                rejects: rejects.len(),
                area_info: &area_info,
                unplaced,
                snapshot: snapshot.as_ref().zip(stored.as_ref()),
                t_read: t_read.as_secs_f64(),
                t_classify: (t_classify - t_index).as_secs_f64(),
                t_write: (t_write - t_classify).as_secs_f64(),
                t_total: t_write.as_secs_f64(),
                chunks: None,
            },
        );
    }
    // `bianca classify` ends the process: every output is written and renamed into place
    // (`staged.commit()` above), so the big tables go back to the OS with the process
    // instead of being freed block by block (main calls `run` once and returns)
    std::mem::forget((units, coverage, index, cls, st));
    Ok(())
}

/// Bytes of memory per unit of a registry read in one go (the registry, its results, the
/// statistics pass): about 125 measured, rounded up.
const BYTES_PER_UNIT: u64 = 150;

/// Parses a memory size: bytes, or a number with K, M, G or T (powers of 1024; a trailing
/// B or iB is allowed), e.g. `8G`, `512MiB`, `1.5g`.
fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let t = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok((v * mult as f64) as u64),
        _ => bail!("--max-memory {text}: expected a size such as 8G, 512M or 2000000000"),
    }
}

/// MemAvailable from /proc/meminfo, in bytes (None where there is no such file).
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// What keeps a run from being read in chunks, if anything.
fn chunk_blocker(a: &ClassifyArgs) -> Option<String> {
    if let Some(out) = &a.out {
        if let Ok(f) = Format::from_path(out) {
            if !TableAppender::supports(f) {
                return Some(format!(
                    "--out {}: {f} output cannot be written in chunks (use .csv or .parquet)",
                    out.display()
                ));
            }
        }
    }
    let (_, rasters) = super::coverage::split(&a.coverage);
    if let Some(r) = rasters.first() {
        return Some(format!(
            "raster coverage ({}) is read around the whole registry, not in chunks",
            r.display()
        ));
    }
    None
}

/// The chunk size of a file run: `--chunk-units N` (0: in one go), or automatic: a
/// GeoParquet registry whose rows times [`BYTES_PER_UNIT`] exceed the memory budget
/// (`--max-memory`, default half of MemAvailable) is read in chunks of a third of the budget.
/// `None`: in one go.
fn chunking(a: &ClassifyArgs) -> Result<Option<usize>> {
    let budget = a.max_memory.as_deref().map(parse_size).transpose()?;
    let Some(units) = a.units.as_deref() else {
        return Ok(None);
    };
    match a.chunk_units {
        Some(0) => return Ok(None),
        Some(n) => {
            if let Err(m) = read::batch_support(units) {
                bail!("--chunk-units: {}: {m}", units.display());
            }
            if let Some(why) = chunk_blocker(a) {
                bail!("--chunk-units: {why}; or leave --chunk-units out");
            }
            return Ok(Some(n));
        }
        None => {}
    }
    // an unreadable file is reported by the reader, with its usual message
    let Some(rows) = read::estimate_rows(units).ok().flatten() else {
        return Ok(None);
    };
    let Some(budget) = budget.or_else(|| available_memory().map(|m| m / 2)) else {
        return Ok(None);
    };
    let need = rows.saturating_mul(BYTES_PER_UNIT);
    if need <= budget {
        return Ok(None);
    }
    if let Some(why) = chunk_blocker(a) {
        if !a.quiet {
            eprintln!(
                "  warning: the registry ({} rows, about {} MB in one go) exceeds the memory budget ({} MB), but {why}: reading it in one go",
                thousands(rows),
                thousands(need >> 20),
                thousands(budget >> 20)
            );
        }
        return Ok(None);
    }
    let n = (budget / BYTES_PER_UNIT / 3).max(100_000);
    if !a.quiet {
        eprintln!(
            "  the registry ({} rows, about {} MB in one go) exceeds the memory budget ({} MB): reading it in chunks of {} units (--chunk-units, --max-memory)",
            thousands(rows),
            thousands(need >> 20),
            thousands(budget >> 20),
            thousands(n)
        );
    }
    Ok(Some(n as usize))
}

/// What [`run_chunked`] needs from [`run`].
struct Chunked<'a> {
    on_error: OnError,
    rule_sets: &'a [rules::RuleSet],
    reference_year: i32,
    rejects_path: Option<&'a Path>,
    grid: GridOptions,
    chunk: usize,
    t0: Instant,
}

/// `classify` on a registry read `c.chunk` units at a time: the coverage is read and
/// indexed once; each chunk is read, placed in --areas, classified, added to the statistics
/// and appended to --out, then dropped. Outputs and summary are those of a run in one go.
fn run_chunked(a: &ClassifyArgs, c: &Chunked) -> Result<()> {
    let t0 = c.t0;
    let sp = progress::spinner("reading coverage");
    let units_path = a.units.as_deref().context("--units FILE is required")?;
    let units_opts = ReadOptions {
        crs: a.units_crs.clone(),
        on_error: c.on_error,
    };
    let cov_opts = ReadOptions {
        crs: a.coverage_crs.clone(),
        on_error: c.on_error,
    };
    let (vectors, _) = super::coverage::split(&a.coverage);
    // the first chunk is read while the footprints are read and indexed, as a registry
    // read in one go is
    let (batches, coverage_read) = rayon::join(
        || {
            let mut b = read::units_batches(units_path, &units_opts, c.chunk)
                .with_context(|| format!("reading units from {}", units_path.display()))?;
            let first = b.next();
            anyhow::Ok((b, first))
        },
        || super::coverage::read_vectors(&vectors, &a.declarations, &cov_opts, c.grid),
    );
    let (mut batches, first) = batches?;
    let (coverage, coverage_rejects, index, addressed) = coverage_read?;
    if !addressed.is_empty() {
        bail!(
            "--chunk-units: declarations keyed by address are matched against the whole \
             registry: give them a unit_id column, or use --chunk-units 0"
        );
    }
    let (area_info, areas) = match &a.areas {
        Some(path) => {
            sp.set_message("reading areas");
            let ar = read::read_areas(path, &a.area_field, &ReadOptions::default())
                .with_context(|| format!("reading areas from {}", path.display()))?;
            (areas::info_of(&ar), Some(ar))
        }
        None => (HashMap::new(), None),
    };
    sp.finish_and_clear();
    let (gx, gy, entries, inside) = index.shape();
    tracing::info!(columns = gx, rows = gy, entries, inside, "join index built");
    let mut t_read = t0.elapsed().as_secs_f64();

    // a declaration is unmatched when no chunk has its unit
    let declared: HashSet<&str> = coverage
        .declarations
        .iter()
        .map(|d| d.unit_id.as_str())
        .collect();
    let mut matched: HashSet<&str> = HashSet::new();
    let mut staged = Staged::default();
    let mut out = match &a.out {
        Some(p) => Some(
            TableAppender::create(&staged.stage(p)?, Format::from_path(p)?)
                .with_context(|| format!("writing {}", p.display()))?,
        ),
        None => None,
    };
    let mut sb = StatsBuilder::new(a.mobile_stats);
    let mut totals = Totals::default();
    let mut seen_codes = HashSet::new();
    let mut rejects = Vec::new();
    let mut unplaced = 0;
    let mut t_classify = 0.0;
    let known = batches.planned();
    let mut n_chunks = 0;
    let pb = match batches.rows() {
        Some(rows) => progress::bar(rows, "classifying"),
        None => progress::spinner("classifying"),
    };
    let opts = ClassifyOptions {
        reference_year: c.reference_year,
        grid: c.grid,
    };
    let mut t = Instant::now();
    for batch in first.into_iter().chain(batches.by_ref()) {
        n_chunks += 1;
        pb.set_message(match known {
            Some(k) => format!("chunk {n_chunks}/{k}"),
            None => format!("classifying chunk {n_chunks}"),
        });
        let UnitBatch {
            mut units,
            rejects: bad,
        } = batch.with_context(|| format!("reading units from {}", units_path.display()))?;
        pb.inc(bad.len() as u64);
        rejects.extend(bad);
        if let Some(ar) = &areas {
            let (_, missing) = areas::assign(&mut units, ar);
            unplaced += missing;
        }
        t_read += t.elapsed().as_secs_f64();
        let tc = Instant::now();
        let cls = classify(&units, &coverage, &index, c.rule_sets, &opts, &|n| {
            pb.inc(n)
        });
        t_classify += tc.elapsed().as_secs_f64();
        if !declared.is_empty() {
            for id in units.ids.iter() {
                if let Some(d) = declared.get(id) {
                    matched.insert(*d);
                }
            }
        }
        sb.add(&units, &cls).map_err(anyhow::Error::msg)?;
        totals.add(&units, &cls, &mut seen_codes);
        if let (Some(w), Some(p)) = (out.as_mut(), &a.out) {
            w.append(&UnitTable::new(&units, &cls))
                .with_context(|| format!("writing {}", p.display()))?;
        }
        t = Instant::now();
    }
    pb.finish_and_clear();
    totals.unmatched_declarations = coverage
        .declarations
        .iter()
        .filter(|d| !matched.contains(d.unit_id.as_str()))
        .count();
    let t_loop = t0.elapsed().as_secs_f64();

    let sp = progress::spinner("writing results");
    if let (Some(w), Some(p)) = (out, &a.out) {
        w.finish()
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let st = sb.finish(&|code| area_info.get(code).cloned());
    if let Some(path) = &a.stats {
        match a.stats_format {
            StatsFormat::Full => staged.write(path, &st)?,
            StatsFormat::Peers => {
                let t = PeersTable::new(&st).map_err(anyhow::Error::msg)?;
                staged.write(path, &t)?
            }
        }
    }
    rejects.extend(coverage_rejects);
    if let Some(p) = c.rejects_path {
        staged.write(p, &RejectTable::new(&rejects))?;
    }
    staged.commit()?;
    sp.finish_and_clear();
    let t_total = t0.elapsed().as_secs_f64();
    if !a.quiet {
        print_summary(
            a,
            &Report {
                st: &st,
                coverage: &coverage,
                totals: &totals,
                reference_year: c.reference_year,
                by_address: None,
                rejects_path: c.rejects_path,
                rejects: rejects.len(),
                area_info: &area_info,
                unplaced,
                snapshot: None,
                t_read,
                t_classify,
                t_write: (t_total - t_loop).max(0.0) + (t_loop - t_read - t_classify).max(0.0),
                t_total,
                chunks: Some((n_chunks, c.chunk)),
            },
        );
    }
    std::mem::forget((coverage, index, st));
    Ok(())
}

/// Run-wide counts for the summary, from one classification or added up over chunks.
#[derive(Default)]
struct Totals {
    addresses: u64,
    pairs: u64,
    declared_pairs: u64,
    raster_unknown: u64,
    unmatched_declarations: usize,
    outside_coverage: u64,
    /// Comune codes of the registry, in order of first appearance.
    codes: Vec<String>,
    without_comune: u64,
}

impl Totals {
    fn of(units: &Units, cls: &Classification) -> Self {
        let mut t = Totals::default();
        t.add(units, cls, &mut HashSet::new());
        t.unmatched_declarations = cls.unmatched_declarations;
        t
    }

    /// Adds one chunk; `seen` holds the codes already in `codes`. Unmatched declarations are
    /// counted by the caller (a declaration is unmatched only if no chunk has its unit).
    fn add(&mut self, units: &Units, cls: &Classification, seen: &mut HashSet<String>) {
        self.addresses += units.len() as u64;
        self.pairs += cls.pairs;
        self.declared_pairs += cls.declared_pairs;
        self.raster_unknown += cls.raster_unknown;
        self.outside_coverage += cls.outside_coverage;
        for c in units.comune_codes.names() {
            if !seen.contains(c.as_str()) {
                seen.insert(c.clone());
                self.codes.push(c.clone());
            }
        }
        self.without_comune += units
            .comune
            .iter()
            .filter(|&&c| c == bianca_engine::units::NO_AREA)
            .count() as u64;
    }
}

/// What the summary at the end of a run says.
struct Report<'a> {
    st: &'a stats::Stats,
    coverage: &'a Coverage,
    totals: &'a Totals,
    reference_year: i32,
    by_address: Option<&'a Placed>,
    rejects_path: Option<&'a Path>,
    rejects: usize,
    area_info: &'a HashMap<String, AreaInfo>,
    unplaced: usize,
    snapshot: Option<(&'a SnapshotInfo, &'a StoreRun)>,
    t_read: f64,
    t_classify: f64,
    t_write: f64,
    t_total: f64,
    /// Chunked runs: the number of chunks and their size.
    chunks: Option<(usize, usize)>,
}

/// Prints the summary of a run on stderr.
fn print_summary(a: &ClassifyArgs, r: &Report) {
    let Report {
        st,
        coverage,
        totals,
        ..
    } = r;
    let total = st.rows.last();
    eprintln!(
        "bianca classify: {} addresses ({} housing units) x {} footprints, {} declarations; reference year {}",
        thousands(totals.addresses),
        thousands(total.map_or(0, |t| t.units)),
        thousands(coverage.footprints.len() as u64),
        thousands(coverage.declarations.len() as u64),
        r.reference_year
    );
    for line in super::coverage::describe_rasters(coverage) {
        eprintln!("  raster {line}");
    }
    if let Some(t) = total {
        for (r, (name, classes)) in st.rules.iter().enumerate() {
            eprintln!(
                "  {name:<16} {:>14} {:>7} {:>14} {:>7}",
                "addresses", "%", "units", "%"
            );
            let counts = &t.rules[r];
            for (c, cname) in classes
                .iter()
                .map(String::as_str)
                .chain(["unknown"])
                .enumerate()
            {
                if cname == "unknown" && counts.addresses[c] == 0 {
                    continue;
                }
                eprintln!(
                    "  {cname:<16} {:>14} {:>6.1}% {:>14} {:>6.1}%",
                    thousands(counts.addresses[c]),
                    pct(counts.addresses[c], t.addresses),
                    thousands(counts.units[c]),
                    pct(counts.units[c], t.units)
                );
            }
            if counts.addresses_on_unknown > 0 {
                eprintln!(
                    "  {} addresses ({} units) had offers with unknown data (missing peak speed, or no raster value); {} of them are undecided (class unknown)",
                    thousands(counts.addresses_on_unknown),
                    thousands(counts.units_on_unknown),
                    thousands(counts.addresses[classes.len()])
                );
            }
        }
    }
    let secs = r.t_classify;
    eprintln!(
        "  {} unit-footprint pairs ({:.1} M pairs/s), {} declared pairs",
        thousands(totals.pairs),
        totals.pairs as f64 / secs.max(1e-9) / 1e6,
        thousands(totals.declared_pairs)
    );
    if let Some(p) = r.by_address {
        let total: usize = p.methods.iter().sum();
        let per: Vec<String> = Method::ALL
            .iter()
            .zip(p.methods)
            .filter(|(_, n)| *n > 0)
            .map(|(m, n)| format!("{} {}", m.as_str(), thousands(n as u64)))
            .collect();
        eprintln!(
            "  {} declarations keyed by address: {} placed on a unit ({})",
            thousands(total as u64),
            thousands(p.declarations.len() as u64),
            per.join(", ")
        );
        if !p.not_placed.is_empty() {
            eprintln!(
                "  warning: {} declarations by address not placed (no exact, normalised or fuzzy_street match: their offers are left out){}; e.g. {}",
                thousands(p.not_placed.len() as u64),
                if r.rejects_path.is_some() {
                    ", listed in the rejects file"
                } else {
                    ""
                },
                p.not_placed[0]
            );
        }
    }
    if totals.raster_unknown > 0 {
        eprintln!(
            "  {} addresses lie outside a coverage raster or on a nodata pixel: unknown for that raster (their class is unknown unless other networks decide it)",
            thousands(totals.raster_unknown)
        );
    }
    if totals.unmatched_declarations > 0 {
        eprintln!(
            "  warning: {} declarations name unit ids not in the registry",
            thousands(totals.unmatched_declarations as u64)
        );
    }
    if !coverage.footprints.is_empty() && totals.outside_coverage * 2 > totals.addresses {
        eprintln!(
            "  warning: {} of {} addresses lie outside the extent of all footprints: are lon/lat swapped in one of the files, or is a --units-crs / --coverage-crs missing or wrong?",
            thousands(totals.outside_coverage),
            thousands(totals.addresses)
        );
    }
    let unknown_codes: Vec<&str> = totals
        .codes
        .iter()
        .map(String::as_str)
        .filter(|c| bianca_engine::istat::comune(c).is_none() && !r.area_info.contains_key(*c))
        .collect();
    if !unknown_codes.is_empty() {
        eprintln!(
            "  warning: {} comune codes are not in the ISTAT list of June 2023 (e.g. {}): merged or renumbered comuni, or typos?",
            unknown_codes.len(),
            unknown_codes.iter().take(3).copied().collect::<Vec<_>>().join(", ")
        );
    }
    let without = totals.without_comune;
    if without > 0 && a.areas.is_none() {
        eprintln!(
            "  warning: {} addresses have no comune: statistics group them as \"(no comune)\"; {}",
            thousands(without),
            if a.snapshot.is_some() {
                "import the registry with `bianca import units FILE --areas AREAS` to place them"
            } else {
                "give --areas to place them"
            }
        );
    }
    if totals.pairs == 0 && !coverage.footprints.is_empty() {
        eprintln!(
            "  warning: no address lies in any footprint: do the registry and the coverage use the same CRS and lon/lat order?"
        );
    }
    if r.unplaced > 0 {
        eprintln!(
            "  warning: {} units lie in no area of {}",
            thousands(r.unplaced as u64),
            a.areas
                .as_deref()
                .map_or(String::new(), |p| p.display().to_string())
        );
    }
    if let Some((info, ctx)) = r.snapshot {
        eprintln!(
            "  snapshot {:?} stored in the {} store {}: registry {:?}, coverage and declarations {}",
            info.name,
            ctx.store.backend().as_str(),
            ctx.store.url(),
            info.units_dataset,
            if info.sources.is_empty() {
                "(none)".to_string()
            } else {
                info.sources
                    .iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    if let Some(p) = r.rejects_path {
        eprintln!(
            "  {} rejected rows written to {}",
            thousands(r.rejects as u64),
            p.display()
        );
    }
    if let Some((chunks, size)) = r.chunks {
        eprintln!(
            "  read and classified in {chunks} chunks of up to {} units (--chunk-units)",
            thousands(size as u64)
        );
    }
    eprintln!(
        "  time: read and index {:.2}s, classify {:.2}s, write {:.2}s, total {:.2}s",
        r.t_read, secs, r.t_write, r.t_total
    );
}

/// What a run classifies, read from files or from the store.
struct Inputs {
    units: Units,
    coverage: Coverage,
    index: GridIndex,
    rejects: Vec<Reject>,
    area_info: HashMap<String, AreaInfo>,
    /// Units in no area of `--areas`.
    unplaced: usize,
    /// Declarations keyed by address, once matched to the registry.
    by_address: Option<Placed>,
}

/// The store a `--snapshot` run reads from and writes to.
struct StoreRun {
    store: Store,
    units_dataset: DatasetInfo,
    sources: Vec<DatasetInfo>,
    rows: Vec<i64>,
}

/// Reads the registry, coverage, declarations and areas files, and builds the join index.
fn read_files(a: &ClassifyArgs, on_error: OnError, grid: GridOptions) -> Result<Inputs> {
    let sp = progress::spinner("reading units and coverage");
    let units_path = a.units.as_deref().context("--units FILE is required")?;
    let units_opts = ReadOptions {
        crs: a.units_crs.clone(),
        on_error,
    };
    let cov_opts = ReadOptions {
        crs: a.coverage_crs.clone(),
        on_error,
    };
    // the registry on one side; the footprints and their join index on the other: both
    // have serial stretches, so running them side by side keeps both cores busy; then the
    // rasters, read only around the registry
    let (vectors, rasters) = super::coverage::split(&a.coverage);
    let (units_read, coverage_read) = rayon::join(
        || {
            let t = Instant::now();
            let r = read::read_units(units_path, &units_opts)
                .with_context(|| format!("reading units from {}", units_path.display()));
            tracing::debug!(target: "bianca::timing", phase = "read units", secs = t.elapsed().as_secs_f64());
            r
        },
        || super::coverage::read_vectors(&vectors, &a.declarations, &cov_opts, grid),
    );
    let (mut units, mut rejects) = units_read?;
    let (mut coverage, coverage_rejects, index, addressed) = coverage_read?;
    let window = super::coverage::units_box(&units);
    super::coverage::add_rasters(
        &mut coverage,
        &rasters,
        &a.raster.options(cov_opts.crs.clone(), window),
    )?;
    rejects.extend(coverage_rejects);
    // declarations keyed by address: placed on the registry's units by the matcher
    let by_address = (!addressed.is_empty()).then(|| {
        sp.set_message("matching declarations' addresses");
        let matcher = Matcher::new(&units);
        let placed = place_declarations(&matcher, &units, &addressed);
        coverage
            .declarations
            .extend(placed.declarations.iter().cloned());
        if on_error == OnError::Skip {
            rejects.extend(placed.not_placed.iter().cloned());
        }
        placed
    });
    let mut area_info = HashMap::new();
    let mut unplaced = 0;
    if let Some(path) = &a.areas {
        sp.set_message("assigning areas");
        let ar = read::read_areas(path, &a.area_field, &ReadOptions::default())
            .with_context(|| format!("reading areas from {}", path.display()))?;
        let (_, missing) = areas::assign(&mut units, &ar);
        unplaced = missing;
        area_info = areas::info_of(&ar);
    }
    sp.finish_and_clear();
    Ok(Inputs {
        units,
        coverage,
        index,
        rejects,
        area_info,
        unplaced,
        by_address,
    })
}

/// Reads the chosen datasets from the store (see `--datasets`) and builds the join index.
fn read_store(
    a: &ClassifyArgs,
    snapshot: &str,
    database_url: Option<&str>,
    grid: GridOptions,
) -> Result<(Inputs, StoreRun)> {
    let mut store = super::store::open(database_url)?;
    match store.snapshot(snapshot) {
        Ok(_) => bail!(
            "a snapshot named {snapshot:?} already exists in {}: snapshots never change, pick \
             another name",
            store.url()
        ),
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let all = store.datasets()?;
    let mut chosen = Vec::new();
    for name in &a.datasets {
        chosen.push(store.dataset(name)?);
    }
    let named_units: Vec<&DatasetInfo> = chosen
        .iter()
        .filter(|d| d.kind == DatasetKind::Units)
        .collect();
    let units_dataset = match named_units.as_slice() {
        [] => all
            .iter()
            .rev()
            .find(|d| d.kind == DatasetKind::Units)
            .cloned()
            .with_context(|| {
                format!(
                    "the store {} has no registry: `bianca import units FILE` first",
                    store.url()
                )
            })?,
        [one] => (*one).clone(),
        many => bail!(
            "--datasets names {} registries ({}): a snapshot classifies one",
            many.len(),
            many.iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut sources: Vec<DatasetInfo> = chosen
        .into_iter()
        .filter(|d| d.kind != DatasetKind::Units)
        .collect();
    if sources.is_empty() {
        sources = all
            .into_iter()
            .filter(|d| d.kind != DatasetKind::Units)
            .collect();
    }
    // two datasets from files of the same name are most likely an old and a new version
    // of one operator's coverage: both count unless --datasets says otherwise
    let mut by_file: HashMap<&str, Vec<&str>> = HashMap::new();
    for d in &sources {
        let f = Path::new(&d.source_file)
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or(&d.source_file);
        by_file.entry(f).or_default().push(&d.name);
    }
    if !a.quiet && a.datasets.is_empty() {
        for (file, names) in by_file.iter().filter(|(_, n)| n.len() > 1) {
            eprintln!(
                "  warning: datasets {} all come from files named {file} and all count: if one replaces another, choose with --datasets",
                names.join(", ")
            );
        }
    }
    let sp = progress::spinner("reading the registry and coverage from the store");
    let StoredUnits { units, rows } = store
        .load_units(&units_dataset)
        .with_context(|| format!("reading registry {} from the store", units_dataset.name))?;
    // stored rasters: only the pixels around the registry are read
    let coverage = store
        .load_coverage_within(&sources, super::coverage::units_box(&units))
        .context("reading coverage from the store")?;
    sp.set_message("indexing the coverage");
    let index = build_index(&coverage, grid);
    sp.finish_and_clear();
    Ok((
        Inputs {
            units,
            coverage,
            index,
            rejects: Vec::new(),
            area_info: HashMap::new(),
            unplaced: 0,
            by_address: None,
        },
        StoreRun {
            store,
            units_dataset,
            sources,
            rows,
        },
    ))
}

/// Where `--on-error skip` writes the rejected rows: `--rejects`, or NAME.rejects.csv beside
/// the first output.
fn rejects_path(a: &ClassifyArgs) -> PathBuf {
    match (&a.rejects, a.out.as_ref().or(a.stats.as_ref())) {
        (Some(p), _) => p.clone(),
        (None, Some(b)) => rejects_beside(b),
        (None, None) => PathBuf::from("rejects.csv"),
    }
}

fn rejects_beside(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or("out".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.rejects.csv"))
}
