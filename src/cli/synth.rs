//! `bianca synth`: writes a deterministic synthetic Tuscany (units, coverage, declarations,
//! comuni, the rollout's monthly progress uploads) for demos, tests and benchmarks.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use bianca_engine::synth::civici::{self, CiviciOptions};
use bianca_engine::synth::{self, SynthOptions};

/// Generate a synthetic but realistic Tuscany: units, operators' coverage, declarations.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Number of address points (units) to generate.
    #[arg(long, required_unless_present = "civici")]
    units: Option<usize>,
    /// Instead: a registry made from this list of civici (comune, street, civico; e.g.
    /// Infratel's), one unit per civico with spelling variants injected and the truth kept:
    /// writes registry.csv and streets.csv, to measure `bianca match`.
    #[arg(long, value_name = "FILE", conflicts_with = "units")]
    civici: Option<PathBuf>,
    /// With --civici: share of streets respelled in the registry.
    #[arg(long, value_name = "P", default_value_t = 0.3, requires = "civici")]
    respell: f64,
    /// With --civici: share of civici left out of the registry.
    #[arg(long, value_name = "P", default_value_t = 0.05, requires = "civici")]
    drop_civici: f64,
    /// With --civici: share of streets left out of the registry.
    #[arg(long, value_name = "P", default_value_t = 0.02, requires = "civici")]
    drop_streets: f64,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 20240611)]
    seed: u64,
    /// Output directory (created if needed).
    #[arg(long)]
    out: PathBuf,
    /// Also write mobile coverage rasters (GeoTIFF, four operators' 4G/5G from antenna sites
    /// and a path-loss model, in EPSG:32632, 32633 and 3035) and a 1 km population grid.
    #[arg(long)]
    rasters: bool,
    /// Pixel size of the mobile rasters, metres.
    #[arg(long, value_name = "M", default_value_t = 100.0, requires = "rasters")]
    raster_pixel_m: f64,
}

pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    if let Some(list) = &args.civici {
        return run_civici(args, list);
    }
    let t0 = Instant::now();
    let opts = SynthOptions {
        units: args.units.context("--units N is required")?,
        seed: args.seed,
    };
    let data = synth::generate(&opts).context("generating the synthetic data")?;
    let generated = t0.elapsed();
    let mut summary = synth::write(&data, &args.out)
        .with_context(|| format!("writing the synthetic data to {}", args.out.display()))?;
    if args.rasters {
        let sp = crate::progress::spinner("rendering the mobile rasters");
        let files = synth::rasters::write_rasters(&data, &args.out, args.raster_pixel_m)
            .with_context(|| format!("writing the mobile rasters to {}", args.out.display()))?;
        sp.finish_and_clear();
        summary.files.extend(files);
    }
    let total = t0.elapsed();
    eprintln!(
        "synth: seed {}: {} addresses ({} housing units) in {} comuni, {} footprints, {} declarations",
        args.seed,
        summary.units,
        summary.dwellings,
        data.comuni.len(),
        summary.footprints,
        summary.declarations
    );
    for (operator, technology, n) in &summary.footprints_by_layer {
        eprintln!(
            "  {operator:<10} {:<5} {n:>6} footprints",
            technology.as_str()
        );
    }
    // the rollout's monthly uploads in one line
    let progress_dir = args.out.join("progress");
    let (monthly, files): (Vec<_>, Vec<_>) = summary
        .files
        .iter()
        .partition(|(path, _)| path.starts_with(&progress_dir));
    for (path, bytes) in files {
        eprintln!("  {:>12} bytes  {}", bytes, path.display());
    }
    if !monthly.is_empty() {
        eprintln!(
            "  {:>12} bytes  {} ({} monthly rollout uploads: per-address work and 5G sites)",
            monthly.iter().map(|(_, b)| b).sum::<u64>(),
            progress_dir.join("*.csv").display(),
            monthly.len()
        );
    }
    eprintln!(
        "synth: generated in {:.2} s, written in {:.2} s",
        generated.as_secs_f64(),
        (total - generated).as_secs_f64()
    );
    Ok(())
}

/// `bianca synth --civici LIST`: a registry from a list of civici, with its truth.
fn run_civici(args: &SynthArgs, list: &Path) -> anyhow::Result<()> {
    let t0 = Instant::now();
    for (name, p) in [
        ("--respell", args.respell),
        ("--drop-civici", args.drop_civici),
        ("--drop-streets", args.drop_streets),
    ] {
        if !(0.0..=1.0).contains(&p) {
            anyhow::bail!("{name} {p}: expected a share between 0 and 1");
        }
    }
    let opts = CiviciOptions {
        seed: args.seed,
        respell: args.respell,
        drop_civici: args.drop_civici,
        drop_streets: args.drop_streets,
    };
    let reg = civici::from_civici(list, &opts)
        .with_context(|| format!("making a registry from {}", list.display()))?;
    let files = civici::write(&reg, &args.out)
        .with_context(|| format!("writing the registry to {}", args.out.display()))?;
    let streets = reg.streets.len();
    let respelled = reg
        .streets
        .iter()
        .filter(|s| s.variant != civici::Variant::Same)
        .count();
    let dropped = reg.streets.iter().filter(|s| s.dropped).count();
    eprintln!(
        "synth: seed {}: {} rows of {}, {} distinct civici on {} streets: {} units; {} streets respelled, {} streets and {} civici left out{}",
        args.seed,
        reg.rows,
        list.display(),
        reg.civici,
        streets,
        reg.units.len(),
        respelled,
        dropped,
        reg.dropped_civici,
        if reg.outside > 0 {
            format!("; {} rows outside Tuscany skipped", reg.outside)
        } else {
            String::new()
        }
    );
    for (path, bytes) in &files {
        eprintln!("  {:>12} bytes  {}", bytes, path.display());
    }
    eprintln!("synth: {:.2} s", t0.elapsed().as_secs_f64());
    Ok(())
}
