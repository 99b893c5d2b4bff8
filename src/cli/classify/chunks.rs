//! `bianca classify` on a registry larger than memory: read and classified a chunk at a
//! time against one index of the coverage.

use super::summary::{print_summary, Report, Totals};
use super::*;
/// Bytes of memory per unit of a registry read in one go (the registry and its per-unit
/// results): about 125 measured, rounded up. A run with statistics alone keeps no per-unit
/// results (about 18 bytes a unit fewer, see `classify_counts`); the estimate stays on the
/// safe side for it.
pub(super) const BYTES_PER_UNIT: u64 = 150;

/// Parses a memory size: bytes, or a number with K, M, G or T (powers of 1024; a trailing
/// B or iB is allowed), e.g. `8G`, `512MiB`, `1.5g`.
pub(super) fn parse_size(text: &str) -> Result<u64> {
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
pub(super) fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// What keeps a run from being read in chunks, if anything.
pub(super) fn chunk_blocker(a: &ClassifyArgs) -> Option<String> {
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
    let (_, rasters) = crate::cli::coverage::split(&a.coverage);
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
pub(super) fn chunking(a: &ClassifyArgs) -> Result<Option<usize>> {
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
pub(super) struct Chunked<'a> {
    pub(super) on_error: OnError,
    pub(super) rule_sets: &'a [rules::RuleSet],
    pub(super) reference_year: i32,
    pub(super) rejects_path: Option<&'a Path>,
    pub(super) grid: GridOptions,
    pub(super) chunk: usize,
    pub(super) t0: Instant,
}

/// `classify` on a registry read `c.chunk` units at a time: the coverage is read and
/// indexed once; each chunk is read, placed in --areas, classified, added to the statistics
/// and appended to --out, then dropped. Outputs and summary are those of a run in one go.
pub(super) fn run_chunked(a: &ClassifyArgs, c: &Chunked) -> Result<()> {
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
    let (vectors, _) = crate::cli::coverage::split(&a.coverage);
    // the first chunk is read while the footprints are read and indexed, as a registry
    // read in one go is
    let (batches, coverage_read) = rayon::join(
        || {
            let mut b = read::units_batches(units_path, &units_opts, c.chunk)
                .with_context(|| format!("reading units from {}", units_path.display()))?;
            let first = b.next();
            anyhow::Ok((b, first))
        },
        || crate::cli::coverage::read_vectors(&vectors, &a.declarations, &cov_opts, c.grid),
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
        mobile_ops: a.mobile_stats,
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
        // per-unit results only for --out: statistics alone are counted as the units are
        // classified
        let results = match a.out {
            Some(_) => Results::PerUnit(classify(
                &units,
                &coverage,
                &index,
                c.rule_sets,
                &opts,
                &|n| pb.inc(n),
            )),
            None => Results::Counted(classify_counts(
                &units,
                &coverage,
                &index,
                c.rule_sets,
                &opts,
                a.mobile_stats,
                &|n| pb.inc(n),
            )),
        };
        t_classify += tc.elapsed().as_secs_f64();
        if !declared.is_empty() {
            for id in units.ids.iter() {
                if let Some(d) = declared.get(id) {
                    matched.insert(*d);
                }
            }
        }
        match &results {
            Results::PerUnit(cls) => sb.add(&units, cls),
            Results::Counted(counted) => sb.add_counts(&units.comune_codes, &counted.counts),
        }
        .map_err(anyhow::Error::msg)?;
        totals.add(&units, &results.facts(), &mut seen_codes);
        if let (Some(w), Some(p), Results::PerUnit(cls)) = (out.as_mut(), &a.out, &results) {
            w.append(&UnitTable::new(&units, cls))
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
    write_stats(a, &mut staged, &st)?;
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
