//! `bianca import units|coverage|declarations FILE`: one file into the store as a dataset,
//! in one transaction, skipped when the same file (by checksum) is already there; and
//! `bianca import areas FILE`: administrative boundaries.

use super::classify::OnErrorArg;
use super::output::{thousands, RejectTable, Staged};
use crate::progress;
use anyhow::{bail, Context, Result};
use bianca_api::store::{checksum_file, DatasetKind, Imported, NewDataset, Store, StoredUnits};
use bianca_engine::address::{place_declarations, Matcher, Placed};
use bianca_engine::io::raster_bytes;
use bianca_engine::io::read::{self, AddressedDeclaration, ReadOptions};
use bianca_engine::mobile::value_areas::value_areas;
use bianca_engine::model::{Declaration, Footprint, Offers};
use bianca_engine::units::Units;
use bianca_engine::{areas, OnError, Reject};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// A housing-unit registry (the formats of `classify --units`).
    Units(ImportArgs),
    /// Operators' coverage: footprints or rasters (the formats of `classify --coverage`). A
    /// raster is stored whole (as a GeoTIFF with its metadata items resolved, so the
    /// `--raster-*` options given here stay with it) with the polygons of each band's value
    /// classes, which the map draws.
    Coverage(ImportArgs),
    /// Per-address declarations (the formats of `classify --declarations`); rows keyed by
    /// address are matched to the latest stored registry.
    Declarations(ImportArgs),
    /// Administrative boundaries (comuni; provinces and regions are dissolved from them)
    /// for the map's areas layer. Replaces stored areas with the same codes.
    Areas(AreasArgs),
}

#[derive(clap::Args, Debug)]
pub struct AreasArgs {
    /// The boundaries file (GeoJSON, GeoPackage, Shapefile, FlatGeobuf...).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The comune code field.
    #[arg(long, value_name = "NAME", default_value = "com_istat_code")]
    pub code_field: String,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `bianca import areas FILE`.
pub fn run_areas(a: &AreasArgs, database_url: Option<&str>) -> Result<()> {
    let t0 = Instant::now();
    let file = a.file.display().to_string();
    let checksum =
        checksum_file(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let sp = progress::spinner(&format!("reading {file}"));
    let ar = read::read_areas(&a.file, &a.code_field, &ReadOptions::default())
        .with_context(|| format!("reading areas from {file}"))?;
    sp.set_message("dissolving provinces and regions");
    let boundaries = areas::boundaries(&ar);
    sp.finish_and_clear();
    let mut store = super::store::open(database_url)?;
    let done = store
        .import_areas(&boundaries, &file, &checksum)
        .with_context(|| format!("storing the areas of {file} in {}", store.url()))?;
    if !a.quiet {
        let count =
            |l: bianca_engine::stats::Level| boundaries.iter().filter(|b| b.level == l).count();
        use bianca_engine::stats::Level;
        eprintln!(
            "bianca import areas: {} comuni, {} provinces, {} regions from {file} ({} new, {} replaced) in {:.2}s",
            count(Level::Comune),
            count(Level::Province),
            count(Level::Region),
            done.added,
            done.replaced,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The file to import.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Dataset name (default: the file name without extension, made unique).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// CRS of the coordinates when the file does not say (CSV x/y or WKT), e.g. EPSG:3003.
    #[arg(long, value_name = "EPSG:N")]
    pub crs: Option<String>,
    /// Units only: area polygons (e.g. comuni) that place units without a comune.
    #[arg(long, value_name = "FILE")]
    pub areas: Option<PathBuf>,
    /// The areas' code field.
    #[arg(long, value_name = "NAME", default_value = "com_istat_code")]
    pub area_field: String,
    /// `fail`: store nothing if any row is bad; `skip`: store the good rows, report the bad.
    #[arg(long, value_name = "MODE", default_value = "fail")]
    pub on_error: OnErrorArg,
    /// With `--on-error skip`: write the rejected rows (file, row, field, error) to FILE.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Coverage rasters only: what the raster stands for, overriding its metadata items.
    #[command(flatten)]
    pub raster: super::coverage::RasterArgs,
    /// Publish the dataset: anonymous users of `bianca serve` may see it. Default: confidential.
    #[arg(long)]
    pub public: bool,
    /// Who imports it, recorded with the dataset (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(c: &ImportCommand, database_url: Option<&str>) -> Result<()> {
    let (kind, a) = match c {
        ImportCommand::Units(a) => (DatasetKind::Units, a),
        ImportCommand::Coverage(a) => (DatasetKind::Coverage, a),
        ImportCommand::Declarations(a) => (DatasetKind::Declarations, a),
        ImportCommand::Areas(a) => return run_areas(a, database_url),
    };
    let t0 = Instant::now();
    if a.areas.is_some() && kind != DatasetKind::Units {
        bail!("--areas only applies to `bianca import units`");
    }
    if a.rejects.is_some() && a.on_error != OnErrorArg::Skip {
        bail!("--rejects FILE only applies with --on-error skip");
    }
    let raster = kind == DatasetKind::Coverage && read::is_raster(&a.file);
    if a.raster.any() && !raster {
        bail!(
            "--raster-* options describe coverage rasters, and {} is not one",
            a.file.display()
        );
    }
    let file = a.file.display().to_string();
    let checksum =
        checksum_file(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let mut store = super::store::open(database_url)?;
    if let Some(old) = store.find_by_checksum(kind, &checksum)? {
        if !a.quiet {
            eprintln!(
                "bianca import: {file} is already in the store as {} dataset {:?} ({} rows, imported {} by {}): nothing to do",
                kind.as_str(),
                old.name,
                thousands(old.rows as u64),
                old.imported_at.format("%Y-%m-%d %H:%M UTC"),
                old.imported_by
            );
            if let Some(crs) = a.crs.as_deref().filter(|c| *c != old.crs) {
                eprintln!(
                    "  note: it was imported with CRS {:?}, not {crs}: to import it again with {crs}, `bianca datasets remove {}` first",
                    old.crs, old.name
                );
            }
        }
        return Ok(());
    }
    let on_error = match a.on_error {
        OnErrorArg::Fail => OnError::Fail,
        OnErrorArg::Skip => OnError::Skip,
    };
    let opts = ReadOptions {
        crs: a.crs.clone(),
        on_error,
    };
    if raster {
        return import_raster(a, &mut store, checksum, t0);
    }
    let sp = progress::spinner(&format!("reading {file}"));
    let mut offers = Offers::new();
    let (rows, rejects) = match kind {
        DatasetKind::Units => {
            let (mut units, rejects) = read::read_units(&a.file, &opts)
                .with_context(|| format!("reading units from {file}"))?;
            if let Some(path) = &a.areas {
                let ar = read::read_areas(path, &a.area_field, &ReadOptions::default())
                    .with_context(|| format!("reading areas from {}", path.display()))?;
                areas::assign(&mut units, &ar);
            }
            (Rows::Units(units), rejects)
        }
        DatasetKind::Coverage => {
            let (fps, rejects) = read::read_footprints(&a.file, &opts, &mut offers)
                .with_context(|| format!("reading coverage from {file}"))?;
            (Rows::Footprints(fps), rejects)
        }
        DatasetKind::Declarations => {
            let (mut decl, by_address, mut rejects) =
                read::read_declarations(&a.file, &opts, &mut offers)
                    .with_context(|| format!("reading declarations from {file}"))?;
            if !by_address.is_empty() {
                sp.set_message("matching the declarations' addresses to the registry");
                let placed = place_by_address(&mut store, &by_address, on_error, a.quiet)?;
                decl.extend(placed.declarations);
                rejects.extend(placed.not_placed);
                rejects.sort_by_key(|r| r.at.row);
            }
            (Rows::Declarations(decl), rejects)
        }
    };
    sp.finish_and_clear();
    let t_read = t0.elapsed();
    let new = new_dataset(a, checksum, rejects.len() as u64);
    // the rejects file is staged first and renamed only once the import committed
    let mut staged = Staged::default();
    if let Some(p) = &a.rejects {
        staged.write(p, &RejectTable::new(&rejects))?;
    }
    let pb = progress::bar(rows.len() as u64, "storing");
    let inc = |n| pb.inc(n);
    let imported = match &rows {
        Rows::Units(units) => store.import_units(&new, units, &inc),
        Rows::Footprints(fps) => store.import_footprints(&new, &offers, fps, &inc),
        Rows::Declarations(decl) => store.import_declarations(&new, &offers, decl, &inc),
    }
    .with_context(|| format!("storing {file} in {}", store.url()))?;
    pb.finish_and_clear();
    staged.commit()?;
    if a.quiet {
        return Ok(());
    }
    match imported {
        Imported::New(d) => {
            let secs = t0.elapsed().as_secs_f64();
            eprintln!(
                "bianca import: {} {} rows from {file} stored as dataset {:?} in the {} store {} ({:.2}s: read {:.2}s, store {:.2}s)",
                thousands(d.rows as u64),
                kind.as_str(),
                d.name,
                store.backend().as_str(),
                store.url(),
                secs,
                t_read.as_secs_f64(),
                secs - t_read.as_secs_f64()
            );
        }
        Imported::Already(d) => eprintln!(
            "bianca import: {file} was imported meanwhile as dataset {:?}: nothing to do",
            d.name
        ),
    }
    report_rejects(&rejects, a.rejects.is_some());
    Ok(())
}

/// What the store records of the import of `a.file`.
fn new_dataset(a: &ImportArgs, checksum: String, rejected: u64) -> NewDataset {
    NewDataset {
        name: a.name.clone(),
        source_file: a.file.display().to_string(),
        checksum,
        crs: a.crs.clone().unwrap_or_else(|| "as in the file".into()),
        rejected,
        imported_by: a.by.clone().unwrap_or_else(super::store::current_user),
        public: a.public,
    }
}

/// `bianca import coverage RASTER`: the raster's self-describing GeoTIFF copy, its bands and
/// the polygons of each band's value classes, as one dataset.
fn import_raster(a: &ImportArgs, store: &mut Store, checksum: String, t0: Instant) -> Result<()> {
    let file = a.file.display().to_string();
    let sp = progress::spinner(&format!("reading the raster {file}"));
    let opts = a
        .raster
        .options(a.crs.clone(), None)
        .for_files(std::slice::from_ref(&a.file))
        .map_err(|e| anyhow::anyhow!("--raster-meta {e}"))?
        .remove(0);
    let copy = raster_bytes::to_geotiff(&a.file, &opts)
        .with_context(|| format!("reading the coverage raster {file}"))?;
    sp.set_message("outlining each band's value classes");
    let areas = copy
        .bands
        .par_iter()
        .map(|d| value_areas(&d.band, d.kind))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("outlining the value classes of {file}"))?;
    sp.finish_and_clear();
    let t_read = t0.elapsed();
    let new = new_dataset(a, checksum, 0);
    let n_areas: usize = areas.iter().map(Vec::len).sum();
    let pb = progress::bar(n_areas as u64, "storing");
    let imported = store
        .import_raster(&new, &copy, &areas, &|n| pb.inc(n))
        .with_context(|| format!("storing {file} in {}", store.url()))?;
    pb.finish_and_clear();
    if a.quiet {
        return Ok(());
    }
    match imported {
        Imported::New(d) => {
            let secs = t0.elapsed().as_secs_f64();
            eprintln!(
                "bianca import: coverage raster {file} ({} bands, {:.1} MB as GeoTIFF) stored as dataset {:?} in the {} store {} ({secs:.2}s: read and outline {:.2}s, store {:.2}s)",
                copy.bands.len(),
                copy.bytes.len() as f64 / 1e6,
                d.name,
                store.backend().as_str(),
                store.url(),
                t_read.as_secs_f64(),
                secs - t_read.as_secs_f64()
            );
            for (i, (b, list)) in copy.bands.iter().zip(&areas).enumerate() {
                let at = &b.attrs;
                eprintln!(
                    "  band {}: {} {} {}{} ({}, {} x {} px), {} value-class polygons",
                    i + 1,
                    at.operator,
                    at.technology,
                    b.kind.as_str(),
                    at.year.map_or(String::new(), |y| format!(", planned {y}")),
                    b.band.crs_key.chars().take(40).collect::<String>(),
                    b.band.width,
                    b.band.height,
                    thousands(list.len() as u64)
                );
            }
        }
        Imported::Already(d) => eprintln!(
            "bianca import: {file} was imported meanwhile as dataset {:?}: nothing to do",
            d.name
        ),
    }
    Ok(())
}

/// Places declarations keyed by address on the units of the store's latest registry (see
/// [`bianca_engine::address::place_declarations`]). In fail mode one that cannot be placed
/// stops the import; in skip mode they come back in `not_placed`.
fn place_by_address(
    store: &mut Store,
    list: &[AddressedDeclaration],
    on_error: OnError,
    quiet: bool,
) -> Result<Placed> {
    let registry = store
        .datasets()?
        .into_iter()
        .rev()
        .find(|d| d.kind == DatasetKind::Units)
        .with_context(|| {
            format!(
                "{} declarations are keyed by address, and the store {} has no registry to \
                 match them against: `bianca import units FILE` first",
                thousands(list.len() as u64),
                store.url()
            )
        })?;
    let StoredUnits { units, .. } = store
        .load_units(&registry)
        .with_context(|| format!("reading registry {} from the store", registry.name))?;
    let placed = place_declarations(&Matcher::new(&units), &units, list);
    if on_error == OnError::Fail {
        if let Some(first) = placed.not_placed.first() {
            bail!(
                "{}: {} of {} declarations keyed by address cannot be placed on a unit of \
                 registry {:?} (the first: row {}); nothing stored: `--on-error skip` stores \
                 the others, `bianca match` shows every match",
                first,
                thousands(placed.not_placed.len() as u64),
                thousands(list.len() as u64),
                registry.name,
                first.at.row.unwrap_or(0)
            );
        }
    }
    if !quiet {
        eprintln!(
            "  {} declarations keyed by address matched to registry {:?}: {} placed",
            thousands(list.len() as u64),
            registry.name,
            thousands(placed.declarations.len() as u64)
        );
    }
    Ok(placed)
}

/// What one file holds, as read (one value per run: the size difference does not matter).
#[allow(clippy::large_enum_variant)]
enum Rows {
    Units(Units),
    Footprints(Vec<Footprint>),
    Declarations(Vec<Declaration>),
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::Units(u) => u.len(),
            Rows::Footprints(f) => f.len(),
            Rows::Declarations(d) => d.len(),
        }
    }
}

/// Prints how many rows were skipped and the first few of them.
fn report_rejects(rejects: &[Reject], written: bool) {
    if rejects.is_empty() {
        return;
    }
    eprintln!(
        "  {} rows rejected and not stored:",
        thousands(rejects.len() as u64)
    );
    for r in rejects.iter().take(5) {
        eprintln!("    {}: {}", r.at, r.message);
    }
    if rejects.len() > 5 && !written {
        eprintln!("    ... (give --rejects FILE for the full list)");
    }
}
