// A static site (`bianca export-public`): what the server's API answers, from the site's
// own JSON files. Comuni come from data/areas.json; addresses, when the registry is public,
// from the address index (data/search/, cut by word keys) and each address's answer from
// data/units/ (files chosen by a hash of the unit id). Matching and ranking are the
// server's (api/src/serve/search.rs), so both give the same results.

const FOLD = {};
for (const [to, from] of Object.entries({ a: "àáâäÀÁÂÄ", e: "èéêëÈÉÊË", i: "ìíîïÌÍÎÏ", o: "òóôöÒÓÔÖ", u: "ùúûüÙÚÛÜ" })) {
  for (const c of from) FOLD[c] = to;
}
const ALNUM = /[\p{Alphabetic}\p{N}]/u;

/// The server's normalisation: accents folded, lower case, anything else a space.
export function normalise(s) {
  let out = "";
  for (const ch of s) {
    if (FOLD[ch]) out += FOLD[ch];
    else if (ALNUM.test(ch)) out += [...ch.toLowerCase()][0];
    else out += " ";
  }
  return out;
}

const words = (s) => s.split(" ").filter(Boolean);

/// FNV-1a, 32 bits, over the UTF-8 of `s` (as unit_records.rs).
export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/// The file name of an index key (as address_index.rs).
function fileName(key) {
  if (/^[a-z0-9]+$/.test(key)) return key;
  return "x" + [...new TextEncoder().encode(key)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/// Ranked matches of `q` among `items` ({ text (normalised), comune, ... }), as the server
/// ranks them: every word whole, the last as a prefix; comuni first, then whole words, then
/// shorter texts, then alphabetical order.
export function rank(items, q) {
  const qn = normalise(q);
  const qw = words(qn);
  if (!qw.length) return [];
  const last = qw[qw.length - 1];
  const full = qw.slice(0, -1);
  const out = [];
  for (const it of items) {
    const tw = words(it.text);
    if (!full.every((w) => tw.includes(w))) continue;
    const lastExact = tw.includes(last);
    if (!lastExact && !tw.some((w) => w.startsWith(last))) continue;
    let score = 10 * qw.length - (lastExact ? 0 : 5);
    if (it.comune) {
      score += 20;
      if (it.text === qn.trim()) score += 50;
    }
    score -= (tw.length - Math.min(qw.length, tw.length)) * 0.5;
    out.push({ it, score });
  }
  out.sort((a, b) => b.score - a.score || (a.it.text < b.it.text ? -1 : a.it.text > b.it.text ? 1 : 0));
  return out;
}

/// The backend of a static site at `base` with configuration `cfg` and the areas' figures.
export function staticBackend(base, cfg, areas, rules) {
  const cache = new Map();
  const getJson = (path) => {
    if (!cache.has(path)) {
      cache.set(path, fetch(`${base}${path}`).then((r) => {
        if (!r.ok) throw new Error(`${path}: ${r.status}`);
        return r.json();
      }).catch((e) => { cache.delete(path); throw e; }));
    }
    return cache.get(path);
  };
  const comuni = areas
    .filter((a) => a.level === "comune" && a.bbox)
    .map((a) => ({ comune: true, text: normalise(a.name), area: a }));

  /// The address index files for the query's words (address_index.rs): for a whole word,
  /// the longest key that begins it; for the last word (a prefix) also every key it begins,
  /// when they are 8 at most; words under 3 characters give none.
  async function addressItems(q) {
    if (!cfg.search) return [];
    const { keys } = await getJson("data/search/keys.json");
    const qw = words(normalise(q));
    const want = new Set();
    qw.forEach((w, k) => {
      if ([...w].length < 3) return;
      const begins = keys.filter((x) => w.startsWith(x)).sort((x, y) => y.length - x.length)[0];
      if (begins) want.add(begins);
      if (k === qw.length - 1) {
        const begun = keys.filter((x) => x.startsWith(w) && x !== begins);
        if (begun.length <= 8) begun.forEach((x) => want.add(x));
      }
    });
    const files = await Promise.all([...want].slice(0, 16).map((k) => getJson(`data/search/${fileName(k)}.json`)));
    const seen = new Set();
    const items = [];
    for (const f of files) {
      for (const [id, address, c, lon, lat, cls] of f.units) {
        if (seen.has(id)) continue;
        seen.add(id);
        const [code, comuneName] = f.comuni[c] ?? ["", ""];
        items.push({ text: normalise(`${address} ${comuneName}`), id, address, code, comuneName, lon, lat, cls });
      }
    }
    return items;
  }

  return {
    /// Results as /api/v1/search gives them.
    async search(q, limit = 8) {
      const items = [...comuni, ...(await addressItems(q))];
      return rank(items, q).slice(0, limit).map(({ it, score }) => (it.comune
        ? { kind: "comune", label: it.area.name, code: it.area.code, lon: it.area.centre[0], lat: it.area.centre[1], bbox: it.area.bbox, score }
        : { kind: "address", label: it.comuneName ? `${it.address}, ${it.comuneName}` : it.address, id: it.id, ...(it.code ? { code: it.code } : {}), lon: it.lon, lat: it.lat, class: it.cls, score }));
    },
    async area(code, level) {
      const a = areas.find((x) => x.code === code && (!level || x.level === level));
      if (!a) throw new Error(code);
      return a;
    },
    /// A unit as /api/v1/units/{id} gives it to the public; null when the site has no
    /// answers (a confidential registry) or no such unit.
    async unit(id) {
      if (!cfg.unit_files) return null;
      const f = await getJson(`data/units/${fnv1a(id) % cfg.unit_files}.json`);
      const rec = f.units[id];
      if (!rec) return null;
      const [address, comune, comuneName, units, lon, lat, classes, technology, technologies, speed, n4g, n5g, refs] = rec;
      const some = (k, v) => (v === null || v === undefined ? {} : { [k]: v });
      return {
        id, lon, lat, units, ...some("comune", comune), ...some("comune_name", comuneName), ...some("address", address),
        classes: classes.map((c, k) => ({ rules: rules[k]?.name ?? "", class: c })),
        technology, technologies, speed, networks_4g: n4g, networks_5g: n5g,
        offers: refs.map((r) => {
          const [operator, tech, down, up, peakDown, peakUp, status, year, via, dataset, at] = f.offers[r];
          return {
            operator, technology: tech, down_mbps: down, up_mbps: up, ...some("peak_down_mbps", peakDown), ...some("peak_up_mbps", peakUp),
            status, ...some("year", year), via, dataset, dataset_imported_at: at,
          };
        }),
        snapshot: cfg.snapshot,
      };
    },
  };
}
