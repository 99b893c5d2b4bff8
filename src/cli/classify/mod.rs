//! `bianca classify`: files in, per-unit results and per-area statistics out.

use super::output::{check_dir, current_year, pct, thousands, RejectTable, Staged};
use crate::progress;
use anyhow::{bail, Context, Result};
use bianca_api::store::{
    DatasetInfo, DatasetKind, NewSnapshot, SnapshotInfo, Store, StoreError, StoredUnits,
};
use bianca_engine::address::{place_declarations, Matcher, Method, Placed};
use bianca_engine::classify::{
    build_index, classify, classify_counts, Classification, ClassifyOptions, Counted, RunFacts,
};
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

mod chunks;
mod summary;

use chunks::{chunking, run_chunked, Chunked};
use summary::{print_summary, Report, Totals};

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
    if a.stats_format == StatsFormat::Peers {
        let named: Vec<(String, Vec<String>)> = rule_sets
            .iter()
            .map(|r| {
                let classes = r.class_names().iter().map(|c| c.to_string()).collect();
                (r.name.clone(), classes)
            })
            .collect();
        PeersTable::rule_positions(&named).map_err(anyhow::Error::msg)?;
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
    let opts = ClassifyOptions {
        reference_year,
        grid,
        // only per-operator statistics read them
        mobile_ops: a.mobile_stats,
    };
    // per-unit results only for --out and a snapshot: statistics alone are counted as the
    // units are classified
    let results = if a.out.is_some() || a.snapshot.is_some() {
        Results::PerUnit(classify(
            &units,
            &coverage,
            &index,
            &rule_sets,
            &opts,
            &|n| pb.inc(n),
        ))
    } else {
        Results::Counted(classify_counts(
            &units,
            &coverage,
            &index,
            &rule_sets,
            &opts,
            a.mobile_stats,
            &|n| pb.inc(n),
        ))
    };
    pb.finish_and_clear();
    let t_classify = t0.elapsed();
    tracing::debug!(target: "bianca::timing", phase = "classify", secs = (t_classify - t_index).as_secs_f64());

    let sp = progress::spinner("writing results");
    // every output under a temporary name first, all renamed at the end: a failed run
    // leaves none of them behind and keeps the previous ones
    let mut staged = Staged::default();
    if let (Some(out), Results::PerUnit(cls)) = (&a.out, &results) {
        staged.write(out, &UnitTable::new(&units, cls))?;
    }
    let mut sb = StatsBuilder::new(a.mobile_stats);
    match &results {
        Results::PerUnit(cls) => sb.add(&units, cls),
        Results::Counted(c) => sb.add_counts(&units.comune_codes, &c.counts),
    }
    .map_err(anyhow::Error::msg)?;
    let st = sb.finish(&|code| area_info.get(code).cloned());
    tracing::debug!(target: "bianca::timing", phase = "stats", secs = (t0.elapsed() - t_classify).as_secs_f64());
    write_stats(a, &mut staged, &st)?;
    // in skip mode the rejects file is always written, so that an old one never outlives
    // the run it came from
    if let Some(p) = &rejects_path {
        staged.write(p, &RejectTable::new(&rejects))?;
    }
    // the snapshot before the files: if storing it fails, no file claims a run that the
    // store does not have
    let snapshot = match (&a.snapshot, stored.as_mut(), &results) {
        (Some(name), Some(ctx), Results::PerUnit(cls)) => {
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
                    cls,
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
                totals: &Totals::of(&units, &results.facts()),
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
    std::mem::forget((units, coverage, index, results, st));
    Ok(())
}

/// A run's results: per unit (for --out and snapshots), or counted per comune as the
/// units were classified (statistics alone).
enum Results {
    PerUnit(Classification),
    Counted(Counted),
}

impl Results {
    fn facts(&self) -> RunFacts {
        match self {
            Results::PerUnit(cls) => cls.facts(),
            Results::Counted(c) => c.facts,
        }
    }
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

/// Stages `--stats FILE`, if asked for, in the format asked for.
fn write_stats(a: &ClassifyArgs, staged: &mut Staged, st: &stats::Stats) -> Result<()> {
    if let Some(path) = &a.stats {
        match a.stats_format {
            StatsFormat::Full => staged.write(path, st)?,
            StatsFormat::Peers => {
                let t = PeersTable::new(st).map_err(anyhow::Error::msg)?;
                staged.write(path, &t)?
            }
        }
    }
    Ok(())
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
