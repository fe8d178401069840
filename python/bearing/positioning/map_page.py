"""The map of ``bearing locate``: one self-contained HTML page (no tile server, no script from
the network), live from ``--http`` (it reads ``state.json`` every half second) or static with
the state written in (``--html``, the report of a replay).

It draws in the local east-north-up frame, north up, in metres: the stations with their
headings, each station's current bearing lines, every track's path, each track's latest fix
with its 95 % error ellipse, and a readout per emitter (position, speed, ellipse, GDOP,
stations). With a tile URL (``{z}/{x}/{y}`` OpenStreetMap-style) the tiles under the view are
drawn beneath, placed by the scene's origin (equirectangular about it: metres of error at a
few kilometres).
"""

from __future__ import annotations

import json

PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gr-bearing: positions</title>
<style>
body { font-family: sans-serif; margin: 0; display: flex; height: 100vh; }
#map { flex: 1; background: #f4f6f8; }
#side { width: 360px; padding: 8px 12px; overflow-y: auto; border-left: 1px solid #ccc; font-size: 13px; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: 2px 4px; text-align: left; }
.station { fill: #1f4e9c; } .heading { stroke: #1f4e9c; stroke-width: 2; }
.bearing { stroke: #d9822b; stroke-width: 1; stroke-opacity: 0.7; }
.track { fill: none; stroke: #666; stroke-width: 1.5; } .fix { fill: #c0392b; }
.ellipse { fill: #c0392b; fill-opacity: 0.15; stroke: #c0392b; }
.label { font-size: 12px; fill: #222; }
</style></head>
<body><svg id="map"></svg><div id="side"><h3>gr-bearing positions</h3><div id="status">waiting for fixes...</div>
<table id="readout"><thead><tr><th>track</th><th>emitter</th><th>lat, lon</th><th>speed m/s</th><th>95 % m</th><th>GDOP</th><th>stations</th></tr></thead><tbody></tbody></table></div>
<script id="state" type="application/json">__STATE__</script>
<script>
const TILE_URL = __TILES__;
const NS = "http://www.w3.org/2000/svg";
function el(name, attrs, parent, text) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e); return e;
}
function draw(state) {
  const svg = document.getElementById("map");
  svg.innerHTML = "";
  const w = svg.clientWidth || 800, h = svg.clientHeight || 600;
  const pts = state.stations.map(s => [s.east_m, s.north_m]);
  for (const t of state.tracks) for (const p of t.path) pts.push(p);
  if (!pts.length) return;
  let [e0, e1, n0, n1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [e, n] of pts) { e0 = Math.min(e0, e); e1 = Math.max(e1, e); n0 = Math.min(n0, n); n1 = Math.max(n1, n); }
  const pad = 0.1 * Math.max(e1 - e0, n1 - n0, 20);
  e0 -= pad; e1 += pad; n0 -= pad; n1 += pad;
  const k = Math.min(w / (e1 - e0), h / (n1 - n0));
  const X = e => (e - e0) * k, Y = n => (n1 - n) * k;
  if (TILE_URL && state.origin) tiles(svg, state.origin, e0, e1, n0, n1, X, Y);
  const span = Math.max(e1 - e0, n1 - n0) * 2;
  for (const s of state.stations) {
    for (const az of s.bearings_deg) {
      const a = az * Math.PI / 180;
      el("line", {class: "bearing", x1: X(s.east_m), y1: Y(s.north_m), x2: X(s.east_m + span * Math.sin(a)), y2: Y(s.north_m + span * Math.cos(a))}, svg);
    }
  }
  for (const t of state.tracks) {
    el("polyline", {class: "track", points: t.path.map(([e, n]) => X(e) + "," + Y(n)).join(" ")}, svg);
    const f = t.fix, cx = X(f.east_m), cy = Y(f.north_m);
    el("ellipse", {class: "ellipse", cx: cx, cy: cy, rx: Math.max(f.ellipse.semi_major_m * k, 1), ry: Math.max(f.ellipse.semi_minor_m * k, 1),
                   transform: "rotate(" + (f.ellipse.orientation_deg - 90) + " " + cx + " " + cy + ")"}, svg);
    el("circle", {class: "fix", cx: cx, cy: cy, r: 4, "data-track": t.track_id}, svg);
    el("text", {class: "label", x: cx + 6, y: cy - 6}, svg, t.emitter || t.track_id);
  }
  for (const s of state.stations) {
    const a = s.heading_deg * Math.PI / 180, x = X(s.east_m), y = Y(s.north_m);
    el("line", {class: "heading", x1: x, y1: y, x2: x + 18 * Math.sin(a), y2: y - 18 * Math.cos(a)}, svg);
    el("circle", {class: "station", cx: x, cy: y, r: 6, "data-station": s.id}, svg);
    el("text", {class: "label", x: x + 8, y: y + 14}, svg, s.id);
  }
  const bar = 10 ** Math.floor(Math.log10((e1 - e0) / 4)), y = h - 20;
  el("line", {class: "heading", x1: 20, y1: y, x2: 20 + bar * k, y2: y}, svg);
  el("text", {class: "label", x: 20, y: y - 6}, svg, bar + " m, north up");
  const body = document.querySelector("#readout tbody");
  body.innerHTML = "";
  for (const t of state.tracks) {
    const f = t.fix, row = body.insertRow();
    const cells = [t.track_id, t.emitter || "", f.latitude_deg !== undefined ? f.latitude_deg.toFixed(6) + ", " + f.longitude_deg.toFixed(6) : f.east_m.toFixed(1) + " E, " + f.north_m.toFixed(1) + " N",
                   t.speed_mps.toFixed(2), f.ellipse.semi_major_m.toFixed(1), f.gdop.toFixed(2), f.stations.join(" ")];
    for (const c of cells) row.insertCell().textContent = c;
  }
  document.getElementById("status").textContent = state.stations.length + " stations, " + state.fixes + " fixes, " + state.reports + " reports" + (state.dropped ? ", dropped: " + state.dropped : "");
}
function tiles(svg, origin, e0, e1, n0, n1, X, Y) {
  const R = 6378137, lat0 = origin.latitude_deg * Math.PI / 180;
  const lat = n => origin.latitude_deg + n / R * 180 / Math.PI, lon = e => origin.longitude_deg + e / (R * Math.cos(lat0)) * 180 / Math.PI;
  const z = Math.max(0, Math.min(19, Math.round(Math.log2(40075016 * Math.cos(lat0) / (e1 - e0) * 3))));
  const tx = l => (l + 180) / 360 * 2 ** z, ty = l => (1 - Math.log(Math.tan(l * Math.PI / 180) + 1 / Math.cos(l * Math.PI / 180)) / Math.PI) / 2 * 2 ** z;
  const ilon = x => x / 2 ** z * 360 - 180, ilat = y => Math.atan(Math.sinh(Math.PI * (1 - 2 * y / 2 ** z))) * 180 / Math.PI;
  const e = l => (l - origin.longitude_deg) * Math.PI / 180 * R * Math.cos(lat0), n = l => (l - origin.latitude_deg) * Math.PI / 180 * R;
  for (let x = Math.floor(tx(lon(e0))); x <= Math.floor(tx(lon(e1))); x++)
    for (let y = Math.floor(ty(lat(n1))); y <= Math.floor(ty(lat(n0))); y++)
      el("image", {href: TILE_URL.replace("{z}", z).replace("{x}", x).replace("{y}", y), x: X(e(ilon(x))), y: Y(n(ilat(y))),
                   width: X(e(ilon(x + 1))) - X(e(ilon(x))), height: Y(n(ilat(y + 1))) - Y(n(ilat(y)))}, svg);
}
const embedded = JSON.parse(document.getElementById("state").textContent);
if (embedded) { draw(embedded); }
else {
  async function poll() {
    try { const r = await fetch("state.json", {cache: "no-store"}); if (r.ok) draw(await r.json()); } catch (e) {}
    setTimeout(poll, 500);
  }
  poll();
}
</script></body></html>
"""


def render(state: dict | None = None, tile_url: str | None = None) -> str:
    """The page: live (``state`` None: it polls ``state.json``) or with ``state`` written in
    (a static report); ``tile_url`` a ``{z}/{x}/{y}`` template, or None for no tiles."""
    embedded = json.dumps(state, allow_nan=False).replace("</", "<\\/")  # no "</script>" inside
    tiles = json.dumps(tile_url).replace("</", "<\\/")
    return PAGE.replace("__STATE__", embedded).replace("__TILES__", tiles)
