// Copies the front-end libraries that EpiCommand serves itself from node_modules into
// epicommand/static/vendor/. Provincial networks are often closed or slow, so nothing is
// loaded from a CDN: the app serves every file the browser needs.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nm = (p) => join(root, "node_modules", p);
const out = join(root, "epicommand", "static", "vendor");

const files = {
  "bootstrap/bootstrap.min.css": nm("bootstrap/dist/css/bootstrap.min.css"),
  "bootstrap/bootstrap.bundle.min.js": nm("bootstrap/dist/js/bootstrap.bundle.min.js"),
  "bootstrap-icons/bootstrap-icons.min.css": nm("bootstrap-icons/font/bootstrap-icons.min.css"),
  "bootstrap-icons/fonts": nm("bootstrap-icons/font/fonts"),
  "htmx/htmx.min.js": nm("htmx.org/dist/htmx.min.js"),
  "echarts/echarts.min.js": nm("echarts/dist/echarts.min.js"),
  "leaflet/leaflet.js": nm("leaflet/dist/leaflet.js"),
  "leaflet/leaflet.css": nm("leaflet/dist/leaflet.css"),
  "leaflet/images": nm("leaflet/dist/images"),
};

rmSync(out, { recursive: true, force: true });
for (const [dest, src] of Object.entries(files)) {
  const target = join(out, dest);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(src, target, { recursive: true });
}
console.log(`assets: ${Object.keys(files).length} entries copied to ${out}`);
