//! `bianca synth`: writes a deterministic synthetic Tuscany (units, coverage, declarations,
//! comuni) for demos, tests and benchmarks.

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
    /// Also write mobile coverage rasters (GeoTIFF, four operators' 4G/5G from antenna sites
    /// and a path-loss model, in EPSG:32632, 32633 and 3035) and a 1 km population grid.
    #[arg(long)]
    rasters: bool,
    /// Pixel size of the mobile rasters, metres.
    #[arg(long, value_name = "M", default_value_t = 100.0, requires = "rasters")]
    raster_pixel_m: f64,
}

pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let opts = SynthOptions {
        units: args.units,
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
    for (path, bytes) in &summary.files {
        eprintln!("  {:>12} bytes  {}", bytes, path.display());
    }
    eprintln!(
        "synth: generated in {:.2} s, written in {:.2} s",
        generated.as_secs_f64(),
        (total - generated).as_secs_f64()
    );
    Ok(())
}
