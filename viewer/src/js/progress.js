// The rollout layer: comuni coloured by completion share or by the status of most of their
// housing units, as of a date chosen on a slider; per-address work and 5G sites as points
// at high zoom (planners only: the API refuses them to the public); a panel with the
// area's figures and its monthly time series. The public map shows completion per comune
// and the series, never the upload history or the points.
import { t, fmt, lang } from "./i18n.js";
import { api, el, num, pct } from "./common.js";
import { STATUS, STATUS_COLOURS, COMPLETION_RAMP } from "./style.js";

/// Zoom from which per-address work and sites are drawn.
export const POINTS_MINZOOM = 12;
const TRANSPARENT = "rgba(0,0,0,0)";

/// Per comune: units and items in total and by status, summed over the report's lines
/// (one per plan and technology).
export function byComune(lines) {
  const out = new Map();
  for (const l of lines) {
    let a = out.get(l.code);
    if (!a) {
      a = { code: l.code, name: l.name, units: 0, items: 0, done_units: 0, done_items: 0, sellable_units: 0, late_items: 0, late_units: 0, units_by_status: {}, items_by_status: {} };
      out.set(l.code, a);
    }
    for (const k of ["units", "items", "done_units", "done_items", "sellable_units", "late_items", "late_units"]) a[k] += l[k];
    for (const [s, n] of Object.entries(l.units_by_status)) a.units_by_status[s] = (a.units_by_status[s] ?? 0) + n;
    for (const [s, n] of Object.entries(l.items_by_status)) a.items_by_status[s] = (a.items_by_status[s] ?? 0) + n;
  }
  for (const a of out.values()) {
    // completion against the plan: done over all but excluded work; by units when the work
    // has units (civici, BUL), else by items (sites)
    const byUnits = a.units > 0;
    const total = byUnits ? a.units - (a.units_by_status.excluded ?? 0) : a.items - (a.items_by_status.excluded ?? 0);
    a.completion = total > 0 ? (byUnits ? a.done_units : a.done_items) / total : null;
    // the status most of the work is in (excluded only when all of it is)
    const counts = byUnits ? a.units_by_status : a.items_by_status;
    let best = -1, bestN = 0;
    STATUS.forEach((s, i) => {
      const n = counts[s] ?? 0;
      if (s !== "excluded" && n > bestN) { best = i; bestN = n; }
    });
    if (best < 0 && (counts.excluded ?? 0) > 0) best = STATUS.indexOf("excluded");
    a.step = best < 0 ? null : best;
  }
  return out;
}

/// The fill colour of the comuni, from their feature state.
export function fillColour(by) {
  if (by === "status") {
    const m = ["match", ["coalesce", ["feature-state", "step"], -1]];
    STATUS.forEach((s, i) => m.push(i, STATUS_COLOURS[s]));
    m.push(TRANSPARENT);
    return m;
  }
  const ramp = ["interpolate", ["linear"], ["coalesce", ["feature-state", "completion"], 0]];
  COMPLETION_RAMP.forEach((c, i) => ramp.push(i / (COMPLETION_RAMP.length - 1), c));
  return ["case", ["==", ["typeof", ["feature-state", "completion"]], "number"], ramp, TRANSPARENT];
}

function statusName(s) {
  return t(`statuses.${s}`);
}

/// A line chart of the monthly series: planned units (or items), done and sellable.
export function seriesChart(points) {
  if (!points.length) return el("p", { class: "muted small", "data-testid": "series-chart" }, t("progressNone"));
  const byUnits = points.some((p) => p.units > 0);
  const total = (p) => (byUnits ? p.units : p.items);
  const done = (p) => (byUnits ? p.done_units : p.done_items);
  const lines = [
    { key: "planned", colour: "#9ca3af", v: total },
    { key: "done", colour: STATUS_COLOURS.completed, v: done },
  ];
  if (byUnits) lines.push({ key: "sellable", colour: STATUS_COLOURS.sellable, v: (p) => p.sellable_units });
  const w = 320, h = 130, left = 4, right = 4, top = 8, bottom = 18;
  const max = Math.max(1, ...points.map(total));
  const xs = (i) => left + (points.length < 2 ? (w - left - right) / 2 : (i * (w - left - right)) / (points.length - 1));
  const ys = (v) => h - bottom - (v / max) * (h - top - bottom);
  const paths = lines.map((l) => {
    const d = points.map((p, i) => `${i ? "L" : "M"}${xs(i).toFixed(1)},${ys(l.v(p)).toFixed(1)}`).join(" ");
    return `<path d="${d}" fill="none" stroke="${l.colour}" stroke-width="2" data-line="${l.key}"/>`;
  }).join("");
  const last = points[points.length - 1];
  const dots = points.map((p, i) => `<circle cx="${xs(i).toFixed(1)}" cy="${ys(done(p)).toFixed(1)}" r="2.2" fill="${STATUS_COLOURS.completed}"><title>${p.date}: ${num(done(p))} / ${num(total(p))}</title></circle>`).join("");
  const svg = `<svg viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${t("series")}">`
    + `<line x1="${left}" x2="${w - right}" y1="${h - bottom}" y2="${h - bottom}" stroke="#d9dee5"/>`
    + paths + dots
    + `<text x="${left}" y="${h - 4}" font-size="10" fill="#5b6472">${points[0].date.slice(0, 7)}</text>`
    + `<text x="${w - right}" y="${h - 4}" font-size="10" fill="#5b6472" text-anchor="end">${last.date.slice(0, 7)}</text>`
    + `<text x="${left}" y="${top + 2}" font-size="10" fill="#5b6472">${num(max)}</text></svg>`;
  const box = el("div", { class: "series", "data-testid": "series-chart", "data-points": String(points.length) });
  box.innerHTML = svg;
  box.append(el("div", { class: "series-keys small" }, lines.map((l) => el("span", {},
    el("span", { class: "swatch", style: `background:${l.colour}` }), " ", t(`seriesKeys.${l.key}`), " ",
    el("strong", { "data-testid": `series-last-${l.key}` }, num(l.v(last)))))));
  return box;
}

/// The figures of an area as of a date: one row per plan and technology.
function linesTable(lines) {
  if (!lines.length) return el("p", { class: "muted small", "data-testid": "progress-lines" }, t("progressNone"));
  return el("table", { class: "moves", "data-testid": "progress-lines" },
    el("tr", {}, el("th", {}, t("plan")), el("th", {}, t("units")), el("th", {}, t("done")), el("th", {}, t("late"))),
    lines.map((l) => el("tr", {},
      el("td", {}, `${l.plan} ${l.technology}`),
      el("td", {}, l.units > 0 ? num(l.units) : `${num(l.items)} ${l.plan === "PI5G" ? t("sites") : t("itemsShort")}`),
      el("td", { "data-testid": `completion-${l.plan}-${l.technology}` }, l.units > 0 ? pct(l.completion_units ?? 0) : pct(l.completion_items ?? 0)),
      el("td", {}, l.units > 0 ? num(l.late_units) : num(l.late_items)))));
}

function whiteFigures(lines) {
  const w = lines.filter((l) => l.white).reduce((a, l) => {
    a.pending += l.white.pending; a.in_works += l.white.in_works; a.done += l.white.done; return a;
  }, { pending: 0, in_works: 0, done: 0 });
  if (!lines.some((l) => l.white)) return null;
  return el("div", {}, el("h3", {}, t("whiteUnits")),
    el("dl", { class: "figures", "data-testid": "white-progress" },
      el("dt", {}, t("whitePending")), el("dd", {}, num(w.pending)),
      el("dt", {}, t("whiteInWorks")), el("dd", {}, num(w.in_works)),
      el("dt", {}, t("whiteDone")), el("dd", { "data-testid": "white-done" }, num(w.done))));
}

/// The rollout controls and layers of the map. `app` is public.js's handle; `planner`
/// adds the per-address points and the upload history. The controls go into
/// `#progress-controls`; the layer shows while the map's mode is `progress`.
export async function progressLayer(app, { planner = false } = {}) {
  const { map } = app;
  const box = document.getElementById("progress-controls");
  const modeInput = document.querySelector("input[name=mode][value=progress]");
  // the months the rollout spans (public), or nothing to show
  let months = [];
  try {
    months = (await api("/api/v1/progress/series?level=total")).map((p) => p.date);
  } catch (e) {
    console.warn(`bianca: rollout series: ${e.message}`);
  }
  if (!months.length) {
    if (modeInput) modeInput.closest("label").hidden = true;
    if (box) box.replaceChildren(el("p", { class: "muted small", "data-testid": "progress-empty" }, t("progressNone")));
    return null;
  }
  const st = { active: false, by: "completion", plan: "", technology: "", asOf: months[months.length - 1], lines: [], comuni: new Map(), area: null, seq: 0 };
  const filterQ = () => [st.plan && `plan=${st.plan}`, st.technology && `technology=${encodeURIComponent(st.technology)}`].filter(Boolean).join("&");
  const areasSource = () => (map.getSource("areas") ? "areas" : "public");

  // controls: colour by, plan, technology, the "as of" slider
  const bySel = el("select", { id: "progress-by", "aria-label": t("colourBy") },
    el("option", { value: "completion" }, t("byCompletion")), el("option", { value: "status" }, t("byStatus")));
  const planSel = el("select", { id: "progress-plan", "aria-label": t("plan") }, el("option", { value: "" }, t("all")));
  const techSel = el("select", { id: "progress-technology", "aria-label": t("technology") }, el("option", { value: "" }, t("all")));
  const slider = el("input", { id: "as-of", type: "range", min: "0", max: String(months.length - 1), step: "1", value: String(months.length - 1), "aria-label": t("asOfDate") });
  const asOfLabel = el("strong", { id: "as-of-label" }, st.asOf);
  const summary = el("p", { class: "small", "data-testid": "progress-summary" });
  const historyBtn = planner ? el("button", { type: "button", class: "secondary", id: "upload-history" }, t("uploadHistory")) : null;
  const totalBtn = el("button", { type: "button", class: "secondary", id: "progress-total" }, t("wholeArea"));
  box.replaceChildren(
    el("label", { class: "small" }, t("colourBy"), " ", bySel),
    el("label", { class: "small" }, t("plan"), " ", planSel),
    el("label", { class: "small" }, t("technology"), " ", techSel),
    el("label", { class: "small" }, fmt(t("asOfLabel"), { date: "" }), asOfLabel, slider),
    summary,
    el("p", {}, totalBtn, " ", historyBtn));

  const setState = () => {
    const src = areasSource();
    if (!map.getSource(src)) return;
    map.removeFeatureState({ source: src, sourceLayer: "areas" });
    for (const a of st.comuni.values()) {
      map.setFeatureState({ source: src, sourceLayer: "areas", id: a.code }, { completion: a.completion, step: a.step });
    }
  };

  const ensureLayers = () => {
    const src = areasSource();
    if (!map.getSource(src) || map.getLayer("progress-fill")) return;
    const before = map.getLayer("comune-lines") ? "comune-lines" : undefined;
    map.addLayer({
      id: "progress-fill", type: "fill", source: src, "source-layer": "areas",
      filter: ["==", ["get", "level"], "comune"],
      layout: { visibility: st.active ? "visible" : "none" },
      // lighter when zoomed in, so that the points and the labels read over it
      paint: { "fill-color": fillColour(st.by), "fill-opacity": ["interpolate", ["linear"], ["zoom"], 10, 0.85, 14, 0.3] },
    }, before);
    if (planner) {
      map.addSource("progress-points", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      const colour = ["match", ["get", "status"]];
      for (const s of STATUS) colour.push(s, STATUS_COLOURS[s]);
      colour.push("#999999");
      map.addLayer({
        id: "progress-points", type: "circle", source: "progress-points", minzoom: POINTS_MINZOOM,
        layout: { visibility: st.active ? "visible" : "none" },
        paint: {
          "circle-color": colour,
          "circle-radius": ["interpolate", ["linear"], ["zoom"],
            12, ["case", ["==", ["get", "kind"], "site"], 6, 3],
            16, ["case", ["==", ["get", "kind"], "site"], 10, 7]],
          "circle-stroke-color": ["case", ["==", ["get", "late"], true], "#b2182b", ["==", ["get", "kind"], "site"], "#111827", "#ffffff"],
          "circle-stroke-width": ["case", ["==", ["get", "late"], true], 2.5, ["==", ["get", "kind"], "site"], 2.5, 1],
        },
      });
    }
    setState();
  };

  const setLegend = () => {
    if (!st.active) return;
    const lg = document.getElementById("legend");
    const body = st.by === "status"
      ? STATUS.map((s) => el("div", { class: "legend-item" }, el("span", { class: "swatch", style: `background:${STATUS_COLOURS[s]}` }), statusName(s)))
      : [el("p", { class: "muted" }, t("completionShare")), el("div", { class: "ramp" },
        el("span", { class: "ramp-bar", style: `background:linear-gradient(90deg,${COMPLETION_RAMP.join(",")})` }),
        el("span", { class: "ramp-labels" }, el("span", {}, "0%"), el("span", {}, "100%")))];
    if (planner) {
      body.push(el("p", { class: "muted small" }, fmt(t("pointsHint"), { zoom: POINTS_MINZOOM })),
        el("div", { class: "legend-item" }, el("span", { class: "swatch round", style: "background:#fff;border:2.5px solid #111827" }), t("site5g")),
        el("div", { class: "legend-item" }, el("span", { class: "swatch round", style: "background:#fff;border:2.5px solid #b2182b" }), t("lateWork")));
    }
    lg.replaceChildren(el("h3", {}, t("legend")), ...body);
  };

  let pointsSeq = 0;
  const loadPoints = async () => {
    if (!planner || !st.active || map.getZoom() < POINTS_MINZOOM || !map.getSource("progress-points")) return;
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    const mine = ++pointsSeq;
    try {
      const fc = await api(`/api/v1/progress/points?bbox=${bbox}&as_of=${st.asOf}${filterQ() ? `&${filterQ()}` : ""}`);
      if (mine !== pointsSeq || !map.getSource("progress-points")) return;
      map.getSource("progress-points").setData(fc);
      document.body.dataset.progressPoints = String(fc.features.length);
    } catch (e) {
      console.warn(`bianca: rollout points: ${e.message}`);
    }
  };

  const load = async () => {
    const mine = ++st.seq;
    const r = await api(`/api/v1/progress/report?level=comune&as_of=${st.asOf}${filterQ() ? `&${filterQ()}` : ""}`);
    if (mine !== st.seq) return;
    st.lines = r.lines;
    st.comuni = byComune(r.lines);
    // plans and technologies on offer: those the unfiltered report has
    if (!st.plan && !st.technology) {
      const fill = (sel, values, cur) => {
        sel.replaceChildren(el("option", { value: "" }, t("all")), ...values.map((v) => el("option", { value: v }, v)));
        sel.value = cur;
      };
      fill(planSel, [...new Set(r.lines.map((l) => l.plan))].sort(), st.plan);
      fill(techSel, [...new Set(r.lines.map((l) => l.technology))].sort(), st.technology);
    }
    const done = r.lines.reduce((s, l) => s + l.done_units, 0);
    const units = r.lines.reduce((s, l) => s + l.units, 0);
    summary.textContent = fmt(t("progressSummary"), { comuni: num(st.comuni.size), done: num(done), units: num(units) });
    summary.dataset.comuni = String(st.comuni.size);
    setState();
    document.body.dataset.progressAsOf = st.asOf;
    // an area's panel still open follows the date and the filters
    if (st.area && document.getElementById("panel")?.classList.contains("open")) {
      await showArea(st.area.level, st.area.code, st.area.name);
    }
  };

  /// The panel of an area (`total` for the whole rollout): figures as of the date and the
  /// monthly series.
  async function showArea(level, code, name) {
    st.area = { level, code, name };
    const q = filterQ();
    const [series, report] = await Promise.all([
      api(`/api/v1/progress/series?level=${level}${level === "total" ? "" : `&code=${code}`}${q ? `&${q}` : ""}`),
      level === "comune" ? Promise.resolve({ lines: st.lines.filter((l) => l.code === code) })
        : api(`/api/v1/progress/report?level=${level}&as_of=${st.asOf}${q ? `&${q}` : ""}`).then((r) => ({ lines: r.lines.filter((l) => level === "total" || l.code === code) })),
    ]);
    const a = byComune(report.lines.map((l) => ({ ...l, code: "x" }))).get("x");
    app.panel.show(name,
      el("p", { class: "muted" }, `${t("progress")} · ${fmt(t("asOf"), { date: st.asOf })}`),
      a ? el("dl", { class: "figures" },
        el("dt", {}, t("completionShare")), el("dd", { "data-testid": "area-completion" }, a.completion === null ? "—" : pct(a.completion)),
        el("dt", {}, t("statusOfMost")), el("dd", {}, a.step === null ? "—" : statusName(STATUS[a.step])),
        el("dt", {}, t("sellableUnits")), el("dd", {}, num(a.sellable_units))) : null,
      linesTable(report.lines),
      whiteFigures(report.lines),
      el("h3", {}, t("series")),
      seriesChart(series),
      level === "comune" ? el("p", { class: "muted small" }, t("clickOtherComune")) : null);
  }

  async function showPoint(p) {
    const rows = [
      [t("kind"), p.kind === "site" ? `${t("site5g")}${p.site_type ? ` (${p.site_type})` : ""}` : t("civico")],
      [t("operator"), p.operator], [t("plan"), `${p.plan} · ${p.technology}`],
      [t("status"), statusName(p.status)], [t("statusDate"), p.status_date],
      p.units ? [t("units"), num(p.units)] : null,
      p.planned_ready ? [t("plannedReady"), p.planned_ready] : null,
      [t("late"), p.late ? t("yes") : t("no")],
      p.note ? [t("note"), p.note] : null,
      [t("upload"), `#${p.upload}`],
    ].filter(Boolean);
    const title = p.kind === "site" ? p.id : [p.street, p.number].filter(Boolean).join(" ") || p.id;
    app.panel.show(title,
      el("p", { class: "muted" }, `${p.id} · ${fmt(t("asOf"), { date: st.asOf })}`),
      el("dl", { class: "figures", "data-testid": "progress-point" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
  }

  async function showHistory() {
    st.area = null;
    const list = await api("/api/v1/progress/uploads");
    app.panel.show(t("uploadHistory"),
      el("p", { class: "muted small" }, fmt(t("uploadsCount"), { n: num(list.length) })),
      el("table", { class: "moves", "data-testid": "upload-history" },
        el("tr", {}, el("th", {}, "#"), el("th", {}, t("reportedOn")), el("th", {}, t("file")), el("th", {}, t("items")), el("th", {}, t("by"))),
        [...list].reverse().map((u) => el("tr", {},
          el("td", {}, String(u.id)),
          el("td", {}, u.reported_on),
          el("td", { title: `${u.format}${u.operator ? ` · ${u.operator}` : ""}` }, u.source_file.split("/").pop()),
          el("td", {}, num(u.items)),
          el("td", { title: u.uploaded_at }, u.uploaded_by)))));
  }

  const setActive = (on) => {
    st.active = on;
    for (const id of ["progress-fill", "progress-points"]) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
    for (const id of ["hexagons", "units", "units-changed"]) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "none" : (id === "units-changed" && !app.state.compare ? "none" : "visible"));
    }
    box.hidden = !on;
    if (on) { setLegend(); loadPoints(); } else { st.area = null; }
  };

  bySel.addEventListener("change", () => {
    st.by = bySel.value;
    if (map.getLayer("progress-fill")) map.setPaintProperty("progress-fill", "fill-color", fillColour(st.by));
    setLegend();
  });
  /// Reloads the comuni and the points; a failure (the server gone, a token revoked) is
  /// said in the summary line, and the map keeps what it shows.
  const reload = () => load().then(loadPoints).catch((e) => {
    console.warn(`bianca: rollout report: ${e.message}`);
    summary.textContent = e.message;
  });
  for (const [sel, key] of [[planSel, "plan"], [techSel, "technology"]]) {
    sel.addEventListener("change", () => { st[key] = sel.value; reload(); });
  }
  let timer = null;
  slider.addEventListener("input", () => {
    st.asOf = months[Number(slider.value)];
    asOfLabel.textContent = st.asOf;
    clearTimeout(timer);
    timer = setTimeout(reload, 150);
  });
  totalBtn.addEventListener("click", () => showArea("total", "total", t("wholeArea")).catch((e) => app.panel.show(t("wholeArea"), el("p", { class: "error" }, e.message))));
  historyBtn?.addEventListener("click", () => showHistory().catch((e) => app.panel.show(t("uploadHistory"), el("p", { class: "error" }, e.message))));
  map.on("moveend", loadPoints);
  // a new style (rule set, snapshot, comparison) drops the layers and the feature state
  map.on("style.load", () => { ensureLayers(); setActive(st.active); });
  ensureLayers();
  box.hidden = true;
  await load();

  const handle = {
    get active() { return st.active; },
    setActive,
    legend: setLegend,
    /// Answers a click on the map while the layer shows: a point, else a comune.
    async click(e, comune) {
      if (planner && map.getLayer("progress-points") && map.getZoom() >= POINTS_MINZOOM) {
        const pad = 6;
        const hit = map.queryRenderedFeatures([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]], { layers: ["progress-points"] })[0];
        if (hit) { st.area = null; await showPoint(hit.properties); return; }
      }
      if (comune) {
        await showArea("comune", comune.code, comune.name ?? comune.code)
          .catch((e) => app.panel.show(comune.name ?? comune.code, el("p", { class: "error" }, e.message)));
      }
    },
    showArea,
    setAsOf(date) {
      const i = months.indexOf(date);
      if (i < 0) throw new Error(`no month ${date}`);
      slider.value = String(i);
      st.asOf = date;
      asOfLabel.textContent = date;
      return load().then(loadPoints);
    },
    months,
    comuni: () => st.comuni,
    language: lang(),
  };
  return handle;
}
