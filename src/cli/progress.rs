//! `bianca progress upload|report|series|uploads`: deployment progress from Infratel and
//! the operators, validated and stored whole, and reported as of any date.

use super::classify::OnErrorArg;
use super::output::thousands;
use anyhow::{bail, Context, Result};
use bianca_api::store::{Store, UploadOutcome, UploadReport, UploadRequest};
use bianca_engine::progress::report::{self, Filter, Line, WhiteUnits};
use bianca_engine::progress::{Format, Plan};
use bianca_engine::stats::Level;
use bianca_engine::OnError;
use chrono::NaiveDate;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum ProgressCommand {
    /// Validate a progress file and store it whole (or reject it whole, with every problem
    /// by row and field). The same content uploaded again is a no-op.
    Upload(UploadArgs),
    /// Units and work by status as of a date, per area, plan and technology, with
    /// completion, late work, and the white units the work reaches.
    Report(ReportArgs),
    /// The monthly time series of done and sellable units in one area.
    Series(SeriesArgs),
    /// The accepted uploads, oldest first: who uploaded what, when (the audit trail).
    Uploads(UploadsArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Bul,
    Civico,
    Sites,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelArg {
    Comune,
    Province,
    Region,
    Total,
}

impl LevelArg {
    fn level(self) -> Level {
        match self {
            LevelArg::Comune => Level::Comune,
            LevelArg::Province => Level::Province,
            LevelArg::Region => Level::Region,
            LevelArg::Total => Level::Total,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputArg {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct UploadArgs {
    /// The CSV file: BUL open data per comune, per-address progress (civico) or mobile sites.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The file's format (default: detected from its header).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// `fail`: any problem rejects the whole file; `skip`: store the good rows and report
    /// the others.
    #[arg(long, value_enum, default_value = "fail")]
    pub on_error: OnErrorArg,
    /// The date the file reports (BUL files carry none), YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// Write the full JSON report (problems, warnings, resolved codes) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print the JSON report on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The state on this date, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "comune")]
    pub level: LevelArg,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Join with this snapshot's classification (default: the latest snapshot, if any).
    #[arg(long, value_name = "NAME")]
    pub snapshot: Option<String>,
    /// The rule set of the join (default: the snapshot's first).
    #[arg(long, value_name = "NAME")]
    pub rule: Option<String>,
    /// No join with a classification.
    #[arg(long, conflicts_with_all = ["snapshot", "rule"])]
    pub no_classification: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputArg,
}

#[derive(clap::Args, Debug)]
pub struct FilterArgs {
    /// Only this plan (BUL, PI1G, PI5G, PRIVATE, REGIONAL).
    #[arg(long, value_parser = parse_plan)]
    pub plan: Option<Plan>,
    /// Only this technology (FTTH, FWA, 5G, ..., PCN).
    #[arg(long)]
    pub technology: Option<String>,
    /// Only this operator's work.
    #[arg(long)]
    pub operator: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        Filter {
            plan: self.plan,
            technology: self.technology.clone(),
            operator: self.operator.clone(),
            kind: None,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct SeriesArgs {
    #[arg(long, value_enum, default_value = "total")]
    pub level: LevelArg,
    /// The area's ISTAT code (comune 6 digits, province 3, region 2).
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// The first month (default: the first reported date).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// The last date (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputArg,
}

#[derive(clap::Args, Debug)]
pub struct UploadsArgs {
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputArg,
}

fn parse_date(s: &str) -> std::result::Result<NaiveDate, String> {
    bianca_engine::progress::parse::parse_date(s)
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

fn parse_plan(s: &str) -> std::result::Result<Plan, String> {
    Plan::parse(s)
        .ok_or_else(|| format!("unknown plan {s:?}: BUL, PI1G, PI5G, PRIVATE or REGIONAL"))
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub fn run(c: &ProgressCommand, database_url: Option<&str>) -> Result<()> {
    match c {
        ProgressCommand::Upload(a) => upload(a, database_url),
        ProgressCommand::Report(a) => run_report(a, database_url),
        ProgressCommand::Series(a) => run_series(a, database_url),
        ProgressCommand::Uploads(a) => uploads(a, database_url),
    }
}

fn upload(a: &UploadArgs, database_url: Option<&str>) -> Result<()> {
    let file = a.file.display().to_string();
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {file}"))?;
    let mut store = super::store::open(database_url)?;
    let by = format!("cli:{}", super::store::current_user());
    let req = UploadRequest {
        format: a.format.map(|f| match f {
            FormatArg::Bul => Format::Bul,
            FormatArg::Civico => Format::Civico,
            FormatArg::Sites => Format::Sites,
        }),
        on_error: match a.on_error {
            OnErrorArg::Fail => OnError::Fail,
            OnErrorArg::Skip => OnError::Skip,
        },
        reported_on: a.date.unwrap_or_else(today),
        source_file: &file,
        uploaded_by: &by,
        operator: None,
    };
    let sp = crate::progress::spinner(&format!("validating and storing {file}"));
    let outcome = store
        .upload_progress(&bytes, &req)
        .with_context(|| format!("storing {file} in {}", store.url()));
    sp.finish_and_clear();
    let report = match &outcome? {
        UploadOutcome::Duplicate { upload } => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"duplicate": true, "upload": upload})
                );
            } else {
                eprintln!(
                    "{file}: the same content is upload {} ({} by {}): nothing to do",
                    upload.id,
                    upload.uploaded_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    upload.uploaded_by
                );
            }
            return Ok(());
        }
        UploadOutcome::Accepted { upload, report } => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"upload": upload, "report": report})
                );
            } else {
                println!(
                    "{file}: stored as upload {} ({} file): {} rows, {} items{}",
                    upload.id,
                    upload.format,
                    thousands(report.stored_rows),
                    thousands(report.stored_items),
                    if report.skipped_rows > 0 {
                        format!(", {} rows skipped", thousands(report.skipped_rows))
                    } else {
                        String::new()
                    }
                );
                summarise(report);
            }
            report.clone()
        }
        UploadOutcome::Rejected { report } => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"rejected": true, "report": report})
                );
            } else {
                summarise(report);
            }
            if let Some(path) = &a.report {
                write_report(path, report)?;
            }
            bail!(
                "{file}: rejected, nothing stored: {} problem(s){}",
                report.problems.len(),
                if a.on_error == OnErrorArg::Fail && report.problems.iter().any(|p| p.row > 1) {
                    " (--on-error skip stores the other rows)"
                } else {
                    ""
                }
            );
        }
    };
    if let Some(path) = &a.report {
        write_report(path, &report)?;
    }
    Ok(())
}

fn write_report(path: &std::path::Path, report: &UploadReport) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Resolved codes, warnings and problems on stderr (at most 20 of each).
fn summarise(r: &UploadReport) {
    const SHOW: usize = 20;
    if !r.resolutions.is_empty() {
        eprintln!("{} old comune code(s) resolved:", r.resolutions.len());
        for x in &r.resolutions {
            eprintln!(
                "  row {}: {} {:?} -> {} {} ({})",
                x.row,
                x.code_in_file,
                x.name_in_file,
                x.code,
                x.name,
                x.method.as_str()
            );
        }
    }
    if !r.unresolved.is_empty() {
        eprintln!("unresolved comune codes: {}", r.unresolved.join(", "));
    }
    for (what, list) in [("warning", &r.warnings), ("problem", &r.problems)] {
        if list.is_empty() {
            continue;
        }
        eprintln!("{} {what}(s):", list.len());
        for p in list.iter().take(SHOW) {
            eprintln!("  {p}");
        }
        if list.len() > SHOW {
            eprintln!(
                "  ... and {} more (--report FILE has them all)",
                list.len() - SHOW
            );
        }
    }
}

/// The white units of `snapshot` (or the latest) under `rule` (or its first), if any.
fn white_units(
    store: &mut Store,
    snapshot: Option<&str>,
    rule: Option<&str>,
) -> Result<Option<(String, String, WhiteUnits)>> {
    let name = match snapshot {
        Some(s) => s.to_string(),
        None => match store.snapshots()?.into_iter().max_by_key(|s| s.id) {
            Some(s) => s.name,
            None => return Ok(None),
        },
    };
    let snap = store
        .load_snapshot(&name)
        .with_context(|| format!("loading snapshot {name}"))?;
    let results = match rule {
        Some(r) => snap
            .classification
            .rules
            .iter()
            .find(|x| x.name == r)
            .with_context(|| format!("snapshot {name} has no rule set {r:?}"))?,
        None => snap
            .classification
            .rules
            .first()
            .with_context(|| format!("snapshot {name} has no rule set"))?,
    };
    let w = WhiteUnits::from_classification(&snap.units.units, results);
    Ok(Some((name, results.name.clone(), w)))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn run_report(a: &ReportArgs, database_url: Option<&str>) -> Result<()> {
    let mut store = super::store::open_existing(database_url)?;
    let history = store.progress_history()?;
    if history.is_empty() {
        bail!(
            "no progress in {}: `bianca progress upload FILE` first",
            store.url()
        );
    }
    let white = if a.no_classification {
        None
    } else {
        white_units(&mut store, a.snapshot.as_deref(), a.rule.as_deref())?
    };
    let as_of = a.as_of.unwrap_or_else(today);
    let lines = report::report(
        &history,
        as_of,
        a.level.level(),
        &a.filter.filter(),
        white.as_ref().map(|w| &w.2),
    );
    match a.format {
        OutputArg::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "as_of": as_of,
                "snapshot": white.as_ref().map(|w| &w.0),
                "rule": white.as_ref().map(|w| &w.1),
                "lines": lines,
            }))?
        ),
        OutputArg::Csv => print_csv(&lines)?,
        OutputArg::Table => {
            if let Some((s, r, _)) = &white {
                eprintln!("as of {as_of}; white units from snapshot {s}, rule set {r}");
            } else {
                eprintln!("as of {as_of}");
            }
            quiet_pipe(print_table(&lines))?;
        }
    }
    Ok(())
}

/// A closed pipe (`| head`) ends the output quietly.
fn quiet_pipe(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn print_csv(lines: &[Line]) -> Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    let statuses: Vec<&str> = bianca_engine::progress::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let mut header = vec![
        "level",
        "code",
        "name",
        "plan",
        "technology",
        "items",
        "units",
    ];
    let status_cols: Vec<String> = statuses.iter().map(|s| format!("units_{s}")).collect();
    header.extend(status_cols.iter().map(String::as_str));
    header.extend([
        "done_units",
        "sellable_units",
        "completion_units",
        "done_items",
        "completion_items",
        "late_items",
        "late_units",
        "white_pending",
        "white_in_works",
        "white_done",
    ]);
    w.write_record(&header)?;
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.4}"));
    for l in lines {
        let mut rec = vec![
            l.level.to_string(),
            l.code.clone(),
            l.name.clone(),
            l.plan.to_string(),
            l.technology.clone(),
            l.items.to_string(),
            l.units.to_string(),
        ];
        rec.extend(statuses.iter().map(|s| l.units_by_status[s].to_string()));
        rec.extend([
            l.done_units.to_string(),
            l.sellable_units.to_string(),
            opt(l.completion_units),
            l.done_items.to_string(),
            opt(l.completion_items),
            l.late_items.to_string(),
            l.late_units.to_string(),
        ]);
        match l.white {
            Some(wp) => rec.extend([
                wp.pending.to_string(),
                wp.in_works.to_string(),
                wp.done.to_string(),
            ]),
            None => rec.extend([String::new(), String::new(), String::new()]),
        }
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

fn print_table(lines: &[Line]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<8} {:<26} {:<8} {:<5} {:>7} {:>9} {:>9} {:>9} {:>7} {:>6} {:>9}  {:>23}",
        "code",
        "area",
        "plan",
        "tech",
        "items",
        "units",
        "done",
        "sellable",
        "done%",
        "late",
        "late UI",
        "white: pending/works/done"
    )?;
    for l in lines {
        let name: String = l.name.chars().take(26).collect();
        let white = l.white.map_or("-".to_string(), |w| {
            format!(
                "{}/{}/{}",
                thousands(w.pending as u64),
                thousands(w.in_works as u64),
                thousands(w.done as u64)
            )
        });
        writeln!(
            out,
            "{:<8} {:<26} {:<8} {:<5} {:>7} {:>9} {:>9} {:>9} {:>7} {:>6} {:>9}  {:>23}",
            l.code,
            name,
            l.plan.as_str(),
            l.technology,
            thousands(l.items),
            thousands(l.units as u64),
            thousands(l.done_units as u64),
            thousands(l.sellable_units as u64),
            pct(if l.units > 0 {
                l.completion_units
            } else {
                l.completion_items
            }),
            thousands(l.late_items),
            thousands(l.late_units as u64),
            white
        )?;
    }
    Ok(())
}

fn run_series(a: &SeriesArgs, database_url: Option<&str>) -> Result<()> {
    let level = a.level.level();
    let code = match (level, &a.code) {
        (Level::Total, _) => "total".to_string(),
        (_, Some(c)) => c.clone(),
        (_, None) => bail!("--code CODE is needed with --level {}", level.as_str()),
    };
    let mut store = super::store::open_existing(database_url)?;
    let history = store.progress_history()?;
    let points = report::series(
        &history,
        level,
        &code,
        &a.filter.filter(),
        a.from,
        a.to.unwrap_or_else(today),
    );
    match a.format {
        OutputArg::Json => println!("{}", serde_json::to_string_pretty(&points)?),
        OutputArg::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record([
                "date",
                "items",
                "units",
                "done_items",
                "done_units",
                "sellable_units",
            ])?;
            for p in &points {
                w.write_record([
                    p.date.to_string(),
                    p.items.to_string(),
                    p.units.to_string(),
                    p.done_items.to_string(),
                    p.done_units.to_string(),
                    p.sellable_units.to_string(),
                ])?;
            }
            w.flush()?;
        }
        OutputArg::Table => {
            println!(
                "{:<10} {:>9} {:>10} {:>10} {:>10}",
                "date", "items", "units", "done", "sellable"
            );
            for p in &points {
                println!(
                    "{:<10} {:>9} {:>10} {:>10} {:>10}",
                    p.date,
                    thousands(p.items),
                    thousands(p.units as u64),
                    thousands(p.done_units as u64),
                    thousands(p.sellable_units as u64)
                );
            }
        }
    }
    Ok(())
}

fn uploads(a: &UploadsArgs, database_url: Option<&str>) -> Result<()> {
    let mut store = super::store::open_existing(database_url)?;
    let list = store.progress_uploads(None)?;
    match a.format {
        OutputArg::Json => println!("{}", serde_json::to_string_pretty(&list)?),
        OutputArg::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record([
                "id",
                "format",
                "source_file",
                "reported_on",
                "rows",
                "items",
                "skipped",
                "uploaded_at",
                "uploaded_by",
                "operator",
                "checksum",
            ])?;
            for u in &list {
                w.write_record([
                    u.id.to_string(),
                    u.format.to_string(),
                    u.source_file.clone(),
                    u.reported_on.to_string(),
                    u.rows.to_string(),
                    u.items.to_string(),
                    u.skipped.to_string(),
                    u.uploaded_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    u.uploaded_by.clone(),
                    u.operator.clone().unwrap_or_default(),
                    u.checksum.clone(),
                ])?;
            }
            w.flush()?;
        }
        OutputArg::Table => {
            if list.is_empty() {
                eprintln!("no progress uploads in {}", store.url());
            }
            for u in &list {
                println!(
                    "{:>4}  {:<6}  {}  reports {}  {} rows, {} items{}  by {}{}  {}",
                    u.id,
                    u.format.as_str(),
                    u.uploaded_at.format("%Y-%m-%d %H:%M"),
                    u.reported_on,
                    thousands(u.rows as u64),
                    thousands(u.items as u64),
                    if u.skipped > 0 {
                        format!(" ({} skipped)", u.skipped)
                    } else {
                        String::new()
                    },
                    u.uploaded_by,
                    u.operator
                        .as_deref()
                        .map(|o| format!(" for {o}"))
                        .unwrap_or_default(),
                    u.source_file
                );
            }
        }
    }
    Ok(())
}
