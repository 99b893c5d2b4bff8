//! Datasets: one import each of a registry, a coverage file or a declarations file.

use super::bulk::{self, NewDeclaration, NewFootprint, NewUnit};
use super::error::Hint;
use super::error::QueryContext;
use super::schema::datasets;
use super::{geometry, now, with_conn, Result, Store, StoreError};
use bianca_engine::model::{Declaration, Footprint, Offer, Offers};
use bianca_engine::units::Units;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// What a dataset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    Units,
    Coverage,
    Declarations,
}

impl DatasetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Units => "units",
            DatasetKind::Coverage => "coverage",
            DatasetKind::Declarations => "declarations",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "units" => Some(DatasetKind::Units),
            "coverage" => Some(DatasetKind::Coverage),
            "declarations" => Some(DatasetKind::Declarations),
            _ => None,
        }
    }
}

/// A stored dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetInfo {
    pub id: i64,
    pub kind: DatasetKind,
    pub name: String,
    pub source_file: String,
    pub checksum: String,
    pub crs: String,
    pub rows: i64,
    pub rejected: i64,
    pub imported_at: chrono::NaiveDateTime,
    pub imported_by: String,
    pub public: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = datasets)]
struct DatasetRow {
    id: i64,
    kind: String,
    name: String,
    source_file: String,
    checksum: String,
    crs: String,
    row_count: i64,
    rejected: i64,
    imported_at: chrono::NaiveDateTime,
    imported_by: String,
    public: bool,
}

impl TryFrom<DatasetRow> for DatasetInfo {
    type Error = StoreError;
    fn try_from(r: DatasetRow) -> Result<Self> {
        let kind = DatasetKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt {
            table: "datasets",
            row: r.id,
            message: format!("unknown kind {:?}", r.kind),
        })?;
        Ok(DatasetInfo {
            id: r.id,
            kind,
            name: r.name,
            source_file: r.source_file,
            checksum: r.checksum,
            crs: r.crs,
            rows: r.row_count,
            rejected: r.rejected,
            imported_at: r.imported_at,
            imported_by: r.imported_by,
            public: r.public,
        })
    }
}

/// What the caller knows of a dataset about to be imported.
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// The name asked for with `--name`; `None` takes the file's stem (made unique with a
    /// `-2`, `-3`... suffix when taken).
    pub name: Option<String>,
    pub source_file: String,
    /// From [`checksum_file`].
    pub checksum: String,
    pub crs: String,
    pub rejected: u64,
    pub imported_by: String,
    pub public: bool,
}

/// The outcome of an import.
#[derive(Debug, Clone)]
pub enum Imported {
    /// Stored as a new dataset.
    New(DatasetInfo),
    /// The same file (by checksum) was imported before: nothing was stored.
    Already(DatasetInfo),
}

#[derive(Insertable)]
#[diesel(table_name = datasets)]
struct InsertDataset<'a> {
    kind: &'a str,
    name: &'a str,
    source_file: &'a str,
    checksum: &'a str,
    crs: &'a str,
    row_count: i64,
    rejected: i64,
    imported_at: chrono::NaiveDateTime,
    imported_by: &'a str,
    public: bool,
}

/// The sha256 of a file's bytes, in hex.
pub fn checksum_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// The sha256 of a text, in hex.
pub fn checksum_text(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl Store {
    /// Every dataset, oldest first.
    pub fn datasets(&mut self) -> Result<Vec<DatasetInfo>> {
        let rows: Vec<DatasetRow> = with_conn!(&mut self.conn, |c| datasets::table
            .select(DatasetRow::as_select())
            .order(datasets::id)
            .load(c))
        .doing(|| "listing datasets".into())?;
        rows.into_iter().map(DatasetInfo::try_from).collect()
    }

    /// The dataset named `name`.
    pub fn dataset(&mut self, name: &str) -> Result<DatasetInfo> {
        let all = self.datasets()?;
        let names: Vec<&str> = all.iter().map(|d| d.name.as_str()).collect();
        let hint = Hint(if names.is_empty() {
            "the store has no datasets: `bianca import` one".into()
        } else {
            format!("datasets: {}", names.join(", "))
        });
        all.iter()
            .find(|d| d.name == name)
            .cloned()
            .ok_or(StoreError::NotFound {
                kind: "dataset",
                name: name.into(),
                hint,
            })
    }

    /// The dataset of `kind` imported from a file with this checksum, if any.
    pub fn find_by_checksum(
        &mut self,
        kind: DatasetKind,
        checksum: &str,
    ) -> Result<Option<DatasetInfo>> {
        let row: Option<DatasetRow> = with_conn!(&mut self.conn, |c| datasets::table
            .filter(datasets::kind.eq(kind.as_str()))
            .filter(datasets::checksum.eq(checksum))
            .select(DatasetRow::as_select())
            .first(c)
            .optional())
        .doing(|| "looking up a dataset by checksum".into())?;
        row.map(DatasetInfo::try_from).transpose()
    }

    /// Stores a registry as a new dataset, in one transaction.
    pub fn import_units(
        &mut self,
        new: &NewDataset,
        units: &Units,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Imported> {
        self.import(new, DatasetKind::Units, units.len(), |conn, id| {
            let rows = (0..units.len()).map(|i| NewUnit {
                dataset_id: id,
                ord: i as i32,
                unit_id: units.ids.get(i),
                housing_units: units.units[i] as i32,
                comune: units.comune_code(i),
                address: units.address.as_ref().map(|a| a.get(i)),
                geom: geometry::point(units.lon[i], units.lat[i]),
            });
            bulk::insert_units(conn, rows, progress)
        })
    }

    /// Stores coverage footprints (with the offers they refer to) as a new dataset.
    pub fn import_footprints(
        &mut self,
        new: &NewDataset,
        offers: &Offers,
        footprints: &[Footprint],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Imported> {
        self.import(new, DatasetKind::Coverage, footprints.len(), |conn, id| {
            let rows = footprints.iter().enumerate().map(|(i, f)| {
                let o = &offers.offers[f.offer as usize];
                let a = OfferCols::of(o, offers);
                NewFootprint {
                    dataset_id: id,
                    ord: i as i32,
                    operator: a.operator,
                    infrastructure: a.infrastructure,
                    technology: a.technology,
                    down_mbps: f64::from(o.down_mbps),
                    up_mbps: f64::from(o.up_mbps),
                    peak_down_mbps: o.peak_down_mbps.map(f64::from),
                    peak_up_mbps: o.peak_up_mbps.map(f64::from),
                    status: o.status.as_str(),
                    year: o.year,
                    licensed: o.licensed,
                    geom: geometry::multipolygon(&f.geometry),
                }
            });
            bulk::insert_footprints(conn, rows, progress)
        })
    }

    /// Stores per-address declarations as a new dataset.
    pub fn import_declarations(
        &mut self,
        new: &NewDataset,
        offers: &Offers,
        declarations: &[Declaration],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Imported> {
        self.import(
            new,
            DatasetKind::Declarations,
            declarations.len(),
            |conn, id| {
                let rows = declarations.iter().enumerate().map(|(i, d)| {
                    let o = &offers.offers[d.offer as usize];
                    let a = OfferCols::of(o, offers);
                    NewDeclaration {
                        dataset_id: id,
                        ord: i as i32,
                        unit_id: &d.unit_id,
                        operator: a.operator,
                        infrastructure: a.infrastructure,
                        technology: a.technology,
                        down_mbps: f64::from(o.down_mbps),
                        up_mbps: f64::from(o.up_mbps),
                        peak_down_mbps: o.peak_down_mbps.map(f64::from),
                        peak_up_mbps: o.peak_up_mbps.map(f64::from),
                        status: o.status.as_str(),
                        year: o.year,
                        licensed: o.licensed,
                    }
                });
                bulk::insert_declarations(conn, rows, progress)
            },
        )
    }

    /// The common part of every import: dedup by checksum, a unique name, the dataset row
    /// and its rows in one transaction.
    fn import(
        &mut self,
        new: &NewDataset,
        kind: DatasetKind,
        rows: usize,
        write_rows: impl FnOnce(&mut super::Conn, i64) -> Result<()>,
    ) -> Result<Imported> {
        if i32::try_from(rows).is_err() {
            return Err(StoreError::Invalid(format!(
                "{}: {rows} rows is more than one dataset can hold (2^31); split the file",
                new.source_file
            )));
        }
        let id = self.transaction(|store| {
            if let Some(old) = store.find_by_checksum(kind, &new.checksum)? {
                return Ok(Err(old));
            }
            let name = store.unique_name(new)?;
            let row = InsertDataset {
                kind: kind.as_str(),
                name: &name,
                source_file: &new.source_file,
                checksum: &new.checksum,
                crs: &new.crs,
                row_count: rows as i64,
                rejected: new.rejected as i64,
                imported_at: now(),
                imported_by: &new.imported_by,
                public: new.public,
            };
            let id: i64 = with_conn!(&mut store.conn, |c| diesel::insert_into(datasets::table)
                .values(&row)
                .returning(datasets::id)
                .get_result(c))
            .doing(|| format!("storing dataset {name}"))?;
            write_rows(&mut store.conn, id)?;
            Ok(Ok(id))
        })?;
        match id {
            Ok(id) => {
                let all = self.datasets()?;
                let info = all.into_iter().find(|d| d.id == id).ok_or_else(|| {
                    StoreError::Invalid(format!("dataset {id} vanished after its import"))
                })?;
                Ok(Imported::New(info))
            }
            Err(old) => Ok(Imported::Already(old)),
        }
    }

    /// `--name` as given (refused when taken), or the file's stem made unique.
    fn unique_name(&mut self, new: &NewDataset) -> Result<String> {
        let taken: Vec<String> = self.datasets()?.into_iter().map(|d| d.name).collect();
        if let Some(n) = &new.name {
            if taken.contains(n) {
                return Err(StoreError::Exists {
                    kind: "dataset",
                    name: n.clone(),
                });
            }
            return Ok(n.clone());
        }
        let path = Path::new(&new.source_file);
        let mut stem = path.file_stem().map_or_else(
            || "dataset".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        // "units.csv.gz" -> "units"
        while let Some((head, ext)) = stem.rsplit_once('.') {
            if ext.len() > 4 || head.is_empty() {
                break;
            }
            stem = head.to_string();
        }
        if !taken.contains(&stem) {
            return Ok(stem);
        }
        Ok((2..)
            .map(|k| format!("{stem}-{k}"))
            .find(|n| !taken.contains(n))
            .unwrap_or(stem))
    }

    /// Runs `f` in one transaction (immediate on SQLite, so that two writers queue instead
    /// of failing halfway): committed if `f` returns `Ok`, rolled back otherwise.
    pub(crate) fn transaction<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        use diesel::connection::SimpleConnection;
        let begin = match self.conn {
            super::Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            super::Conn::Pg(_) => "BEGIN",
        };
        with_conn!(&mut self.conn, |c| c.batch_execute(begin))
            .doing(|| "starting a transaction".into())?;
        match f(self) {
            Ok(v) => {
                with_conn!(&mut self.conn, |c| c.batch_execute("COMMIT"))
                    .doing(|| "committing".into())?;
                Ok(v)
            }
            Err(e) => {
                if let Err(re) = with_conn!(&mut self.conn, |c| c.batch_execute("ROLLBACK")) {
                    tracing::warn!("rolling back after {e}: {re}");
                }
                Err(e)
            }
        }
    }
}

/// An offer's text columns.
struct OfferCols<'a> {
    operator: &'a str,
    infrastructure: &'a str,
    technology: &'static str,
}

impl<'a> OfferCols<'a> {
    fn of(o: &Offer, offers: &'a Offers) -> Self {
        OfferCols {
            operator: offers.names.name(o.operator),
            infrastructure: offers.names.name(o.infrastructure),
            technology: o.technology.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_sha256_hex() {
        assert_eq!(
            checksum_text("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
