//! An optional external basemap (`bianca serve --basemap-style URL`, `bianca export-public
//! --basemap-style URL`): the URL of a MapLibre style document that the viewer fetches and
//! draws under bianca's own layers. The server never fetches it; the browser does. With no
//! URL (the default) no request leaves bianca's origin.
//!
//! The viewer keeps bianca's glyphs (its labels need them) and draws the external style's
//! labels with bianca's font; it takes the external sprite (bianca has none). When the
//! style cannot be fetched or is not a style, the viewer logs a console warning and shows
//! bianca's layers alone.

use super::error::ServeError;

/// The longest URL accepted.
const MAX_LEN: usize = 2048;

/// Checks a basemap style URL: an absolute `http://` or `https://` URL with a host, no
/// white space, no quotes or angle brackets (it is written into the viewer's HTML as JSON).
pub fn check_style_url(url: &str) -> Result<String, ServeError> {
    let url = url.trim();
    let bad = |why: &str| ServeError::Config(format!("basemap style URL {url:?}: {why}"));
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if url.len() > MAX_LEN {
        return Err(bad("is longer than 2048 bytes"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c))
    {
        return Err(bad("contains white space, a quote or an angle bracket"));
    }
    Ok(url.to_string())
}

/// The map's configuration as the served pages carry it (`<script id="map-config">`): the
/// basemap, and whether the server has the `mobile_white` layer; `None` when there is
/// nothing to configure.
pub fn page_config(basemap_style: Option<&str>, mobile_white: bool) -> Option<String> {
    if basemap_style.is_none() && !mobile_white {
        return None;
    }
    let mut cfg = serde_json::Map::new();
    if let Some(url) = basemap_style {
        cfg.insert("basemap_style".into(), url.into());
    }
    if mobile_white {
        cfg.insert("mobile_white".into(), true.into());
    }
    let json = serde_json::Value::Object(cfg).to_string();
    // inside <script>: no "</script>" can be closed by the data
    Some(json.replace('<', "\\u003c"))
}

/// The placeholder of the map's configuration in `index.html` and `planner.html`.
pub const CONFIG_PLACEHOLDER: &str = r#"<script id="map-config" type="application/json"></script>"#;

/// `html` with the configuration written into its placeholder.
pub fn with_config(html: &str, config: &str) -> String {
    html.replace(
        CONFIG_PLACEHOLDER,
        &format!(r#"<script id="map-config" type="application/json">{config}</script>"#),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_pass() {
        assert_eq!(
            check_style_url(" https://tiles.example.org/style.json ").unwrap(),
            "https://tiles.example.org/style.json"
        );
        assert!(check_style_url("http://127.0.0.1:9000/s.json?key=a&b=c").is_ok());
        for bad in [
            "",
            "tiles.example.org/style.json",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://",
            "https:///style.json",
            "https://x.org/a b.json",
            "https://x.org/\"><script>.json",
        ] {
            assert!(check_style_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_config_cannot_close_its_script() {
        let c = page_config(Some("https://x.org/</script>"), false).unwrap();
        assert!(!c.contains('<'), "{c}");
        let html = with_config(&format!("<body>{CONFIG_PLACEHOLDER}</body>"), &c);
        assert!(
            html.contains(r#"{"basemap_style":"https://x.org/\u003c/script>"}"#),
            "{html}"
        );
        assert_eq!(page_config(None, false), None);
        assert_eq!(
            page_config(None, true).as_deref(),
            Some(r#"{"mobile_white":true}"#)
        );
    }
}
