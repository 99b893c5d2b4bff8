//! `bianca grid`: classification on grids as the mobile plans do it: Italia 5G pixels
//! (100 m, EPSG:3035) and FCC-style H3 hexagons.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bianca_engine::io::read::{self, ReadOptions};
use bianca_engine::io::write::{
    self, write_geotiff, write_polygons, Format, PolygonRow, RasterOut,
};
use bianca_engine::join::index::{GridIndex, GridOptions};
use bianca_engine::mobile::grid_5g::{self, Grid, PIXEL_M};
use bianca_engine::mobile::h3_grid::{self, HexTable};
use bianca_engine::rules;
use bianca_engine::table::{Column, ColumnType, Value};
use bianca_engine::units::Units;
use geo::BoundingRect;

use super::coverage::{add_rasters, describe_rasters, read_vectors, split, units_box, RasterArgs};
use super::output::{check_dir, current_year, thousands};
use crate::progress;

#[derive(clap::Subcommand, Debug)]
pub enum GridCommand {
    /// Italia 5G: classify the 100 m pixels of the EPSG:3035 grid (eligible where no network
    /// qualifies under the rule set, by default it-5g), write the eligible pixels as a GeoTIFF
    /// and dissolved into polygons with the addresses, housing units and population inside.
    #[command(name = "italia-5g")]
    Italia5g(Box<Italia5gArgs>),
    /// FCC style: H3 hexagons covered per operator and technology when their centre is
    /// inside a qualifying coverage (polygon or raster).
    H3(Box<H3Args>),
}

/// Inputs shared by both grids.
#[derive(clap::Args, Debug)]
pub struct GridInputs {
    /// Coverage files: footprints or rasters (as for `bianca classify`).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub coverage: Vec<PathBuf>,
    /// CRS of coverage files that do not say.
    #[arg(long, value_name = "EPSG:N")]
    pub coverage_crs: Option<String>,
    #[command(flatten)]
    pub raster: RasterArgs,
    /// The territory: area polygons (e.g. comuni.geojson). Only cells whose centre is inside
    /// an area are classified.
    #[arg(long, value_name = "FILE")]
    pub areas: Option<PathBuf>,
    /// The areas' code field.
    #[arg(long, value_name = "NAME", default_value = "com_istat_code")]
    pub area_field: String,
    /// A registry: its addresses and housing units are counted per cell (and, without
    /// --areas, its extent or its cells are the territory).
    #[arg(long, value_name = "FILE")]
    pub units: Option<PathBuf>,
    /// CRS of the registry's coordinates when the file does not say.
    #[arg(long, value_name = "EPSG:N")]
    pub units_crs: Option<String>,
    /// Reference year of "existing" and of relative planning horizons (default: this year).
    #[arg(long, value_name = "YYYY")]
    pub reference_year: Option<i32>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct Italia5gArgs {
    #[command(flatten)]
    pub inputs: GridInputs,
    /// The rule set (it must classify by networks: class 0 = eligible).
    #[arg(long, value_name = "NAME|FILE", default_value = "it-5g")]
    pub rules: String,
    /// Pixel size, metres.
    #[arg(long, value_name = "M", default_value_t = PIXEL_M)]
    pub pixel_m: f64,
    /// A population raster (persons per pixel, projected CRS, e.g. a 1 km EPSG:3035 grid)
    /// for the population of the eligible areas.
    #[arg(long, value_name = "FILE")]
    pub population: Option<PathBuf>,
    /// The classified pixels as a GeoTIFF: 1 eligible, 0 not eligible, 2 unknown, 255
    /// outside the territory (nodata).
    #[arg(long, value_name = "FILE.tif")]
    pub out_raster: Option<PathBuf>,
    /// The eligible areas, dissolved: .geojson, .gpkg or .fgb, with `pixels`, `area_km2`,
    /// `addresses`, `units`, `population`.
    #[arg(long, value_name = "FILE")]
    pub out_polygons: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct H3Args {
    #[command(flatten)]
    pub inputs: GridInputs,
    /// Rule sets, one per speed tier (default: the FCC presets 4G 5/1, 5G 7/1, 5G 35/3).
    #[arg(long, value_name = "NAME|FILE", value_delimiter = ',', num_args = 1.., default_value = "fcc-4g-5-1,fcc-5g-7-1,fcc-5g-35-3")]
    pub rules: Vec<String>,
    /// H3 resolution (0 to 15).
    #[arg(long, default_value_t = 9)]
    pub resolution: u8,
    /// One row per covered (or unknown) hexagon x rule set x operator x technology, with the
    /// hexagon's centre: .csv, .geojson, .parquet, .gpkg or .fgb.
    #[arg(long, value_name = "FILE", required = true)]
    pub out: PathBuf,
}

pub fn run(cmd: &GridCommand) -> Result<()> {
    match cmd {
        GridCommand::Italia5g(a) => italia_5g(a),
        GridCommand::H3(a) => h3(a),
    }
}

/// What both grids read.
struct Read {
    coverage: bianca_engine::model::Coverage,
    index: GridIndex,
    areas: Option<read::Areas>,
    units: Option<Units>,
    reference_year: i32,
    /// The coverage files GDAL opens as rasters, read by [`Read::add_rasters`].
    rasters: Vec<PathBuf>,
}

impl Read {
    /// Reads the rasters, only their pixels around the lon/lat box `window` (what the grid
    /// will sample).
    fn add_rasters(&mut self, i: &GridInputs, window: Option<[f64; 4]>) -> Result<()> {
        let opts = i.raster.options(i.coverage_crs.clone(), window);
        add_rasters(&mut self.coverage, &self.rasters, &opts)
    }
}

fn read_inputs(i: &GridInputs) -> Result<Read> {
    let reference_year = i.reference_year.unwrap_or_else(current_year);
    if !(1990..=2100).contains(&reference_year) {
        bail!("--reference-year {reference_year}: expected a year between 1990 and 2100");
    }
    if i.areas.is_none() && i.units.is_none() {
        bail!("give the territory: --areas FILE (e.g. comuni) or --units FILE");
    }
    let sp = progress::spinner("reading coverage");
    let opts = ReadOptions {
        crs: i.coverage_crs.clone(),
        ..Default::default()
    };
    let (vectors, rasters) = split(&i.coverage);
    let (coverage, _, index, _) = read_vectors(&vectors, &[], &opts, GridOptions::default())?;
    let areas = match &i.areas {
        Some(p) => Some(
            read::read_areas(p, &i.area_field, &ReadOptions::default())
                .with_context(|| format!("reading areas from {}", p.display()))?,
        ),
        None => None,
    };
    let units = match &i.units {
        Some(p) => {
            sp.set_message("reading units");
            let opts = ReadOptions {
                crs: i.units_crs.clone(),
                ..Default::default()
            };
            Some(
                read::read_units(p, &opts)
                    .with_context(|| format!("reading units from {}", p.display()))?
                    .0,
            )
        }
        None => None,
    };
    sp.finish_and_clear();
    Ok(Read {
        coverage,
        index,
        areas,
        units,
        reference_year,
        rasters,
    })
}

fn summary_header(i: &GridInputs, r: &Read) {
    if i.quiet {
        return;
    }
    eprintln!(
        "bianca grid: {} footprints, {} rasters; reference year {}",
        thousands(r.coverage.footprints.len() as u64),
        r.coverage.rasters.len(),
        r.reference_year
    );
    for line in describe_rasters(&r.coverage) {
        eprintln!("  raster {line}");
    }
}

fn italia_5g(a: &Italia5gArgs) -> Result<()> {
    let t0 = Instant::now();
    if a.out_raster.is_none() && a.out_polygons.is_none() {
        bail!("give --out-raster FILE.tif and/or --out-polygons FILE");
    }
    for p in a.out_raster.iter().chain(&a.out_polygons) {
        check_dir(p)?;
    }
    if let Some(p) = &a.out_polygons {
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if !matches!(ext.as_deref(), Some("geojson" | "gpkg" | "fgb")) {
            bail!(
                "{}: --out-polygons is written as .geojson, .gpkg or .fgb",
                p.display()
            );
        }
    }
    let rule = rules::load(&a.rules)?;
    let population = match &a.population {
        Some(p) => Some(
            read::raster::read_band(p, 1, None)
                .with_context(|| format!("reading the population raster {}", p.display()))?,
        ),
        None => None,
    };
    let mut r = read_inputs(&a.inputs)?;
    let bbox = match (&r.areas, &r.units) {
        (Some(ar), _) => geo::MultiPolygon::new(
            ar.geometries
                .iter()
                .flat_map(|m| m.0.iter().cloned())
                .collect(),
        )
        .bounding_rect(),
        (None, Some(u)) => units_box(u).map(|b| geo::Rect::new((b[0], b[1]), (b[2], b[3]))),
        (None, None) => None,
    }
    .context("the territory is empty")?;
    // every classified pixel centre lies in the territory's box
    let (lo, hi) = (bbox.min(), bbox.max());
    r.add_rasters(&a.inputs, Some([lo.x, lo.y, hi.x, hi.y]))?;
    let t_read = t0.elapsed();
    summary_header(&a.inputs, &r);
    let grid = Grid::covering(bbox, a.pixel_m)?;
    let territory = r
        .areas
        .as_ref()
        .map(|ar| GridIndex::build(&ar.geometries, GridOptions::default()));
    let pb = progress::bar_of(grid.len() as u64, "pixels", "pixels");
    let pc = grid_5g::classify_pixels(
        grid,
        territory.as_ref(),
        &r.coverage,
        &r.index,
        &rule,
        r.reference_year,
        &|n| pb.inc(n),
    )?;
    pb.finish_and_clear();
    let t_classify = t0.elapsed();
    if let Some(p) = &a.out_raster {
        let md = [
            ("RULES", rule.name.clone()),
            (
                "CODES",
                "0=not_eligible,1=eligible,2=unknown,255=outside".to_string(),
            ),
        ];
        write_geotiff(
            p,
            &RasterOut {
                width: grid.cols,
                height: grid.rows,
                geo_transform: grid.geo_transform(),
                crs: grid_5g::GRID_CRS,
                pixels: &pc.codes,
                nodata: Some(f64::from(grid_5g::OUTSIDE)),
                metadata: &md,
            },
        )?;
    }
    let mut n_areas = None;
    if let Some(p) = &a.out_polygons {
        let sp = progress::spinner("dissolving the eligible pixels");
        let areas = grid_5g::dissolve(&pc, r.units.as_ref(), population.as_ref())?;
        sp.finish_and_clear();
        write_areas(p, &areas, grid.size)?;
        n_areas = Some(areas.len());
    }
    if !a.inputs.quiet {
        let [no, yes, unknown, _] = pc.counts();
        let inside = no + yes + unknown;
        let km2 = |n: u64| n as f64 * grid.size * grid.size / 1e6;
        eprintln!(
            "  grid {} x {} pixels of {} m ({}), {} in the territory",
            grid.cols,
            grid.rows,
            grid.size,
            grid_5g::GRID_CRS,
            thousands(inside)
        );
        for (name, n) in [
            ("eligible", yes),
            ("not eligible", no),
            ("unknown", unknown),
        ] {
            eprintln!(
                "  {name:<14} {:>12} pixels {:>10.1} km2 {:>6.1}%",
                thousands(n),
                km2(n),
                super::output::pct(n, inside)
            );
        }
        if let Some(n) = n_areas {
            eprintln!("  {} dissolved eligible areas", thousands(n as u64));
        }
        print_times(t0, t_read, t_classify);
    }
    Ok(())
}

/// The summary's last line: reading, classifying (from the end of reading), writing.
fn print_times(t0: Instant, t_read: std::time::Duration, t_classify: std::time::Duration) {
    let total = t0.elapsed();
    eprintln!(
        "  time: read {:.2}s, classify {:.2}s, write {:.2}s, total {:.2}s",
        t_read.as_secs_f64(),
        (t_classify - t_read).as_secs_f64(),
        (total - t_classify).as_secs_f64(),
        total.as_secs_f64()
    );
}

fn write_areas(path: &Path, areas: &[grid_5g::EligibleArea], size: f64) -> Result<()> {
    let columns = [
        Column::new("id", ColumnType::Int),
        Column::new("pixels", ColumnType::Int),
        Column::new("area_km2", ColumnType::Float),
        Column::new("addresses", ColumnType::Int),
        Column::new("units", ColumnType::Int),
        Column::new("population", ColumnType::Float),
    ];
    let rows: Vec<PolygonRow> = areas
        .iter()
        .map(|a| PolygonRow {
            geometry: &a.geometry,
            values: vec![
                Value::Int(i64::from(a.id)),
                Value::Int(a.pixels as i64),
                Value::Float(a.pixels as f64 * size * size / 1e6),
                Value::Int(a.addresses as i64),
                Value::Int(a.units as i64),
                a.population
                    .map_or(Value::Null, |p| Value::Float((p * 10.0).round() / 10.0)),
            ],
        })
        .collect();
    write_polygons(path, &columns, &rows)?;
    Ok(())
}

fn h3(a: &H3Args) -> Result<()> {
    let t0 = Instant::now();
    Format::from_path(&a.out)?;
    check_dir(&a.out)?;
    let res = h3o::Resolution::try_from(a.resolution)
        .map_err(|e| anyhow::anyhow!("--resolution {}: {e}", a.resolution))?;
    let rule_sets = a
        .rules
        .iter()
        .map(|r| rules::load(r))
        .collect::<Result<Vec<_>, _>>()?;
    let mut r = read_inputs(&a.inputs)?;
    let cells = match (&r.areas, &r.units) {
        (Some(ar), _) => h3_grid::cells_in_areas(&ar.geometries, res)?,
        (None, Some(u)) => h3_grid::cells_of_points(&u.lon, &u.lat, res),
        (None, None) => Vec::new(),
    };
    // the hexagons' centres are what is sampled
    let centres = h3_grid::centres(&cells);
    let (lon, lat): (Vec<f64>, Vec<f64>) = centres.iter().copied().unzip();
    let window = (!cells.is_empty()).then(|| {
        let (x0, x1) = lon
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let (y0, y1) = lat
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        [x0, y0, x1, y1]
    });
    r.add_rasters(&a.inputs, window)?;
    let t_read = t0.elapsed();
    summary_header(&a.inputs, &r);
    let pb = progress::bar_of(cells.len() as u64, "hexagons", "hexagons");
    let hex = h3_grid::classify_hexagons(
        cells,
        &r.coverage,
        &r.index,
        &rule_sets,
        r.reference_year,
        &|n| pb.inc(n),
    );
    pb.finish_and_clear();
    let t_classify = t0.elapsed();
    let table = HexTable::new(&hex, &r.coverage.offers.names, r.units.as_ref());
    write::write_table(&a.out, &table)?;
    if !a.inputs.quiet {
        eprintln!(
            "  {} hexagons of resolution {}; {} rows written to {}",
            thousands(hex.cells.len() as u64),
            a.resolution,
            thousands(bianca_engine::table::Table::len(&table) as u64),
            a.out.display()
        );
        for (l, (covered, unknown)) in hex.layers.iter().zip(hex.counts()) {
            eprintln!(
                "  {:<14} {:<10} {:<3} {:>10} covered {:>10} unknown",
                hex.rules[l.rule],
                r.coverage.offers.names.name(l.operator),
                l.technology.as_str(),
                thousands(covered),
                thousands(unknown)
            );
        }
        print_times(t0, t_read, t_classify);
    }
    Ok(())
}
