// What the public map and the planner workspace share: talking to the API, the search box,
// the side panel, the legend, number formatting.
import { t, fmt, className, lang, setLang } from "./i18n.js";
import { classColour, FTTH, MOBILE, MOBILE_WHITE, SHARE_RAMP, AVAIL_RAMP } from "./style.js";

let TOKEN = null;
export function setToken(tok) { TOKEN = tok; }
export function token() { return TOKEN; }

/// GET (or POST) JSON from the API; throws an Error with .status on failure.
export async function api(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  const r = await fetch(path, { ...opts, headers });
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error.message; } catch (_) { /* not JSON */ }
    const e = new Error(msg);
    e.status = r.status;
    throw e;
  }
  return r.json();
}

/// Adds the token to the map's own requests (tiles, TileJSON), never to other hosts.
export function transformRequest(url) {
  if (TOKEN && url.startsWith(location.origin)) {
    return { url, headers: { Authorization: `Bearer ${TOKEN}` } };
  }
  return { url };
}

export const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
};

/// Offers `blob` to the user as a download named `name`.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function num(n) {
  return new Intl.NumberFormat(lang() === "it" ? "it-IT" : "en-GB").format(n);
}
/// A speed, or "?" when unknown (a raster's upload without UP_MBPS).
function speed(v) {
  return v == null ? "?" : num(v);
}
export function pct(x) {
  return new Intl.NumberFormat(lang() === "it" ? "it-IT" : "en-GB", { style: "percent", maximumFractionDigits: 1 }).format(x);
}
export function date(iso) {
  return iso ? iso.slice(0, 10) : "";
}

/// The side panel: `show(title, ...nodes)`, `hide()`.
export function panel() {
  const box = document.getElementById("panel");
  return {
    show(title, ...nodes) {
      box.replaceChildren(
        el("div", { class: "panel-head" },
          el("h2", {}, title),
          el("button", { class: "close", "aria-label": t("close"), onclick: () => box.classList.remove("open") }, "×")),
        ...nodes.filter((n) => n !== null && n !== undefined && n !== false));
      box.classList.add("open");
      box.scrollTop = 0;
    },
    hide() { box.classList.remove("open"); },
  };
}

/// Horizontal bars of shares per class.
export function classBars(classes, key, total) {
  return el("div", { class: "bars", "data-testid": `bars-${key}` }, classes.filter((c) => total > 0).map((c) => {
    const share = total > 0 ? c[key] / total : 0;
    return el("div", { class: "bar-row" },
      el("span", { class: "bar-label" }, className(c.class)),
      el("span", { class: "bar" }, el("span", { class: "bar-fill", style: `width:${(share * 100).toFixed(1)}%;background:${classColour(c.class)}` })),
      el("span", { class: "bar-value", "data-testid": `share-${key}-${c.class}` }, pct(share)));
  }));
}

/// Statistics of an area (from /api/v1/areas/{code}): counts and shares.
export function areaFigures(area, ruleIndex = 0) {
  const st = area.stats[ruleIndex];
  if (!st) return [el("p", {}, "—")];
  const level = t(area.level);
  return [
    el("p", { class: "muted" }, `${level} · ISTAT ${area.code}`),
    el("dl", { class: "figures" },
      el("dt", {}, t("addresses")), el("dd", { "data-testid": "area-addresses" }, num(st.addresses)),
      el("dt", {}, t("units")), el("dd", { "data-testid": "area-units" }, num(st.units))),
    el("h3", {}, t("ofUnits")),
    classBars(st.classes, "units", st.units),
    el("h3", {}, t("ofAddresses")),
    classBars(st.classes, "addresses", st.addresses),
  ];
}

/// The search box: calls `onPick(result)` with the chosen result of /api/v1/search.
export function searchBox(input, list, searchFn, onPick) {
  let timer = null;
  let seq = 0;
  const run = async () => {
    const q = input.value.trim();
    if (q.length < 2) { list.replaceChildren(); list.hidden = true; return; }
    const mine = ++seq;
    let res = [];
    try {
      res = searchFn ? await searchFn(q) : await api(`/api/v1/search?q=${encodeURIComponent(q)}&limit=8`);
    } catch (_) { res = []; }
    if (mine !== seq) return;
    list.replaceChildren(...(res.length ? res.map((r) => el("li", {},
      el("button", { type: "button", onclick: () => { list.hidden = true; input.value = r.label; onPick(r); } },
        el("span", { class: `kind kind-${r.kind}` }, r.kind === "comune" ? t("comune") : "●"),
        " ", r.label))) : [el("li", { class: "muted" }, t("searchNone"))]));
    list.hidden = false;
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 180); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(timer);
      run().then(() => list.querySelector("button")?.click());
    }
    if (e.key === "Escape") list.hidden = true;
  });
}

/// The legend for a mode, given the class names of the rule set.
export function legend(mode, classes, compare = "", mobileWhite = false) {
  const box = document.getElementById("legend");
  const item = (colour, label, round = false) => el("div", { class: "legend-item" },
    el("span", { class: `swatch${round ? " round" : ""}`, style: `background:${colour}` }), label);
  const rampBar = (colours, lo, hi) => el("div", { class: "ramp" },
    el("span", { class: "ramp-bar", style: `background:linear-gradient(90deg,${colours.join(",")})` }),
    el("span", { class: "ramp-labels" }, el("span", {}, lo), el("span", {}, hi)));
  let body;
  if (mode === "ftth") {
    body = [el("p", { class: "muted" }, t("shareOfUnits")), rampBar(AVAIL_RAMP, "0%", "100%"),
      item(FTTH.yes, t("ftthYes"), true), item(FTTH.no, t("ftthNo"), true)];
  } else if (mode === "mobile") {
    body = [el("p", { class: "muted" }, `5G · ${t("shareOfUnits")}`), rampBar(AVAIL_RAMP, "0%", "100%"),
      item(MOBILE["5G"], t("mobile5g"), true), item(MOBILE["4G"], t("mobile4g"), true), item(MOBILE.none, t("mobileNone"), true)];
    if (mobileWhite) body.push(item(MOBILE_WHITE, t("mobileWhite")));
  } else {
    body = classes.map((c) => item(classColour(c), className(c)));
  }
  if (compare) {
    body.push(el("div", { class: "legend-item", "data-testid": "legend-changed" },
      el("span", { class: "swatch round", style: "background:transparent;border:2px solid #111827" }),
      fmt(t("changed"), { name: compare })));
  }
  box.replaceChildren(el("h3", {}, t("legend")), ...body);
}

/// The language switch and the static texts (elements with data-i18n).
export function i18nPage() {
  document.documentElement.lang = lang();
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
  const b = document.getElementById("lang");
  if (b) {
    b.textContent = t("language");
    b.onclick = () => { setLang(lang() === "it" ? "en" : "it"); location.reload(); };
  }
}

/// What the address answer shows: the sentence, technologies, speed, offers.
export function addressAnswer(unit, rules, { offers = true } = {}) {
  const primary = unit.classes[0];
  const key = ["white", "grey", "black"].includes(primary.class) ? primary.class : "other";
  const sentence = fmt(t(`answer.${key}`), { class: className(primary.class) });
  const now = unit.offers.filter((o) => o.status !== "planned");
  const planned = unit.offers.filter((o) => o.status === "planned").sort((a, b) => (a.year ?? 0) - (b.year ?? 0));
  const offerLine = (o) => el("li", {},
    el("strong", {}, o.technology), ` ${o.operator} · ${speed(o.down_mbps)}/${speed(o.up_mbps)} Mbit/s`,
    o.value_kind === "rsrp_dbm" ? ` (${num(o.value)} dBm)` : "",
    o.peak_down_mbps ? ` (${t("peak")} ${num(o.peak_down_mbps)})` : "",
    o.status === "planned" && o.year ? ` · ${fmt(t("plannedIn"), { year: o.year })}` : "",
    el("span", { class: "muted small" }, ` · ${o.dataset}, ${fmt(t("asOf"), { date: date(o.dataset_imported_at) })}`));
  return [
    el("p", { class: `answer answer-${key}`, "data-testid": "answer" }, sentence),
    el("p", { class: "muted small" }, rules?.[0]?.title ?? ""),
    el("dl", { class: "figures" },
      el("dt", {}, t("technologies")), el("dd", { "data-testid": "technologies" }, unit.technologies.join(", ") || "—"),
      el("dt", {}, t("speed")), el("dd", { "data-testid": "speed" }, t(`speedClasses.${unit.speed}`))),
    now.length ? el("h3", {}, t("now")) : null,
    now.length ? el("ul", { class: "offers" }, now.map(offerLine)) : null,
    planned.length ? el("h3", {}, t("planned")) : null,
    planned.length ? el("ul", { class: "offers" }, planned.map(offerLine)) : null,
    unit.offers.length || !offers ? null : el("p", { class: "muted" }, t("noOffers")),
    unit.classes.length > 1 ? el("p", { class: "muted small" },
      unit.classes.slice(1).map((c) => `${c.rules}: ${className(c.class)}`).join(" · ")) : null,
  ];
}
