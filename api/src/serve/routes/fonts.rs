//! Glyphs for the map's labels: SDF glyph ranges (`/fonts/{fontstack}/{start}-{end}.pbf`),
//! rendered from a font installed on the machine (DejaVu, Debian's `fonts-dejavu-core`) the
//! first time a range is asked for, then kept. No font is fetched from the internet.

use crate::serve::error::{ApiError, ErrorBody};
use crate::serve::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Where the fonts are looked for, and the fontstack names they serve.
const FONTS: [(&str, &str); 2] = [
    ("DejaVu Sans", "DejaVuSans.ttf"),
    ("DejaVu Sans Bold", "DejaVuSans-Bold.ttf"),
];
const DIRS: [&str; 2] = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF"];

type Ranges = Mutex<HashMap<(String, u32), Arc<Vec<u8>>>>;

fn ranges() -> &'static Ranges {
    static R: OnceLock<Ranges> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn faces() -> &'static HashMap<&'static str, glyphore_core::FontFace> {
    static F: OnceLock<HashMap<&'static str, glyphore_core::FontFace>> = OnceLock::new();
    F.get_or_init(|| {
        let mut m = HashMap::new();
        for (name, file) in FONTS {
            let bytes = DIRS
                .iter()
                .find_map(|d| std::fs::read(format!("{d}/{file}")).ok());
            match bytes.map(|b| glyphore_core::FontFace::parse(&b)) {
                Some(Ok(face)) => {
                    m.insert(name, face);
                }
                Some(Err(e)) => tracing::warn!(font = file, error = %e, "unreadable font"),
                None => tracing::warn!(
                    font = file,
                    "font not installed (apt-get install fonts-dejavu-core): map labels need it"
                ),
            }
        }
        m
    })
}

/// The installed fontstacks.
pub fn fontstacks() -> impl Iterator<Item = &'static str> {
    FONTS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| faces().contains_key(n))
}

/// One glyph range of an installed font, rendered.
pub fn glyph_range(name: &str, start: u32) -> Option<Vec<u8>> {
    glyphore_core::generate_range(faces().get(name)?, start).ok()
}

/// A glyph range (256 code points) of a fontstack; the first font of a comma-separated
/// stack that is installed answers.
#[utoipa::path(get, path = "/fonts/{fontstack}/{range}.pbf", tag = "tiles",
    params(
        ("fontstack" = String, Path, description = "DejaVu Sans or DejaVu Sans Bold (comma-separated stacks: the first known)"),
        ("range" = String, Path, description = "start-end, e.g. 0-255"),
    ),
    responses(
        (status = 200, description = "SDF glyphs (protocol buffer)", content_type = "application/x-protobuf", body = Vec<u8>),
        (status = 404, body = ErrorBody),
    ))]
pub async fn glyphs(
    State(_state): State<Arc<AppState>>,
    Path((stack, range)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let bad = || ApiError::NotFound(format!("no glyph range {range:?}: 0-255, 256-511, ..."));
    let (a, b) = range
        .strip_suffix(".pbf")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let (start, end): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if start % 256 != 0 || end != start + 255 || start > 65_280 {
        return Err(bad());
    }
    let name = stack
        .split(',')
        .map(str::trim)
        .find(|n| FONTS.iter().any(|(f, _)| f == n) && faces().contains_key(n))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no font for {stack:?}: DejaVu Sans, DejaVu Sans Bold"
            ))
        })?
        .to_string();
    let key = (name.clone(), start);
    let cached = ranges().lock().ok().and_then(|m| m.get(&key).cloned());
    let pbf = match cached {
        Some(p) => p,
        None => {
            let p = tokio::task::spawn_blocking(move || {
                let face = faces()
                    .get(name.as_str())
                    .ok_or_else(|| ApiError::internal("font vanished"))?;
                glyphore_core::generate_range(face, start).map_err(ApiError::internal)
            })
            .await
            .map_err(ApiError::internal)??;
            let p = Arc::new(p);
            if let Ok(mut m) = ranges().lock() {
                m.insert(key, p.clone());
            }
            p
        }
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-protobuf"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        pbf.as_ref().clone(),
    )
        .into_response())
}
