// The map's style: bianca's own layers (fonts from the server), and under them an external
// basemap only when one is configured (see basemap.js).
import { withBasemap } from "./basemap.js";

// Colours: an orange / purple scheme that reads for colour-blind people (ColorBrewer PuOr).

export const CLASS_COLOURS = {
  white: "#e66100", unserved: "#e66100", eligible: "#e66100",
  grey: "#b2abd2", underserved: "#b2abd2",
  black: "#5e3c99", served: "#5e3c99", not_eligible: "#5e3c99",
  unknown: "#bdbdbd",
};
export const FTTH = { yes: "#2166ac", no: "#f4a582" };
export const MOBILE = { "5G": "#5e3c99", "4G": "#b2abd2", none: "#e66100" };
/// The mobile white areas (Italia 5G eligible) and the layers that draw them.
export const MOBILE_WHITE = "#b35806";
export const MOBILE_WHITE_LAYERS = ["mobile-white", "mobile-white-line"];
export const SHARE_RAMP = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"];
export const AVAIL_RAMP = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
export const FONT = ["DejaVu Sans"];
/// The statuses of rollout work in their order, and their colours: a sequential ramp from
/// planned to sellable (ColorBrewer YlGnBu), grey for excluded work.
export const STATUS = ["planned", "design_final", "design_exec", "permits", "in_works", "works_closed", "testing", "completed", "sellable", "excluded"];
export const STATUS_COLOURS = {
  planned: "#ffffd9", design_final: "#edf8b1", design_exec: "#c7e9b4", permits: "#7fcdbb",
  in_works: "#41b6c4", works_closed: "#1d91c0", testing: "#225ea8", completed: "#253494",
  sellable: "#081d58", excluded: "#9e9e9e",
};
/// Completion share of the rollout, 0 to 100% (ColorBrewer YlGnBu, from its third step).
export const COMPLETION_RAMP = ["#edf8b1", "#7fcdbb", "#1d91c0", "#253494", "#081d58"];
export const TECH_COLOURS = {
  FTTH: "#2166ac", FTTB: "#4393c3", FTTC: "#92c5de", VDSL: "#92c5de", ADSL: "#d1e5f0",
  CABLE: "#4393c3", FWA: "#f4a582", "5G": "#b2182b", "4G": "#d6604d", SAT: "#bababa",
};
const COVERAGE_LINE = ["match", ["get", "technology"], "FTTH", "#2166ac", "FTTB", "#4393c3", "FTTC", "#4393c3", "VDSL", "#4393c3", "FWA", "#d6604d", "5G", "#b2182b", "4G", "#d6604d", "#666666"];
const FONT_BOLD = ["DejaVu Sans Bold"];

export function classColour(c) {
  return CLASS_COLOURS[c] ?? "#999999";
}

function classMatch(prop) {
  const m = ["match", ["get", prop]];
  for (const [k, v] of Object.entries(CLASS_COLOURS)) m.push(k, v);
  m.push("#999999");
  return m;
}

function ramp(prop, colours) {
  const e = ["interpolate", ["linear"], ["coalesce", ["get", prop], 0]];
  colours.forEach((c, i) => e.push(i / (colours.length - 1), c));
  return e;
}

/// Paint of the hexagon fill and the unit circles for a mode: classes, ftth, mobile.
export function modePaint(mode) {
  if (mode === "ftth") {
    return {
      hex: ramp("share_ftth", AVAIL_RAMP),
      unit: ["case", ["==", ["get", "ftth"], true], FTTH.yes, FTTH.no],
      cluster: ramp("share_white", SHARE_RAMP),
    };
  }
  if (mode === "mobile") {
    return {
      hex: ramp("share_5g", AVAIL_RAMP),
      unit: ["match", ["get", "mobile"], "5G", MOBILE["5G"], "4G", MOBILE["4G"], MOBILE.none],
    };
  }
  return { hex: classMatch("class"), unit: classMatch("class") };
}

/// The whole style. `q` is the query string added to tile URLs (rule set, snapshot),
/// `snapshotQ` the part of it that names the snapshot (the coverage layer takes only that);
/// `basemap` an adapted external style (basemap.js) to draw under bianca's layers.
export function buildStyle({ origin, q = "", snapshotQ = "", mode = "classes", attribution = "", planner = false, compare = "", staticTiles = null, basemap = null, mobileWhite = false }) {
  const tj = (layer, extra = "") => `${origin}/tiles/${layer}.json${q || extra ? "?" : ""}${[q, extra].filter(Boolean).join("&")}`;
  const paint = modePaint(mode);
  const style = {
    version: 8,
    name: "bianca",
    glyphs: `${origin}/fonts/{fontstack}/{range}.pbf`,
    sources: {
      // `code` identifies an area for its feature state (the rollout layer, progress.js)
      areas: { type: "vector", url: tj("areas"), attribution, promoteId: "code" },
      hexagons: { type: "vector", url: tj("hexagons") },
      units: { type: "vector", url: tj("units", compare ? `compare=${encodeURIComponent(compare)}` : "") },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#dfe6ec" } },
      {
        id: "land", type: "fill", source: "areas", "source-layer": "areas",
        filter: ["==", ["get", "level"], "comune"],
        paint: { "fill-color": "#f8f7f2" },
      },
      {
        id: "land-low", type: "fill", source: "areas", "source-layer": "areas", maxzoom: 7,
        filter: ["==", ["get", "level"], "region"],
        paint: { "fill-color": "#f8f7f2" },
      },
      {
        id: "hexagons", type: "fill", source: "hexagons", "source-layer": "hexagons",
        maxzoom: 13,
        paint: {
          "fill-color": paint.hex,
          "fill-opacity": ["interpolate", ["linear"], ["zoom"], 5, 0.85, 12, 0.75],
          "fill-outline-color": "rgba(255,255,255,0.6)",
        },
      },
      {
        id: "comune-lines", type: "line", source: "areas", "source-layer": "areas", minzoom: 7,
        filter: ["==", ["get", "level"], "comune"],
        paint: { "line-color": "#7d8796", "line-width": ["interpolate", ["linear"], ["zoom"], 7, 0.3, 12, 1.2] },
      },
      {
        id: "province-lines", type: "line", source: "areas", "source-layer": "areas",
        filter: ["==", ["get", "level"], "province"],
        paint: { "line-color": "#4a5466", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 0.8, 10, 2] },
      },
      {
        id: "region-lines", type: "line", source: "areas", "source-layer": "areas",
        filter: ["==", ["get", "level"], "region"],
        paint: { "line-color": "#1f2937", "line-width": 1.8 },
      },
      {
        id: "units", type: "circle", source: "units", "source-layer": "units", minzoom: 13,
        paint: {
          "circle-color": paint.unit,
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 2.5, 16, 6, 18, 9],
          "circle-stroke-color": "#ffffff",
          "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 13, 0.3, 16, 1.2],
        },
      },
      {
        id: "units-changed", type: "circle", source: "units", "source-layer": "units", minzoom: 13,
        filter: ["==", ["get", "changed"], true],
        layout: { visibility: compare ? "visible" : "none" },
        paint: {
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 5, 16, 10, 18, 14],
          "circle-color": "rgba(0,0,0,0)",
          "circle-stroke-color": "#111827",
          "circle-stroke-width": 2,
        },
      },
      {
        id: "selected-unit", type: "circle", source: "units", "source-layer": "units", minzoom: 13,
        filter: ["==", ["get", "id"], ""],
        paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#111827", "circle-stroke-width": 3 },
      },
      {
        id: "selected-area", type: "line", source: "areas", "source-layer": "areas",
        filter: ["==", ["get", "code"], ""],
        paint: { "line-color": "#111827", "line-width": 3 },
      },
      {
        id: "province-labels", type: "symbol", source: "areas", "source-layer": "areas",
        minzoom: 5, maxzoom: 9,
        filter: ["all", ["==", ["get", "level"], "province"], ["==", ["get", "label"], true]],
        layout: { "text-field": ["get", "name"], "text-font": FONT_BOLD, "text-size": 13, "text-transform": "uppercase", "text-letter-spacing": 0.08 },
        paint: { "text-color": "#1f2937", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
      },
      {
        id: "comune-labels", type: "symbol", source: "areas", "source-layer": "areas",
        minzoom: 9,
        filter: ["all", ["==", ["get", "level"], "comune"], ["==", ["get", "label"], true]],
        layout: { "text-field": ["get", "name"], "text-font": FONT, "text-max-width": 8, "text-size": ["interpolate", ["linear"], ["zoom"], 9, 11, 14, 15] },
        paint: { "text-color": "#111827", "text-halo-color": "#ffffff", "text-halo-width": 1.6 },
      },
    ],
  };
  if (mobileWhite) {
    // the Italia 5G eligible areas the server was given (or the static site's archive
    // holds, as its layer mobile_white): shown in the mobile view
    if (!staticTiles) style.sources.mobile_white = { type: "vector", url: `${origin}/tiles/mobile_white.json` };
    const i = style.layers.findIndex((l) => l.id === "comune-lines");
    const visibility = mode === "mobile" ? "visible" : "none";
    style.layers.splice(i, 0,
      {
        id: "mobile-white", type: "fill", source: "mobile_white", "source-layer": "mobile_white",
        layout: { visibility },
        paint: { "fill-color": MOBILE_WHITE, "fill-opacity": 0.55 },
      },
      {
        id: "mobile-white-line", type: "line", source: "mobile_white", "source-layer": "mobile_white",
        layout: { visibility },
        paint: { "line-color": MOBILE_WHITE, "line-width": 1.5 },
      },
    );
  }
  if (staticTiles) {
    // a static site: one PMTiles archive holds every layer
    style.glyphs = staticTiles.glyphs;
    style.sources = { public: { type: "vector", url: staticTiles.pmtiles, attribution, promoteId: { areas: "code" } } };
    for (const l of style.layers) if (l.source) l.source = "public";
    return withBasemap(style, basemap);
  }
  if (planner) {
    style.sources.coverage = { type: "vector", url: `${origin}/tiles/coverage.json${snapshotQ ? `?${snapshotQ}` : ""}` };
    const i = style.layers.findIndex((l) => l.id === "comune-lines");
    style.layers.splice(i, 0,
      {
        id: "coverage-fill", type: "fill", source: "coverage", "source-layer": "coverage",
        layout: { visibility: "none" },
        paint: {
          "fill-color": ["match", ["get", "technology"], "FTTH", "#2166ac", "FTTB", "#4393c3", "FTTC", "#92c5de", "VDSL", "#92c5de", "FWA", "#f4a582", "5G", "#b2182b", "4G", "#d6604d", "#999999"],
          // the value classes of coverage rasters: the better the signal, the denser
          "fill-opacity": ["case", ["has", "level"], ["*", 0.12, ["get", "level"]], 0.25],
        },
      },
      {
        id: "coverage-line", type: "line", source: "coverage", "source-layer": "coverage",
        layout: { visibility: "none" },
        filter: ["!=", ["get", "status"], "planned"],
        paint: { "line-color": COVERAGE_LINE, "line-width": ["case", ["has", "level"], 0.4, 1.2] },
      },
      {
        id: "coverage-planned", type: "line", source: "coverage", "source-layer": "coverage",
        layout: { visibility: "none" },
        filter: ["==", ["get", "status"], "planned"],
        paint: { "line-color": COVERAGE_LINE, "line-width": ["case", ["has", "level"], 0.6, 1.6], "line-dasharray": [2, 2] },
      },
    );
  }
  return withBasemap(style, basemap);
}
