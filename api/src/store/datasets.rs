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
    checksum_bytes(text.as_bytes())
}

/// The sha256 of some bytes, in hex.
pub fn checksum_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
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

    /// Publishes a dataset (anonymous users of `bianca serve` may see it) or makes it
    /// confidential again. Returns the dataset as it now is.
    pub fn set_public(&mut self, name: &str, public: bool) -> Result<DatasetInfo> {
        let ds = self.dataset(name)?;
        with_conn!(&mut self.conn, |c| diesel::update(
            datasets::table.filter(datasets::id.eq(ds.id))
        )
        .set(datasets::public.eq(public))
        .execute(c))
        .doing(|| format!("updating dataset {name}"))?;
        Ok(DatasetInfo { public, ..ds })
    }

    /// Removes a dataset and its rows, in one transaction. Refused while a snapshot uses it
    /// (snapshots never change).
    pub fn remove_dataset(&mut self, name: &str) -> Result<DatasetInfo> {
        use super::schema::{snapshot_datasets, snapshots};
        let ds = self.dataset(name)?;
        self.transaction(|store| {
            let users: Vec<String> = with_conn!(&mut store.conn, |c| snapshots::table
                .filter(
                    snapshots::units_dataset_id
                        .eq(ds.id)
                        .or(snapshots::id.eq_any(
                            snapshot_datasets::table
                                .filter(snapshot_datasets::dataset_id.eq(ds.id))
                                .select(snapshot_datasets::snapshot_id),
                        )),
                )
                .select(snapshots::name)
                .load(c))
            .doing(|| format!("looking up the snapshots of dataset {name}"))?;
            if !users.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "dataset {name} is used by snapshot(s) {}: snapshots never change, so \
                     their datasets stay",
                    users.join(", ")
                )));
            }
            with_conn!(&mut store.conn, |c| diesel::delete(
                datasets::table.filter(datasets::id.eq(ds.id))
            )
            .execute(c))
            .doing(|| format!("removing dataset {name}"))?;
            Ok(())
        })?;
        Ok(ds)
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
        if let Some(i) = units.units.iter().position(|&u| i32::try_from(u).is_err()) {
            return Err(StoreError::Invalid(format!(
                "{}: unit {}: field \"units\" = {} is more than the store holds (2^31 - 1)",
                new.source_file,
                units.ids.get(i),
                units.units[i]
            )));
        }
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
                    down_mbps: wide(o.down_mbps),
                    up_mbps: wide(o.up_mbps),
                    peak_down_mbps: o.peak_down_mbps.map(wide),
                    peak_up_mbps: o.peak_up_mbps.map(wide),
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
                        down_mbps: wide(o.down_mbps),
                        up_mbps: wide(o.up_mbps),
                        peak_down_mbps: o.peak_down_mbps.map(wide),
                        peak_up_mbps: o.peak_up_mbps.map(wide),
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
    pub(super) fn import(
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
        self.transaction(|store| {
            if let Some(old) = store.find_by_checksum(kind, &new.checksum)? {
                return Ok(Imported::Already(old));
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
            let stored: DatasetRow =
                with_conn!(&mut store.conn, |c| diesel::insert_into(datasets::table)
                    .values(&row)
                    .returning(DatasetRow::as_returning())
                    .get_result(c))
                .doing(|| format!("storing dataset {name}"))?;
            write_rows(&mut store.conn, stored.id)?;
            Ok(Imported::New(DatasetInfo::try_from(stored)?))
        })
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
        // "units.csv.gz" -> "units"; "coverage.2025.fgb" stays "coverage.2025"
        for ext in [".csv", ".tsv", ".geojson", ".json", ".shp", ".gpkg", ".fgb"] {
            if let Some(head) = stem.strip_suffix(ext).filter(|h| !h.is_empty()) {
                stem = head.to_string();
                break;
            }
        }
        if !taken.contains(&stem) {
            return Ok(stem);
        }
        Ok((2..)
            .map(|k| format!("{stem}-{k}"))
            .find(|n| !taken.contains(n))
            .unwrap_or(stem))
    }

    /// Runs `f` in one transaction: committed if `f` returns `Ok`, rolled back if it returns
    /// `Err` or panics. Begun through diesel's transaction manager, so that diesel knows it
    /// is open (a nested diesel transaction becomes a savepoint, not a premature commit).
    /// Writers queue: `BEGIN IMMEDIATE` on SQLite (with the busy timeout), a transaction-level
    /// advisory lock on PostgreSQL, so that two imports of the same file cannot both pass the
    /// checksum test.
    pub(crate) fn transaction<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        match &mut self.conn {
            super::Conn::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
            }
            super::Conn::Pg(c) => AnsiTransactionManager::begin_transaction(c).and_then(|()| {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({WRITER_LOCK})"))
                    .execute(c)
                    .map(|_| ())
            }),
        }
        .doing(|| "starting a transaction".into())?;
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        let rollback = |conn: &mut super::Conn| {
            let r = match conn {
                super::Conn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
                super::Conn::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
            };
            if let Err(e) = r {
                tracing::warn!("rolling back: {e}");
            }
        };
        match out {
            Ok(Ok(v)) => {
                let committed = match &mut self.conn {
                    super::Conn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
                    super::Conn::Pg(c) => AnsiTransactionManager::commit_transaction(c),
                };
                committed.doing(|| "committing".into())?;
                Ok(v)
            }
            Ok(Err(e)) => {
                rollback(&mut self.conn);
                Err(e)
            }
            Err(panic) => {
                rollback(&mut self.conn);
                std::panic::resume_unwind(panic)
            }
        }
    }
}

/// The key of the PostgreSQL advisory lock that serialises bianca's writers.
const WRITER_LOCK: i64 = 0x6269_616e_6361; // "bianca"

/// An f32 as the f64 of its shortest decimal (0.7f32 -> 0.7, not 0.699999988), so that SQL
/// and QGIS filters on stored speeds match the input; reading it back as f32 gives the same
/// f32.
pub(crate) fn wide(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// An offer's text columns.
pub(super) struct OfferCols<'a> {
    pub operator: &'a str,
    pub infrastructure: &'a str,
    pub technology: &'static str,
}

impl<'a> OfferCols<'a> {
    pub fn of(o: &Offer, offers: &'a Offers) -> Self {
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
    fn speeds_are_stored_as_their_decimal() {
        assert_eq!(wide(0.7), 0.7);
        assert_eq!(wide(1000.0), 1000.0);
        for v in [0.1f32, 0.7, 30.0, 1e-3, 123.456, f32::MAX] {
            assert_eq!(wide(v) as f32, v);
        }
    }

    #[test]
    fn checksums_are_sha256_hex() {
        assert_eq!(
            checksum_text("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
