// The public coverage map: search an address or a comune, see its class and offers; switch
// between white / grey / black areas, fibre and mobile; click a comune for its statistics.
import * as maplibregl from "../vendor/maplibre-gl.mjs";
import { t, className } from "./i18n.js";
import { buildStyle, modePaint, FONT, MOBILE_WHITE_LAYERS } from "./style.js";
import { loadBasemap } from "./basemap.js";
import { staticBackend } from "./static-site.js";
import { progressLayer } from "./progress.js";
import { api, el, panel, searchBox, legend, i18nPage, addressAnswer, areaFigures, transformRequest } from "./common.js";

/// The configuration `bianca export-public` writes into a static site's index.html; null
/// when the page is served by `bianca serve`.
function staticConfig() {
  return jsonOf("static-config");
}

/// The JSON of a `<script type="application/json">` element; null when it is empty.
function jsonOf(id) {
  const txt = document.getElementById(id)?.textContent?.trim();
  return txt ? JSON.parse(txt) : null;
}

function loadScript(src) {
  return new Promise((ok, fail) => {
    const e = document.createElement("script");
    e.src = src;
    e.onload = ok;
    e.onerror = () => fail(new Error(`cannot load ${src}`));
    document.head.append(e);
  });
}

async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

export async function start({ planner = false, extraControls = null } = {}) {
  i18nPage();
  const cfg = staticConfig();
  const base = location.href.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
  let rules, snapshot, backend = null;
  if (cfg) {
    await loadScript(`${base}viewer/vendor/pmtiles.js`);
    maplibregl.addProtocol("pmtiles", new window.pmtiles.Protocol().tile);
    const [r, areas] = await Promise.all([getJson(`${base}data/rules.json`), getJson(`${base}data/areas.json`)]);
    rules = r;
    snapshot = cfg.snapshot;
    backend = staticBackend(base, cfg, areas, rules);
  } else {
    const [r, health] = await Promise.all([api("/api/v1/rules"), api("/healthz")]);
    rules = r;
    snapshot = health.snapshot;
  }
  // an external basemap, when the server or the export was told of one
  const basemapUrl = cfg?.basemap_style ?? jsonOf("map-config")?.basemap_style ?? null;
  const basemap = basemapUrl ? await loadBasemap(basemapUrl, FONT) : null;
  // `snapshot`: another snapshot than the served one, viewed by a planner ("" for none)
  const state = { mode: "classes", rule: rules[0]?.name ?? "", rules, compare: "", snapshot: "" };
  const attribution = "ISTAT / Openpolis geojson-italy (CC BY 4.0) · bianca";
  const origin = cfg ? base.replace(/\/$/, "") : location.origin;
  const staticTiles = cfg ? { pmtiles: `pmtiles://${base}${cfg.pmtiles}`, glyphs: `${base}fonts/{fontstack}/{range}.pbf` } : null;
  const snapshotQ = () => (state.snapshot ? `snapshot=${encodeURIComponent(state.snapshot)}` : "");
  const query = () => [
    state.rule && state.rule !== state.rules[0]?.name ? `rules=${encodeURIComponent(state.rule)}` : "",
    snapshotQ(),
  ].filter(Boolean).join("&");
  /// `path` with the viewed snapshot added to its query.
  const withSnapshot = (path) => (state.snapshot ? `${path}${path.includes("?") ? "&" : "?"}${snapshotQ()}` : path);
  // the mobile white areas (bianca serve --mobile-areas, or export-public --mobile-areas
  // into the static site's archive), drawn in the mobile view
  const mobileWhite = (cfg ?? jsonOf("map-config"))?.mobile_white === true;
  const styleOf = () => buildStyle({ origin, q: query(), snapshotQ: snapshotQ(), mode: state.mode, attribution, planner, compare: state.compare, staticTiles, basemap, mobileWhite });
  const map = new maplibregl.Map({
    container: "map",
    style: styleOf(),
    bounds: [[9.6, 42.2], [12.4, 44.5]],
    fitBoundsOptions: { padding: 20 },
    transformRequest,
    attributionControl: { compact: false },
    maxZoom: 18,
  });
  window.biancaMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  const p = panel();
  const classesOf = () => state.rules.find((r) => r.name === state.rule)?.classes ?? ["white", "grey", "black", "unknown"];
  legend(state.mode, classesOf(), state.compare, mobileWhite);
  const snapshotName = document.getElementById("snapshot-name");
  if (snapshotName) snapshotName.textContent = snapshot;

  // layer switch; the rollout layer (progress.js) is set up once the map has loaded
  let progress = null;
  for (const input of document.querySelectorAll("input[name=mode]")) {
    input.addEventListener("change", () => {
      state.mode = input.value;
      const paint = modePaint(state.mode);
      map.setPaintProperty("hexagons", "fill-color", paint.hex);
      map.setPaintProperty("units", "circle-color", paint.unit);
      for (const id of MOBILE_WHITE_LAYERS) {
        if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", state.mode === "mobile" ? "visible" : "none");
      }
      legend(state.mode, classesOf(), state.compare, mobileWhite);
      progress?.setActive(state.mode === "progress");
    });
  }

  /// Sets a selection filter now, or once the style being loaded is ready (a new rule set,
  /// snapshot or comparison replaces the style, which refuses filters until then).
  const setSelection = (layer, filter) => {
    try {
      map.setFilter(layer, filter);
    } catch (_) {
      map.once("style.load", () => map.setFilter(layer, filter));
    }
  };
  const selectUnit = (id) => setSelection("selected-unit", ["==", ["get", "id"], id ?? ""]);
  const selectArea = (code) => setSelection("selected-area", ["==", ["get", "code"], code ?? ""]);

  async function showUnit(id, props = null) {
    selectUnit(id);
    if (backend) {
      // a static site: the answer the export wrote for a public registry
      try {
        const unit = await backend.unit(id);
        if (unit) {
          const title = [unit.address, unit.comune_name].filter(Boolean).join(", ") || unit.id;
          p.show(title, ...addressAnswer(unit, state.rules));
          return unit;
        }
      } catch (e) {
        console.warn(`bianca: the answer of ${id}: ${e.message}`);
      }
    }
    if (backend && props) {
      // else what the tile says: class, best technology, speed class
      const unit = { id, classes: [{ rules: state.rule, class: props.class }], technologies: props.tech && props.tech !== "none" ? [props.tech] : [], speed: props.speed, offers: [] };
      p.show(id, ...addressAnswer(unit, state.rules, { offers: false }));
      return unit;
    }
    try {
      const unit = await api(withSnapshot(`/api/v1/units/${encodeURIComponent(id)}`));
      const title = [unit.address, unit.comune_name].filter(Boolean).join(", ") || unit.id;
      p.show(title, ...addressAnswer(unit, state.rules));
      return unit;
    } catch (e) {
      p.show(id, el("p", {}, e.message));
      return null;
    }
  }

  async function showArea(code, level) {
    selectArea(code);
    try {
      const area = backend ? await backend.area(code, level) : await api(withSnapshot(`/api/v1/areas/${encodeURIComponent(code)}${level ? `?level=${level}` : ""}`));
      const i = Math.max(0, area.stats.findIndex((s) => s.rules === state.rule));
      p.show(area.name, ...areaFigures(area, i), ...(extraControls?.areaExtras?.(area, state) ?? []));
      return area;
    } catch (e) {
      p.show(code, el("p", {}, e.message));
      return null;
    }
  }

  const search = backend?.search ?? ((q) => api(withSnapshot(`/api/v1/search?q=${encodeURIComponent(q)}&limit=8`)));
  searchBox(document.getElementById("search"), document.getElementById("results"), search, async (r) => {
    if (r.kind === "comune" && r.bbox) {
      map.fitBounds([[r.bbox[0], r.bbox[1]], [r.bbox[2], r.bbox[3]]], { padding: 40, duration: 900 });
      await showArea(r.code, "comune");
    } else {
      map.flyTo({ center: [r.lon, r.lat], zoom: 17, duration: 1200 });
      if (r.id) await showUnit(r.id);
    }
  });

  map.on("click", async (e) => {
    if (window.bianca?.drawing) return;
    const pad = 6;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    const unit = progress?.active ? null : map.queryRenderedFeatures(box, { layers: ["units"] })[0];
    if (unit) {
      if (unit.properties.cluster) return;
      await showUnit(unit.properties.id, unit.properties);
      return;
    }
    const area = map.queryRenderedFeatures(e.point, { layers: ["land"] })[0];
    if (progress?.active) {
      await progress.click(e, area?.properties);
      return;
    }
    if (area) await showArea(area.properties.code, "comune");
  });
  for (const l of ["units", "land"]) {
    map.on("mouseenter", l, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", l, () => { map.getCanvas().style.cursor = ""; });
  }

  const api_ = {
    map, state, rules, panel: p, showUnit, showArea, withSnapshot,
    /// Replaces the style; resolves once the new one has loaded.
    restyle() {
      const loaded = new Promise((resolve) => map.once("style.load", resolve));
      map.setStyle(styleOf(), { diff: false });
      legend(state.mode, classesOf(), state.compare, mobileWhite);
      progress?.legend();
      return loaded;
    },
    /// Shows snapshot `name` ("" for the served one), whose rule sets are `snapshotRules`:
    /// tiles, panels, search and unit lookups then answer from it. Resolves once its style
    /// has loaded (the new style starts with nothing selected).
    setSnapshot(name, snapshotRules) {
      state.snapshot = name;
      state.rules = snapshotRules;
      if (!snapshotRules.some((r) => r.name === state.rule)) state.rule = snapshotRules[0]?.name ?? "";
      if (state.compare && state.compare === name) state.compare = "";
      p.hide();
      return api_.restyle();
    },
    setRule(name) {
      state.rule = name;
      api_.restyle();
    },
    /// Marks the units whose class differs in snapshot `name` ("" for none).
    setCompare(name) {
      state.compare = name;
      api_.restyle();
    },
  };
  window.bianca = api_;
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once("load", resolve)));
  if (cfg) {
    // a static site has no rollout to show
    document.querySelector("input[name=mode][value=progress]")?.closest("label")?.setAttribute("hidden", "");
  } else {
    try {
      progress = await progressLayer(api_, { planner });
    } catch (e) {
      console.warn(`bianca: the rollout layer: ${e.message}`);
    }
    api_.progress = progress;
  }
  document.body.dataset.ready = "1";
  return api_;
}

export function hint() {
  return t("clickHint");
}

export { className };
