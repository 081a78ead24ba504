"""The HTML page of `viz.explore` and `viz.backprop_html`: one inline SVG, data as JSON, no network.

`page(title, svg, data)` fills the template in one pass (nothing filled in is read again); `data`
is the JSON of explore.py. The script keeps `k`, the number of ops run (forward, then backward),
and moves it from stop to stop of the chosen step size (one op, one drawn node, one time step).
"""
import re

CSS = """
body { font-family: sans-serif; margin: 0.6em 1em; }
h2 { margin: 0.2em 0; }
#controls { display: flex; gap: 0.6em; align-items: center; flex-wrap: wrap; }
#slider { flex: 1; min-width: 12em; }
#sizes button[aria-pressed="true"] { background: #d6eaf8; border-color: #2e86c1; font-weight: bold; }
#caption { font-size: 1.1em; margin: 0.4em 0; min-height: 1.4em; }
#caption b { color: #b9770e; }
#main { display: flex; gap: 0.8em; }
#view { position: relative; flex: 1; min-width: 0; border: 1px solid #ccc; height: calc(100vh - 11em); overflow: hidden; cursor: grab; }
#view > svg { width: 100%; height: 100%; }
#minimap { position: absolute; right: 4px; bottom: 4px; background: rgba(255,255,255,0.6); border: 1px solid #aaa;
  cursor: crosshair; display: none; opacity: 0.55; }
#minimap:hover { opacity: 1; background: #fff; box-shadow: 0 0 4px #aaa; }
#minimap svg { display: block; width: 100%; height: 100%; }
#minimap.folded svg { display: none; }
#minimap button { position: absolute; left: 0; top: 0; font-size: 0.7em; padding: 0 0.3em; opacity: 0.8; }
#minimap.folded button { position: static; }
#enlarged { position: absolute; inset: 0; background: #fff; display: none; flex-direction: column; cursor: default; }
#enlarged .bar { flex: none; display: flex; justify-content: space-between; align-items: center; padding: 2px 6px;
  border-bottom: 1px solid #ddd; font-size: 0.85em; color: #555; }
#enlarged svg { flex: 1; min-height: 0; width: 100%; }
#inspector { flex: none; box-sizing: border-box; width: 30%; max-width: 34em; height: calc(100vh - 11em); overflow: auto;
  border: 1px solid #ccc; padding: 0 0.7em; font-size: 0.9em; }
#inspector table { border-collapse: collapse; font-size: 0.9em; }
#inspector td, #inspector th { border: 1px solid #ddd; padding: 2px 4px; vertical-align: top; }
#inspector.wide { width: 55%; max-width: none; }
#inspector .inside { border-top: 1px solid #ddd; overflow: auto; max-height: calc(100vh - 16em); }
#inspector .inside svg { display: block; width: 100%; height: auto; }
#heatmap { overflow-x: auto; }
#heatmap table { border-collapse: collapse; font-size: 0.75em; margin: 0.4em 0; }
#heatmap td { min-width: 0.9em; height: 1.1em; padding: 0; text-align: center; border: 1px solid #eee; }
#heatmap tr.row { cursor: pointer; }
#heatmap tr.row.chosen td { outline: 2px solid #8e44ad; }
g.node, g.cluster text { cursor: pointer; }
.legend { font-size: 0.85em; color: #444; margin-top: 0.2em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: middle; border: 1px solid #888; }
@media (max-width: 900px) {
  body { margin: 0.4em; }
  h2 { font-size: 1.2em; }
  #main { flex-direction: column; }
  #view { flex: none; height: 62vh; }
  #inspector { width: 100%; max-width: none; height: auto; max-height: 60vh; }
  #inspector.wide { width: 100%; }
  #inspector .inside { max-height: 50vh; }
}
"""

BODY = """<h2>{{title}}</h2>
<div id="controls">
  <button id="prev" type="button" title="previous step (left arrow)">&larr;</button>
  <input id="slider" type="range" min="0" max="0" value="0" step="1" aria-label="step">
  <button id="next" type="button" title="next step (right arrow)">&rarr;</button>
  <span id="sizes" role="group" aria-label="step size">step:
    <button type="button" data-size="op" title="one primitive op">op</button>
    <button type="button" data-size="node" title="one drawn node: a cell, a layer, a σ">cell / layer</button>
    <button type="button" data-size="time" title="one time step of a recurrent layer">time step</button>
  </span>
  <button id="fit" type="button" title="the whole graph">fit</button>
  <button id="zoom" type="button" title="readable size, at the current step">readable</button>
</div>
<div class="legend"><i style="background:#85c1e9"></i> forward <i style="background:#f5b041"></i> backward
  <i style="background:#abebc6"></i> done <span id="checklegend"></span></div>
<div id="caption"></div>
<div id="main"><div id="view">{{svg}}<div id="minimap" title="the whole graph: click to go there"><button type="button" id="fold-map" title="fold or unfold the map">map</button></div>
<div id="enlarged"><div class="bar"><span>wheel: zoom, drag: pan</span><button type="button" id="shrink">close</button></div></div></div>
<div id="inspector"><div id="heatmap"></div><div id="details"><p>Click a node to inspect it; click a box's label to fold or open it.</p></div></div></div>
"""

SCRIPT = r"""
function element(name, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const a in attrs) e.setAttribute(a, attrs[a]);
  return e;
}
const data = {{data}};
const F = data.forward, N = data.captions.length, READABLE_PX = 10;
const view = document.getElementById("view"), slider = document.getElementById("slider");
const svg = view.querySelector("svg");
svg.removeAttribute("width"); svg.removeAttribute("height");
const full = svg.getAttribute("viewBox").split(" ").map(Number);
svg.removeAttribute("viewBox");  // the view moves a camera group: cheaper than a new viewBox, which lays out every label again
const camera = svg.insertBefore(element("g", {}), svg.firstElementChild);
camera.appendChild(svg.querySelector("g.graph"));
const smallestFont = Math.min(...Array.from(svg.querySelectorAll("text[font-size]"), t => Number(t.getAttribute("font-size"))), 14);
let box = full.slice();
function scale() { const r = svg.getBoundingClientRect(); return Math.min(r.width / box[2], r.height / box[3]); }
function setBox(b) {
  const r = svg.getBoundingClientRect(), s = Math.min(r.width / b[2], r.height / b[3]);
  const w = r.width / s, h = r.height / s;  // the part actually on screen
  let x = b[0] + (b[2] - w) / 2, y = b[1] + (b[3] - h) / 2;
  x = w >= full[2] ? full[0] - (w - full[2]) / 2 : Math.max(full[0], Math.min(x, full[0] + full[2] - w));
  y = h >= full[3] ? full[1] - (h - full[3]) / 2 : Math.max(full[1], Math.min(y, full[1] + full[3] - h));
  box = [x, y, w, h];
  camera.setAttribute("transform", "matrix(" + [s, 0, 0, s, -x * s, -y * s].join(" ") + ")");
  drawMinimap();
}
function toUnits(cx, cy) { const r = svg.getBoundingClientRect(), s = scale(); return [box[0] + (cx - r.left) / s, box[1] + (cy - r.top) / s]; }
function shape(g) { return g ? g.querySelector("ellipse, polygon, path") : null; }
const original = {}, last = {}, shapes = {};
for (const id in data.nodes) {
  const s = shapes[id] = shape(document.getElementById(id)), f = data.nodes[id].f, b = data.nodes[id].b;
  original[id] = s ? s.getAttribute("fill") : null;
  last[id] = [f.length ? Math.max(...f) : null, b.length ? Math.max(...b) : null];
}
const texts = {};
for (const id in data.edges) {
  const g = document.getElementById(id), all = g ? Array.from(g.querySelectorAll("text")) : [];
  texts[id] = [all.filter(t => t.getAttribute("fill") === "#1f3b73"), all.filter(t => t.getAttribute("fill") === "#c0392b")];
}
// the minimap: every node a small box in its place, coloured as on the graph (where the steps are); the visible part framed
const mini = document.getElementById("minimap"), MINI_W = 180, MINI_H = Math.max(30, Math.min(90, MINI_W * full[3] / full[2]));
const miniSvg = mini.appendChild(element("svg", {viewBox: full.join(" "), preserveAspectRatio: "none"}));
const markers = {}, origin = svg.getBoundingClientRect();  // the camera is still at 1:1
for (const id in data.nodes) {
  const g = document.getElementById(id);
  if (!g) continue;
  const r = g.getBoundingClientRect(), w = Math.max(r.width, 3 * full[2] / MINI_W), h = Math.max(r.height, 3 * full[3] / MINI_H);
  markers[id] = miniSvg.appendChild(element("rect", {x: full[0] + r.left - origin.left + (r.width - w) / 2,
    y: full[1] + r.top - origin.top + (r.height - h) / 2, width: w, height: h, fill: "#c8c8c8"}));
}
const frame = miniSvg.appendChild(element("rect", {fill: "rgba(46,134,193,0.15)", stroke: "#2e86c1", "stroke-width": 2, "vector-effect": "non-scaling-stroke"}));
function drawMinimap() {
  const whole = box[0] <= full[0] + 1 && box[1] <= full[1] + 1 && box[0] + box[2] >= full[0] + full[2] - 1 && box[1] + box[3] >= full[1] + full[3] - 1;
  mini.style.display = whole ? "none" : "block";
  if (whole) return;
  const w = Math.min(MINI_W, view.clientWidth * 0.22), folded = mini.classList.contains("folded");
  mini.style.width = folded ? "auto" : w + "px"; mini.style.height = folded ? "auto" : MINI_H * w / MINI_W + "px";
  [["x", box[0]], ["y", box[1]], ["width", box[2]], ["height", box[3]]].forEach(([a, v]) => frame.setAttribute(a, v));
}
function centerOn(cx, cy) { setBox([cx - box[2] / 2, cy - box[3] / 2, box[2], box[3]]); }
function onMinimap(e) {
  const r = miniSvg.getBoundingClientRect();
  centerOn(full[0] + (e.clientX - r.left) * full[2] / r.width, full[1] + (e.clientY - r.top) * full[3] / r.height);
}
mini.addEventListener("mousedown", e => { e.stopPropagation(); if (!mini.classList.contains("folded")) { onMinimap(e); mini.dragging = true; } });
document.getElementById("fold-map").addEventListener("mousedown", e => { e.stopPropagation(); mini.classList.toggle("folded"); drawMinimap(); });
window.addEventListener("mouseup", () => { mini.dragging = false; });
mini.addEventListener("mousemove", e => { if (mini.dragging) onMinimap(e); });
// steps: k ops run; a step size is a list of stops (values of k)
const sizes = {op: Array.from({length: N + 1}, (_, i) => i)};
for (const s in data.sizes) sizes[s] = [0].concat(data.sizes[s].stops);
let size = data.size, k = 0;
function stopIndex() { const st = sizes[size]; let i = 0; while (i + 1 < st.length && st[i + 1] <= k) i++; return i; }
function running(k0, k1) {
  const inside = x => x > k0 && x <= k1;
  return Object.keys(data.nodes).filter(id => data.nodes[id].f.some(inside) || data.nodes[id].b.some(inside));
}
function fillOf(id, k0, k1) {
  const s = data.nodes[id], c = data.colors, inside = x => x > k0 && x <= k1;
  if (s.b.some(inside)) return c.bcur;
  if (last[id][1] !== null && k1 >= last[id][1]) return c.bdone;
  if (s.f.some(inside)) return c.fcur;
  if (last[id][0] !== null && k1 >= last[id][0]) return c.fdone;
  return null;
}
function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;"); }
function show(i) {
  const st = sizes[size];
  i = Math.max(0, Math.min(st.length - 1, i));
  const k0 = i > 0 ? st[i - 1] : 0;
  k = st[i];
  for (const id in data.nodes) {  // only what changes is written: a step costs little on a big graph
    const step = fillOf(id, k0, k), fill = step || original[id] || "white";
    if (shapes[id] && shapes[id].getAttribute("fill") !== fill) shapes[id].setAttribute("fill", fill);
    if (markers[id] && markers[id].getAttribute("fill") !== (step || "#c8c8c8")) markers[id].setAttribute("fill", step || "#c8c8c8");
  }
  for (const id in data.edges) {
    for (const side of [0, 1]) {
      const shown = data.edges[id][side] <= k;
      if (texts[id][side].shown !== shown) texts[id][side].forEach(t => t.style.visibility = shown ? "visible" : "hidden");
      texts[id][side].shown = shown;
    }
  }
  const phase = i === 0 ? "" : (k <= F ? " (forward)" : " (backward)");
  const what = size === "op" ? data.captions[k - 1] : (data.sizes[size].captions[i - 1] || "");
  const cap = i === 0 ? (F ? "the inputs; press &rarr; to run forward, then backward" : "the forward pass; press &rarr; to run backward")
    : "<b>" + esc(what) + "</b>";
  document.getElementById("caption").innerHTML = "step " + i + " / " + (st.length - 1) + phase + ": " + cap;
  slider.max = st.length - 1; slider.value = i;
  follow(running(k0, k));
}
function bounds(ids) {
  let b = null;
  ids.slice(0, 300).forEach(id => {
    const g = document.getElementById(id);
    if (!g || g.style.display === "none") return;
    const r = g.getBoundingClientRect();
    b = b ? [Math.min(b[0], r.left), Math.min(b[1], r.top), Math.max(b[2], r.right), Math.max(b[3], r.bottom)] : [r.left, r.top, r.right, r.bottom];
  });
  return b;
}
function follow(ids) {  // bring the running nodes into view: all of them, else the boxes (cells, layers), else the first box
  const r = svg.getBoundingClientRect(), m = 30, boxes = ids.filter(id => data.nodes[id] && data.nodes[id].box);
  const fits = b => b && b[2] - b[0] <= r.width - 2 * m && b[3] - b[1] <= r.height - 2 * m;
  const first = bounds((boxes.length ? boxes : ids).slice(0, 1)), b = [ids, boxes].map(bounds).find(fits) || first;
  if (!b) return;
  if (!fits(b)) {  // wider or taller than the view (a layer spanning the steps): its point nearest the view's centre
    const cx = Math.max(b[0] + m, Math.min(b[2] - m, (r.left + r.right) / 2)), cy = Math.max(b[1] + m, Math.min(b[3] - m, (r.top + r.bottom) / 2));
    return centerOn(...toUnits(cx, cy));
  }
  if (b[0] >= r.left + m && b[2] <= r.right - m && b[1] >= r.top + m && b[3] <= r.bottom - m) return;
  centerOn(...toUnits((b[0] + b[2]) / 2, (b[1] + b[3]) / 2));
}
function readableScale() { return READABLE_PX / smallestFont; }
function readable(ids) {  // the readable size, at the given nodes
  const r = svg.getBoundingClientRect(), s = readableScale();
  setBox([box[0] + box[2] / 2 - r.width / s / 2, box[1] + box[3] / 2 - r.height / s / 2, r.width / s, r.height / s]);
  follow(ids);
}
function home() {  // the whole graph if it reads at that size (at most twice the readable size), else its first steps
  const r = svg.getBoundingClientRect(), fit = Math.min(r.width / full[2], r.height / full[3]), s = Math.min(fit, 2 * readableScale());
  if (fit >= readableScale()) return setBox([full[0] + full[2] / 2 - r.width / s / 2, full[1] + full[3] / 2 - r.height / s / 2, r.width / s, r.height / s]);
  const st = sizes[size], first = running(0, st[Math.min(1, st.length - 1)]);
  setBox([full[0], full[1] + full[3], r.width / readableScale(), r.height / readableScale()]);  // bottom left: where inputs are
  follow(first);
}
function setSize(s) {
  if (!sizes[s]) return;
  size = s;
  document.querySelectorAll("#sizes button").forEach(b => b.setAttribute("aria-pressed", String(b.dataset.size === s)));
  show(stopIndex());
}
document.querySelectorAll("#sizes button").forEach(b => {
  if (!sizes[b.dataset.size]) b.style.display = "none";
  b.addEventListener("click", () => setSize(b.dataset.size));
});
function zoomable(s) {  // a small drawing: the wheel zooms at the pointer, dragging pans (its viewBox)
  const units = (v, cx, cy) => {
    const r = s.getBoundingClientRect(), k = Math.max(v[2] / r.width, v[3] / r.height);
    return [v[0] + (cx - r.left - (r.width - v[2] / k) / 2) * k, v[1] + (cy - r.top - (r.height - v[3] / k) / 2) * k, k];
  };
  const get = () => s.getAttribute("viewBox").split(" ").map(Number), put = v => s.setAttribute("viewBox", v.join(" "));
  s.addEventListener("wheel", e => {
    e.preventDefault(); e.stopPropagation();
    const v = get(), [x, y] = units(v, e.clientX, e.clientY), f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    put([x - (x - v[0]) * f, y - (y - v[1]) * f, v[2] * f, v[3] * f]);
  }, { passive: false });
  let from = null;
  s.addEventListener("mousedown", e => { from = [e.clientX, e.clientY, get()]; e.preventDefault(); });
  window.addEventListener("mouseup", () => { from = null; });
  window.addEventListener("mousemove", e => {
    if (!from) return;
    const k = units(from[2], 0, 0)[2];
    put([from[2][0] - (e.clientX - from[0]) * k, from[2][1] - (e.clientY - from[1]) * k, from[2][2], from[2][3]]);
  });
}
function enlarge(html) {
  const e = document.getElementById("enlarged");
  e.querySelectorAll("svg").forEach(s => s.remove());
  e.insertAdjacentHTML("beforeend", html);
  const s = e.querySelector("svg"); s.removeAttribute("width"); s.removeAttribute("height");
  zoomable(s);
  document.getElementById("inspector").classList.remove("wide");  // the graph's whole width for it
  e.style.display = "flex";
}
document.getElementById("shrink").addEventListener("click", () => {
  document.getElementById("enlarged").style.display = "none";
  if (document.querySelector("#details .inside")) document.getElementById("inspector").classList.add("wide");
});
document.getElementById("enlarged").addEventListener("mousedown", e => e.stopPropagation());
function readableInside(box) {  // fits the panel (its width, its height), but never below readable: then it scrolls
  const s = box.querySelector("svg"), v = s.viewBox.baseVal, now = s.getBoundingClientRect().width;
  const px = Math.min(...Array.from(s.querySelectorAll("text"), t => Number(t.getAttribute("font-size")) * t.getScreenCTM().a));
  const high = parseFloat(getComputedStyle(box).maxHeight) || Infinity;
  const fit = Math.min(box.clientWidth, high * v.width / v.height);
  s.style.width = Math.ceil(Math.max(fit, now * READABLE_PX / px)) + "px";
}
function inspect(id) {
  const panel = document.getElementById("details");
  document.getElementById("inspector").classList.remove("wide");
  panel.innerHTML = data.info[id] || "";
  if (data.check[id] !== undefined) panel.innerHTML += "<p><b>check</b> largest relative error of the backward: " + data.check[id].toExponential(2) + "</p>";
  if (data.inside[id]) {
    const b = document.createElement("button"); b.textContent = "open: draw its inside"; b.id = "open";
    b.onclick = () => {
      const d = document.createElement("div"); d.className = "inside"; d.innerHTML = data.inside[id];
      const s = d.querySelector("svg"); s.removeAttribute("width"); s.removeAttribute("height");
      const big = document.createElement("button"); big.textContent = "enlarge in place of the graph"; big.id = "enlarge";
      big.onclick = () => enlarge(data.inside[id]);
      document.getElementById("inspector").classList.add("wide");  // room for the drawing
      panel.appendChild(big); panel.appendChild(d); b.remove();
      readableInside(d);
    };
    panel.appendChild(b);
  }
}
const folded = new Set();
function fold(cid) {
  const hide = !folded.has(cid);
  hide ? folded.add(cid) : folded.delete(cid);
  const hidden = new Set();
  folded.forEach(c => (data.clusters[c] || []).forEach(id => hidden.add(id)));
  for (const id in data.nodes) { const g = document.getElementById(id); if (g) g.style.display = hidden.has(id) ? "none" : ""; }
  for (const id in data.edgeEnds) {
    const [a, b] = data.edgeEnds[id], g = document.getElementById(id);
    if (g) g.style.display = hidden.has(a) && hidden.has(b) ? "none" : "";
  }
  const poly = document.getElementById(cid).querySelector("polygon, path");
  if (poly) poly.setAttribute("fill", hide ? "#e5e8e8" : "none");
}
for (const id in data.nodes) { const g = document.getElementById(id); if (g) g.addEventListener("click", () => inspect(id)); }
document.querySelectorAll("#view > svg g.cluster").forEach(g => g.addEventListener("click", e => { fold(g.id); e.stopPropagation(); }));
const checked = Object.keys(data.check);
if (checked.length) {
  document.getElementById("checklegend").innerHTML = " &nbsp; check of each backward: <i style='border:3px solid #1e8449'></i> ok <i style='border:3px solid #d68910'></i> error &lt; 1e-3 <i style='border:3px solid #c0392b'></i> wrong";
  for (const id of checked) {
    const s = shape(document.getElementById(id)), e = data.check[id];
    if (s) { s.setAttribute("stroke", e < 1e-5 ? "#1e8449" : (e < 1e-3 ? "#d68910" : "#c0392b")); s.setAttribute("stroke-width", "3"); }
  }
}
let chosenStep = null;
function attend(i) {
  const att = data.attention;
  document.querySelectorAll("#heatmap tr.row").forEach((r, j) => r.classList.toggle("chosen", j === i));
  if (chosenStep !== null) {
    att.steps[chosenStep].forEach(id => { const s = shape(document.getElementById(id)); if (s) { s.setAttribute("stroke", s.dataset.stroke); s.setAttribute("stroke-width", s.dataset.width); } });
    att.edges[chosenStep].forEach(id => document.getElementById(id).querySelectorAll("path, polygon").forEach(p => { p.setAttribute("stroke", "#1f3b73"); p.setAttribute("stroke-width", "1"); }));
  }
  chosenStep = i;
  att.steps[i].forEach(id => {
    const s = shape(document.getElementById(id));
    if (s) { s.dataset.stroke = s.getAttribute("stroke"); s.dataset.width = s.getAttribute("stroke-width") || "1"; s.setAttribute("stroke", "#8e44ad"); s.setAttribute("stroke-width", "4"); }
  });
  att.edges[i].forEach(id => document.getElementById(id).querySelectorAll("path, polygon").forEach(p => { p.setAttribute("stroke", "#8e44ad"); p.setAttribute("stroke-width", "3"); }));
  follow(att.steps[i]);
}
if (data.attention) {
  const att = data.attention;
  let html = "<p><b>attention</b>: click an output step</p><table><tr><td></td>" + att.src.map(s => "<td>" + esc(s) + "</td>").join("") + "</tr>";
  att.weights.forEach((row, i) => {
    html += "<tr class='row'><td>" + esc(att.tgt[i]) + "</td>" + row.map(w => "<td title='" + w + "' style='background: rgba(142, 68, 173, " + w + ")'></td>").join("") + "</tr>";
  });
  document.getElementById("heatmap").innerHTML = html + "</table>";
  document.querySelectorAll("#heatmap tr.row").forEach((r, i) => r.addEventListener("click", () => attend(i)));
}
slider.addEventListener("input", () => show(Number(slider.value)));
document.getElementById("prev").addEventListener("click", () => show(stopIndex() - 1));
document.getElementById("next").addEventListener("click", () => show(stopIndex() + 1));
document.getElementById("fit").addEventListener("click", () => setBox(full.slice()));
document.getElementById("zoom").addEventListener("click", () => readable(running(stopIndex() > 0 ? sizes[size][stopIndex() - 1] : 0, k)));
document.addEventListener("keydown", e => {  // one step wherever the focus is (the slider's own arrow keys are replaced)
  if ((e.key !== "ArrowRight" && e.key !== "ArrowLeft") || e.altKey || e.ctrlKey || e.metaKey) return;
  e.preventDefault();
  show(stopIndex() + (e.key === "ArrowRight" ? 1 : -1));
});
view.addEventListener("wheel", e => {
  e.preventDefault();
  const f = e.deltaY > 0 ? 1.15 : 1 / 1.15, [x, y] = toUnits(e.clientX, e.clientY);
  setBox([x - (x - box[0]) * f, y - (y - box[1]) * f, box[2] * f, box[3] * f]);
}, { passive: false });
let drag = null;
view.addEventListener("mousedown", e => { drag = [e.clientX, e.clientY, box.slice()]; view.style.cursor = "grabbing"; });
window.addEventListener("mouseup", () => { drag = null; view.style.cursor = "grab"; });
window.addEventListener("mousemove", e => {
  if (!drag) return;
  const s = scale();
  setBox([drag[2][0] - (e.clientX - drag[0]) / s, drag[2][1] - (e.clientY - drag[1]) / s, box[2], box[3]]);
});
window.addEventListener("resize", () => setBox(box));
home();
setSize(size);
"""

TEMPLATE = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
            "<title>{{title}}</title>\n<style>" + CSS + "</style></head>\n<body>\n" + BODY + "<script>" + SCRIPT + "</script>\n</body></html>\n")


def page(title: str, svg: str, data: str) -> str:
    """The page with `title` (HTML-escaped already), the inline `svg` and the JSON `data` filled in."""
    parts = {"title": title, "svg": svg, "data": data}
    return re.sub(r"\{\{(title|svg|data)\}\}", lambda m: parts[m.group(1)], TEMPLATE)
