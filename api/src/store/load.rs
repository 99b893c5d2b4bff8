//! Reading stored datasets back into the engine's types, in file order.

use super::error::QueryContext;
use super::schema::{declarations, footprints, units};
use super::{geometry, with_conn, DatasetInfo, DatasetKind, Result, Store, StoreError};
use bianca_engine::model::{
    Coverage, Declaration, Footprint, OfferAttrs, Offers, SourceKind, Status, Technology,
};
use bianca_engine::units::Units;
use diesel::prelude::*;
use postgis_diesel::types::{MultiPolygon, Point};

/// Rows read per query, so that a national registry is never one result set in memory twice.
const PAGE: i64 = 200_000;

/// A stored registry: the units and, per unit, its row id in the `units` table.
pub struct StoredUnits {
    pub units: Units,
    pub rows: Vec<i64>,
}

type UnitRow = (i64, i32, String, i32, Option<String>, Option<String>, Point);
type OfferRow = (
    i64,
    String,
    String,
    String,
    f64,
    f64,
    Option<f64>,
    Option<f64>,
    String,
    Option<i32>,
    bool,
);

impl Store {
    /// The units of a registry dataset, in file order.
    pub fn load_units(&mut self, ds: &DatasetInfo) -> Result<StoredUnits> {
        if ds.kind != DatasetKind::Units {
            return Err(StoreError::Invalid(format!(
                "dataset {} holds {}, not units",
                ds.name,
                ds.kind.as_str()
            )));
        }
        let n = usize::try_from(ds.rows).unwrap_or(0);
        let mut out = Units::new();
        out.ids = bianca_engine::units::StrColumn::with_capacity(n, n * 12);
        let mut rows = Vec::with_capacity(n);
        // a registry has an address column when any of its units has an address
        let has_address: bool =
            with_conn!(&mut self.conn, |c| diesel::select(diesel::dsl::exists(
                units::table
                    .filter(units::dataset_id.eq(ds.id))
                    .filter(units::address.is_not_null())
            ))
            .get_result(c))
            .doing(|| format!("reading the units of {}", ds.name))?;
        let mut next = 0i32;
        loop {
            let page: Vec<UnitRow> = with_conn!(&mut self.conn, |c| units::table
                .filter(units::dataset_id.eq(ds.id))
                .filter(units::ord.ge(next))
                .order(units::ord)
                .limit(PAGE)
                .select((
                    units::id,
                    units::ord,
                    units::unit_id,
                    units::housing_units,
                    units::comune,
                    units::address,
                    units::geom,
                ))
                .load(c))
            .doing(|| format!("reading the units of {}", ds.name))?;
            let Some(last) = page.last() else { break };
            next = last.1 + 1;
            for (id, _, unit_id, n_units, comune, address, geom) in page {
                let n_units = u32::try_from(n_units)
                    .ok()
                    .filter(|&u| u >= 1)
                    .ok_or_else(|| StoreError::Corrupt {
                        table: "units",
                        row: id,
                        message: format!("units = {n_units}, expected >= 1"),
                    })?;
                let address = has_address.then(|| address.as_deref().unwrap_or(""));
                out.push(
                    &unit_id,
                    geom.x,
                    geom.y,
                    n_units,
                    comune.as_deref(),
                    address,
                );
                rows.push(id);
            }
        }
        if rows.len() as i64 != ds.rows {
            return Err(StoreError::Corrupt {
                table: "datasets",
                row: ds.id,
                message: format!(
                    "dataset {} says {} rows but the store has {}",
                    ds.name,
                    ds.rows,
                    rows.len()
                ),
            });
        }
        Ok(StoredUnits { units: out, rows })
    }

    /// The footprints, rasters and declarations of coverage / declarations datasets, as
    /// one [`Coverage`]; each dataset is one source named after it.
    pub fn load_coverage(&mut self, sets: &[DatasetInfo]) -> Result<Coverage> {
        self.load_coverage_within(sets, None)
    }

    /// Like [`Store::load_coverage`], reading of the rasters only the pixels around
    /// `window` (lon/lat west, south, east, north): units outside it find no pixel.
    pub fn load_coverage_within(
        &mut self,
        sets: &[DatasetInfo],
        window: Option<[f64; 4]>,
    ) -> Result<Coverage> {
        let mut cov = Coverage::default();
        for ds in sets {
            match ds.kind {
                DatasetKind::Coverage => {
                    if !self.load_raster(ds, &mut cov, window)? {
                        self.load_footprints(ds, &mut cov)?
                    }
                }
                DatasetKind::Declarations => self.load_declarations(ds, &mut cov)?,
                DatasetKind::Units => {
                    return Err(StoreError::Invalid(format!(
                        "dataset {} is a registry, not coverage",
                        ds.name
                    )))
                }
            }
        }
        Ok(cov)
    }

    fn load_footprints(&mut self, ds: &DatasetInfo, cov: &mut Coverage) -> Result<()> {
        let source = cov.offers.add_source(&ds.name, SourceKind::Footprints);
        let mut next = 0i32;
        loop {
            let page: Vec<(i32, OfferRow, MultiPolygon<Point>)> =
                with_conn!(&mut self.conn, |c| footprints::table
                    .filter(footprints::dataset_id.eq(ds.id))
                    .filter(footprints::ord.ge(next))
                    .order(footprints::ord)
                    .limit(PAGE / 10)
                    .select((
                        footprints::ord,
                        (
                            footprints::id,
                            footprints::operator,
                            footprints::infrastructure,
                            footprints::technology,
                            footprints::down_mbps,
                            footprints::up_mbps,
                            footprints::peak_down_mbps,
                            footprints::peak_up_mbps,
                            footprints::status,
                            footprints::year,
                            footprints::licensed,
                        ),
                        footprints::geom,
                    ))
                    .load(c))
                .doing(|| format!("reading the footprints of {}", ds.name))?;
            let Some(last) = page.last() else { break };
            next = last.0 + 1;
            for (_, o, geom) in page {
                let id = o.0;
                let offer = push_offer(&mut cov.offers, o, source, "footprints")?;
                let geometry = geometry::to_geo(&geom).ok_or_else(|| StoreError::Corrupt {
                    table: "footprints",
                    row: id,
                    message: "a polygon without an exterior ring".into(),
                })?;
                cov.footprints.push(Footprint { offer, geometry });
            }
        }
        Ok(())
    }

    fn load_declarations(&mut self, ds: &DatasetInfo, cov: &mut Coverage) -> Result<()> {
        let source = cov.offers.add_source(&ds.name, SourceKind::Declarations);
        let mut next = 0i32;
        loop {
            let page: Vec<(i32, String, OfferRow)> =
                with_conn!(&mut self.conn, |c| declarations::table
                    .filter(declarations::dataset_id.eq(ds.id))
                    .filter(declarations::ord.ge(next))
                    .order(declarations::ord)
                    .limit(PAGE)
                    .select((
                        declarations::ord,
                        declarations::unit_id,
                        (
                            declarations::id,
                            declarations::operator,
                            declarations::infrastructure,
                            declarations::technology,
                            declarations::down_mbps,
                            declarations::up_mbps,
                            declarations::peak_down_mbps,
                            declarations::peak_up_mbps,
                            declarations::status,
                            declarations::year,
                            declarations::licensed,
                        ),
                    ))
                    .load(c))
                .doing(|| format!("reading the declarations of {}", ds.name))?;
            let Some(last) = page.last() else { break };
            next = last.0 + 1;
            for (_, unit_id, o) in page {
                let offer = push_offer(&mut cov.offers, o, source, "declarations")?;
                cov.declarations.push(Declaration { unit_id, offer });
            }
        }
        Ok(())
    }
}

fn push_offer(offers: &mut Offers, o: OfferRow, source: u32, table: &'static str) -> Result<u32> {
    let (
        id,
        operator,
        infrastructure,
        technology,
        down,
        up,
        peak_down,
        peak_up,
        status,
        year,
        licensed,
    ) = o;
    let corrupt = |message: String| StoreError::Corrupt {
        table,
        row: id,
        message,
    };
    let technology: Technology = technology
        .parse()
        .map_err(|e: bianca_engine::model::UnknownTechnology| corrupt(format!("{e:?}")))?;
    let status: Status = status.parse().map_err(corrupt)?;
    Ok(offers.push(
        &OfferAttrs {
            operator,
            infrastructure,
            technology,
            down_mbps: down,
            up_mbps: up,
            peak_down_mbps: peak_down,
            peak_up_mbps: peak_up,
            status,
            year,
            licensed,
        },
        source,
    ))
}
