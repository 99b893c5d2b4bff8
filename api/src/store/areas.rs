//! Administrative boundaries: comuni and the provinces and regions dissolved from them.
//! Reference data shared by every snapshot (the map's `areas` layer, `/api/v1/areas`).

use super::error::QueryContext;
use super::schema::areas;
use super::{geometry, now, with_conn, Result, Store, StoreError};
use bianca_engine::areas::Boundary;
use bianca_engine::stats::Level;
use diesel::prelude::*;
use postgis_diesel::types::{MultiPolygon, Point};

#[derive(Insertable)]
#[diesel(table_name = areas)]
struct InsertArea<'a> {
    level: &'a str,
    code: &'a str,
    name: &'a str,
    province: Option<&'a str>,
    region: Option<&'a str>,
    source_file: &'a str,
    checksum: &'a str,
    imported_at: chrono::NaiveDateTime,
    geom: MultiPolygon<Point>,
}

/// What [`Store::import_areas`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AreasImported {
    /// Areas new to the store.
    pub added: usize,
    /// Areas whose level and code were already stored: their rows were replaced.
    pub replaced: usize,
}

fn parse_level(s: &str) -> Option<Level> {
    match s {
        "comune" => Some(Level::Comune),
        "province" => Some(Level::Province),
        "region" => Some(Level::Region),
        _ => None,
    }
}

impl Store {
    /// Stores boundaries in one transaction, replacing the stored areas of the same level
    /// and code (a newer boundaries file supersedes the old one area by area).
    pub fn import_areas(
        &mut self,
        boundaries: &[Boundary],
        source_file: &str,
        checksum: &str,
    ) -> Result<AreasImported> {
        self.transaction(|store| {
            let at = now();
            let mut done = AreasImported::default();
            for b in boundaries {
                let level = b.level.as_str();
                let removed = with_conn!(&mut store.conn, |c| diesel::delete(
                    areas::table
                        .filter(areas::level.eq(level))
                        .filter(areas::code.eq(&b.code))
                )
                .execute(c))
                .doing(|| format!("replacing {level} {}", b.code))?;
                let row = InsertArea {
                    level,
                    code: &b.code,
                    name: &b.name,
                    province: b.province.as_deref(),
                    region: b.region.as_deref(),
                    source_file,
                    checksum,
                    imported_at: at,
                    geom: geometry::multipolygon(&b.geometry),
                };
                with_conn!(&mut store.conn, |c| diesel::insert_into(areas::table)
                    .values(&row)
                    .execute(c))
                .doing(|| format!("storing {level} {}", b.code))?;
                if removed > 0 {
                    done.replaced += 1;
                } else {
                    done.added += 1;
                }
            }
            Ok(done)
        })
    }

    /// Every stored area with its boundary, regions first, then provinces, then comuni,
    /// each by code.
    pub fn load_areas(&mut self) -> Result<Vec<Boundary>> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            MultiPolygon<Point>,
        );
        let rows: Vec<Row> = with_conn!(&mut self.conn, |c| areas::table
            .select((
                areas::id,
                areas::level,
                areas::code,
                areas::name,
                areas::province,
                areas::region,
                areas::geom,
            ))
            .load(c))
        .doing(|| "reading the areas".into())?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, level, code, name, province, region, geom) in rows {
            let corrupt = |message: String| StoreError::Corrupt {
                table: "areas",
                row: id,
                message,
            };
            let level = parse_level(&level).ok_or_else(|| corrupt(format!("level {level:?}")))?;
            let geometry = geometry::to_geo(&geom)
                .ok_or_else(|| corrupt("a polygon without an exterior ring".into()))?;
            out.push(Boundary {
                level,
                code,
                name,
                province,
                region,
                geometry,
            });
        }
        out.sort_by(|a, b| {
            let rank = |l: Level| match l {
                Level::Region => 0,
                Level::Province => 1,
                _ => 2,
            };
            (rank(a.level), &a.code).cmp(&(rank(b.level), &b.code))
        });
        Ok(out)
    }
}
