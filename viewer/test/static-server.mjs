// A plain static file server for the exported public site, with HTTP range requests (as
// nginx, Apache, Caddy and object stores answer them: PMTiles reads its archive in ranges).
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { join, normalize, extname } from "node:path";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".pbf": "application/x-protobuf", ".pmtiles": "application/octet-stream" };

/// Serves `root`; with `cors`, to pages of any origin too (as a basemap host does).
export function serveStatic(root, { cors = false } = {}) {
  const server = createServer((req, res) => {
    if (cors) res.setHeader("Access-Control-Allow-Origin", "*");
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ""));
    let st;
    try { st = statSync(file); } catch (_) { res.writeHead(404); res.end(); return; }
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), st.size - 1) : st.size - 1;
      res.writeHead(206, { "Content-Type": type, "Content-Range": `bytes ${start}-${end}/${st.size}`, "Content-Length": end - start + 1, "Accept-Ranges": "bytes" });
      createReadStream(file, { start, end }).pipe(res);
    } else {
      res.writeHead(200, { "Content-Type": type, "Content-Length": st.size, "Accept-Ranges": "bytes" });
      createReadStream(file).pipe(res);
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}
