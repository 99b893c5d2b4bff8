// The public coverage map: search an address or a comune, see its class and offers; switch
// between white / grey / black areas, fibre and mobile; click a comune for its statistics.
import * as maplibregl from "/viewer/vendor/maplibre-gl.mjs";
import { t, className } from "./i18n.js";
import { buildStyle, modePaint } from "./style.js";
import { api, el, panel, searchBox, legend, i18nPage, addressAnswer, areaFigures, transformRequest } from "./common.js";

export async function start({ planner = false, extraControls = null } = {}) {
  i18nPage();
  const [rules, health] = await Promise.all([api("/api/v1/rules"), api("/healthz")]);
  const state = { mode: "classes", rule: rules[0]?.name ?? "", rules, compare: "" };
  const attribution = "ISTAT / Openpolis geojson-italy (CC BY 4.0) · bianca";
  const origin = location.origin;
  const query = () => (state.rule && state.rule !== rules[0]?.name ? `rules=${encodeURIComponent(state.rule)}` : "");
  const map = new maplibregl.Map({
    container: "map",
    style: buildStyle({ origin, q: query(), mode: state.mode, attribution, planner, compare: state.compare }),
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
  const classesOf = () => rules.find((r) => r.name === state.rule)?.classes ?? ["white", "grey", "black", "unknown"];
  legend(state.mode, classesOf(), state.compare);
  document.getElementById("snapshot-name").textContent = health.snapshot;

  // layer switch
  for (const input of document.querySelectorAll("input[name=mode]")) {
    input.addEventListener("change", () => {
      state.mode = input.value;
      const paint = modePaint(state.mode);
      map.setPaintProperty("hexagons", "fill-color", paint.hex);
      map.setPaintProperty("units", "circle-color", paint.unit);
      legend(state.mode, classesOf(), state.compare);
    });
  }

  const selectUnit = (id) => map.setFilter("selected-unit", ["==", ["get", "id"], id ?? ""]);
  const selectArea = (code) => map.setFilter("selected-area", ["==", ["get", "code"], code ?? ""]);

  async function showUnit(id) {
    selectUnit(id);
    try {
      const unit = await api(`/api/v1/units/${encodeURIComponent(id)}`);
      const title = [unit.address, unit.comune_name].filter(Boolean).join(", ") || unit.id;
      p.show(title, ...addressAnswer(unit, rules));
      return unit;
    } catch (e) {
      p.show(id, el("p", {}, e.message));
      return null;
    }
  }

  async function showArea(code, level) {
    selectArea(code);
    try {
      const area = await api(`/api/v1/areas/${encodeURIComponent(code)}${level ? `?level=${level}` : ""}`);
      const i = Math.max(0, area.stats.findIndex((s) => s.rules === state.rule));
      p.show(area.name, ...areaFigures(area, i), ...(extraControls?.areaExtras?.(area, state) ?? []));
      return area;
    } catch (e) {
      p.show(code, el("p", {}, e.message));
      return null;
    }
  }

  searchBox(document.getElementById("search"), document.getElementById("results"), async (r) => {
    if (r.kind === "comune" && r.bbox) {
      map.fitBounds([[r.bbox[0], r.bbox[1]], [r.bbox[2], r.bbox[3]]], { padding: 40, duration: 900 });
      await showArea(r.code, "comune");
    } else {
      map.flyTo({ center: [r.lon, r.lat], zoom: 17, duration: 1200 });
      if (r.id) await showUnit(r.id);
    }
  });

  map.on("click", async (e) => {
    const pad = 6;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    const unit = map.queryRenderedFeatures(box, { layers: ["units"] })[0];
    if (unit) {
      if (unit.properties.cluster) return;
      await showUnit(unit.properties.id);
      return;
    }
    const area = map.queryRenderedFeatures(e.point, { layers: ["land"] })[0];
    if (area) await showArea(area.properties.code, "comune");
  });
  for (const l of ["units", "land"]) {
    map.on("mouseenter", l, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", l, () => { map.getCanvas().style.cursor = ""; });
  }

  const api_ = {
    map, state, rules, panel: p, showUnit, showArea,
    restyle() {
      map.setStyle(buildStyle({ origin, q: query(), mode: state.mode, attribution, planner, compare: state.compare }), { diff: false });
      legend(state.mode, classesOf(), state.compare);
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
  document.body.dataset.ready = "1";
  return api_;
}

export function hint() {
  return t("clickHint");
}

export { className };
