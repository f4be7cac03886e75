// The Playground's step scrubber, run in the browser (see ui/scrubber.py for the design).
// It moves every view of the page without asking the server: the contour map's paths, heads and
// eigenvector bars (Plotly.animate with redraw: false), the 3-D surface's paths (Plotly.restyle, WebGL),
// the dotted step line of the line charts (Plotly.relayout of shapes[0]) and the readouts (DOM text).

const STATES = (window.__optlabScrubbers = window.__optlabScrubbers || new Map());
const HOOKED = (window.__optlabScrubHooked = window.__optlabScrubHooked || new WeakSet());
const CURRENT = (window.__optlabScrubCurrent = window.__optlabScrubCurrent || {}); // contour chart key -> state

function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float64Array(bytes.buffer);
}

// Python's format(v, ".{p}g"), for readouts that read like the server's.
function g(v, p) {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const e = v.toExponential(p - 1);
  const exp = parseInt(e.split("e")[1], 10);
  if (exp < -4 || exp >= p) {
    let [m, x] = e.split("e");
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    const sign = x[0] === "-" ? "-" : "+";
    let digits = x.replace(/^[+-]/, "");
    if (digits.length < 2) digits = "0" + digits;
    return `${m}e${sign}${digits}`;
  }
  let f = v.toFixed(Math.max(0, p - 1 - exp));
  if (f.includes(".")) f = f.replace(/0+$/, "").replace(/\.$/, "");
  return f;
}

function chart(key) {
  return document.querySelector(`.st-key-${key} .js-plotly-plot`);
}

// Readout fields per position, in the order ui/scrubber.py packs them.
const F = { l0: 0, l1: 1, v00: 2, v01: 3, v10: 4, v11: 5, kappa: 6, kind: 7, loss: 8, grad: 9 };
const NF = 10;

function bars(d, o, p) {
  // Hessian eigenvector bars at position p: [up trace, down trace], each [a0, a1, null, b0, b1].
  const r = o.readouts, k = p * NF, i = Math.min(d.steps[p], o.n - 1), px = o.x[i], py = o.y[i];
  const lam = [r[k + F.l0], r[k + F.l1]];
  const vec = [[r[k + F.v00], r[k + F.v10]], [r[k + F.v01], r[k + F.v11]]]; // column j = eigenvector j
  const biggest = Math.max(Math.abs(lam[0]), Math.abs(lam[1]), 1e-300);
  const up = { x: [null, null, null, null, null], y: [null, null, null, null, null], l: [null, null, null, null, null] };
  const down = { x: [null, null, null, null, null], y: [null, null, null, null, null], l: [null, null, null, null, null] };
  for (let j = 0; j < 2; j++) {
    const length = d.bar_base * (0.35 + (0.65 * Math.abs(lam[j])) / biggest);
    const dx = vec[j][0] * length, dy = vec[j][1] * length;
    const t = lam[j] >= 0 ? up : down;
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) continue;
    t.x[3 * j] = px - dx; t.x[3 * j + 1] = px + dx;
    t.y[3 * j] = py - dy; t.y[3 * j + 1] = py + dy;
    t.l[3 * j] = lam[j]; t.l[3 * j + 1] = lam[j];
  }
  return [up, down];
}

const SVG = "http://www.w3.org/2000/svg";

function dasharray(dash, w) {
  if (dash === "dash") return `${3 * w}px,${3 * w}px`;
  if (dash === "dot") return `${w}px,${2 * w}px`;
  if (dash === "dashdot") return `${3 * w}px,${w}px,${w}px,${w}px`;
  return "";
}

function traceGroups(gd) {
  // Plotly's <g class="trace"> per drawn scatter trace, by trace index (d3 binds calcdata to each group).
  const out = new Map();
  for (const el of gd.querySelectorAll(".scatterlayer .trace")) {
    const cd = el.__data__;
    const t = cd && cd[0] && cd[0].trace;
    if (t && typeof t.index === "number") out.set(t.index, el);
  }
  return out;
}

const IDS = new WeakMap();
let nextId = 1;
function idOf(o) {
  if (!o || typeof o !== "object") return 0;
  let i = IDS.get(o);
  if (!i) { i = nextId++; IDS.set(o, i); }
  return i;
}

function signature(gd) {
  // What a drawing depends on: the figure Streamlit gave Plotly, and where the axes are.
  const L = gd._fullLayout || {}, xa = L.xaxis, ya = L.yaxis;
  const axes = xa && ya ? [xa._offset, xa._length, ya._offset, ya._length, String(xa.range), String(ya.range)] : [];
  return [idOf(gd.data), idOf(gd.layout), ...axes].join("|");
}

function drawContour(state, gd, s, p) {
  // The paths, heads and eigenvector bars at step s, drawn into the map's own plot area (clipped and
  // positioned like Plotly's traces) as a few SVG paths; Plotly's copies of those traces are hidden.
  const d = state.data, L = gd._fullLayout, xa = L.xaxis, ya = L.yaxis;
  const scatter = gd.querySelector(".scatterlayer");
  const plot = scatter && scatter.parentNode; // the plot area's group: translated and clipped like the traces
  if (!plot) return false;
  let layer = plot.querySelector(":scope > g.optlab-scrub");
  if (!layer) {
    layer = document.createElementNS(SVG, "g");
    layer.setAttribute("class", "optlab-scrub");
    layer.style.pointerEvents = "none";
    plot.appendChild(layer);
    state.layerNodes = null;
  }
  const groups = traceGroups(gd);
  for (const list of [d.contour.path, d.contour.head, d.contour.up, d.contour.down])
    for (const i of list) { const g = groups.get(i); if (g && g.style.visibility !== "hidden") g.style.visibility = "hidden"; }
  if (!state.layerNodes || state.layerNodes.layer !== layer) {
    layer.replaceChildren();
    const nodes = [];
    d.optimizers.forEach((o) => {
      const make = (attrs) => { const e = document.createElementNS(SVG, "path"); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); layer.appendChild(e); return e; };
      const w = d.sizes.line, bw = d.sizes.line + 1;
      nodes.push({
        line: make({ fill: "none", stroke: o.color, "stroke-width": w, "stroke-dasharray": dasharray(o.dash, w), "stroke-linejoin": "round" }),
        dots: make({ fill: o.color, stroke: "none" }),
        up: make({ fill: "none", stroke: "#222222", "stroke-width": bw }),
        down: make({ fill: "none", stroke: "#D55E00", "stroke-width": bw, "stroke-dasharray": dasharray("dash", bw) }),
        head: make({ fill: o.color, stroke: "white", "stroke-width": 2 }),
      });
    });
    state.layerNodes = { layer, nodes };
  }
  const X = (v) => xa.c2p(v).toFixed(2), Y = (v) => ya.c2p(v).toFixed(2);
  const r = Math.max(d.sizes.marker - 4, 3) / 2, R = (d.sizes.marker + 6) / 2;
  const circle = (x, y, q) => `M${(x - q).toFixed(2)},${y.toFixed(2)}a${q},${q} 0 1,0 ${2 * q},0a${q},${q} 0 1,0 ${-2 * q},0`;
  d.optimizers.forEach((o, k) => {
    const n = Math.min(s + 1, o.n), nd = state.layerNodes.nodes[k];
    let line = "", dots = "";
    for (let i = 0; i < n; i++) {
      const x = xa.c2p(o.x[i]), y = ya.c2p(o.y[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      line += (line ? "L" : "M") + x.toFixed(2) + "," + y.toFixed(2);
      dots += circle(x, y, r);
    }
    nd.line.setAttribute("d", line || "M0,0");
    nd.dots.setAttribute("d", dots || "M0,0");
    const hx = xa.c2p(o.x[n - 1]), hy = ya.c2p(o.y[n - 1]);
    nd.head.setAttribute("d", Number.isFinite(hx) && Number.isFinite(hy) ? circle(hx, hy, R) : "M0,0");
    const [up, down] = bars(d, o, p);
    for (const [node, t] of [[nd.up, up], [nd.down, down]]) {
      let path = "";
      for (const j of [0, 3]) if (t.x[j] !== null) path += `M${X(t.x[j])},${Y(t.y[j])}L${X(t.x[j + 1])},${Y(t.y[j + 1])}`;
      node.setAttribute("d", path || "M0,0");
    }
  });
  return true;
}

function moveStepLine(gd, s) {
  // The dotted step line is layout.shapes[0]: move its SVG path and keep Plotly's copy of the value, so a
  // redraw (resize, zoom) draws it where it is now.
  const L = gd._fullLayout, xa = L && L.xaxis, ya = L && L.yaxis;
  if (!xa || !ya || !(gd.layout.shapes || []).length) return false;
  gd.layout.shapes[0].x0 = gd.layout.shapes[0].x1 = s;
  if (L.shapes && L.shapes[0]) L.shapes[0].x0 = L.shapes[0].x1 = s;
  const path = gd.querySelector(".shapelayer path");
  if (!path) return false;
  const x = (xa._offset + xa.c2p(s)).toFixed(2);
  path.setAttribute("d", `M${x},${ya._offset.toFixed(2)}V${(ya._offset + ya._length).toFixed(2)}`);
  return true;
}

function applyToCharts(state, only) {
  const d = state.data, p = state.pos, s = d.steps[p];
  const started = performance.now();
  let all = true;
  const contour = chart(d.charts.contour);
  if (contour && contour._fullLayout && (!only || only.has(contour))) {
    if (drawContour(state, contour, s, p)) state.applied.set(contour, { step: s, sig: signature(contour) });
    else all = false;
  } else if (!contour) all = false;
  for (const key of d.charts.lines) {
    const gd = chart(key);
    if (gd && gd._fullLayout && (!only || only.has(gd))) {
      if (moveStepLine(gd, s)) state.applied.set(gd, { step: s, sig: signature(gd) });
      else all = false;
    } else if (!gd) all = false;
  }
  const sync = performance.now() - started;
  state.stats.frames.push({ sync });
  if (state.stats.frames.length > 500) state.stats.frames.shift();
  performance.measure("optlab-scrub-frame", { start: started, end: started + sync });
  scheduleSurface(state);
  return all;
}

function scheduleSurface(state) {
  // The 3-D paths are WebGL: Plotly must redraw the scene (~40-150 ms here), so they follow once the
  // scrubber rests for a moment instead of on every key press.
  clearTimeout(state.surfaceTimer);
  state.surfaceTimer = setTimeout(() => {
    const d = state.data, s = d.steps[state.pos], gd = chart(d.charts.surface), P = window.Plotly;
    if (!gd || !gd._fullLayout || !P) return;
    const a = state.applied.get(gd);
    if (a && a.step === s && a.sig === signature(gd)) return;
    const xs = [], ys = [], zs = [];
    d.optimizers.forEach((o) => {
      const n = Math.min(s + 1, o.n);
      xs.push(Array.from(o.sx.subarray(0, n))); ys.push(Array.from(o.sy.subarray(0, n))); zs.push(Array.from(o.sz.subarray(0, n)));
    });
    const t0 = performance.now();
    P.restyle(gd, { x: xs, y: ys, z: zs }, d.surface.path).then(() => {
      state.applied.set(gd, { step: s, sig: signature(gd) });
      state.stats.surface.push(performance.now() - t0);
    }).catch(() => {});
  }, 120);
}

function stale(state) {
  // Charts Streamlit has drawn again (a rerun), resized or zoomed: draw the scrubbed step on them again.
  const d = state.data, s = d.steps[state.pos], out = new Set();
  for (const key of [d.charts.contour, ...d.charts.lines]) {
    const gd = chart(key);
    if (!gd || !gd._fullLayout) continue;
    const a = state.applied.get(gd);
    let layerGone = false;
    if (key === d.charts.contour) {
      const dynamic = new Set([...d.contour.path, ...d.contour.head, ...d.contour.up, ...d.contour.down]);
      layerGone = !gd.querySelector("g.optlab-scrub") ||
        [...traceGroups(gd)].some(([i, g]) => dynamic.has(i) && g.style.visibility !== "hidden");
    }
    if (!a || a.step !== s || a.sig !== signature(gd) || layerGone) out.add(gd);
  }
  const surface = chart(d.charts.surface);
  if (surface && surface._fullLayout) {
    const a = state.applied.get(surface);
    if (!a || a.step !== s || a.sig !== signature(surface)) scheduleSurface(state);
  }
  return out;
}

function renderReadouts(state) {
  const d = state.data, p = state.pos;
  d.optimizers.forEach((o, k) => {
    const cell = state.cells[k], r = o.readouts, b = p * NF;
    const loss = r[b + F.loss], kappa = r[b + F.kappa];
    cell.step.textContent = `step ${Math.min(d.steps[p], o.n - 1)}`;
    cell.loss.textContent = Math.abs(loss) < 1e-14 ? "≈ 0" : g(loss, 4);
    cell.caption.textContent =
      `λ = ${g(r[b + F.l0], 3)}, ${g(r[b + F.l1], 3)} · κ = ${Number.isFinite(kappa) ? g(kappa, 3) : "∞"} · ` +
      `${d.kinds[r[b + F.kind]]} · |∇L| = ${g(r[b + F.grad], 3)}`;
  });
}

function writeLink(state) {
  // The link keeps the step (absent = the end), as the server's slider did; Streamlit rewrites the URL after
  // each rerun from its own copy of the query string, so this runs again whenever the URL lost it.
  const d = state.data, s = d.steps[state.pos];
  const url = new URL(window.location.href);
  const want = s === d.longest ? null : String(s);
  if (url.searchParams.get(d.url_key) === want) return;
  if (want === null) url.searchParams.delete(d.url_key);
  else url.searchParams.set(d.url_key, want);
  window.history.replaceState(window.history.state, "", url.toString());
}

function show(state, pos) {
  const d = state.data;
  state.pos = Math.max(0, Math.min(d.steps.length - 1, pos));
  const s = d.steps[state.pos];
  state.input.value = String(state.pos);
  state.input.setAttribute("aria-valuetext", String(s));
  state.value.textContent = String(s);
  renderReadouts(state);
  applyToCharts(state);
  writeLink(state);
}

function build(root, d) {
  // Our own container: the root also holds the component's <style> (which must stay).
  for (const old of [...root.children]) if (old.classList && old.classList.contains("scrub")) old.remove();
  const wrap = document.createElement("div");
  wrap.className = "scrub" + (d.present ? " present" : "");
  wrap.innerHTML = `
    <div class="row">
      <label class="label" for="scrub-input">${d.label}</label>
      <span class="value" aria-hidden="true"></span>
    </div>
    <div class="row controls">
      <button type="button" class="play" aria-label="Play the race">▶ Play</button>
      <input id="scrub-input" type="range" min="0" step="1" aria-label="${d.label}" title="${d.help}">
    </div>
    <div class="readouts" role="group" aria-label="Readouts at the scrubbed step"></div>`;
  root.appendChild(wrap);
  const input = wrap.querySelector("input"), readouts = wrap.querySelector(".readouts");
  input.max = String(d.steps.length - 1);
  readouts.style.gridTemplateColumns = `repeat(${d.optimizers.length}, minmax(0, 1fr))`;
  const cells = d.optimizers.map((o) => {
    const cell = document.createElement("div");
    cell.className = "cell";
    cell.innerHTML = `<div class="name"><strong></strong> · <span class="step"></span></div>
      <div class="metric-label">loss</div><div class="metric" title="Rounding makes values below 1e-14 meaningless."></div>
      <div class="caption"></div>`;
    cell.querySelector("strong").textContent = o.name;
    readouts.appendChild(cell);
    return { step: cell.querySelector(".step"), loss: cell.querySelector(".metric"), caption: cell.querySelector(".caption") };
  });
  return { wrap, input, cells, value: wrap.querySelector(".value"), play: wrap.querySelector(".play") };
}

export default function (component) {
  const { data, parentElement, key } = component;
  const d = {
    ...data,
    optimizers: data.optimizers.map((o) => {
      const x = decode(o.x), y = decode(o.y), [[x0, x1], [y0, y1]] = data.domain;
      const sx = x.map((v, i) => (v >= x0 && v <= x1 && y[i] >= y0 && y[i] <= y1 ? v : NaN));
      const sy = y.map((v, i) => (Number.isNaN(sx[i]) ? NaN : v));
      return { ...o, x, y, sx, sy, sz: decode(o.z), readouts: decode(o.readouts) };
    }),
  };
  const previous = STATES.get(key);
  const state = { data: d, applied: new WeakMap(), stats: previous ? previous.stats : { frames: [], surface: [], payloads: 0 } };
  state.stats.payloads += 1;
  Object.assign(state, build(parentElement, d));
  // Follow the server when it moved the step (a link, a shorter run); else keep the step scrubbed here.
  const serverMoved = !previous || previous.data.longest !== d.longest || previous.data.step !== d.step;
  const wanted = serverMoved ? d.step : previous.data.steps[previous.pos];
  let pos = d.steps.indexOf(wanted);
  if (pos < 0) pos = d.steps.findIndex((s) => s >= wanted);
  if (pos < 0) pos = d.steps.length - 1;
  STATES.set(key, state);

  state.input.addEventListener("input", () => show(state, parseInt(state.input.value, 10)));
  let timer = null;
  const stop = () => { if (timer) clearInterval(timer); timer = null; state.play.textContent = "▶ Play"; state.play.setAttribute("aria-label", "Play the race"); };
  state.play.addEventListener("click", () => {
    if (timer) return stop();
    if (state.pos >= d.steps.length - 1) show(state, 0);
    state.play.textContent = "❚❚ Pause";
    state.play.setAttribute("aria-label", "Pause the race");
    const stride = Math.max(1, Math.round(d.steps.length / 150));
    timer = setInterval(() => {
      if (state.pos >= d.steps.length - 1) return stop();
      show(state, state.pos + stride);
    }, 40);
  });
  show(state, pos);

  const check = () => {
    if (STATES.get(key) !== state) return;
    const again = stale(state);
    if (again.size) applyToCharts(state, again);
    writeLink(state);
  };
  const hook = () => {
    for (const k of [d.charts.contour, d.charts.surface, ...d.charts.lines]) {
      const gd = chart(k);
      if (gd && gd.on && !HOOKED.has(gd)) {
        HOOKED.add(gd);
        const owner = d.charts.contour;
        gd.on("plotly_afterplot", () => { const st = CURRENT[owner]; if (st) setTimeout(st.check, 0); });
      }
    }
  };
  state.check = () => { hook(); check(); };
  CURRENT[d.charts.contour] = state;
  const poll = setInterval(state.check, 250);
  return () => { clearInterval(poll); clearTimeout(state.surfaceTimer); stop(); state.wrap.remove(); };
}
