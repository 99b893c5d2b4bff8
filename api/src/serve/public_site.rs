//! `bianca export-public DIR`: the public map as static files that any web host serves with
//! no bianca behind it: the viewer, one PMTiles archive with the public layers (areas at
//! every zoom, H3 hexagons to zoom 12, address points from 13 when the registry is public,
//! and the mobile white areas at every zoom when given: [`ExportOptions::mobile_areas`]),
//! the statistics and rule sets as JSON, and the glyphs of the labels. When the registry is
//! public (the rule the server applies to single addresses), also the address search
//! ([`address_index`]) and each address's public answer with its public offers
//! ([`unit_records`]), as small JSON files: the same answers as the live public map, with
//! nothing an anonymous caller of the server could not see.
//!
//! The directory is written next to its final place and renamed into it at the end: an
//! interrupted export leaves the previous site as it was.

pub mod address_index;
pub mod unit_records;

use super::error::ServeError;
use super::routes::{areas, catalog, fonts, viewer};
use super::snapshot::Served;
use super::tiles::geom::{mercator, TileId};
use super::tiles::mobile::{self as mobile_layer, MobileWhite};
use super::tiles::{areas as areas_layer, hexagons as hex_layer, mvt, units as units_layer};
use super::tiles::{coverage::Filter, TileQuery};
use crate::store::Store;
use bianca_engine::stats::Level;
use pmtiles::{Compression, PmTilesWriter, TileCoord, TileType};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct PublicSite {
    pub dir: PathBuf,
    pub snapshot: String,
    pub tiles: u64,
    pub archive_bytes: u64,
    pub max_zoom: u8,
    /// The largest tile (gzip-compressed bytes) and where it is.
    pub largest: (usize, u8, u32, u32),
    /// Tiles over tippecanoe's 500 KB limit (compressed).
    pub oversized: u64,
    /// Whether address points are in the archive (the registry is public).
    pub points: bool,
    /// How many mobile white areas the archive's `mobile_white` layer holds (`None`: no
    /// such layer, no [`ExportOptions::mobile_areas`]).
    pub mobile_areas: Option<usize>,
    /// The address search's files (none for a confidential registry).
    pub search: FileSet,
    /// The files of the addresses' answers (none for a confidential registry).
    pub unit_records: FileSet,
    pub seconds: f64,
}

/// A set of written files: how many, their bytes, the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileSet {
    pub files: u64,
    pub bytes: u64,
    pub largest: u64,
}

impl FileSet {
    fn add(&mut self, bytes: u64) {
        self.files += 1;
        self.bytes += bytes;
        self.largest = self.largest.max(bytes);
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The snapshot (default: the latest).
    pub snapshot: Option<String>,
    /// The deepest zoom in the archive (clamped to 13..=16).
    pub max_zoom: u8,
    /// An external basemap style for the site's map (see [`super::basemap`]).
    pub basemap_style: Option<String>,
    /// The mobile white areas (`bianca grid italia-5g --out-polygons`), as for `bianca serve
    /// --mobile-areas`: the archive gets the `mobile_white` layer at every zoom, with the
    /// server's properties, and the site draws it in its mobile view. They are aggregates
    /// (no address), public whatever the registry. An empty file gives an empty layer.
    pub mobile_areas: Option<PathBuf>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            snapshot: None,
            max_zoom: 14,
            basemap_style: None,
            mobile_areas: None,
        }
    }
}

/// The largest tile a static host should serve, as tippecanoe counts.
pub const TILE_LIMIT: usize = 500_000;

fn io(path: &Path, e: std::io::Error) -> ServeError {
    ServeError::Config(format!("writing {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(|e| io(p, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

/// The tiles of zoom `z` that meet the west, south, east, north box.
fn tiles_at(z: u8, b: [f64; 4]) -> Vec<TileId> {
    let n = f64::from(1u32 << z);
    let (x0, y1) = mercator(b[0], b[1]);
    let (x1, y0) = mercator(b[2], b[3]);
    let last = (1u32 << z) - 1;
    let c = |v: f64| ((v * n).floor().max(0.0) as u32).min(last);
    let mut out = Vec::new();
    for x in c(x0)..=c(x1) {
        for y in c(y0)..=c(y1) {
            if let Some(t) = TileId::new(z, x, y) {
                out.push(t);
            }
        }
    }
    out
}

/// Exports the public map of a snapshot to `dir`. `progress(done, total)` counts tiles.
pub fn export_public(
    store: &mut Store,
    dir: &Path,
    opts: &ExportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<PublicSite, ServeError> {
    let t0 = Instant::now();
    let name = opts.snapshot.as_deref();
    let max_zoom = opts.max_zoom.clamp(units_layer::MIN_ZOOM, 16);
    let basemap_style = match &opts.basemap_style {
        Some(u) => Some(super::basemap::check_style_url(u)?),
        None => None,
    };
    if !viewer_ready() {
        return Err(ServeError::Config(
            "this bianca was built without the map's JavaScript: run `npm ci` in viewer/ and build again".into(),
        ));
    }
    let mobile = match &opts.mobile_areas {
        Some(p) => Some(std::sync::Arc::new(MobileWhite::load(p).map_err(|e| {
            ServeError::Config(format!("reading the mobile white areas: {e}"))
        })?)),
        None => None,
    };
    let s = Served::load(store, name)?;
    // the datasets' public flags now: what the server's anonymous view would show
    let public: std::collections::HashMap<String, bool> = store
        .datasets()?
        .into_iter()
        .map(|d| (d.name, d.public))
        .collect();
    let is_public = |name: &str| public.get(name).copied().unwrap_or(false);
    let public_registry = is_public(&s.info.units_dataset);

    // the tiles, zoom by zoom, in parallel; the archive wants them in tile-id order
    let mut bounds = s.bounds;
    for a in &s.areas {
        bounds[0] = bounds[0].min(a.bbox[0]);
        bounds[1] = bounds[1].min(a.bbox[1]);
        bounds[2] = bounds[2].max(a.bbox[2]);
        bounds[3] = bounds[3].max(a.bbox[3]);
    }
    if let Some(m) = mobile.as_deref().filter(|m| !m.areas.is_empty()) {
        bounds[0] = bounds[0].min(m.bounds[0]);
        bounds[1] = bounds[1].min(m.bounds[1]);
        bounds[2] = bounds[2].max(m.bounds[2]);
        bounds[3] = bounds[3].max(m.bounds[3]);
    }
    let all: Vec<Vec<TileId>> = (0..=max_zoom).map(|z| tiles_at(z, bounds)).collect();
    let total: u64 = all.iter().map(|v| v.len() as u64).sum();
    let done = std::sync::atomic::AtomicU64::new(0);
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".bianca-public-")
        .tempdir_in(parent)
        .map_err(|e| io(parent, e))?;
    let archive_path = staging.path().join("map.pmtiles");
    let file = std::fs::File::create(&archive_path).map_err(|e| io(&archive_path, e))?;
    let mut vector_layers = vec![
        serde_json::json!({"id": "areas", "minzoom": 0, "maxzoom": max_zoom}),
        serde_json::json!({"id": "hexagons", "minzoom": 0, "maxzoom": units_layer::MIN_ZOOM - 1}),
        serde_json::json!({"id": "units", "minzoom": units_layer::MIN_ZOOM, "maxzoom": max_zoom}),
    ];
    if mobile.is_some() {
        let (fields, description) = super::tiles::tilejson::mobile_white_fields();
        vector_layers.push(serde_json::json!({
            "id": "mobile_white", "description": description,
            "minzoom": 0, "maxzoom": max_zoom, "fields": fields,
        }));
    }
    let metadata = serde_json::json!({
        "name": "bianca public map",
        "description": format!("snapshot {}", s.info.name),
        "attribution": super::DEFAULT_ATTRIBUTION,
        "vector_layers": vector_layers,
    });
    let b = s.bounds;
    // tiles are gzipped here, once, to measure them too: the writer stores them as they are
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .precompressed(Compression::Gzip)
        .min_zoom(0)
        .max_zoom(max_zoom)
        .bounds(b[0], b[1], b[2], b[3])
        .center((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
        .center_zoom(7)
        .metadata(metadata.to_string())
        .create(std::io::BufWriter::new(file))
        .map_err(|e| ServeError::Config(format!("creating the archive: {e}")))?;
    let mut tiles = 0u64;
    let mut largest = (0usize, 0u8, 0u32, 0u32);
    let mut oversized = 0u64;
    for zoom_tiles in &all {
        let mut rendered: Vec<(u64, TileId, std::io::Result<Vec<u8>>)> = zoom_tiles
            .par_iter()
            .filter_map(|&t| {
                let q = TileQuery {
                    tile: t,
                    rule: 0,
                    full: false,
                    filter: Filter::default(),
                    compare: None,
                    mobile: None,
                };
                let mut layers = vec![areas_layer::layer(&s, &q)];
                if t.z < units_layer::MIN_ZOOM {
                    layers.push(hex_layer::layer(&s, &q));
                } else if public_registry {
                    layers.push(units_layer::layer(&s, &q));
                }
                if let Some(m) = &mobile {
                    layers.push(mobile_layer::layer(m, &q));
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n.is_multiple_of(256) {
                    progress(n, total);
                }
                let raw = mvt::encode(layers);
                if raw.is_empty() {
                    return None;
                }
                let coord = TileCoord::new(t.z, t.x, t.y).ok()?;
                Some((pmtiles::TileId::from(coord).value(), t, mvt::gzip(&raw)))
            })
            .collect();
        rendered.sort_unstable_by_key(|r| r.0);
        for (_, t, gz) in rendered {
            let gz = gz.map_err(|e| {
                ServeError::Config(format!("compressing tile {}/{}/{}: {e}", t.z, t.x, t.y))
            })?;
            let len = gz.len();
            if len > largest.0 {
                largest = (len, t.z, t.x, t.y);
            }
            if len > TILE_LIMIT {
                oversized += 1;
            }
            let coord = TileCoord::new(t.z, t.x, t.y)
                .map_err(|e| ServeError::Config(format!("tile {}/{}/{}: {e}", t.z, t.x, t.y)))?;
            writer
                .add_tile(coord, &gz)
                .map_err(|e| ServeError::Config(format!("writing the archive: {e}")))?;
            tiles += 1;
        }
    }
    progress(total, total);
    writer
        .finalize()
        .map_err(|e| ServeError::Config(format!("writing the archive: {e}")))?;
    let archive_bytes = std::fs::metadata(&archive_path)
        .map_err(|e| io(&archive_path, e))?
        .len();

    // single addresses, when the registry is public: the search and each one's answer
    let root = staging.path();
    let (search, unit_files, unit_records) = if public_registry {
        let search = address_index::write_index(&s, root)?;
        let (n, records) = unit_records::write_records(&s, &is_public, root)?;
        (search, Some(n), records)
    } else {
        (FileSet::default(), None, FileSet::default())
    };

    // the viewer, with its static configuration
    for (path, bytes) in viewer::all() {
        match *path {
            "planner.html" => {}
            "index.html" => {
                let html = String::from_utf8_lossy(bytes);
                let config = serde_json::json!({
                    "pmtiles": "map.pmtiles",
                    "snapshot": s.info.name,
                    "points": public_registry,
                    "attribution": super::DEFAULT_ATTRIBUTION,
                    "basemap_style": basemap_style,
                    "search": public_registry,
                    "unit_files": unit_files,
                    "mobile_white": mobile.is_some(),
                });
                let html = html.replace(
                    r#"<script id="static-config" type="application/json"></script>"#,
                    &format!(
                        r#"<script id="static-config" type="application/json">{}</script>"#,
                        config.to_string().replace('<', "\\u003c")
                    ),
                );
                write(&root.join("index.html"), html.as_bytes())?;
            }
            p => write(&root.join("viewer").join(p), bytes)?,
        }
    }
    // statistics and rule sets for the panels and the comune search
    let area_list: Vec<areas::AreaOut> = s
        .areas
        .iter()
        .filter(|a| a.boundary.level != Level::Total)
        .filter_map(|a| areas::area_out(&s, a.boundary.level, &a.boundary.code, false))
        .collect();
    let json = |v: serde_json::Result<Vec<u8>>| {
        v.map_err(|e| ServeError::Config(format!("writing the statistics: {e}")))
    };
    write(
        &root.join("data/areas.json"),
        &json(serde_json::to_vec(&area_list))?,
    )?;
    write(
        &root.join("data/rules.json"),
        &json(serde_json::to_vec(&catalog::rules_out(&s)))?,
    )?;
    // the glyphs of the labels: Latin, Latin-1 and Latin Extended-A
    for stack in fonts::fontstacks() {
        for start in [0u32, 256] {
            if let Some(pbf) = fonts::glyph_range(stack, start) {
                write(
                    &root.join(format!("fonts/{stack}/{start}-{}.pbf", start + 255)),
                    &pbf,
                )?;
            }
        }
    }

    // into place
    let staged = staging.keep();
    if dir.exists() {
        let old = parent.join(format!(".bianca-public-old-{}", std::process::id()));
        std::fs::rename(dir, &old).map_err(|e| io(dir, e))?;
        std::fs::rename(&staged, dir).map_err(|e| io(dir, e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&staged, dir).map_err(|e| io(dir, e))?;
    }
    Ok(PublicSite {
        dir: dir.to_path_buf(),
        snapshot: s.info.name.clone(),
        tiles,
        archive_bytes,
        max_zoom,
        largest,
        oversized,
        points: public_registry,
        mobile_areas: mobile.as_ref().map(|m| m.areas.len()),
        search,
        unit_records,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// True when the viewer's JavaScript was built in.
pub fn viewer_ready() -> bool {
    viewer::file("vendor/maplibre-gl.mjs").is_some() && viewer::file("vendor/pmtiles.js").is_some()
}
