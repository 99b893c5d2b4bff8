// The planner workspace: the public map plus confidential coverage by operator and
// technology, rule-set and snapshot pickers (any stored snapshot can be shown: tiles and
// panels then answer from it), comparisons and area trends. Behind a token
// (from `bianca tokens create`), remembered for the browser session.
import { t, fmt, className, lang } from "./i18n.js";
import { api, el, setToken, i18nPage, num, pct, saveBlob } from "./common.js";
import { start as startMap } from "./public.js";
import { classColour } from "./style.js";

const KEY = "bianca.token";

async function login() {
  i18nPage();
  const saved = sessionStorage.getItem(KEY);
  if (saved) {
    setToken(saved);
    try { await api("/api/v1/offers"); return; } catch (_) { sessionStorage.removeItem(KEY); setToken(null); }
  }
  const box = document.getElementById("login");
  box.hidden = false;
  await new Promise((resolve) => {
    document.getElementById("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const tok = document.getElementById("token").value.trim();
      setToken(tok);
      const err = document.getElementById("login-error");
      try {
        // a planner or admin token reads the confidential dataset list
        await api("/api/v1/datasets");
        sessionStorage.setItem(KEY, tok);
        box.hidden = true;
        resolve();
      } catch (_) {
        setToken(null);
        err.textContent = t("loginFailed");
        err.hidden = false;
      }
    });
  });
}

/// A small line chart of the white share across snapshots.
function trendChart(points) {
  if (points.length < 2) return el("p", { class: "muted small" }, points.length ? `${points[0].name}: ${pct(points[0].share)}` : "—");
  const w = 300, h = 70, pad = 6;
  const xs = (i) => pad + (i * (w - 2 * pad)) / (points.length - 1);
  const ys = (v) => h - pad - v * (h - 2 * pad);
  const d = points.map((p, i) => `${i ? "L" : "M"}${xs(i).toFixed(1)},${ys(p.share).toFixed(1)}`).join(" ");
  const svg = `<svg viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg" role="img"><path d="${d}" fill="none" stroke="#e66100" stroke-width="2"/>${points.map((p, i) => `<circle cx="${xs(i)}" cy="${ys(p.share)}" r="3" fill="#e66100"><title>${p.name}: ${(p.share * 100).toFixed(1)}%</title></circle>`).join("")}</svg>`;
  const box = el("div", { class: "trend" });
  box.innerHTML = svg;
  return box;
}

export async function start() {
  await login();
  const [snapshots, offers] = await Promise.all([api("/api/v1/snapshots"), api("/api/v1/offers")]);
  let compare = "";
  const extras = {
    areaExtras(area, state) {
      const first = area.stats.find((s) => s.rules === state.rule) ?? area.stats[0];
      const white = first?.classes?.[0]?.class ?? "white";
      const trendBox = el("div", {}, el("h3", {}, `${t("trend")} · ${className(white)}`), el("p", { class: "muted small" }, "…"));
      const movesBox = el("div");
      (async () => {
        const points = [];
        for (const s of snapshots.slice(-8)) {
          if (!s.rules.includes(state.rule)) continue;
          try {
            const r = await api(`/api/v1/stats?snapshot=${encodeURIComponent(s.name)}&level=${area.level}&code=${area.code}&rules=${encodeURIComponent(state.rule)}`);
            const a = r.areas[0];
            if (a) points.push({ name: s.name, share: a.units ? a.classes[0].units / a.units : 0 });
          } catch (_) { /* a snapshot without this area */ }
        }
        trendBox.replaceChildren(el("h3", {}, `${t("trend")} · ${className(white)}`), trendChart(points));
        if (compare) {
          try {
            const q = `compare=${encodeURIComponent(compare)}&rules=${encodeURIComponent(state.rule)}&level=${area.level}`;
            const m = await api(app.withSnapshot(`/api/v1/areas/${area.code}/moves?${q}`));
            movesBox.replaceChildren(el("h3", {}, `${t("moves")} · ${compare} → ${m.snapshot}`),
              m.moves.length
                ? el("table", { class: "moves", "data-testid": "moves" },
                  el("tr", {}, el("th", {}, t("from")), el("th", {}, t("to")), el("th", {}, t("addresses")), el("th", {}, t("units"))),
                  m.moves.map((mv) => el("tr", {},
                    el("td", {}, el("span", { class: "swatch", style: `background:${classColour(mv.from)}` }), " ", className(mv.from)),
                    el("td", { style: "text-align:left" }, el("span", { class: "swatch", style: `background:${classColour(mv.to)}` }), " ", className(mv.to)),
                    el("td", {}, num(mv.addresses)),
                    el("td", {}, num(mv.units)))))
                : el("p", { class: "muted small", "data-testid": "moves" }, t("noMoves")),
              el("p", { class: "muted small" }, `${num(m.unchanged_addresses)} ${t("unchanged")}`));
          } catch (e) { movesBox.replaceChildren(el("p", { class: "error small" }, e.message)); }
        }
      })();
      const download = async (format) => {
        const r = await fetch(app.withSnapshot(`/api/v1/areas/${area.code}/units?level=${area.level}&format=${format}`), { headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` } });
        if (r.ok) saveBlob(await r.blob(), `bianca-${area.level}-${area.code}.${format}`);
      };
      const exportBox = el("div", {}, el("h3", {}, t("export")),
        el("button", { type: "button", class: "secondary", "data-testid": "export-csv", onclick: () => download("csv") }, "CSV"), " ",
        el("button", { type: "button", class: "secondary", onclick: () => download("geojson") }, "GeoJSON"));
      return [trendBox, movesBox, exportBox];
    },
  };
  const app = await startMap({ planner: true, extraControls: extras });
  const { map, state } = app;

  // rule and snapshot pickers: the snapshot shown (the served one by default), and another
  // to compare it with
  const served = snapshots.find((s) => s.served)?.name ?? "";
  const ruleSel = document.getElementById("rule");
  const fillRules = () => {
    ruleSel.replaceChildren(...state.rules.map((r) => el("option", { value: r.name }, r.title || r.name)));
    ruleSel.value = state.rule;
  };
  fillRules();
  ruleSel.addEventListener("change", () => app.setRule(ruleSel.value));
  const snapSel = document.getElementById("snapshot");
  snapSel.replaceChildren(...snapshots.map((s) => el("option", { value: s.name }, s.served ? `${s.name} (${t("served")})` : s.name)));
  snapSel.value = served;
  const cmp = document.getElementById("compare");
  const fillCompare = () => {
    const shown = snapSel.value;
    cmp.replaceChildren(el("option", { value: "" }, t("none")),
      ...snapshots.filter((s) => s.name !== shown).map((s) => el("option", { value: s.name }, s.name)));
    cmp.value = compare;
  };
  fillCompare();
  cmp.addEventListener("change", () => { compare = cmp.value; app.setCompare(compare); });
  snapSel.addEventListener("change", async () => {
    const name = snapSel.value === served ? "" : snapSel.value;
    snapSel.disabled = true;
    try {
      const rules = await api(`/api/v1/rules${name ? `?snapshot=${encodeURIComponent(name)}` : ""}`);
      if (compare === snapSel.value) compare = "";
      await app.setSnapshot(name, rules);
      fillRules();
      fillCompare();
      document.body.dataset.snapshot = snapSel.value;
    } catch (e) {
      console.warn(`bianca: snapshot ${snapSel.value}: ${e.message}`);
      snapSel.value = state.snapshot || served;
    } finally {
      snapSel.disabled = false;
    }
  });

  // coverage filters, from the offers the token may see
  const uniq = (k) => [...new Set(offers.map((o) => o[k]).filter(Boolean))].sort();
  const opt = (sel, values) => sel.replaceChildren(el("option", { value: "" }, t("all")), ...values.map((v) => el("option", { value: v }, v)));
  const opSel = document.getElementById("operator");
  const techSel = document.getElementById("technology");
  const statusSel = document.getElementById("status");
  opt(opSel, uniq("operator"));
  opt(techSel, uniq("technology"));
  const years = [...new Set(offers.filter((o) => o.status === "planned" && o.year).map((o) => o.year))].sort();
  statusSel.replaceChildren(el("option", { value: "" }, t("all")), el("option", { value: "existing" }, t("existing")),
    ...years.map((y) => el("option", { value: `planned:${y}` }, `${t("plannedBy")} ${y}`)));
  const minSpeed = document.getElementById("min-speed");
  const applyCoverage = () => {
    const on = document.getElementById("coverage-on").checked;
    const f = ["all"];
    if (opSel.value) f.push(["==", ["get", "operator"], opSel.value]);
    if (techSel.value) f.push(["==", ["get", "technology"], techSel.value]);
    const min = Number(minSpeed.value) || 0;
    if (min > 0) f.push([">=", ["get", "down"], min]);
    if (statusSel.value === "existing") f.push(["!=", ["get", "status"], "planned"]);
    if (statusSel.value.startsWith("planned:")) {
      f.push(["any", ["!=", ["get", "status"], "planned"], ["<=", ["coalesce", ["get", "year"], 0], Number(statusSel.value.slice(8))]]);
    }
    for (const id of ["coverage-fill", "coverage-line", "coverage-planned"]) {
      if (!map.getLayer(id)) continue;
      map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
      const base = id === "coverage-line" ? ["!=", ["get", "status"], "planned"] : id === "coverage-planned" ? ["==", ["get", "status"], "planned"] : null;
      map.setFilter(id, base ? ["all", base, f] : f);
    }
  };
  for (const e of [document.getElementById("coverage-on"), opSel, techSel, statusSel, minSpeed]) e.addEventListener("change", applyCoverage);
  map.on("styledata", () => { if (map.getLayer("coverage-fill")) applyCoverage(); });

  // draw a polygon, then export the units inside it
  const drawBtn = document.getElementById("draw");
  const drawHint = document.getElementById("draw-hint");
  let drawing = null;
  const drawnData = (pts, closed) => ({
    type: "FeatureCollection",
    features: pts.length < 2 ? [] : [{
      type: "Feature", properties: {},
      geometry: closed ? { type: "Polygon", coordinates: [[...pts, pts[0]]] } : { type: "LineString", coordinates: pts },
    }],
  });
  const ensureDrawLayer = () => {
    if (map.getSource("drawn")) return;
    map.addSource("drawn", { type: "geojson", data: drawnData([], false) });
    map.addLayer({ id: "drawn-fill", type: "fill", source: "drawn", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#5e3c99", "fill-opacity": 0.12 } });
    map.addLayer({ id: "drawn-line", type: "line", source: "drawn", paint: { "line-color": "#5e3c99", "line-width": 2.5, "line-dasharray": [2, 1] } });
  };
  const onDrawClick = (e) => {
    drawing.push([e.lngLat.lng, e.lngLat.lat]);
    map.getSource("drawn").setData(drawnData(drawing, false));
  };
  const finishDrawing = async () => {
    const pts = drawing;
    drawing = null;
    map.off("click", onDrawClick);
    map.doubleClickZoom.enable();
    drawBtn.textContent = t("draw");
    drawHint.hidden = true;
    window.bianca.drawing = false;
    if (pts.length < 3) { map.getSource("drawn").setData(drawnData([], false)); return; }
    map.getSource("drawn").setData(drawnData(pts, true));
    const polygon = { type: "Polygon", coordinates: [[...pts, pts[0]]] };
    const post = (format) => fetch("/api/v1/units/export", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
      body: JSON.stringify({ polygon, format, snapshot: state.snapshot || undefined }),
    });
    const r = await post("csv");
    const csv = r.ok ? await r.text() : "";
    const n = Math.max(0, csv.trim().split("\n").length - 1);
    const save = (blob, ext) => saveBlob(blob, `bianca-drawn-area.${ext}`);
    app.panel.show(t("drawn"),
      el("p", { "data-testid": "drawn-count" }, fmt(t("drawnUnits"), { n: num(n) })),
      el("h3", {}, t("export")),
      el("button", { type: "button", class: "secondary", "data-testid": "drawn-csv", onclick: () => save(new Blob([csv], { type: "text/csv" }), "csv") }, "CSV"), " ",
      el("button", { type: "button", class: "secondary", onclick: async () => { const g = await post("geojson"); if (g.ok) save(await g.blob(), "geojson"); } }, "GeoJSON"));
  };
  drawBtn.addEventListener("click", () => {
    ensureDrawLayer();
    if (drawing) { finishDrawing(); return; }
    drawing = [];
    window.bianca.drawing = true;
    map.getSource("drawn").setData(drawnData([], false));
    map.doubleClickZoom.disable();
    map.on("click", onDrawClick);
    drawBtn.textContent = t("drawDone");
    drawHint.hidden = false;
  });
  map.on("styledata", () => { if (!map.getSource("drawn") && map.isStyleLoaded()) ensureDrawLayer(); });

  document.getElementById("logout").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
  // the planner sees exact speeds and every offer in the unit panel (the API decides)
  window.bianca = { ...app, applyCoverage, lang: lang() };
  return app;
}

export { fmt };
