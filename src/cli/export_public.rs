//! `bianca export-public DIR`: the public map as a static site (viewer, PMTiles archive,
//! statistics as JSON) for any static host or CDN.

use crate::progress;
use anyhow::{Context, Result};
use bianca_api::serve::public_site;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ExportPublicArgs {
    /// The directory to write (replaced when it exists).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The snapshot (default: the latest).
    #[arg(long, value_name = "NAME")]
    pub snapshot: Option<String>,
    /// The deepest zoom in the archive (13 to 16; maps zoom further by scaling).
    #[arg(long, value_name = "Z", default_value_t = 14)]
    pub max_zoom: u8,
    /// A MapLibre style URL (http or https) whose layers the site draws under bianca's
    /// own, fetched by the reader's browser. Default: none, the site is self-contained.
    #[arg(long, value_name = "URL", value_parser = super::serve::basemap_url)]
    pub basemap_style: Option<String>,
    /// Mobile white areas to add to the archive as the `mobile_white` layer, drawn in the
    /// site's mobile view (the --out-polygons of `bianca grid italia-5g`, as for
    /// `bianca serve --mobile-areas`).
    #[arg(long, value_name = "FILE")]
    pub mobile_areas: Option<PathBuf>,
}

pub fn run(a: &ExportPublicArgs, database_url: Option<&str>) -> Result<()> {
    let mut store = super::store::open_existing(database_url)?;
    let pb = progress::bar(0, "tiles");
    let opts = public_site::ExportOptions {
        snapshot: a.snapshot.clone(),
        max_zoom: a.max_zoom,
        basemap_style: a.basemap_style.clone(),
        mobile_areas: a.mobile_areas.clone(),
    };
    let site = public_site::export_public(&mut store, &a.dir, &opts, &|done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })
    .with_context(|| format!("exporting the public map to {}", a.dir.display()))?;
    pb.finish_and_clear();
    let (len, z, x, y) = site.largest;
    eprintln!(
        "bianca export-public: snapshot {} written to {} in {:.1}s",
        site.snapshot,
        site.dir.display(),
        site.seconds
    );
    eprintln!(
        "  map.pmtiles: {} tiles, zoom 0-{}, {:.1} MB; largest tile {:.0} KB gzipped ({z}/{x}/{y}){}",
        site.tiles,
        site.max_zoom,
        site.archive_bytes as f64 / 1e6,
        len as f64 / 1e3,
        if site.oversized > 0 {
            format!("; {} tiles over 500 KB", site.oversized)
        } else {
            "; every tile under 500 KB".into()
        }
    );
    if let (Some(n), Some(p)) = (site.mobile_areas, &a.mobile_areas) {
        eprintln!(
            "  mobile white areas: {n} from {}, in the mobile view",
            p.display()
        );
    }
    if site.points {
        let (q, u) = (site.search, site.unit_records);
        eprintln!(
            "  address search: {} files, {:.1} MB, largest {:.0} KB; addresses' answers: {} files, {:.1} MB, largest {:.0} KB",
            q.files,
            q.bytes as f64 / 1e6,
            q.largest as f64 / 1e3,
            u.files,
            u.bytes as f64 / 1e6,
            u.largest as f64 / 1e3
        );
    }
    if !site.points {
        eprintln!(
            "  the registry is confidential: no address points, the hexagons go to zoom 12 only"
        );
    }
    eprintln!(
        "  serve {} with any static web server that answers HTTP range requests (nginx, Apache, Caddy, S3, GitHub Pages; not python3 -m http.server)",
        site.dir.display()
    );
    Ok(())
}
