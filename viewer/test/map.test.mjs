// The web map in a real browser (Debian's Chromium through playwright-core): the public map
// renders the classes, search and clicks answer as the API does, the planner sees the
// confidential coverage and the public map cannot get it. Screenshots go to SHOTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync, writeFileSync, readFileSync, readdirSync } from "node:fs";
import { startServer, launch, openPage, idle, colourCounts, bianca, SHOTS } from "./fixture.mjs";
import { serveStatic } from "./static-server.mjs";

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const WHITE = "#e66100";
const GREY = "#b2abd2";
const BLACK = "#5e3c99";
const LAND = "#f8f7f2";

/// `top` over `bottom` at opacity `a`, as hex.
function blend(top, bottom, a) {
  const ch = (h, i) => parseInt(h.slice(1 + 2 * i, 3 + 2 * i), 16);
  return "#" + [0, 1, 2].map((i) => Math.round(a * ch(top, i) + (1 - a) * ch(bottom, i)).toString(16).padStart(2, "0")).join("");
}

async function json(url, token) {
  const r = await fetch(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  return { status: r.status, body: r.status === 200 ? await r.json() : null };
}

/// The requests that went to another origin than `base` (data: and blob: URLs are local).
function foreign(requests, base) {
  return requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith("data:") && !u.startsWith("blob:"));
}

test("the public map draws the white, grey and black areas with no console error", async () => {
  const { page, errors, requests } = await openPage(browser, `${server.base}/`);
  await idle(page);
  // hexagons are drawn at ~83 % opacity over the land colour
  const counts = await colourCounts(page, [WHITE, GREY, BLACK].map((c) => blend(c, LAND, 0.83)));
  for (const [c, n] of Object.entries(counts)) assert.ok(n > 1500, `colour ${c}: ${n} pixels`);
  // the labels are drawn from the server's own glyphs: Firenze's province is labelled
  const labels = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["province-labels"] }).map((f) => f.properties.name));
  assert.ok(labels.includes("Firenze"), labels.join(","));
  await page.screenshot({ path: join(SHOTS, "public-tuscany.png") });
  // English, on a phone
  const phone = await openPage(browser, `${server.base}/`, { viewport: { width: 390, height: 844 }, lang: "en" });
  await idle(phone.page);
  assert.equal(await phone.page.getAttribute("#search", "placeholder"), "Search an address or a comune");
  await phone.page.screenshot({ path: join(SHOTS, "public-phone-en.png") });
  await phone.page.close();
  assert.deepEqual(errors, []);
  // with no basemap configured, nothing is asked of another origin
  assert.ok(requests.length > 20, `${requests.length} requests`);
  assert.deepEqual(foreign(requests, server.base), []);
  await page.close();
});

// a tiny external style: a background and a GeoJSON square in the sea west of Tuscany, in
// colours that bianca never uses
const BASEMAP_BG = "#2ca02c";
const BASEMAP_SEA = "#17becf";

/// Writes the external style into `dir` (served by the static file server).
function writeBasemap(dir) {
  mkdirSync(dir, { recursive: true });
  const square = [[9.65, 42.25], [10.0, 42.25], [10.0, 42.6], [9.65, 42.6], [9.65, 42.25]];
  writeFileSync(join(dir, "square.geojson"), JSON.stringify({ type: "FeatureCollection", features: [{ type: "Feature", properties: { name: "Mare" }, geometry: { type: "Polygon", coordinates: [square] } }] }));
  writeFileSync(join(dir, "style.json"), JSON.stringify({
    version: 8,
    // a relative URL, resolved against the style's own
    sources: { sea: { type: "geojson", data: "square.geojson" } },
    layers: [
      { id: "background", type: "background", paint: { "background-color": BASEMAP_BG } },
      { id: "sea", type: "fill", source: "sea", paint: { "fill-color": BASEMAP_SEA } },
      // a label in a font bianca does not have: drawn with bianca's
      { id: "sea-label", type: "symbol", source: "sea", layout: { "text-field": ["get", "name"], "text-font": ["Noto Sans Regular"] } },
    ],
  }));
}

test("an external basemap style is drawn under bianca's layers, and its failure is only a warning", async () => {
  const styleDir = join(server.dir, "basemap");
  writeBasemap(styleDir);
  const host = await serveStatic(styleDir, { cors: true });
  const styleUrl = `${host.base}/style.json`;
  const other = await server.serve(["--basemap-style", styleUrl]);
  try {
    const { page, errors, requests } = await openPage(browser, `${other.base}/`);
    await idle(page);
    const counts = await colourCounts(page, [BASEMAP_BG, BASEMAP_SEA, ...[WHITE, GREY, BLACK].map((c) => blend(c, BASEMAP_BG, 0.83))]);
    assert.ok(counts[BASEMAP_BG] > 5000, JSON.stringify(counts));
    assert.ok(counts[BASEMAP_SEA] > 1000, JSON.stringify(counts));
    // bianca's hexagons are drawn over it
    for (const c of [WHITE, GREY, BLACK]) assert.ok(counts[blend(c, BASEMAP_BG, 0.83)] > 300, JSON.stringify(counts));
    // bianca's own labels still have their glyphs
    const labels = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["province-labels"] }).map((f) => f.properties.name));
    assert.ok(labels.includes("Firenze"), labels.join(","));
    assert.deepEqual(foreign(requests, other.base).map((u) => new URL(u).pathname).sort(), ["/square.geojson", "/style.json"]);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: join(SHOTS, "public-basemap.png") });
    await page.close();

    // the planner's map has it too
    const planner = await openPage(browser, `${other.base}/planner`, { token: server.planner });
    await idle(planner.page);
    assert.ok(await planner.page.evaluate(() => Boolean(window.bianca.map.getLayer("basemap-sea"))));
    await planner.page.close();

    // the style cannot be fetched: bianca's layers alone, a warning and no error of ours
    const failed = await openPage(browser, `${other.base}/`, { before: (p) => p.route(styleUrl, (r) => r.abort()) });
    await idle(failed.page);
    const c2 = await colourCounts(failed.page, [BASEMAP_BG, ...[WHITE, GREY, BLACK].map((c) => blend(c, LAND, 0.83))]);
    assert.equal(c2[BASEMAP_BG], 0);
    for (const c of [WHITE, GREY, BLACK]) assert.ok(c2[blend(c, LAND, 0.83)] > 1500, JSON.stringify(c2));
    assert.ok(failed.warnings.some((w) => w.includes("basemap") && w.includes(styleUrl)), failed.warnings.join("\n"));
    // the browser itself reports the failed request; nothing else is an error
    assert.deepEqual(failed.errors.filter((e) => !e.startsWith("Failed to load resource")), []);
    await failed.page.close();
  } finally {
    await other.stop();
    host.close();
  }
});

test("searching an address flies there and answers as the API does", async () => {
  const { page, errors } = await openPage(browser, `${server.base}/`);
  const hit = (await json(`${server.base}/api/v1/search?q=via%20roma&limit=20`)).body.find((h) => h.kind === "address");
  const unit = (await json(`${server.base}/api/v1/units/${hit.id}`)).body;
  await page.fill("#search", hit.label.split(",")[0]);
  await page.waitForSelector("#results li button");
  await page.click(`#results li button:has-text("${hit.label}")`);
  await page.waitForSelector("[data-testid=answer]");
  const answer = await page.textContent("[data-testid=answer]");
  const cls = unit.classes[0].class;
  const want = { white: "area bianca", grey: "area grigia", black: "area nera" }[cls];
  assert.ok(answer.toLowerCase().includes(want), `${answer} (class ${cls})`);
  assert.equal(await page.textContent("[data-testid=technologies]"), unit.technologies.join(", "));
  await page.waitForFunction(() => window.bianca.map.getZoom() > 16, null, { timeout: 10000 });
  await idle(page);
  await page.screenshot({ path: join(SHOTS, "public-address.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("clicking a unit and a comune shows their figures", async () => {
  const { page } = await openPage(browser, `${server.base}/`);
  // a unit: the map centred on it at zoom 17, a click in the middle
  const hit = (await json(`${server.base}/api/v1/search?q=piazza&limit=20`)).body.find((h) => h.kind === "address");
  await page.evaluate(([lon, lat]) => window.bianca.map.jumpTo({ center: [lon, lat], zoom: 17 }), [hit.lon, hit.lat]);
  await idle(page);
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector("[data-testid=answer]");
  const title = await page.textContent("#panel h2");
  assert.ok(title.includes(hit.label.split(",")[0]), `${title} vs ${hit.label}`);
  // a comune: Firenze at zoom 11, clicked where no point is
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.2, 43.8], zoom: 10 }));
  await idle(page);
  const pt = await page.evaluate(() => {
    const m = window.bianca.map;
    const p = m.project([11.2, 43.8]);
    return { x: p.x, y: p.y };
  });
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForSelector("[data-testid=area-units]");
  const name = await page.textContent("#panel h2");
  const code = (await json(`${server.base}/api/v1/search?q=${encodeURIComponent(name)}&limit=1`)).body[0].code;
  const area = (await json(`${server.base}/api/v1/areas/${code}`)).body;
  const shown = (await page.textContent("[data-testid=area-units]")).replace(/\D/g, "");
  assert.equal(Number(shown), area.stats[0].units);
  await page.screenshot({ path: join(SHOTS, "public-comune.png") });
  await page.close();
});

test("a planner sees the confidential coverage; the public map cannot get it", async () => {
  // refused to the public: the tiles and the API, not just hidden
  const tile = await fetch(`${server.base}/tiles/coverage/10/545/373.mvt`);
  assert.equal(tile.status, 401);
  assert.equal((await fetch(`${server.base}/tiles/coverage.json`)).status, 401);
  const offersPublic = (await json(`${server.base}/api/v1/offers`)).body;
  assert.ok(offersPublic.every((o) => o.dataset !== "coverage"));
  const pub = await openPage(browser, `${server.base}/`);
  assert.equal(await pub.page.evaluate(() => window.bianca.map.getSource("coverage")), undefined);
  await pub.page.close();

  // the planner logs in with a token
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(`${server.base}/planner`);
  await page.fill("#token", "bianca_1_" + "0".repeat(64));
  await page.click("#login-form button");
  await page.waitForSelector("#login-error:not([hidden])");
  // the refused token's 401 is expected: count the console errors from here on
  errors.length = 0;
  await page.fill("#token", server.planner);
  await page.click("#login-form button");
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 60000 });
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.25, 43.77], zoom: 10 }));
  await page.check("#coverage-on");
  await idle(page);
  const n = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["coverage-fill"] }).length);
  assert.ok(n > 0, "coverage drawn");
  const ops = await page.$$eval("#operator option", (o) => o.map((x) => x.value).filter(Boolean));
  assert.ok(ops.length > 1, ops.join(","));
  await page.selectOption("#operator", ops[0]);
  await idle(page);
  const shown = await page.evaluate(() => [...new Set(window.bianca.map.queryRenderedFeatures({ layers: ["coverage-fill"] }).map((f) => f.properties.operator))]);
  assert.deepEqual(shown, [ops[0]]);
  await page.screenshot({ path: join(SHOTS, "planner-coverage.png") });
  // a unit: every offer, with the confidential ones
  const hit = (await json(`${server.base}/api/v1/search?q=via&limit=20`, server.planner)).body.find((h) => h.kind === "address");
  const full = (await json(`${server.base}/api/v1/units/${hit.id}`, server.planner)).body;
  await page.evaluate((id) => window.bianca.showUnit(id), hit.id);
  await page.waitForSelector("[data-testid=answer]");
  const items = await page.$$eval("#panel .offers li", (l) => l.length);
  assert.equal(items, full.offers.length);
  // compared with the older snapshot: the units whose class changed are ringed
  await page.selectOption("#compare", "s0");
  await page.waitForSelector("[data-testid=legend-changed]");
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.25, 43.77], zoom: 14 }));
  await page.waitForFunction(() => window.bianca.map.getLayer("units-changed"), null, { timeout: 30000 });
  await idle(page);
  const marks = await page.evaluate(() => {
    const fs = window.bianca.map.queryRenderedFeatures({ layers: ["units"] });
    return { all: fs.length, was: fs.filter((f) => "was" in f.properties).length, changed: fs.filter((f) => f.properties.changed).length };
  });
  assert.ok(marks.all > 0 && marks.was === marks.all, JSON.stringify(marks));
  // a comune's moves between classes, as the API counts them
  await page.evaluate(() => window.bianca.showArea("048017", "comune"));
  await page.waitForSelector("[data-testid=moves]");
  const moves = (await json(`${server.base}/api/v1/areas/048017/moves?compare=s0`, server.planner)).body;
  const rows = await page.$$eval("table[data-testid=moves] tr", (r) => r.length - 1);
  assert.equal(rows, moves.moves.length);
  await page.screenshot({ path: join(SHOTS, "planner-compare.png") });
  // a drawn triangle: the count shown is what the API exports for the same polygon
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.25, 43.77], zoom: 12 }));
  await idle(page);
  await page.click("#draw");
  const mapBox = await page.locator("#map").boundingBox();
  const corners = [[0.35, 0.3], [0.65, 0.35], [0.5, 0.7]].map(([fx, fy]) => [mapBox.x + fx * mapBox.width, mapBox.y + fy * mapBox.height]);
  for (const [x, y] of corners) await page.mouse.click(x, y);
  await page.click("#draw");
  await page.waitForSelector("[data-testid=drawn-count]");
  const lngLats = await page.evaluate((pts) => pts.map(([x, y]) => { const l = window.bianca.map.unproject([x, y]); return [l.lng, l.lat]; }),
    corners.map(([x, y]) => [x - mapBox.x, y - mapBox.y]));
  const r = await fetch(`${server.base}/api/v1/units/export`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${server.planner}` },
    body: JSON.stringify({ polygon: { type: "Polygon", coordinates: [[...lngLats, lngLats[0]]] }, format: "geojson" }),
  });
  const inside = (await r.json()).features.length;
  assert.ok(inside > 0);
  const shownCount = Number((await page.textContent("[data-testid=drawn-count]")).replace(/\D/g, ""));
  assert.equal(shownCount, inside);
  await page.screenshot({ path: join(SHOTS, "planner-drawn.png") });
  // an area's units, downloaded from its panel
  await page.evaluate(() => window.bianca.showArea("048017", "comune"));
  await page.waitForSelector("[data-testid=export-csv]");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-csv]")]);
  const text = await (await import("node:fs/promises")).readFile(await download.path(), "utf8");
  const lines = text.trim().split("\n");
  const area = (await json(`${server.base}/api/v1/areas/048017`)).body;
  assert.equal(lines.length - 1, area.stats[0].addresses);
  assert.ok(lines[0].startsWith("id,lon,lat,units,comune,address,class_eu2013-nga"));
  await page.screenshot({ path: join(SHOTS, "planner-area.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a planner shows another stored snapshot: the map and the panels answer from it", async () => {
  const tok = server.planner;
  const { page, errors } = await openPage(browser, `${server.base}/planner`, { token: tok });
  const served = (await json(`${server.base}/healthz`)).body.snapshot;
  assert.equal(served, "s1");
  assert.equal(await page.inputValue("#snapshot"), "s1");
  // a unit whose class differs between the two snapshots
  const hits = (await json(`${server.base}/api/v1/search?q=via&limit=50`, tok)).body.filter((h) => h.kind === "address");
  let unit0 = null;
  let unit1 = null;
  for (const h of hits) {
    const [a, b] = await Promise.all([json(`${server.base}/api/v1/units/${h.id}?snapshot=s0`, tok), json(`${server.base}/api/v1/units/${h.id}`, tok)]);
    if (a.body.classes[0].class !== b.body.classes[0].class) { unit0 = a.body; unit1 = b.body; break; }
  }
  assert.ok(unit0, "a unit whose class changed between s0 and s1");
  const area1 = (await json(`${server.base}/api/v1/areas/048017`, tok)).body;
  const area0 = (await json(`${server.base}/api/v1/areas/048017?snapshot=s0`, tok)).body;
  const shares = (a) => Object.fromEntries(a.stats[0].classes.map((c) => [c.class, new Intl.NumberFormat("it-IT", { style: "percent", maximumFractionDigits: 1 }).format(c.units / a.stats[0].units)]));
  assert.notDeepEqual(shares(area0), shares(area1));
  const shownShares = () => page.$$eval("[data-testid=bars-units] [data-testid^=share-units-]", (l) => Object.fromEntries(l.map((e) => [e.dataset.testid.slice("share-units-".length), e.textContent])));

  // the served snapshot first
  await page.evaluate(() => window.bianca.showArea("048017", "comune"));
  await page.waitForSelector("[data-testid=bars-units]");
  assert.deepEqual(await shownShares(), shares(area1));
  // then s0: the panels and the tiles answer from it
  await page.selectOption("#snapshot", "s0");
  await page.waitForFunction(() => document.body.dataset.snapshot === "s0");
  assert.deepEqual(await page.$$eval("#rule option", (o) => o.map((x) => x.value)), ["eu2013-nga"]);
  assert.ok(!(await page.$$eval("#compare option", (o) => o.map((x) => x.value))).includes("s0"));
  await page.evaluate(() => window.bianca.showArea("048017", "comune"));
  await page.waitForSelector("[data-testid=bars-units]");
  assert.deepEqual(await shownShares(), shares(area0));
  await page.evaluate((id) => window.bianca.showUnit(id), unit0.id);
  await page.waitForSelector("[data-testid=answer]");
  const want = { white: "area bianca", grey: "area grigia", black: "area nera" };
  const answer = (await page.textContent("[data-testid=answer]")).toLowerCase();
  assert.ok(answer.includes(want[unit0.classes[0].class] ?? unit0.classes[0].class), `${answer} (s0: ${unit0.classes[0].class}, s1: ${unit1.classes[0].class})`);
  // the unit points drawn are s0's classes
  await page.evaluate(([lon, lat]) => window.bianca.map.jumpTo({ center: [lon, lat], zoom: 16 }), [unit0.lon, unit0.lat]);
  await idle(page);
  const drawn = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["units"] }).map((f) => [f.properties.id, f.properties.class]));
  assert.ok(drawn.length > 0);
  const mine = drawn.find(([id]) => id === unit0.id);
  assert.ok(mine, `unit ${unit0.id} drawn`);
  assert.equal(mine[1], unit0.classes[0].class);
  for (const [id, cls] of drawn.slice(0, 10)) {
    assert.equal(cls, (await json(`${server.base}/api/v1/units/${id}?snapshot=s0`, tok)).body.classes[0].class, id);
  }
  await page.screenshot({ path: join(SHOTS, "planner-snapshot-s0.png") });
  // back to the served one
  await page.selectOption("#snapshot", "s1");
  await page.waitForFunction(() => document.body.dataset.snapshot === "s1");
  await page.evaluate(() => window.bianca.showArea("048017", "comune"));
  await page.waitForSelector("[data-testid=bars-units]");
  assert.deepEqual(await shownShares(), shares(area1));
  assert.deepEqual(errors, []);
  await page.close();
});

/// The pixel (relative to the map) of a point inside comune `code` in view, or null.
async function pixelInComune(page, code) {
  return page.evaluate((code) => {
    const m = window.bianca.map;
    const c = m.getCanvas();
    const w = c.clientWidth, h = c.clientHeight;
    for (let iy = 1; iy < 12; iy++) {
      for (let ix = 1; ix < 12; ix++) {
        const p = [(ix * w) / 12, (iy * h) / 12];
        const f = m.queryRenderedFeatures(p, { layers: ["land"] })[0];
        if (f && f.properties.code === code) return { x: p[0], y: p[1] };
      }
    }
    return null;
  }, code);
}

/// Per comune, done units over planned units but excluded, as the map computes it.
function completionByComune(lines) {
  const m = new Map();
  for (const l of lines) {
    const a = m.get(l.code) ?? { units: 0, excl: 0, done: 0, items: 0, exclItems: 0, doneItems: 0 };
    a.units += l.units; a.excl += l.units_by_status.excluded ?? 0; a.done += l.done_units;
    a.items += l.items; a.exclItems += l.items_by_status.excluded ?? 0; a.doneItems += l.done_items;
    m.set(l.code, a);
  }
  return new Map([...m].map(([k, a]) => [k, a.units > 0 ? a.done / (a.units - a.excl) : a.doneItems / (a.items - a.exclItems)]));
}

const COMPLETION = ["#edf8b1", "#7fcdbb", "#1d91c0", "#253494", "#081d58"];

test("the rollout layer: comuni by completion as of the slider's date, the area's series, points and upload history for planners", async () => {
  const tok = server.planner;
  const { page, errors } = await openPage(browser, `${server.base}/planner`, { token: tok });
  await page.check("input[name=mode][value=progress]");
  await page.waitForFunction(() => document.body.dataset.progressAsOf);
  await idle(page);
  const months = await page.evaluate(() => window.bianca.progress.months);
  const series = (await json(`${server.base}/api/v1/progress/series?level=total`)).body;
  assert.deepEqual(months, series.map((p) => p.date));
  const last = months[months.length - 1];
  // the comuni coloured are the report's, with the same completion
  const report = (await json(`${server.base}/api/v1/progress/report?level=comune&as_of=${last}`)).body;
  const want = completionByComune(report.lines);
  const shown = await page.evaluate(() => Object.fromEntries([...window.bianca.progress.comuni()].map(([k, a]) => [k, a.completion])));
  assert.equal(Object.keys(shown).length, want.size);
  for (const [code, c] of want) assert.ok(Math.abs(shown[code] - c) < 1e-9, `${code}: ${shown[code]} vs ${c}`);
  // hexagons give way to the comuni's fill, drawn in the completion ramp
  const nowCounts = await colourCounts(page, [...COMPLETION.map((c) => blend(c, LAND, 0.85)), blend(WHITE, LAND, 0.83)]);
  const ramp = COMPLETION.reduce((s, c) => s + nowCounts[blend(c, LAND, 0.85)], 0);
  assert.ok(ramp > 20000, JSON.stringify(nowCounts));
  assert.ok(nowCounts[blend(WHITE, LAND, 0.83)] < 500, JSON.stringify(nowCounts));
  await page.screenshot({ path: join(SHOTS, "planner-progress-completion.png") });

  // back in time: the state of early 2025, as the API gives it
  const early = months.find((d) => d.startsWith("2025-04"));
  await page.evaluate((d) => window.bianca.progress.setAsOf(d), early);
  await idle(page);
  assert.equal(await page.textContent("#as-of-label"), early);
  const earlyReport = (await json(`${server.base}/api/v1/progress/report?level=comune&as_of=${early}`)).body;
  const earlyShown = await page.evaluate(() => window.bianca.progress.comuni().size);
  assert.equal(earlyShown, new Set(earlyReport.lines.map((l) => l.code)).size);
  assert.ok(earlyReport.lines.reduce((s, l) => s + l.done_units, 0) < report.lines.reduce((s, l) => s + l.done_units, 0));
  await page.screenshot({ path: join(SHOTS, "planner-progress-2025-04.png") });
  await page.evaluate((d) => window.bianca.progress.setAsOf(d), last);

  // a comune of the per-address plan, clicked: its figures and its monthly series
  const civici = report.lines.filter((l) => l.plan === "PI1G").sort((a, b) => b.units - a.units)[0];
  const hit = (await json(`${server.base}/api/v1/search?q=${encodeURIComponent(civici.name)}&limit=5`)).body.find((h) => h.code === civici.code);
  await page.evaluate((b) => window.bianca.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { animate: false, padding: 40 }), hit.bbox);
  await idle(page);
  const box = await page.locator("#map").boundingBox();
  const at = await pixelInComune(page, civici.code);
  assert.ok(at, `a pixel of ${civici.name}`);
  await page.mouse.click(box.x + at.x, box.y + at.y);
  await page.waitForSelector("[data-testid=series-chart]");
  assert.equal(await page.textContent("#panel h2"), civici.name);
  const comuneSeries = (await json(`${server.base}/api/v1/progress/series?level=comune&code=${civici.code}`)).body;
  assert.equal(Number(await page.getAttribute("[data-testid=series-chart]", "data-points")), comuneSeries.length);
  const lastPoint = comuneSeries[comuneSeries.length - 1];
  assert.equal(Number((await page.textContent("[data-testid=series-last-done]")).replace(/\D/g, "")), lastPoint.done_units);
  const pct = new Intl.NumberFormat("it-IT", { style: "percent", maximumFractionDigits: 1 }).format(want.get(civici.code));
  assert.equal(await page.textContent("[data-testid=area-completion]"), pct);
  // the white-area units the work reaches (the served snapshot's classification)
  assert.ok(await page.$("[data-testid=white-progress]"));
  await page.screenshot({ path: join(SHOTS, "planner-progress-comune.png") });

  // by status: the comuni in the colours of their statuses (the whole region, where the
  // fill is at its most opaque)
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.1, 43.45], zoom: 7 }));
  await page.selectOption("#progress-by", "status");
  await idle(page);
  const statusColours = ["#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"].map((c) => blend(c, LAND, 0.85));
  const sc = await colourCounts(page, statusColours);
  assert.ok(Object.values(sc).reduce((a, b) => a + b, 0) > 5000, JSON.stringify(sc));
  await page.screenshot({ path: join(SHOTS, "planner-progress-status.png") });

  // per-address work at high zoom: the points the API gives for the view, then one clicked
  const all = (await json(`${server.base}/api/v1/progress/points?bbox=9,42,13,45&as_of=${last}&plan=PI1G`, tok)).body;
  const civico = all.features.find((f) => f.properties.kind === "civico" && f.properties.status === "sellable") ?? all.features[0];
  await page.evaluate((c) => window.bianca.map.jumpTo({ center: c, zoom: 16 }), civico.geometry.coordinates);
  await idle(page);
  await page.waitForFunction(() => Number(document.body.dataset.progressPoints) > 0);
  const bbox = await page.evaluate(() => { const b = window.bianca.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","); });
  const inView = (await json(`${server.base}/api/v1/progress/points?bbox=${bbox}&as_of=${last}`, tok)).body;
  assert.equal(Number(await page.evaluate(() => document.body.dataset.progressPoints)), inView.features.length);
  const p = await page.evaluate((c) => window.bianca.map.project(c), civico.geometry.coordinates);
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await page.waitForSelector("[data-testid=progress-point]");
  const detail = await page.textContent("[data-testid=progress-point]");
  assert.ok(detail.includes(civico.properties.operator), detail);
  await page.screenshot({ path: join(SHOTS, "planner-progress-points.png") });

  // the upload history
  await page.click("#upload-history");
  await page.waitForSelector("[data-testid=upload-history]");
  const uploads = (await json(`${server.base}/api/v1/progress/uploads`, tok)).body;
  assert.equal(await page.$$eval("[data-testid=upload-history] tr", (r) => r.length - 1), uploads.length);
  // leaving the layer brings the hexagons back
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.2, 43.5], zoom: 7 }));
  await page.check("input[name=mode][value=classes]");
  await idle(page);
  const back = await colourCounts(page, [blend(WHITE, LAND, 0.83)]);
  assert.ok(back[blend(WHITE, LAND, 0.83)] > 1500, JSON.stringify(back));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the public map shows completion per comune and its series, never the points or the upload history", async () => {
  const { page, errors, requests } = await openPage(browser, `${server.base}/`, { lang: "en" });
  await page.check("input[name=mode][value=progress]");
  await page.waitForFunction(() => document.body.dataset.progressAsOf);
  await idle(page);
  const counts = await colourCounts(page, COMPLETION.map((c) => blend(c, LAND, 0.85)));
  assert.ok(Object.values(counts).reduce((a, b) => a + b, 0) > 20000, JSON.stringify(counts));
  assert.equal(await page.$("#upload-history"), null);
  await page.click("#progress-total");
  await page.waitForSelector("[data-testid=series-chart]");
  const total = (await json(`${server.base}/api/v1/progress/series?level=total`)).body;
  assert.equal(Number(await page.getAttribute("[data-testid=series-chart]", "data-points")), total.length);
  await page.screenshot({ path: join(SHOTS, "public-progress-en.png") });
  // zoomed in, nothing asks for the per-address points, which the API refuses anyway
  await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.25, 43.77], zoom: 15 }));
  await idle(page);
  assert.ok(!requests.some((u) => u.includes("/progress/points") || u.includes("/progress/uploads")), requests.filter((u) => u.includes("progress")).join("\n"));
  assert.equal((await json(`${server.base}/api/v1/progress/points?bbox=9,42,13,45`)).status, 401);
  assert.equal((await json(`${server.base}/api/v1/progress/uploads`)).status, 401);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the exported static site renders the same public layers with no bianca behind it", async () => {
  const { out } = server.exportPublic();
  const site = await serveStatic(out);
  try {
    const { page, errors } = await openPage(browser, `${site.base}/`);
    await idle(page);
    const counts = await colourCounts(page, [WHITE, GREY, BLACK].map((c) => blend(c, LAND, 0.83)));
    for (const [c, n] of Object.entries(counts)) assert.ok(n > 1500, `colour ${c}: ${n} pixels`);
    // no rollout layer without a server
    assert.equal(await page.isVisible("input[name=mode][value=progress]"), false);
    // the same comune figures as the server's API, from the site's own JSON
    await page.fill("#search", "firenze");
    await page.waitForSelector("#results li button");
    await page.keyboard.press("Enter");
    await page.waitForSelector("[data-testid=area-units]");
    const area = (await json(`${server.base}/api/v1/areas/048017`)).body;
    const shown = (await page.textContent("[data-testid=area-units]")).replace(/\D/g, "");
    assert.equal(Number(shown), area.stats[0].units);
    // a unit from the archive's points
    const hit = (await json(`${server.base}/api/v1/search?q=via%20roma&limit=20`)).body.find((h) => h.kind === "address");
    await page.evaluate(([lon, lat]) => window.bianca.map.jumpTo({ center: [lon, lat], zoom: 17 }), [hit.lon, hit.lat]);
    await idle(page);
    const box = await page.locator("#map").boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector("[data-testid=answer]");
    const unit = (await json(`${server.base}/api/v1/units/${hit.id}`)).body;
    assert.equal(await page.textContent("#panel h2"), `${unit.address}, ${unit.comune_name}`);
    assert.equal(await page.textContent("[data-testid=technologies]"), unit.technologies.join(", ") || "—");
    assert.equal(await page.$$eval("#panel .offers li", (l) => l.length), unit.offers.length);
    await page.screenshot({ path: join(SHOTS, "static-site.png") });

    // an address searched in the static site: the API's results, in its order, and its answer
    // (a unit of the public declarations: it has public offers)
    const declared = readFileSync(join(server.dir, "data", "declarations.csv"), "utf8").split("\n")[1].split(",")[0];
    const du = (await json(`${server.base}/api/v1/units/${declared}`)).body;
    assert.ok(du.offers.length > 0 && du.address, JSON.stringify(du));
    const target = { hit: { label: `${du.address}, ${du.comune_name}` }, unit: du };
    const listed = async (q) => {
      await page.fill("#search", "");
      await page.fill("#search", q);
      await page.waitForFunction((n) => document.querySelectorAll("#results li").length > 0 && !document.getElementById("results").hidden, null, { timeout: 10000 });
      await page.waitForTimeout(400);
      return page.$$eval("#results li", (l) => l.map((x) => x.textContent));
    };
    const expected = async (q) => (await json(`${server.base}/api/v1/search?q=${encodeURIComponent(q)}&limit=8`)).body
      .map((r) => `${r.kind === "comune" ? "Comune" : "●"} ${r.label}`);
    const street = target.unit.address.split(" ").filter((w) => !/^\d/.test(w) && w.length > 3).pop();
    for (const q of [street.toLowerCase(), target.hit.label.replace(",", ""), `${street.slice(0, 5)}`]) {
      const want = await expected(q);
      assert.ok(want.length > 0, q);
      assert.deepEqual(await listed(q), want, `static search ${JSON.stringify(q)}`);
    }
    await listed(target.hit.label.replace(",", ""));
    await page.click(`#results li button:has-text("${target.hit.label}")`);
    await page.waitForFunction((t) => document.querySelector("#panel h2")?.textContent === t, target.hit.label);
    const answer = (await page.textContent("[data-testid=answer]")).toLowerCase();
    const cls = target.unit.classes[0].class;
    assert.ok(answer.includes({ white: "area bianca", grey: "area grigia", black: "area nera" }[cls] ?? cls), `${answer} (${cls})`);
    assert.equal(await page.textContent("[data-testid=technologies]"), target.unit.technologies.join(", "));
    const offers = await page.$$eval("#panel .offers li", (l) => l.map((x) => x.textContent));
    assert.equal(offers.length, target.unit.offers.length);
    for (const o of target.unit.offers) assert.ok(offers.some((t) => t.includes(o.operator) && t.includes(o.dataset)), `${o.operator} in ${offers}`);
    await page.screenshot({ path: join(SHOTS, "static-site-address.png") });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    site.close();
  }
  // exported with a basemap: the site's map draws it under the public layers
  const styleDir = join(server.dir, "basemap-static");
  writeBasemap(styleDir);
  const host = await serveStatic(styleDir, { cors: true });
  const withBasemap = server.exportPublic(["--basemap-style", `${host.base}/style.json`]);
  const site2 = await serveStatic(withBasemap.out);
  try {
    const { page, errors } = await openPage(browser, `${site2.base}/`);
    await idle(page);
    const counts = await colourCounts(page, [BASEMAP_BG, BASEMAP_SEA]);
    assert.ok(counts[BASEMAP_BG] > 5000 && counts[BASEMAP_SEA] > 1000, JSON.stringify(counts));
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    site2.close();
    host.close();
  }
});

test("the mobile view draws the mobile white areas (Italia 5G) from the server's tiles", async () => {
  // without --mobile-areas there is no such layer, and the map does not ask for it
  assert.equal((await json(`${server.base}/tiles/mobile_white.json`)).status, 404);
  // synthetic mobile rasters, the Italia 5G grid at 500 m, its dissolved eligible areas
  const data = join(server.dir, "mobile");
  bianca(["synth", "--units", "20000", "--seed", "7", "--out", data, "--rasters", "--raster-pixel-m", "500"]);
  const rasters = readdirSync(data).filter((f) => f.startsWith("mobile_")).map((f) => join(data, f));
  assert.equal(rasters.length, 6);
  const areasFile = join(server.dir, "mobile-white.geojson");
  bianca(["grid", "italia-5g", "--coverage", join(data, "coverage.fgb"), ...rasters,
    "--areas", join(data, "comuni.geojson"), "--units", join(data, "units.csv"),
    "--reference-year", "2025", "--pixel-m", "500", "--out-polygons", areasFile, "-q"]);
  const areas = JSON.parse(readFileSync(areasFile, "utf8")).features;
  assert.ok(areas.length > 5, `${areas.length} areas`);
  const other = await server.serve(["--mobile-areas", areasFile]);
  try {
    const tj = await json(`${other.base}/tiles/mobile_white.json`);
    assert.equal(tj.status, 200);
    assert.equal(tj.body.vector_layers[0].id, "mobile_white");
    const { page, errors } = await openPage(browser, `${other.base}/`);
    await idle(page);
    const drawn = () => page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["mobile-white"] }).length);
    // hidden in the classes view, drawn in the mobile view with its legend entry
    assert.equal(await drawn(), 0);
    await page.check("input[name=mode][value=mobile]");
    await idle(page);
    const n = await drawn();
    assert.ok(n > 5, `${n} mobile white features drawn`);
    const props = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["mobile-white"] })[0].properties);
    assert.ok(props.pixels > 0 && "units" in props, JSON.stringify(props));
    assert.match(await page.textContent("#legend"), /Aree bianche mobili/);
    await page.screenshot({ path: join(SHOTS, "public-mobile-white.png") });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await other.stop();
  }

  // the static site exported with the same areas draws them the same way, from its archive
  const { out } = server.exportPublic(["--mobile-areas", areasFile]);
  assert.match(readFileSync(join(out, "index.html"), "utf8"), /"mobile_white":true/);
  const site = await serveStatic(out);
  try {
    const { page, errors, requests } = await openPage(browser, `${site.base}/`);
    await idle(page);
    const drawn = () => page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["mobile-white"] }).length);
    assert.equal(await drawn(), 0);
    await page.check("input[name=mode][value=mobile]");
    await idle(page);
    const n = await drawn();
    assert.ok(n > 5, `${n} mobile white features drawn in the static site`);
    const props = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["mobile-white"] })[0].properties);
    assert.ok(props.pixels > 0 && "units" in props && "addresses" in props, JSON.stringify(props));
    assert.match(await page.textContent("#legend"), /Aree bianche mobili/);
    // pixels of the areas' colour (their outline): many with the layer, none without it
    const MOBILE_WHITE = "#b35806";
    const shown = (await colourCounts(page, [MOBILE_WHITE]))[MOBILE_WHITE];
    await page.screenshot({ path: join(SHOTS, "static-site-mobile-white.png") });
    await page.evaluate(() => { for (const id of ["mobile-white", "mobile-white-line"]) window.bianca.map.setLayoutProperty(id, "visibility", "none"); });
    await idle(page);
    const hidden = (await colourCounts(page, [MOBILE_WHITE]))[MOBILE_WHITE];
    assert.ok(shown > 500 && hidden < shown / 20, `${MOBILE_WHITE}: ${shown} pixels drawn, ${hidden} hidden`);
    // no tile server behind it: everything came from the site
    assert.deepEqual(requests.filter((u) => u.includes("/tiles/")), []);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    site.close();
  }
  // a site exported without them has no such layer, nor its legend entry
  const plain = await serveStatic(server.exportPublic().out);
  try {
    const { page, errors } = await openPage(browser, `${plain.base}/`);
    await page.check("input[name=mode][value=mobile]");
    await idle(page);
    assert.equal(await page.evaluate(() => Boolean(window.bianca.map.getLayer("mobile-white"))), false);
    assert.doesNotMatch(await page.textContent("#legend"), /Aree bianche mobili/);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    plain.close();
  }
});

test("a planner sees stored 4G/5G rasters by value class in the coverage layer, and a unit's pixel values", async () => {
  // its own store: the synthetic registry with 1 km mobile rasters imported whole
  const data = join(server.dir, "rasters");
  const db = join(server.dir, "rasters.db");
  bianca(["synth", "--units", "5000", "--seed", "11", "--out", data, "--rasters", "--raster-pixel-m", "1000"]);
  const rasters = readdirSync(data).filter((f) => f.startsWith("mobile_")).map((f) => join(data, f));
  assert.equal(rasters.length, 6);
  bianca(["--database-url", db, "import", "units", join(data, "units.csv"), "--public", "-q"]);
  bianca(["--database-url", db, "import", "areas", join(data, "comuni.geojson"), "-q"]);
  for (const r of rasters) bianca(["--database-url", db, "import", "coverage", r, "-q"]);
  bianca(["--database-url", db, "classify", "--snapshot", "r1", "--rules", "it-5g", "--reference-year", "2025", "-q"]);
  const token = bianca(["--database-url", db, "tokens", "create", "--role", "planner"]).trim();
  const other = await server.servePath(db);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(`${other.base}/planner`);
    await page.fill("#token", token);
    await page.click("#login-form button");
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 60000 });
    await page.evaluate(() => window.bianca.map.jumpTo({ center: [11.0, 43.5], zoom: 8 }));
    await page.check("#coverage-on");
    await page.selectOption("#technology", "5G");
    await idle(page);
    const feats = await page.evaluate(() => window.bianca.map.queryRenderedFeatures({ layers: ["coverage-fill"] }).map((f) => f.properties));
    assert.ok(feats.length > 10, `${feats.length} raster polygons drawn`);
    assert.ok(feats.every((p) => p.raster === true && p.technology === "5G"), JSON.stringify(feats[0]));
    const levels = new Set(feats.map((p) => p.level));
    assert.ok(levels.size >= 2, `levels ${[...levels]}`);
    // denser where the class is better: the fill's opacity follows the level
    const opacity = await page.evaluate(() => window.bianca.map.getPaintProperty("coverage-fill", "fill-opacity"));
    assert.deepEqual(opacity[0], "case");
    await page.screenshot({ path: join(SHOTS, "planner-coverage-rasters-5g.png") });
    // a unit's answer lists its rasters' pixels, as the API gives them
    const hit = (await json(`${other.base}/api/v1/search?q=via&limit=20`, token)).body.find((h) => h.kind === "address");
    const unit = (await json(`${other.base}/api/v1/units/${hit.id}`, token)).body;
    const viaRaster = unit.offers.filter((o) => o.via === "raster");
    assert.ok(viaRaster.length > 0, JSON.stringify(unit.offers));
    await page.evaluate((id) => window.bianca.showUnit(id), hit.id);
    await page.waitForSelector("[data-testid=answer]");
    const items = await page.$$eval("#panel .offers li", (l) => l.map((x) => x.textContent));
    assert.equal(items.length, unit.offers.length);
    const rsrp = viaRaster.find((o) => o.value_kind === "rsrp_dbm");
    if (rsrp) assert.ok(items.some((t) => t.includes("dBm")), items.join(" | "));
    assert.ok(!items.some((t) => t.includes("NaN")), items.join(" | "));
    await page.screenshot({ path: join(SHOTS, "planner-unit-rasters.png") });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await other.stop();
  }
});
