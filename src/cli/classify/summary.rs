//! The summary `bianca classify` prints at the end of a run, and the run-wide counts it
//! rests on (from one classification, or added up over chunks).

use super::*;
/// Run-wide counts for the summary, from one classification or added up over chunks.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) addresses: u64,
    pub(super) pairs: u64,
    pub(super) declared_pairs: u64,
    pub(super) raster_unknown: u64,
    pub(super) unmatched_declarations: usize,
    pub(super) outside_coverage: u64,
    /// Comune codes of the registry, in order of first appearance.
    pub(super) codes: Vec<String>,
    pub(super) without_comune: u64,
}

impl Totals {
    pub(super) fn of(units: &Units, facts: &RunFacts) -> Self {
        let mut t = Totals::default();
        t.add(units, facts, &mut HashSet::new());
        t.unmatched_declarations = facts.unmatched_declarations;
        t
    }

    /// Adds one chunk; `seen` holds the codes already in `codes`. Unmatched declarations are
    /// counted by the caller (a declaration is unmatched only if no chunk has its unit).
    pub(super) fn add(&mut self, units: &Units, facts: &RunFacts, seen: &mut HashSet<String>) {
        self.addresses += units.len() as u64;
        self.pairs += facts.pairs;
        self.declared_pairs += facts.declared_pairs;
        self.raster_unknown += facts.raster_unknown;
        self.outside_coverage += facts.outside_coverage;
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
pub(super) struct Report<'a> {
    pub(super) st: &'a stats::Stats,
    pub(super) coverage: &'a Coverage,
    pub(super) totals: &'a Totals,
    pub(super) reference_year: i32,
    pub(super) by_address: Option<&'a Placed>,
    pub(super) rejects_path: Option<&'a Path>,
    pub(super) rejects: usize,
    pub(super) area_info: &'a HashMap<String, AreaInfo>,
    pub(super) unplaced: usize,
    pub(super) snapshot: Option<(&'a SnapshotInfo, &'a StoreRun)>,
    pub(super) t_read: f64,
    pub(super) t_classify: f64,
    pub(super) t_write: f64,
    pub(super) t_total: f64,
    /// Chunked runs: the number of chunks and their size.
    pub(super) chunks: Option<(usize, usize)>,
}

/// Prints the summary of a run on stderr.
pub(super) fn print_summary(a: &ClassifyArgs, r: &Report) {
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
    for line in crate::cli::coverage::describe_rasters(coverage) {
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
