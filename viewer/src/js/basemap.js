// An external basemap (`bianca serve --basemap-style URL`, `bianca export-public
// --basemap-style URL`): a MapLibre style whose sources and layers are drawn under bianca's
// own. Its ids get a prefix so they never clash with bianca's; relative URLs are resolved
// against the style's URL; its labels use bianca's font (bianca's glyphs stay: bianca's own
// labels need them); its sprite is kept (bianca has none). With no URL nothing is fetched.
// A style that cannot be fetched or read gives a console warning, and the map shows
// bianca's layers alone.

const PREFIX = "basemap-";
const TIMEOUT_MS = 8000;

/// Fetches and adapts the style at `url`; null (with a console warning) when it fails.
export async function loadBasemap(url, font) {
  try {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    let style;
    try {
      const r = await fetch(url, { signal: ctl.signal });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      style = await r.json();
    } finally {
      clearTimeout(timer);
    }
    return adaptBasemap(style, url, font);
  } catch (e) {
    console.warn(`bianca: the basemap style ${url} could not be used (${e.message || e}); the map shows bianca's layers only`);
    return null;
  }
}

/// `u` resolved against the style's URL; absolute URLs (any scheme) stay as they are, and
/// the {z}/{x}/{y} and {fontstack} templates survive.
function resolve(u, base) {
  if (typeof u !== "string" || /^[a-z][a-z0-9+.-]*:/i.test(u)) return u;
  return new URL(u, base).href.replace(/%7B/gi, "{").replace(/%7D/gi, "}");
}

/// The sources, layers and sprite of style `style` (fetched from `url`), ready to be put
/// under bianca's layers. Throws when `style` is not a MapLibre style (version 8).
export function adaptBasemap(style, url, font) {
  if (!style || style.version !== 8 || typeof style.sources !== "object" || style.sources === null || !Array.isArray(style.layers)) {
    throw new Error("not a MapLibre style (version 8)");
  }
  const sources = {};
  for (const [id, src] of Object.entries(style.sources)) {
    const s = { ...src };
    if (s.url) s.url = resolve(s.url, url);
    if (Array.isArray(s.tiles)) s.tiles = s.tiles.map((t) => resolve(t, url));
    if (Array.isArray(s.urls)) s.urls = s.urls.map((t) => resolve(t, url));
    if (typeof s.data === "string") s.data = resolve(s.data, url);
    sources[PREFIX + id] = s;
  }
  const layers = style.layers
    .filter((l) => l && typeof l.id === "string" && (!l.source || l.source in style.sources))
    .map((l) => {
      const out = { ...l, id: PREFIX + l.id };
      if (l.source) out.source = PREFIX + l.source;
      if (l.layout && "text-font" in l.layout) out.layout = { ...l.layout, "text-font": font };
      return out;
    });
  let sprite;
  if (typeof style.sprite === "string") sprite = resolve(style.sprite, url);
  else if (Array.isArray(style.sprite)) sprite = style.sprite.map((s) => ({ ...s, url: resolve(s.url, url) }));
  return { sources, layers, sprite };
}

/// `style` (bianca's) with the basemap under it: bianca's background goes, its land fills
/// become transparent (they stay for clicks on a comune), the basemap's sources and layers
/// come first.
export function withBasemap(style, basemap) {
  if (!basemap) return style;
  const own = style.layers
    .filter((l) => l.type !== "background")
    .map((l) => (l.id === "land" || l.id === "land-low" ? { ...l, paint: { ...l.paint, "fill-opacity": 0 } } : l));
  const out = { ...style, sources: { ...basemap.sources, ...style.sources }, layers: [...basemap.layers, ...own] };
  if (basemap.sprite) out.sprite = basemap.sprite;
  return out;
}
