//! `bianca match`: a list of addresses (comune, street, civico) matched to a registry's
//! units; every input row comes out with the unit, its point, the method and a score.

use super::output::{check_dir, pct, thousands, Staged};
use crate::progress;
use anyhow::{bail, Context, Result};
use bianca_engine::address::{Match, Matcher, Method};
use bianca_engine::io::read::address_cols::{QueryCols, QueryFields};
use bianca_engine::io::read::records::{self, Columns, Record};
use bianca_engine::io::read::{self, ReadOptions};
use bianca_engine::io::write::Format;
use bianca_engine::table::{Column, ColumnType, Table, Value};
use bianca_engine::units::{StrColumn, Units};
use bianca_engine::{Location, OnError};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct MatchArgs {
    /// The registry, read like `classify --units`: id, lon/lat (or x/y with --units-crs, or
    /// a point geometry), comune (ISTAT code), and `address` or its parts (street_type,
    /// street_name, number, suffix; or dug, denominazione, civico, esponente).
    #[arg(long, value_name = "FILE")]
    pub registry: PathBuf,
    /// CRS of the registry's coordinates when the file does not say (CSV x/y), e.g. EPSG:3003.
    #[arg(long, value_name = "EPSG:N")]
    pub units_crs: Option<String>,
    /// The addresses to match: CSV (comma or semicolon), GeoParquet, or any GDAL table.
    #[arg(long, value_name = "FILE")]
    pub addresses: PathBuf,
    /// Every input row with unit_id, lon, lat, method, score, matched_address, note:
    /// .csv, .parquet, .gpkg, .geojson (the spatial formats get the point as geometry).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The comune column (ISTAT code or name). Default: com_istat_code, pro_com_t,
    /// istat_comune, codice_istat, comune or municipality, the first present.
    #[arg(long, value_name = "F")]
    pub comune_field: Option<String>,
    /// The street column (or the whole address, civico included). Default: address or
    /// indirizzo, else street_name, street, denominazione, toponimo or strada (with
    /// street_type / dug when present).
    #[arg(long, value_name = "F")]
    pub street_field: Option<String>,
    /// The civico column. Default: number, house_number, civico or numero when present
    /// (with suffix / esponente / barrato); without one the civico is read from the end of
    /// the street.
    #[arg(long, value_name = "F")]
    pub number_field: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The columns `bianca match` adds to every row.
const ADDED: [(&str, ColumnType); 7] = [
    ("unit_id", ColumnType::Str),
    ("lon", ColumnType::Float),
    ("lat", ColumnType::Float),
    ("method", ColumnType::Str),
    ("score", ColumnType::Float),
    ("matched_address", ColumnType::Str),
    ("note", ColumnType::Str),
];

pub fn run(a: &MatchArgs) -> Result<()> {
    let t0 = Instant::now();
    let format = Format::from_path(&a.out)?;
    check_dir(&a.out)?;

    let sp = progress::spinner("reading the registry and the addresses");
    let opts = ReadOptions {
        crs: a.units_crs.clone(),
        on_error: OnError::Fail,
    };
    let fields = QueryFields {
        comune: a.comune_field.clone(),
        street: a.street_field.clone(),
        number: a.number_field.clone(),
    };
    let (registry, input) = rayon::join(
        || -> Result<(Units, Matcher)> {
            let (units, _) = read::read_units(&a.registry, &opts)
                .with_context(|| format!("reading the registry {}", a.registry.display()))?;
            let matcher = Matcher::new(&units);
            Ok((units, matcher))
        },
        || {
            read_addresses(&a.addresses, &fields)
                .with_context(|| format!("reading addresses from {}", a.addresses.display()))
        },
    );
    let (units, matcher) = registry?;
    let input = input?;
    sp.finish_and_clear();
    if units.address.is_none() {
        bail!(
            "{}: the registry has no address: give it an `address` column, or street_type, \
             street_name, number and suffix columns",
            a.registry.display()
        );
    }
    if matcher.stats.indexed == 0 {
        bail!(
            "{}: no unit of the registry has both a comune and an address ({} without a \
             comune, {} without an address)",
            a.registry.display(),
            thousands(matcher.stats.no_comune as u64),
            thousands(matcher.stats.no_address as u64)
        );
    }
    let t_read = t0.elapsed();

    let n = input.len();
    let pb = progress::bar_of(n as u64, "matching", "addresses");
    let q = &input.query;
    let ranges: Vec<(usize, usize)> = (0..n)
        .step_by(4096)
        .map(|s| (s, (s + 4096).min(n)))
        .collect();
    let matches: Vec<Match> = ranges
        .par_iter()
        .flat_map_iter(|&(s, e)| {
            let out: Vec<Match> = (s..e)
                .map(|r| {
                    let get = |c: usize| Some(input.values[c].get(r));
                    let comune = get(q.comune).unwrap_or("");
                    let street = q.street(&get);
                    let civico = q.civico(&get);
                    matcher.find(comune, &street, civico.as_deref())
                })
                .collect();
            pb.inc((e - s) as u64);
            out
        })
        .collect();
    pb.finish_and_clear();
    let t_match = t0.elapsed();

    let sp = progress::spinner(&format!("writing {}", a.out.display()));
    let table = MatchTable::new(&input, &matches, &units, format.is_spatial());
    let mut staged = Staged::default();
    staged.write(&a.out, &table)?;
    staged.commit()?;
    sp.finish_and_clear();
    let t_write = t0.elapsed();

    if !a.quiet {
        let s = &matcher.stats;
        eprintln!(
            "bianca match: {} addresses from {} against {} registry units ({} comuni, {} streets)",
            thousands(n as u64),
            a.addresses.display(),
            thousands(s.indexed as u64),
            thousands(s.comuni as u64),
            thousands(s.streets as u64)
        );
        let mut counts = [0u64; 7];
        for m in &matches {
            counts[m.method as usize] += 1;
        }
        for (m, c) in Method::ALL.iter().zip(counts) {
            eprintln!(
                "  {:<16} {:>12} {:>6.1}%",
                m.as_str(),
                thousands(c),
                pct(c, n as u64)
            );
        }
        if s.no_comune + s.no_address > 0 {
            eprintln!(
                "  warning: {} registry units cannot be matched ({} without a comune, {} without an address)",
                thousands((s.no_comune + s.no_address) as u64),
                thousands(s.no_comune as u64),
                thousands(s.no_address as u64)
            );
        }
        let secs = (t_match - t_read).as_secs_f64();
        eprintln!(
            "  time: read and index {:.2}s, match {:.2}s ({:.0} addresses/s), write {:.2}s, total {:.2}s",
            t_read.as_secs_f64(),
            secs,
            n as f64 / secs.max(1e-9),
            (t_write - t_match).as_secs_f64(),
            t_write.as_secs_f64()
        );
    }
    Ok(())
}

/// The list of addresses as read: every column as text, and where the address is.
struct Addresses {
    names: Vec<String>,
    values: Vec<StrColumn>,
    query: QueryCols,
}

impl Addresses {
    fn len(&self) -> usize {
        self.values.first().map_or(0, StrColumn::len)
    }
}

/// Reads every row of the list (a malformed row stops with its file, row and field), and
/// finds its address columns.
fn read_addresses(path: &std::path::Path, fields: &QueryFields) -> Result<Addresses> {
    let mut names = Vec::new();
    let mut values: Vec<StrColumn> = Vec::new();
    let mut query = None;
    records::visit(
        path,
        &ReadOptions::default(),
        false,
        &mut |cols: &Columns| {
            names = cols.names.clone();
            let taken: Vec<&str> = ADDED
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| cols.index(n).is_some())
                .collect();
            if !taken.is_empty() {
                return Err(bianca_engine::Error::Format {
                    path: path.to_path_buf(),
                    message: format!(
                        "the file already has column(s) {} that `bianca match` adds: rename them",
                        taken.join(", ")
                    ),
                });
            }
            if names.is_empty() {
                return Err(bianca_engine::Error::Empty(path.to_path_buf()));
            }
            query = Some(QueryCols::find(&|k| cols.index(k), fields, &|c| {
                cols.missing(path, c)
            })?);
            Ok(())
        },
        &mut |cols: &Columns, rec: Record| {
            if let Some(p) = &rec.problem {
                return Err(bianca_engine::Error::input(
                    Location::file(path).row(rec.row),
                    p.clone(),
                ));
            }
            if values.is_empty() {
                values = vec![StrColumn::new(); cols.names.len()];
            }
            for (col, v) in values.iter_mut().zip(&rec.values) {
                col.push(v.as_deref().unwrap_or(""));
            }
            Ok(())
        },
    )?;
    let query = query.context("the file has no header")?;
    if values.is_empty() {
        values = vec![StrColumn::new(); names.len()];
    }
    Ok(Addresses {
        names,
        values,
        query,
    })
}

/// The output: the input's columns, then [`ADDED`].
struct MatchTable<'a> {
    columns: Vec<Column>,
    input: &'a Addresses,
    matches: &'a [Match],
    units: &'a Units,
    spatial: bool,
}

impl<'a> MatchTable<'a> {
    fn new(input: &'a Addresses, matches: &'a [Match], units: &'a Units, spatial: bool) -> Self {
        let mut columns: Vec<Column> = input
            .names
            .iter()
            .map(|n| Column::new(n.clone(), ColumnType::Str))
            .collect();
        columns.extend(ADDED.iter().map(|&(n, t)| Column::new(n, t)));
        MatchTable {
            columns,
            input,
            matches,
            units,
            spatial,
        }
    }
}

impl Table for MatchTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.matches.len()
    }

    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let n_in = self.input.names.len();
        if col < n_in {
            return Value::Str(self.input.values[col].get(row));
        }
        let m = &self.matches[row];
        let u = &self.units;
        match col - n_in {
            0 => m
                .unit
                .map_or(Value::Null, |i| Value::Str(u.ids.get(i as usize))),
            1 => m
                .place
                .map_or(Value::Null, |i| Value::Float(u.lon[i as usize])),
            2 => m
                .place
                .map_or(Value::Null, |i| Value::Float(u.lat[i as usize])),
            3 => Value::Str(m.method.as_str()),
            4 => Value::Float((f64::from(m.score) * 1000.0).round() / 1000.0),
            5 => match (m.unit, u.address.as_ref(), &m.street) {
                (Some(i), Some(a), _) => Value::Str(a.get(i as usize)),
                (None, _, Some(s)) => Value::Str(s),
                _ => Value::Null,
            },
            _ if m.note.is_empty() => Value::Null,
            _ => Value::Str(&m.note),
        }
    }

    fn point(&self, row: usize) -> Option<(f64, f64)> {
        let i = self.matches[row].place? as usize;
        Some((self.units.lon[i], self.units.lat[i]))
    }

    fn has_geometry(&self) -> bool {
        self.spatial
    }
}
