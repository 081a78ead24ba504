"""The HTML page of `viz.explore` and `viz.backprop_html`: one inline SVG, data as JSON, no network.

Fill-ins: {title}, {n} (number of steps), {svg}, {data} (see explore.py for its fields).
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 0.6em 1em; }}
#controls {{ display: flex; gap: 0.6em; align-items: center; flex-wrap: wrap; }}
#slider {{ flex: 1; min-width: 12em; }}
#caption {{ font-size: 1.1em; margin: 0.4em 0; min-height: 1.4em; }}
#caption b {{ color: #b9770e; }}
#main {{ display: flex; gap: 0.8em; }}
#view {{ flex: 1; min-width: 0; border: 1px solid #ccc; height: calc(100vh - 10em); overflow: hidden; cursor: grab; }}
#view svg {{ width: 100%; height: 100%; }}
#inspector {{ flex: none; box-sizing: border-box; width: 30%; max-width: 34em; height: calc(100vh - 10em); overflow: auto; border: 1px solid #ccc; padding: 0 0.7em;
  font-size: 0.9em; }}
#inspector table {{ border-collapse: collapse; font-size: 0.9em; }}
#inspector td, #inspector th {{ border: 1px solid #ddd; padding: 2px 4px; vertical-align: top; }}
#inspector .inside {{ overflow: auto; border-top: 1px solid #ddd; }}
#heatmap {{ overflow-x: auto; }}
#heatmap table {{ border-collapse: collapse; font-size: 0.75em; margin: 0.4em 0; }}
#heatmap td {{ min-width: 0.9em; height: 1.1em; padding: 0; text-align: center; border: 1px solid #eee; }}
#heatmap tr.row {{ cursor: pointer; }}
#heatmap tr.row.chosen td {{ outline: 2px solid #8e44ad; }}
#inspector .inside svg {{ max-width: none; }}
g.node, g.cluster text {{ cursor: pointer; }}
.legend {{ font-size: 0.85em; color: #444; margin-top: 0.2em; }}
.legend i {{ display: inline-block; width: 0.9em; height: 0.9em; vertical-align: middle; border: 1px solid #888; }}
</style></head>
<body>
<h2 style="margin: 0.2em 0">{title}</h2>
<div id="controls">
  <button id="prev" type="button" title="previous step (left arrow)">&larr;</button>
  <input id="slider" type="range" min="0" max="{n}" value="0" step="1" aria-label="step">
  <button id="next" type="button" title="next step (right arrow)">&rarr;</button>
  <button id="fit" type="button" title="the whole graph">fit</button>
  <button id="zoom" type="button" title="readable size">1:1</button>
</div>
<div class="legend"><i style="background:#85c1e9"></i> forward <i style="background:#f5b041"></i> backward
  <i style="background:#abebc6"></i> done <span id="checklegend"></span></div>
<div id="caption"></div>
<div id="main"><div id="view">{svg}</div><div id="inspector"><div id="heatmap"></div><div id="details"><p>Click a node to inspect it; click a box's label to fold or open it.</p></div></div></div>
<script>
const data = {data};
const n = {n}, F = data.forward;
const svg = document.querySelector("#view svg");
svg.removeAttribute("width"); svg.removeAttribute("height");
const full = svg.getAttribute("viewBox").split(" ").map(Number);
let box = full.slice();
function setBox(b) {{ box = b; svg.setAttribute("viewBox", b.join(" ")); }}
function shape(g) {{ return g ? g.querySelector("ellipse, polygon, path") : null; }}
const original = {{}};
for (const id in data.nodes) {{ const s = shape(document.getElementById(id)); original[id] = s ? s.getAttribute("fill") : null; }}
const texts = {{}};
for (const id in data.edges) {{
  const g = document.getElementById(id), all = g ? Array.from(g.querySelectorAll("text")) : [];
  texts[id] = [all.filter(t => t.getAttribute("fill") === "#1f3b73"), all.filter(t => t.getAttribute("fill") === "#c0392b")];
}}
function toUnits(cx, cy) {{
  const r = svg.getBoundingClientRect(), s = Math.max(box[2] / r.width, box[3] / r.height);
  return [box[0] + (cx - r.left - (r.width - box[2] / s) / 2) * s, box[1] + (cy - r.top - (r.height - box[3] / s) / 2) * s];
}}
function follow(el) {{
  if (!el) return;
  const r = svg.getBoundingClientRect(), e = el.getBoundingClientRect(), m = 40;
  if (e.left >= r.left + m && e.right <= r.right - m && e.top >= r.top + m && e.bottom <= r.bottom - m) return;
  const [cx, cy] = toUnits(e.left + e.width / 2, e.top + e.height / 2);
  setBox([cx - box[2] / 2, cy - box[3] / 2, box[2], box[3]]);
}}
function readable() {{
  const r = svg.getBoundingClientRect();
  if (full[2] <= r.width * 1.1 && full[3] <= r.height * 1.1) return setBox(full.slice());
  setBox([full[0], full[1], r.width, r.height]);
  follow(document.getElementById("n_output"));
}}
function fillOf(id, k) {{
  const s = data.nodes[id], c = data.colors;
  if (s.b.includes(k)) return c.bcur;
  if (s.b.length && k > Math.max(...s.b)) return c.bdone;
  if (s.f.includes(k)) return c.fcur;
  if (s.f.length && k > Math.max(...s.f)) return c.fdone;
  return null;
}}
function show(k) {{
  k = Math.max(0, Math.min(n, k));
  let running = null;
  for (const id in data.nodes) {{
    const s = shape(document.getElementById(id)), fill = fillOf(id, k);
    if (s) s.setAttribute("fill", fill || original[id] || "white");
    if (data.nodes[id].f.includes(k) || data.nodes[id].b.includes(k)) running = id;
  }}
  for (const id in data.edges) {{
    texts[id][0].forEach(t => t.style.visibility = data.edges[id][0] <= k ? "visible" : "hidden");
    texts[id][1].forEach(t => t.style.visibility = data.edges[id][1] <= k ? "visible" : "hidden");
  }}
  const phase = k === 0 ? "" : (k <= F ? " (forward)" : " (backward)");
  const cap = k === 0 ? (F ? "the inputs; press &rarr; to run forward, then backward" : "the forward pass; press &rarr; to run backward")
    : "<b>" + data.captions[k - 1].replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</b>";
  document.getElementById("caption").innerHTML = "step " + k + " / " + n + phase + ": " + cap;
  document.getElementById("slider").value = k;
  if (running) follow(document.getElementById(running));
}}
function inspect(id) {{
  const panel = document.getElementById("details");
  panel.innerHTML = data.info[id] || "";
  if (data.check[id] !== undefined) panel.innerHTML += "<p><b>check</b> largest relative error of the backward: " + data.check[id].toExponential(2) + "</p>";
  if (data.inside[id]) {{
    const b = document.createElement("button"); b.textContent = "open: draw its inside"; b.id = "open";
    b.onclick = () => {{ const d = document.createElement("div"); d.className = "inside"; d.innerHTML = data.inside[id]; panel.appendChild(d); b.remove(); }};
    panel.appendChild(b);
  }}
}}
const folded = new Set();
function fold(cid) {{
  const hide = !folded.has(cid);
  hide ? folded.add(cid) : folded.delete(cid);
  const hidden = new Set();
  folded.forEach(c => (data.clusters[c] || []).forEach(id => hidden.add(id)));
  for (const id in data.nodes) {{ const g = document.getElementById(id); if (g) g.style.display = hidden.has(id) ? "none" : ""; }}
  for (const id in data.edgeEnds) {{
    const [a, b] = data.edgeEnds[id], g = document.getElementById(id);
    if (g) g.style.display = hidden.has(a) && hidden.has(b) ? "none" : "";
  }}
  const poly = document.getElementById(cid).querySelector("polygon, path");
  if (poly) poly.setAttribute("fill", hide ? "#e5e8e8" : "none");
}}
for (const id in data.nodes) {{ const g = document.getElementById(id); if (g) g.addEventListener("click", () => inspect(id)); }}
document.querySelectorAll("g.cluster").forEach(g => g.addEventListener("click", e => {{ fold(g.id); e.stopPropagation(); }}));
const checked = Object.keys(data.check);
if (checked.length) {{
  document.getElementById("checklegend").innerHTML = " &nbsp; check of each backward: <i style='border:3px solid #1e8449'></i> ok <i style='border:3px solid #d68910'></i> error &lt; 1e-3 <i style='border:3px solid #c0392b'></i> wrong";
  for (const id of checked) {{
    const s = shape(document.getElementById(id)), e = data.check[id];
    if (s) {{ s.setAttribute("stroke", e < 1e-5 ? "#1e8449" : (e < 1e-3 ? "#d68910" : "#c0392b")); s.setAttribute("stroke-width", "3"); }}
  }}
}}
let chosenStep = null;
function attend(k) {{
  const att = data.attention;
  document.querySelectorAll("#heatmap tr.row").forEach((r, i) => r.classList.toggle("chosen", i === k));
  if (chosenStep !== null) {{
    att.steps[chosenStep].forEach(id => {{ const s = shape(document.getElementById(id)); if (s) {{ s.setAttribute("stroke", s.dataset.stroke); s.setAttribute("stroke-width", s.dataset.width); }} }});
    att.edges[chosenStep].forEach(id => document.getElementById(id).querySelectorAll("path, polygon").forEach(p => {{ p.setAttribute("stroke", "#1f3b73"); p.setAttribute("stroke-width", "1"); }}));
  }}
  chosenStep = k;
  att.steps[k].forEach(id => {{
    const s = shape(document.getElementById(id));
    if (s) {{ s.dataset.stroke = s.getAttribute("stroke"); s.dataset.width = s.getAttribute("stroke-width") || "1"; s.setAttribute("stroke", "#8e44ad"); s.setAttribute("stroke-width", "4"); }}
  }});
  att.edges[k].forEach(id => document.getElementById(id).querySelectorAll("path, polygon").forEach(p => {{ p.setAttribute("stroke", "#8e44ad"); p.setAttribute("stroke-width", "3"); }}));
  if (att.steps[k].length) follow(document.getElementById(att.steps[k][0]));
}}
if (data.attention) {{
  const att = data.attention, esc = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  let html = "<p><b>attention</b>: click an output step</p><table><tr><td></td>" + att.src.map(s => "<td>" + esc(s) + "</td>").join("") + "</tr>";
  att.weights.forEach((row, k) => {{
    html += "<tr class='row'><td>" + esc(att.tgt[k]) + "</td>" + row.map(w => "<td title='" + w + "' style='background: rgba(142, 68, 173, " + w + ")'></td>").join("") + "</tr>";
  }});
  document.getElementById("heatmap").innerHTML = html + "</table>";
  document.querySelectorAll("#heatmap tr.row").forEach((r, k) => r.addEventListener("click", () => attend(k)));
}}
const slider = document.getElementById("slider");
slider.addEventListener("input", () => show(Number(slider.value)));
document.getElementById("prev").addEventListener("click", () => show(Number(slider.value) - 1));
document.getElementById("next").addEventListener("click", () => show(Number(slider.value) + 1));
document.getElementById("fit").addEventListener("click", () => setBox(full.slice()));
document.getElementById("zoom").addEventListener("click", readable);
document.addEventListener("keydown", e => {{
  if (e.key === "ArrowRight") show(Number(slider.value) + 1);
  if (e.key === "ArrowLeft") show(Number(slider.value) - 1);
}});
const view = document.getElementById("view");
view.addEventListener("wheel", e => {{
  e.preventDefault();
  const f = e.deltaY > 0 ? 1.15 : 1 / 1.15, [x, y] = toUnits(e.clientX, e.clientY);
  setBox([x - (x - box[0]) * f, y - (y - box[1]) * f, box[2] * f, box[3] * f]);
}}, {{ passive: false }});
let drag = null;
view.addEventListener("mousedown", e => {{ drag = [e.clientX, e.clientY, box.slice()]; view.style.cursor = "grabbing"; }});
window.addEventListener("mouseup", () => {{ drag = null; view.style.cursor = "grab"; }});
window.addEventListener("mousemove", e => {{
  if (!drag) return;
  const r = svg.getBoundingClientRect(), s = Math.max(box[2] / r.width, box[3] / r.height);
  setBox([drag[2][0] - (e.clientX - drag[0]) * s, drag[2][1] - (e.clientY - drag[1]) * s, box[2], box[3]]);
}});
readable();
show(0);
</script>
</body></html>
"""
