//! `bianca synth`: writes a deterministic synthetic Tuscany (units, coverage, declarations,
//! comuni, the rollout's monthly progress uploads) for demos, tests and benchmarks.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use bianca_engine::synth::{self, SynthOptions};

/// Generate a synthetic but realistic Tuscany: units, operators' coverage, declarations.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Number of address points (units) to generate.
    #[arg(long)]
    units: usize,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 20240611)]
    seed: u64,
    /// Output directory (created if needed).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let opts = SynthOptions {
        units: args.units,
        seed: args.seed,
    };
    let data = synth::generate(&opts).context("generating the synthetic data")?;
    let generated = t0.elapsed();
    let summary = synth::write(&data, &args.out)
        .with_context(|| format!("writing the synthetic data to {}", args.out.display()))?;
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
