// A bianca server on synthetic data for the browser tests: a fresh embedded store in a
// temporary directory (registry and declarations public, coverage confidential), classified,
// with rollout uploads and a planner token, served on a free port.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const BIN = process.env.BIANCA_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug", "bianca");
export const SHOTS = process.env.BIANCA_SCREENSHOTS
  ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "browser-screenshots");

export function bianca(args) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return execFileSync(BIN, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "bianca-browser-"));
  const db = join(dir, "bianca.db");
  const data = join(dir, "data");
  bianca(["synth", "--units", "20000", "--seed", "7", "--out", data]);
  const d = (f) => join(data, f);
  bianca(["--database-url", db, "import", "units", d("units.csv"), "--public", "-q"]);
  bianca(["--database-url", db, "import", "coverage", d("coverage.fgb"), "-q"]);
  bianca(["--database-url", db, "import", "declarations", d("declarations.csv"), "--public", "-q"]);
  bianca(["--database-url", db, "import", "areas", d("comuni.geojson"), "-q"]);
  // an older snapshot to compare with: the same inputs three years earlier (2022), so that
  // plans due in 2025-2027 make classes differ
  bianca(["--database-url", db, "classify", "--snapshot", "s0", "--rules", "eu2013-nga", "--reference-year", "2022", "-q"]);
  bianca(["--database-url", db, "classify", "--snapshot", "s1", "--rules", "eu2013-nga,eu2023-gigabit", "--reference-year", "2025", "-q"]);
  // the rollout: the Tuscan BUL open data (per comune) and, of the synthetic monthly
  // uploads (per-address work, 5G sites), every third month and the last
  bianca(["--database-url", db, "progress", "upload", join(ROOT, "data/progress/bul_stato_lavori_toscana.csv"), "--date", "2023-05-19"]);
  for (const month of ["2025-03", "2025-06", "2025-09", "2025-12", "2026-03", "2026-06", "2026-09", "2026-10"]) {
    const [y, m] = month.split("-").map(Number);
    const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    for (const kind of ["civico", "sites"]) {
      // (a month with no work of a kind has no file of it)
      if (existsSync(d(`progress/${kind}-${month}.csv`))) {
        bianca(["--database-url", db, "progress", "upload", d(`progress/${kind}-${month}.csv`), "--date", end]);
      }
    }
  }
  const planner = bianca(["--database-url", db, "tokens", "create", "--role", "planner"]).trim();
  const first = await serve(db);
  mkdirSync(SHOTS, { recursive: true });
  let sites = 0;
  return {
    base: first.base, planner, dir, db,
    /// Another `bianca serve` of the same store, with more arguments; stop it when done.
    serve: (args) => serve(db, args),
    /// A `bianca serve` of another store; stop it when done.
    servePath: (other, args) => serve(other, args),
    /// `bianca export-public` of the server's store into a new directory.
    exportPublic(args = []) {
      const out = join(dir, `public-site-${++sites}`);
      const log = bianca(["--database-url", db, "export-public", out, ...args]);
      return { out, log };
    },
    async stop() { await first.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/// `bianca serve` of the store `db` on a free port: { base, stop }.
async function serve(db, args = []) {
  const env = { ...process.env, BIANCA_LOG: "warn" };
  delete env.DATABASE_URL;
  const child = spawn(BIN, ["--database-url", db, "serve", "--bind", "127.0.0.1:0", "--watch", "0", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`bianca serve did not start:\n${log}`)), 120000);
    child.stderr.on("data", (b) => {
      log += b;
      const m = /listening on (http:\/\/[^/\s]+)\//.exec(log); // the whole address, up to its "/"
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on("exit", (c) => fail(new Error(`bianca serve exited ${c}:\n${log}`)));
  });
  return {
    base,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/// Debian's Chromium, headless, with WebGL on SwiftShader.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
  });
}

/// A page that records console errors and warnings and every URL it requests. `before(page)`
/// runs before the page is loaded (e.g. to route requests).
export async function openPage(browser, url, { viewport = { width: 1280, height: 800 }, token = null, lang = null, before = null } = {}) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  const warnings = [];
  const requests = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
    if (m.type() === "warning") warnings.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));
  if (before) await before(page);
  if (token) {
    await page.addInitScript((t) => sessionStorage.setItem("bianca.token", t), token);
  }
  if (lang) {
    await page.addInitScript((l) => localStorage.setItem("bianca.lang", l), lang);
  }
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "1" || document.body.dataset.error, null, { timeout: 60000 });
  const err = await page.evaluate(() => document.body.dataset.error);
  if (err) throw new Error(`the map failed: ${err}`);
  return { page, errors, warnings, requests };
}

/// Waits until the map has loaded every tile in view and drawn them.
export async function idle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.bianca.map;
    if (map.loaded() && map.areTilesLoaded()) setTimeout(resolve, 300);
    else map.once("idle", () => setTimeout(resolve, 300));
  }));
}

/// Counts the screenshot's pixels close to each colour (hex), decoded in the page itself.
export async function colourCounts(page, colours) {
  const png = await page.screenshot();
  return page.evaluate(async ({ b64, colours }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const want = colours.map((h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)]);
    const counts = colours.map(() => 0);
    for (let i = 0; i < px.length; i += 4) {
      for (let k = 0; k < want.length; k++) {
        const [r, g, b] = want[k];
        if (Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 30) counts[k]++;
      }
    }
    return Object.fromEntries(colours.map((h, k) => [h, counts[k]]));
  }, { b64: png.toString("base64"), colours });
}
