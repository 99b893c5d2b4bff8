//! Coverage inputs: footprints (polygons with offer attributes) and declarations (unit ids
//! with offer attributes).

use std::collections::HashMap;
use std::path::Path;

use geo::{Geometry, MultiPolygon};
use rayon::prelude::*;

use super::address_cols::{QueryCols, QueryFields};
use super::crs::Reprojector;
use super::geometry::{check_lon_lat, check_valid, reproject_multipolygon, to_multipolygon};
use super::offer_attrs::{parse_offer_attrs, REQUIRED_OFFER_COLUMNS};
use super::records::{visit, Columns, Record};
use super::{InputFormat, ReadOptions};
use crate::error::{Error, Location, OnError, Reject, Result};
use crate::model::{Declaration, Footprint, OfferAttrs, Offers, SourceKind, Status};

/// Turns a row-level error into a reject in skip mode; returns it in fail mode (and any
/// non-row error always).
fn handle(e: Error, on_error: OnError, rejects: &mut Vec<Reject>) -> Result<()> {
    match (e, on_error) {
        (Error::Input { at, message }, OnError::Skip) => {
            rejects.push(Reject { at, message });
            Ok(())
        }
        (e, _) => Err(e),
    }
}

/// A footprint whose geometry is reprojected and valid: (row, attributes, geometry).
type CheckedFootprint = (u64, OfferAttrs, MultiPolygon<f64>);

/// Name of the geometry field in messages: `wkt` for CSV, `geometry` otherwise.
fn geometry_field(path: &Path) -> &'static str {
    match InputFormat::of(path) {
        InputFormat::Csv => "wkt",
        _ => "geometry",
    }
}

/// Reads coverage footprints: Polygon / MultiPolygon features (a GeometryCollection of
/// polygons is flattened) with the offer columns of [`parse_offer_attrs`]. CSV files carry
/// the geometry as WKT in a `wkt` column.
///
/// Geometries are reprojected to lon/lat and must be valid (the error gives the reason) and
/// non-empty. Each footprint gets its own offer in `offers`, from one source per file
/// (added only when reading succeeds). Reprojection and validation run in parallel.
pub fn read_footprints(
    path: &Path,
    opts: &ReadOptions,
    offers: &mut Offers,
) -> Result<(Vec<Footprint>, Vec<Reject>)> {
    let gfield = geometry_field(path);
    let mut raw: Vec<(u64, OfferAttrs, Geometry<f64>)> = Vec::new();
    let mut rejects = Vec::new();
    let mut fatal: Option<Error> = None;
    let mut reprojector = Reprojector::identity();
    let result = visit(
        path,
        opts,
        true,
        &mut |cols: &Columns| {
            cols.require(path, &REQUIRED_OFFER_COLUMNS)?;
            reprojector = cols.reprojector.clone();
            Ok(())
        },
        &mut |cols: &Columns, mut rec: Record| {
            let at = Location::file(path).row(rec.row);
            let parsed = footprint_record(cols, &mut rec, &at, gfield);
            match parsed {
                Ok((attrs, g)) => raw.push((rec.row, attrs, g)),
                Err(e) => {
                    if let Err(e) = handle(e, opts.on_error, &mut rejects) {
                        // Stop reading, but geometries of earlier rows are checked first so
                        // that the earliest error is the one reported.
                        fatal = Some(e);
                        return Err(Error::Invalid(String::new()));
                    }
                }
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        if fatal.is_none() {
            return Err(e);
        }
    }
    let checked: Vec<Result<CheckedFootprint>> = raw
        .into_par_iter()
        .map(|(row, attrs, g)| {
            let at = Location::file(path).row(row).field(gfield);
            let geom = to_multipolygon(g)
                .map_err(|m| Error::input(at.clone(), m))
                .and_then(|mp| {
                    reproject_multipolygon(&reprojector, mp)?
                        .map_err(|m| Error::input(at.clone(), m))
                })
                .and_then(|mp| {
                    check_lon_lat(&mp).map_err(|m| Error::input(at.clone(), m))?;
                    check_valid(&mp).map_err(|m| Error::input(at.clone(), m))?;
                    Ok(mp)
                })?;
            Ok((row, attrs, geom))
        })
        .collect();
    let mut good = Vec::with_capacity(checked.len());
    for c in checked {
        match c {
            Ok(v) => good.push(v),
            Err(e) => handle(e, opts.on_error, &mut rejects)?,
        }
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    let source = offers.add_source(&path.display().to_string(), SourceKind::Footprints);
    let footprints = good
        .into_iter()
        .map(|(_, attrs, geometry)| Footprint {
            offer: offers.push(&attrs, source),
            geometry,
        })
        .collect();
    rejects.sort_by_key(|r| r.at.row);
    Ok((footprints, rejects))
}

fn footprint_record(
    cols: &Columns,
    rec: &mut Record,
    at: &Location,
    gfield: &str,
) -> Result<(OfferAttrs, Geometry<f64>)> {
    if let Some(p) = &rec.problem {
        return Err(Error::input(at.clone().field(gfield), p.clone()));
    }
    let attrs = parse_offer_attrs(&|k| rec.get(cols, k), at)?;
    let g = match rec.geometry.take() {
        Some(Ok(g)) => g,
        Some(Err(m)) => return Err(Error::input(at.clone().field(gfield), m)),
        None => return Err(Error::input(at.clone().field(gfield), "missing geometry")),
    };
    Ok((attrs, g))
}

/// Offers with equal attributes share one offer (declarations repeat them on every row).
#[derive(Hash, PartialEq, Eq)]
struct OfferKey {
    operator: String,
    infrastructure: String,
    technology: u8,
    speeds: [u64; 4],
    status: bool,
    year: Option<i32>,
    licensed: bool,
}

impl OfferKey {
    fn of(a: &OfferAttrs) -> Self {
        let bits = |v: Option<f64>| v.map_or(u64::MAX, f64::to_bits);
        Self {
            operator: a.operator.clone(),
            infrastructure: a.infrastructure.clone(),
            technology: a.technology as u8,
            speeds: [
                a.down_mbps.to_bits(),
                a.up_mbps.to_bits(),
                bits(a.peak_down_mbps),
                bits(a.peak_up_mbps),
            ],
            status: a.status == Status::Planned,
            year: a.year,
            licensed: a.licensed,
        }
    }
}

/// A declaration keyed by address instead of a unit id, to be placed on a unit by the
/// address matcher ([`crate::address::place_declarations`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AddressedDeclaration {
    /// The row (and the street field), for messages.
    pub at: Location,
    pub comune: String,
    pub street: String,
    /// The civico field, when the file has one.
    pub civico: Option<String>,
    pub offer: u32,
}

/// What identifies a declared row.
enum DeclKey {
    Id(String),
    Address(AddressedDeclaration),
}

/// Reads declarations: a table (CSV, Parquet, or any GDAL format; geometry ignored) with
/// the offer columns of [`parse_offer_attrs`] and, for each row, either a `unit_id` or an
/// address: a comune (ISTAT code or name) and an address or street (and civico) column,
/// named as in [`super::address_cols::QueryCols`]. A row with a blank `unit_id` and an
/// address is keyed by its address; with neither it is an error on `unit_id`. Rows with
/// identical offer attributes share one offer; the source (kind Declarations) is added
/// only on success. Unit ids are not checked against a registry here, and addresses are
/// not matched here: they come back as [`AddressedDeclaration`]s.
pub fn read_declarations(
    path: &Path,
    opts: &ReadOptions,
    offers: &mut Offers,
) -> Result<(Vec<Declaration>, Vec<AddressedDeclaration>, Vec<Reject>)> {
    let mut rows: Vec<(DeclKey, OfferAttrs)> = Vec::new();
    let mut rejects = Vec::new();
    let query_of = |cols: &Columns| {
        QueryCols::find(&|k| cols.index(k), &QueryFields::default(), &|c| {
            cols.missing(path, c)
        })
        .ok()
    };
    let mut query: Option<Option<QueryCols>> = None;
    visit(
        path,
        opts,
        false,
        &mut |cols: &Columns| {
            if cols.index("unit_id").is_none() && query_of(cols).is_none() {
                return Err(cols.missing(path, "unit_id (or comune and address)"));
            }
            cols.require(path, &REQUIRED_OFFER_COLUMNS)
        },
        &mut |cols: &Columns, rec: Record| {
            let at = Location::file(path).row(rec.row);
            let parsed = (|| {
                if let Some(p) = &rec.problem {
                    return Err(Error::input(at.clone().field("unit_id"), p.clone()));
                }
                let get = |i: usize| rec.values.get(i).and_then(|v| v.as_deref()).map(str::trim);
                let query = query.get_or_insert_with(|| query_of(cols));
                let key = match (rec.get(cols, "unit_id"), &*query) {
                    (Some(id), _) => DeclKey::Id(id),
                    (None, Some(q)) if !q.street(&get).is_empty() => {
                        DeclKey::Address(AddressedDeclaration {
                            at: at.clone().field(cols.names[q.street].as_str()),
                            comune: get(q.comune).unwrap_or("").to_string(),
                            street: q.street(&get).into_owned(),
                            civico: q.civico(&get).map(|c| c.into_owned()),
                            offer: 0,
                        })
                    }
                    (None, Some(_)) => {
                        return Err(Error::input(
                            at.clone().field("unit_id"),
                            "no unit_id and no address",
                        ))
                    }
                    (None, None) => {
                        return Err(Error::input(at.clone().field("unit_id"), "missing value"))
                    }
                };
                let attrs = parse_offer_attrs(&|k| rec.get(cols, k), &at)?;
                Ok((key, attrs))
            })();
            match parsed {
                Ok(v) => rows.push(v),
                Err(e) => handle(e, opts.on_error, &mut rejects)?,
            }
            Ok(())
        },
    )?;
    let source = offers.add_source(&path.display().to_string(), SourceKind::Declarations);
    let mut seen: HashMap<OfferKey, u32> = HashMap::new();
    let mut by_id = Vec::new();
    let mut by_address = Vec::new();
    for (key, attrs) in rows {
        let offer = *seen
            .entry(OfferKey::of(&attrs))
            .or_insert_with(|| offers.push(&attrs, source));
        match key {
            DeclKey::Id(unit_id) => by_id.push(Declaration { unit_id, offer }),
            DeclKey::Address(a) => by_address.push(AddressedDeclaration { offer, ..a }),
        }
    }
    Ok((by_id, by_address, rejects))
}
