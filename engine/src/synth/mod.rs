//! A deterministic, synthetic but realistic Tuscany for demos, tests and benchmarks.
//!
//! [`generate`] builds, from a seed and a number of units:
//! - **units** inside the 273 real comuni of Tuscany: Gaussian clusters around a few town
//!   centres per comune (sized by a plausible population), plus 15% uniform rural points,
//!   each with a number of dwellings and a real street name of its comune;
//! - **coverage** of six invented operators: FTTH / FTTC footprints around towns, FWA / 4G /
//!   5G discs around antenna sites, with speeds, peak speeds (sometimes missing on purpose),
//!   planned years, resold networks and some unlicensed FWA;
//! - **declarations**: Infratel-style per-address offers for a few % of the units.
//!
//! [`write`] stores it as `units.csv`, `coverage.fgb`, `coverage.geojson`,
//! `declarations.csv`, `comuni.geojson` and the monthly rollout uploads under `progress/`
//! ([`progress`]). The same seed gives the same bytes: the
//! generator uses its own PRNG ([`rng`]), and parallel work is split into pieces with their
//! own streams, so neither the thread count nor a dependency's version changes the output.
//!
//! [`civici`] builds instead a registry from a list of civici (Infratel's), with spelling
//! variants injected and the truth kept, to measure the address matcher on real names.
//!
//! The reference data (comuni boundaries, street names) is embedded from `data/synth/`;
//! see `data/SOURCE.md` for its provenance and licences.

pub mod civici;
mod gen;
mod geom;
mod output;
pub mod progress;
pub mod rasters;
mod reference;
pub mod rng;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::{Coverage, Technology};
use crate::units::Units;

pub use gen::{Town, OPERATORS};
pub use geom::Prepared;
pub use reference::{Comune, Street, COMUNI_GEOJSON};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthOptions {
    /// Exact number of address points (units) to generate.
    pub units: usize,
    pub seed: u64,
}

/// A generated data set, in memory.
#[derive(Debug, Clone)]
pub struct Synth {
    pub seed: u64,
    /// The units; `comune` indexes `comune_codes`, which lists every comune in the order
    /// of [`Synth::comuni`]; `address` is always present.
    pub units: Units,
    /// Offers, their footprints (source 0, `coverage.fgb`) and the declarations (source 1,
    /// `declarations.csv`).
    pub coverage: Coverage,
    /// The comuni used (simplified boundaries).
    pub comuni: Vec<Comune>,
    /// The town centres the units cluster around.
    pub towns: Vec<Town>,
}

/// What [`write`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    pub units: usize,
    /// Sum of `units` (dwellings) over all units.
    pub dwellings: u64,
    pub footprints: usize,
    /// Footprints per (operator, technology), sorted.
    pub footprints_by_layer: Vec<(String, Technology, usize)>,
    pub declarations: usize,
    /// Every file written, with its size in bytes.
    pub files: Vec<(PathBuf, u64)>,
}

/// Generates the data set in memory.
pub fn generate(opts: &SynthOptions) -> Result<Synth> {
    if opts.units == 0 {
        return Err(Error::Invalid("synth: --units must be at least 1".into()));
    }
    if opts.units > 99_999_999 {
        return Err(Error::Invalid(format!(
            "synth: --units {} is too many (at most 99,999,999)",
            opts.units
        )));
    }
    let comuni = reference::comuni()?;
    let streets = reference::streets(&comuni)?;
    let pop = reference::population(&comuni, &streets);
    let prepared: Vec<Prepared> = comuni.iter().map(|c| Prepared::new(&c.geometry)).collect();
    let towns = gen::towns(opts.seed, &comuni, &prepared, &pop);
    let units = gen::units(
        opts.seed, opts.units, &comuni, &prepared, &pop, &towns, &streets,
    );
    let coverage = gen::coverage(opts.seed, &prepared, &towns, &units);
    Ok(Synth {
        seed: opts.seed,
        units,
        coverage,
        comuni,
        towns,
    })
}

/// Footprints per (operator, technology), sorted by operator then technology.
pub fn footprints_by_layer(cov: &Coverage) -> Vec<(String, Technology, usize)> {
    let mut m: BTreeMap<(String, Technology), usize> = BTreeMap::new();
    for f in &cov.footprints {
        let o = &cov.offers.offers[f.offer as usize];
        *m.entry((cov.offers.names.name(o.operator).to_string(), o.technology))
            .or_default() += 1;
    }
    m.into_iter().map(|((op, t), n)| (op, t, n)).collect()
}

/// Writes the data set into `dir` (created if needed): `units.csv`, `coverage.fgb`,
/// `coverage.geojson`, `declarations.csv`, `comuni.geojson`, and under `progress/` the
/// rollout's monthly uploads ([`progress`]). Each file is written to a temporary name and
/// renamed when complete.
pub fn write(synth: &Synth, dir: &Path) -> Result<SynthSummary> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    let p = dir.join("units.csv");
    files.push((p.clone(), output::units_csv(&synth.units, &p)?));
    let p = dir.join("coverage.fgb");
    files.push((p.clone(), output::coverage_fgb(&synth.coverage, &p)?));
    let p = dir.join("coverage.geojson");
    files.push((p.clone(), output::coverage_geojson(&synth.coverage, &p)?));
    let p = dir.join("declarations.csv");
    files.push((p.clone(), output::declarations_csv(&synth.coverage, &p)?));
    let p = dir.join("comuni.geojson");
    let n = output::atomic_write(&p, |w| std::io::Write::write_all(w, COMUNI_GEOJSON))?;
    files.push((p, n));
    let pdir = dir.join("progress");
    std::fs::create_dir_all(&pdir).map_err(|e| Error::io(&pdir, e))?;
    let monthly = progress::files(synth)?;
    // months of an earlier run that this one has no file for would be uploaded with it
    for entry in std::fs::read_dir(&pdir).map_err(|e| Error::io(&pdir, e))? {
        let path = entry.map_err(|e| Error::io(&pdir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ours =
            (name.starts_with("civico-") || name.starts_with("sites-")) && name.ends_with(".csv");
        if ours && !monthly.iter().any(|f| f.name == name) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    for f in monthly {
        let p = pdir.join(&f.name);
        let n = output::atomic_write(&p, |w| std::io::Write::write_all(w, f.csv.as_bytes()))?;
        files.push((p, n));
    }
    Ok(SynthSummary {
        units: synth.units.len(),
        dwellings: synth.units.units.iter().map(|&u| u as u64).sum(),
        footprints: synth.coverage.footprints.len(),
        footprints_by_layer: footprints_by_layer(&synth.coverage),
        declarations: synth.coverage.declarations.len(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use std::collections::HashSet;

    fn synth(units: usize, seed: u64) -> Synth {
        generate(&SynthOptions { units, seed }).unwrap()
    }

    const FILES: [&str; 5] = [
        "units.csv",
        "coverage.fgb",
        "coverage.geojson",
        "declarations.csv",
        "comuni.geojson",
    ];

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        write(&synth(30_000, 7), a.path()).unwrap();
        // A second generation in a pool of another size: same bytes.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| write(&synth(30_000, 7), b.path()).unwrap());
        let s = write(&synth(30_000, 8), c.path()).unwrap();
        assert_eq!(
            s.files.len(),
            5 + progress::files(&synth(30_000, 8)).unwrap().len()
        );
        for f in FILES {
            let x = std::fs::read(a.path().join(f)).unwrap();
            let y = std::fs::read(b.path().join(f)).unwrap();
            let z = std::fs::read(c.path().join(f)).unwrap();
            assert!(!x.is_empty(), "{f} is empty");
            assert!(x == y, "{f} differs between two runs with the same seed");
            if f != "comuni.geojson" {
                assert!(x != z, "{f} is the same for two seeds");
            }
        }
        // No temporary files left behind.
        let names: Vec<String> = std::fs::read_dir(a.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 6, "{names:?}");
    }

    #[test]
    fn units_are_exact_in_count_inside_their_comune_and_well_formed() {
        for n in [1, 17, 25_000] {
            let s = synth(n, 11);
            let u = &s.units;
            assert_eq!(u.len(), n);
            assert_eq!(u.ids.len(), n);
            assert_eq!(u.ids.get(0), "U0000001");
            assert_eq!(u.ids.get(n - 1), format!("U{n:07}"));
            let prepared: Vec<Prepared> = s
                .comuni
                .iter()
                .map(|c| Prepared::new(&c.geometry))
                .collect();
            let addr = u.address.as_ref().unwrap();
            for i in 0..n {
                let c = u.comune[i] as usize;
                assert_eq!(u.comune_code(i), Some(s.comuni[c].code.as_str()));
                assert!(
                    prepared[c].contains(u.lon[i], u.lat[i]),
                    "unit {} at ({}, {}) is outside comune {}",
                    u.ids.get(i),
                    u.lon[i],
                    u.lat[i],
                    s.comuni[c].code
                );
                assert!((1..=20).contains(&u.units[i]));
                let a = addr.get(i);
                let (street, number) = a.rsplit_once(' ').unwrap();
                assert!(!street.is_empty() && number.starts_with(|c: char| c.is_ascii_digit()));
                assert_eq!(u.lon[i], geom::round7(u.lon[i]));
            }
        }
        // Addresses are real streets of the unit's comune.
        let s = synth(2_000, 3);
        let streets = reference::streets(&s.comuni).unwrap();
        let addr = s.units.address.as_ref().unwrap();
        for i in 0..s.units.len() {
            let c = s.units.comune[i] as usize;
            let a = addr.get(i);
            assert!(
                streets[c]
                    .iter()
                    .any(|st| a.starts_with(&format!("{} ", st.name))),
                "{a} is not a street of {}",
                s.comuni[c].name
            );
        }
    }

    #[test]
    fn units_are_dense_in_towns_and_spread_over_tuscany() {
        let s = synth(100_000, 5);
        let u = &s.units;
        let comuni: HashSet<u32> = u.comune.iter().copied().collect();
        assert!(
            comuni.len() >= 265,
            "only {} comuni have units",
            comuni.len()
        );
        // Firenze (048017) holds a large share; a small mountain comune a small one.
        let firenze = s.comuni.iter().position(|c| c.code == "048017").unwrap() as u32;
        let n_fi = u.comune.iter().filter(|&&c| c == firenze).count();
        assert!((6_000..14_000).contains(&n_fi), "Firenze has {n_fi} units");
        let mean = u.units.iter().map(|&x| x as f64).sum::<f64>() / u.len() as f64;
        assert!((2.0..2.6).contains(&mean), "mean dwellings {mean}");
    }

    /// Per unit: covered by a footprint of this operator and technology (any status)?
    fn covered(s: &Synth, tech: Technology) -> Vec<bool> {
        let polys: Vec<Prepared> = s
            .coverage
            .footprints
            .iter()
            .filter(|f| s.coverage.offers.offers[f.offer as usize].technology == tech)
            .map(|f| Prepared::new(&f.geometry))
            .collect();
        (0..s.units.len())
            .map(|i| {
                polys
                    .iter()
                    .any(|p| p.contains(s.units.lon[i], s.units.lat[i]))
            })
            .collect()
    }

    #[test]
    fn coverage_has_the_realistic_mix() {
        let s = synth(40_000, 20240611);
        let cov = &s.coverage;
        let share = |v: &[bool]| v.iter().filter(|&&b| b).count() as f64 / v.len() as f64;
        let ftth = share(&covered(&s, Technology::Ftth));
        assert!((0.2..0.8).contains(&ftth), "FTTH share {ftth}");
        let g4 = share(&covered(&s, Technology::Mobile4g));
        assert!(g4 > 0.8, "4G share {g4}");
        let offers = |src: u32| cov.offers.offers.iter().filter(move |o| o.source == src);
        let n = offers(0).count();
        assert_eq!(n, cov.footprints.len());
        let planned = offers(0).filter(|o| o.status == Status::Planned).count();
        assert!(
            planned > n / 20 && planned < n / 2,
            "{planned} planned of {n}"
        );
        assert!(offers(0)
            .filter(|o| o.status == Status::Planned)
            .all(|o| matches!(o.year, Some(2026..=2030))));
        assert!(offers(0)
            .filter(|o| o.status == Status::Existing)
            .all(|o| o.year.is_none()));
        let resold = offers(0).filter(|o| o.operator != o.infrastructure).count();
        assert!(resold > 20, "{resold} resold");
        let no_peak = offers(0).filter(|o| o.peak_down_mbps.is_none()).count();
        assert!(
            no_peak > n / 20 && no_peak < n / 3,
            "{no_peak} without peak of {n}"
        );
        let fwa = offers(0)
            .filter(|o| o.technology == Technology::Fwa)
            .count();
        let unlicensed = offers(0)
            .filter(|o| o.technology == Technology::Fwa && !o.licensed)
            .count();
        assert!(
            unlicensed > 5 && unlicensed < fwa / 2,
            "{unlicensed} of {fwa}"
        );
        assert!(offers(0).all(|o| o.licensed || o.technology == Technology::Fwa));
        // Six operators, each with footprints; every resold network has the owner's twin.
        let ops: HashSet<&str> = offers(0)
            .map(|o| cov.offers.names.name(o.operator))
            .collect();
        assert_eq!(ops.len(), 6, "{ops:?}");
        for f in &cov.footprints {
            let o = &cov.offers.offers[f.offer as usize];
            if o.operator != o.infrastructure {
                assert!(cov.footprints.iter().any(|g| {
                    let p = &cov.offers.offers[g.offer as usize];
                    p.operator == o.infrastructure && g.geometry == f.geometry
                }));
            }
        }
        // Discs have 64 vertices.
        for f in &cov.footprints {
            let o = &cov.offers.offers[f.offer as usize];
            if matches!(o.technology, Technology::Mobile4g | Technology::Mobile5g) {
                assert_eq!(f.geometry.0[0].exterior().0.len(), 65);
            }
        }
    }

    #[test]
    fn declarations_cover_a_few_percent_of_units_and_fibranet_only_outside_its_polygons() {
        let s = synth(50_000, 9);
        let cov = &s.coverage;
        let d = cov.declarations.len();
        assert!((500..2_500).contains(&d), "{d} declarations");
        let ids: HashSet<&str> = s.units.ids.iter().collect();
        assert!(cov
            .declarations
            .iter()
            .all(|x| ids.contains(x.unit_id.as_str())));
        assert!(cov
            .declarations
            .iter()
            .all(|x| cov.offers.offers[x.offer as usize].source == 1));
        let fibranet: Vec<Prepared> = cov
            .footprints
            .iter()
            .filter(|f| {
                let o = &cov.offers.offers[f.offer as usize];
                cov.offers.names.name(o.operator) == gen::FIBRANET
            })
            .map(|f| Prepared::new(&f.geometry))
            .collect();
        let index: std::collections::HashMap<&str, usize> = s
            .units
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id, i))
            .collect();
        let mut fib = 0;
        for x in &cov.declarations {
            let o = &cov.offers.offers[x.offer as usize];
            if cov.offers.names.name(o.operator) == gen::FIBRANET {
                fib += 1;
                let i = index[x.unit_id.as_str()];
                assert!(!fibranet
                    .iter()
                    .any(|p| p.contains(s.units.lon[i], s.units.lat[i])));
            }
        }
        assert!(fib > 50);
    }

    #[test]
    fn written_files_have_the_documented_columns_and_agree_with_memory() {
        let s = synth(3_000, 1);
        let dir = tempfile::tempdir().unwrap();
        let sum = write(&s, dir.path()).unwrap();
        assert_eq!(sum.units, 3_000);
        assert_eq!(
            sum.footprints_by_layer.iter().map(|x| x.2).sum::<usize>(),
            sum.footprints
        );
        let units = std::fs::read_to_string(dir.path().join("units.csv")).unwrap();
        let mut lines = units.lines();
        assert_eq!(lines.next(), Some("id,lon,lat,units,comune,address"));
        let first: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(first[0], "U0000001");
        assert_eq!(first[1].split('.').nth(1).unwrap().len(), 7);
        assert_eq!(first[1].parse::<f64>().unwrap(), s.units.lon[0]);
        assert_eq!(units.lines().count(), 3_001);
        let decl = std::fs::read_to_string(dir.path().join("declarations.csv")).unwrap();
        assert_eq!(
            decl.lines().next(),
            Some("unit_id,operator,infrastructure,technology,down_mbps,up_mbps,peak_down_mbps,peak_up_mbps,status,year,licensed")
        );
        assert_eq!(decl.lines().count(), sum.declarations + 1);
        let gj: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("coverage.geojson")).unwrap(),
        )
        .unwrap();
        let feats = gj["features"].as_array().unwrap();
        assert_eq!(feats.len(), s.coverage.footprints.len());
        let keys: Vec<&String> = feats[0]["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 10);
        assert!(feats
            .iter()
            .any(|f| f["properties"]["peak_down_mbps"].is_null()));
        assert!(feats.iter().any(|f| f["properties"]["licensed"] == false));
        // The FlatGeobuf file reads back through GDAL with the same features.
        use gdal::vector::LayerAccess;
        let ds = gdal::Dataset::open(dir.path().join("coverage.fgb")).unwrap();
        let mut layer = ds.layer(0).unwrap();
        assert_eq!(layer.feature_count() as usize, feats.len());
        let srs = layer.spatial_ref().unwrap();
        assert_eq!(srs.auth_code().unwrap(), 4326);
        let mut unlicensed = 0;
        let mut resold = 0;
        for f in layer.features() {
            let op = f
                .field_as_string(f.field_index("operator").unwrap())
                .unwrap();
            let inf = f
                .field_as_string(f.field_index("infrastructure").unwrap())
                .unwrap();
            resold += (op != inf) as usize;
            let lic = f
                .field_as_integer(f.field_index("licensed").unwrap())
                .unwrap();
            unlicensed += (lic == Some(0)) as usize;
        }
        assert!(resold > 0 && unlicensed > 0);
        let comuni = std::fs::read(dir.path().join("comuni.geojson")).unwrap();
        assert_eq!(comuni, COMUNI_GEOJSON);
    }

    #[test]
    fn zero_units_is_an_error() {
        let e = generate(&SynthOptions { units: 0, seed: 1 }).unwrap_err();
        assert!(e.to_string().contains("--units"));
    }
}
