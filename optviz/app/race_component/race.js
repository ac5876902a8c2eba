// The race, drawn and played in the browser: one map with every path ("race"), one small map per
// contestant ("side"), or loss against step ("loss"). Streamlit calls the default export on every
// rerun with new data; the view behind a parentElement stays mounted, so a rerun only swaps in
// what changed. Large arrays arrive once as base64 float32 "blobs" named by a content id and are
// kept in BLOBS for the page's life (a remount finds them again); the server sends a blob only
// when it has not sent it to this session before, and a blob the page lacks is asked for again
// through the "missing" state.

const BLOBS = new Map(); // id -> Float32Array, or an HTMLImageElement for the map picture
const VIEWS = new WeakMap(); // parentElement -> view
const POINT_SHAPES = ["square", "diamond", "triangle"]; // an optimizer's own points, in its spec's order
const SPEEDS = [0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000]; // steps per second
const CASING = ["#000000", "#ffffff"]; // outer and inner stroke around every path: one of them is ≥ 3:1 on any band
const PAD = { left: 64, right: 112, top: 12, bottom: 52 }; // room for ticks, axis titles and the colour bar
// What the page remembers for its life (the session): a remounted view (back from another view) shows
// the curvature glyphs again if they were on, and tells the server so.
const PREFS = { curvature: false };
// The curvature glyph's scale. Each arm is half an eigen-axis, its length ∝ 1/√|λ| like the axes of the
// local quadratic model's contour ellipse: the flatter axis gets GLYPH.fraction of the panel's smaller side
// (66 px on a 600 px map, never under GLYPH.longest px), the stiffer one √(|λ|small/|λ|large) times that, but
// never under GLYPH.shortest px so its direction stays visible (from κ ≈ 270 on a 600 px map the stiff arm
// is drawn longer than to scale; the hover gives κ).
const GLYPH = { fraction: 0.11, longest: 28, shortest: 4 };

function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function storeBlobs(blobs) {
  for (const [id, value] of Object.entries(blobs || {})) {
    if (BLOBS.has(id)) continue;
    if (value.startsWith("data:image")) {
      const img = new Image();
      img.src = value;
      BLOBS.set(id, img);
    } else {
      BLOBS.set(id, decode(value));
    }
  }
}

function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function fmt(v, digits = 4) {
  if (!isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace("e+", "e");
  return String(+v.toPrecision(digits));
}

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// An optimizer's own point in the legend: the map's hollow marker, cased like it, in the run's colour.
const POINT_PATHS = { square: "M4 4H16V16H4Z", diamond: "M10 2L18 10L10 18L2 10Z", triangle: "M10 3L18 17H2Z" };
function pointIcon(shape, color, parent) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", "ov-point-symbol");
  for (const [stroke, width] of [["#000", 5], ["#fff", 3.5], [color, 2]]) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", POINT_PATHS[shape]);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", stroke);
    path.setAttribute("stroke-width", width);
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
  }
  parent.appendChild(svg);
}

// Playback icons as SVG paths (24×24): the symbol glyphs are missing from many fonts.
const ICONS = {
  start: "M6 5h2v14H6zM20 5v14L9 12z", back: "M17 5v14L6 12z", play: "M7 5v14l12-7z",
  pause: "M6 5h4v14H6zM14 5h4v14h-4z", forward: "M7 5v14l11-7zM18 5h2v14h-2z", end: "M4 5v14l11-7zM16 5h2v14h-2z",
  reset: "M12 5a7 7 0 1 1-6.3 4H3l3.5-4L10 9H7.8A5 5 0 1 0 12 7z",
};

function icon(name) {
  return `<svg viewBox="0 0 24 24" width="1.1em" height="1.1em" aria-hidden="true"><path fill="currentColor" d="${ICONS[name]}"/></svg>`;
}

function button(parent, label, title, onClick) {
  const b = el("button", "ov-btn", parent);
  if (ICONS[label]) b.innerHTML = icon(label); else b.textContent = label;
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", (e) => { e.preventDefault(); onClick(); });
  return b;
}

class RaceView {
  constructor(parent, api) {
    this.api = api;
    this.data = null;
    this.step = 0;
    this.playing = false;
    this.speedIndex = 6;
    this.hidden = new Set(); // run ids toggled off in the legend
    this.window = null; // [x0, x1, y0, y1] shown; null = the surface's bounds
    this.pick = null; // {run, family, index}: a family member drawn in place of a run (scrub, or a sidebar move)
    this.live = []; // families of the contestants whose sidebar lr slider is on screen
    this.watched = ""; // the slots last reported as watched
    this.frames = 0; // frames drawn, read by the benchmark
    this.host = parent instanceof ShadowRoot ? parent.host : parent; // styles are isolated in a shadow root
    this.root = el("div", "ov-root", parent);
    this.root.tabIndex = 0;
    this.main = el("div", "ov-main", this.root); // the map and its playback bar
    this.side = el("div", "ov-side", this.root); // legend, speed and scrub: beside the map when there is room
    this.stage = el("div", "ov-stage", this.main);
    this.canvas = el("canvas", "ov-canvas", this.stage);
    this.ctx = this.canvas.getContext("2d");
    this.tip = el("div", "ov-tip", this.stage);
    this.tip.hidden = true;
    this.resetButton = button(this.stage, "reset", "reset zoom (double-click)", () => { this.window = null; this.draw(); });
    this.resetButton.classList.add("ov-reset");
    this.resetButton.hidden = true;
    this.bar = el("div", "ov-bar", this.main);
    this.buttons = {
      start: button(this.bar, "start", "to start (Home)", () => { this.pause(); this.seek(0); }),
      back: button(this.bar, "back", "step back (←)", () => { this.pause(); this.seek(this.step - 1); }),
      play: button(this.bar, "play", "play (Space)", () => this.toggle()),
      forward: button(this.bar, "forward", "step forward (→)", () => { this.pause(); this.seek(this.step + 1); }),
      end: button(this.bar, "end", "to end (End)", () => { this.pause(); this.seek(this.last()); }),
    };
    this.buttons.play.classList.add("ov-play");
    this.slider = el("input", "ov-slider", this.bar);
    this.slider.type = "range";
    this.slider.min = 0;
    this.slider.step = 1;
    this.slider.addEventListener("input", () => { this.pause(); this.seek(+this.slider.value); });
    this.counter = el("span", "ov-counter", this.bar);
    this.legend = el("div", "ov-legend", this.side);
    this.speedBox = el("div", "ov-speed", this.side);
    this.slower = button(this.speedBox, "−", "slower (−)", () => this.setSpeed(this.speedIndex - 1));
    this.speedText = el("span", "ov-speed-text", this.speedBox);
    this.faster = button(this.speedBox, "+", "faster (+)", () => this.setSpeed(this.speedIndex + 1));
    // beside the speed, not in the playback bar: there a sixth button wraps the bar at 1280 × 720 and the map shrinks
    this.curvatureButton = button(this.speedBox, "κ", "curvature", () => this.toggleCurvature());
    this.curvatureButton.classList.add("ov-curvature");
    this.scrubBox = el("div", "ov-scrub", this.side);
    this.bindPointer();
    this.onKey = (e) => this.key(e);
    document.addEventListener("keydown", this.onKey);
    this.onResize = () => this.layout();
    window.addEventListener("resize", this.onResize);
    this.observer = new ResizeObserver(() => this.layout());
    // The sidebar's lr sliders: a move is redrawn from the live family at once, before the rerun answers.
    this.sidebarWatch = new MutationObserver(() => this.readSidebar());
    this.sidebarWatch.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuetext", "open"] });
    this.observer.observe(this.host);
    this.root.__optviz = this; // tests read the view's step and geometry from here
    this.blobs = BLOBS; // the page's store, shared by every view (a test drops one to see it asked for again)
  }

  destroy() {
    this.pause();
    document.removeEventListener("keydown", this.onKey);
    window.removeEventListener("resize", this.onResize);
    this.observer.disconnect();
    this.sidebarWatch.disconnect();
  }

  sidebarSlider(slot) {
    // Streamlit names a keyed widget's box "st-key-" + its key with other characters than [a-zA-Z0-9_-] as "-"
    const box = document.querySelector(".st-key-" + (slot + ".lr").trim().replace(/[^a-zA-Z0-9_-]/g, "-"));
    const closed = box && box.closest("details:not([open])"); // its contestant's group is folded
    return box && !closed && box.getClientRects().length ? box.querySelector("[aria-valuetext]") : null;
  }

  // Report which contestants' lr sliders are on screen (their group open), and redraw a moved one.
  readSidebar() {
    if (!this.data) return;
    const watched = (this.data.scrub_choices || []).map((c) => c.slot).filter((slot) => this.sidebarSlider(slot)).join(" ");
    if (watched !== this.watched) {
      this.watched = watched;
      this.api.setStateValue("watch", watched ? watched.split(" ") : []);
    }
    for (const family of this.live) {
      const slider = this.sidebarSlider(family.slot);
      const index = slider ? family.labels.indexOf(slider.getAttribute("aria-valuetext")) : -1;
      if (index < 0 || !BLOBS.has(family.paths)) continue; // off the family's block: the rerun will draw it
      // Compared with the lr the server drew, not with what the slider showed when its data came:
      // the slider can repaint after the data, and the run itself then needs no stand-in.
      const want = index === family.labels.indexOf(family.drawn) ? null : index;
      const have = this.pick && this.pick.family === family ? this.pick.index : null;
      if (want === have) continue;
      if (want !== null) this.pick = { run: family.run, family, index: want };
      else if (have !== null) this.pick = null;
      this.draw();
    }
  }

  // ------------------------------------------------------------------ data from the server
  update(data) {
    const old = this.data;
    storeBlobs(data.blobs);
    this.data = data;
    const missing = this.missingBlobs();
    if (missing.length) {
      this.api.setTriggerValue("missing", missing); // a trigger: asking twice for the same blobs asks twice
      return;
    }
    const freshStart = !old || old.steps !== data.steps || old.open_token !== data.open_token;
    if (freshStart) {
      this.step = Math.min(data.open_step, data.steps);
      this.window = null;
      this.speedIndex = this.defaultSpeed(data.steps);
    }
    if (old && old.map && data.map && old.map.id !== data.map.id) this.window = null;
    this.pick = null; // the server's answer replaces any family member drawn meanwhile
    this.live = data.live || [];
    this.texts = data.texts;
    this.showCurvatureButton();
    if (PREFS.curvature !== !!data.curvature) this.api.setStateValue("curvature", PREFS.curvature);
    this.step = Math.min(this.step, data.steps);
    this.slider.max = data.steps;
    this.root.dataset.mode = data.mode;
    this.root.dataset.runs = data.runs.length;
    this.buildLegend();
    this.buildScrub();
    this.setSpeed(this.speedIndex);
    const img = data.map && BLOBS.get(data.map.image);
    if (img instanceof HTMLImageElement && !img.complete) img.addEventListener("load", () => this.draw(), { once: true });
    this.layout();
    this.readSidebar();
  }

  missingBlobs() {
    const d = this.data;
    const ids = [];
    const need = (id) => { if (id && !BLOBS.has(id)) ids.push(id); };
    if (d.map) { need(d.map.image); need(d.map.grid); }
    for (const r of d.runs) { need(r.xy); need(r.loss); need(r.grad); need(r.eigen); for (const q of r.points || []) need(q.xy); }
    if (d.scrub) for (const h of d.scrub.hypers) need(h.paths);
    for (const f of d.live || []) need(f.paths);
    return ids;
  }

  defaultSpeed(steps) { // the whole race in about ten seconds
    const want = steps / 10;
    let best = 0;
    SPEEDS.forEach((s, i) => { if (Math.abs(Math.log(s / want)) < Math.abs(Math.log(SPEEDS[best] / want))) best = i; });
    return best;
  }

  // ------------------------------------------------------------------ playback
  last() { return this.data ? this.data.steps : 0; }

  seek(step) {
    this.step = Math.max(0, Math.min(this.last(), Math.round(step)));
    if (this.playing) { this.clock = performance.now(); this.fromStep = this.step; }
    this.draw();
  }

  toggle() { this.playing ? this.pause() : this.play(); }

  play() {
    if (this.playing || !this.data) return;
    if (this.step >= this.last()) this.step = 0;
    this.playing = true;
    this.clock = performance.now();
    this.fromStep = this.step;
    this.buttons.play.innerHTML = icon("pause");
    this.buttons.play.setAttribute("aria-label", this.texts.pause);
    this.buttons.play.title = this.texts.pause + " (Space)";
    const tick = (now) => {
      if (!this.playing) return;
      const speed = SPEEDS[this.speedIndex];
      // a frame's timestamp can precede the clock read when Play was pressed: never step back before it
      const step = Math.min(this.last(), this.fromStep + Math.floor((Math.max(0, now - this.clock) / 1000) * speed));
      if (step !== this.step) { this.step = step; this.draw(); }
      if (step >= this.last()) { this.pause(); return; }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.buttons.play.innerHTML = icon("play");
    if (this.texts) {
      this.buttons.play.title = this.texts.play + " (Space)";
      this.buttons.play.setAttribute("aria-label", this.texts.play);
    }
  }

  setSpeed(index) {
    const was = this.playing;
    if (was) { this.fromStep = this.step; this.clock = performance.now(); }
    this.speedIndex = Math.max(0, Math.min(SPEEDS.length - 1, index));
    const s = SPEEDS[this.speedIndex];
    this.speedText.textContent = `${s < 1 ? (s === 0.25 ? "¼" : "½") : s} ${this.texts ? this.texts.steps_per_second : "/s"}`;
    this.root.dataset.speed = s;
  }

  key(e) {
    const target = e.composedPath()[0] || e.target; // inside the shadow root, not the retargeted host
    const mine = target === document.body || this.root.contains(target);
    if (!mine || (target.tagName === "INPUT" && target !== this.slider) || target.tagName === "TEXTAREA") return;
    const actions = {
      " ": () => this.toggle(), ArrowLeft: () => { this.pause(); this.seek(this.step - 1); },
      ArrowRight: () => { this.pause(); this.seek(this.step + 1); }, Home: () => this.seek(0),
      End: () => this.seek(this.last()), "+": () => this.setSpeed(this.speedIndex + 1),
      "=": () => this.setSpeed(this.speedIndex + 1), "-": () => this.setSpeed(this.speedIndex - 1),
    };
    const act = actions[e.key];
    if (act) { e.preventDefault(); act(); }
  }

  // ------------------------------------------------------------------ curvature glyphs
  curvatureOn() { return PREFS.curvature && !!this.data && !!this.data.curvature; }

  toggleCurvature() {
    PREFS.curvature = !PREFS.curvature;
    this.showCurvatureButton();
    this.api.setStateValue("curvature", PREFS.curvature); // the next run sends the eigen-pairs (or stops)
    if (this.data) this.draw();
  }

  showCurvatureButton() {
    const b = this.curvatureButton;
    if (this.texts) {
      b.textContent = this.texts.curvature;
      b.title = this.texts.curvature_help;
      b.setAttribute("aria-label", this.texts.curvature_help);
    }
    b.setAttribute("aria-pressed", String(PREFS.curvature));
    b.hidden = !!this.data && this.data.mode === "loss";
  }

  // Run i's Hessian eigen-directions at its head, as drawn in ``panel`` (CSS pixels); null where none is:
  // glyphs off, a scrubbed stand-in (its Hessian was not sent), a head off the map or a Hessian not finite.
  glyphOf(panel, i) {
    const r = this.data.runs[i];
    const table = this.curvatureOn() && r.eigen ? BLOBS.get(r.eigen) : null; // (steps+1, 6): λ0, λ1, q0, q1
    if (!table || (this.pick && this.pick.run === i)) return null;
    const h = this.headOf(i), row = Array.from(table.subarray(h.at * 6, h.at * 6 + 6));
    if (!row.every((v) => isFinite(v))) return null;
    const [px, py] = this.toPixel(panel, h.x, h.y);
    if (!(px >= panel.x && px <= panel.x + panel.w && py >= panel.y && py <= panel.y + panel.h)) return null;
    const [vx0, vx1, vy0, vy1] = this.view();
    const kx = panel.w / (vx1 - vx0), ky = panel.h / (vy1 - vy0); // map units to pixels; y grows down
    const lambdas = row.slice(0, 2), size = lambdas.map(Math.abs), flat = Math.min(...size);
    const longest = Math.max(GLYPH.longest, GLYPH.fraction * Math.min(panel.w, panel.h));
    const axes = [0, 1].map((k) => {
      const q = [row[2 + 2 * k], row[3 + 2 * k]];
      const dx = q[0] * kx, dy = -q[1] * ky, n = Math.hypot(dx, dy);
      const half = Math.max(GLYPH.shortest, longest * (size[k] > 0 ? Math.sqrt(flat / size[k]) : 1));
      const ux = (dx / n) * half, uy = (dy / n) * half;
      return { lambda: lambdas[k], dir: q, half, dashed: lambdas[k] < 0, ends: [[px - ux, py - uy], [px + ux, py + uy]] };
    });
    return { at: h.at, center: [px, py], axes, kappa: flat > 0 ? Math.max(...size) / flat : Infinity, sharpness: lambdas[1] };
  }

  drawGlyph(panel, i) {
    const g = this.glyphOf(panel, i);
    if (!g) return;
    const ctx = this.ctx;
    for (const [stroke, lw] of [["#ffffff", 5.5], ["#111111", 2.5]]) { // both casings first, so the cores cross cleanly
      for (const a of g.axes) {
        ctx.setLineDash(a.dashed ? [7, 5] : []); // λ < 0: the surface curves down along this axis
        ctx.beginPath(); ctx.moveTo(...a.ends[0]); ctx.lineTo(...a.ends[1]);
        ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.lineCap = "butt"; ctx.stroke();
      }
    }
    ctx.setLineDash([]);
  }

  // "κ = …, λ_max = …" at step k of run i, for the hover; "" with the glyphs off.
  curvatureText(i, k) {
    const r = this.data.runs[i];
    const table = this.curvatureOn() && r.eigen && !(this.pick && this.pick.run === i) ? BLOBS.get(r.eigen) : null;
    if (!table) return "";
    const small = Math.min(Math.abs(table[k * 6]), Math.abs(table[k * 6 + 1]));
    const big = Math.max(Math.abs(table[k * 6]), Math.abs(table[k * 6 + 1]));
    if (!isFinite(big)) return "";
    const kappa = small > 0 ? fmt(big / small) : "∞";
    return "\n" + this.texts.curvature_hover.replace("{kappa}", kappa).replace("{lam}", fmt(table[k * 6 + 1]));
  }

  // ------------------------------------------------------------------ legend and live scrub
  buildLegend() {
    this.legend.replaceChildren();
    this.data.runs.forEach((r, i) => {
      const item = el("button", "ov-legend-item", this.legend);
      item.type = "button";
      item.dataset.run = i;
      const swatch = el("span", "ov-swatch", item);
      swatch.style.background = r.color;
      el("span", "ov-legend-name", item, r.name);
      el("span", "ov-legend-status", item, r.status);
      if (r.points && r.points.length && this.data.mode !== "loss") { // what its markers are, in its colour
        const points = el("span", "ov-legend-points", item);
        r.points.forEach((q, k) => {
          const one = el("span", "ov-legend-point", points);
          pointIcon(POINT_SHAPES[k % POINT_SHAPES.length], r.color, one);
          el("span", null, one, q.name);
        });
      }
      item.style.setProperty("--status", r.status_color);
      item.classList.toggle("ov-off", this.hidden.has(r.key));
      item.title = this.texts.toggle_run;
      item.addEventListener("click", () => {
        this.hidden.has(r.key) ? this.hidden.delete(r.key) : this.hidden.add(r.key);
        item.classList.toggle("ov-off", this.hidden.has(r.key));
        this.draw();
      });
    });
  }

  buildScrub() {
    const d = this.data;
    this.scrubBox.replaceChildren();
    if (d.mode === "loss" || !d.scrub_choices || !d.scrub_choices.length) { this.scrubBox.hidden = true; return; }
    this.scrubBox.hidden = false;
    const head = el("label", "ov-scrub-head", this.scrubBox);
    const pick = el("select", "ov-scrub-pick", head);
    pick.setAttribute("aria-label", this.texts.scrub);
    el("option", null, pick, this.texts.scrub_off).value = "";
    d.scrub_choices.forEach((c) => { const o = el("option", null, pick, `${this.texts.scrub}: ${c.name}`); o.value = c.slot; });
    pick.value = d.scrub ? d.scrub.slot : "";
    pick.addEventListener("change", () => this.api.setStateValue("scrub", pick.value || null));
    if (!d.scrub) return;
    for (const h of d.scrub.hypers) {
      const row = el("label", "ov-scrub-row", this.scrubBox);
      el("span", "ov-scrub-label", row, h.label);
      const input = el("input", "ov-scrub-slider", row);
      input.type = "range";
      input.min = 0;
      input.max = h.values.length - 1;
      input.step = 1;
      input.value = h.current;
      input.dataset.hyper = h.name;
      input.setAttribute("aria-label", h.label);
      const value = el("span", "ov-scrub-value", row, fmt(h.values[h.current]));
      input.addEventListener("input", () => {
        const k = +input.value;
        value.textContent = fmt(h.values[k]);
        this.pick = { run: d.scrub.run, family: h, index: k };
        this.draw();
      });
      input.addEventListener("change", () => {
        const k = +input.value;
        if (k !== h.current) this.api.setTriggerValue("commit", { slot: d.scrub.slot, name: h.name, value: h.values[k] });
      });
    }
  }

  // A run's positions and loss: the scrubbed family member while a scrub slider is dragged.
  series(i) {
    const r = this.data.runs[i];
    const p = this.pick;
    if (p && p.run === i) {
      const all = BLOBS.get(p.family.paths); // (values, steps+1, 3): x, y, loss
      const n = this.data.steps + 1;
      const block = all.subarray(p.index * n * 3, (p.index + 1) * n * 3);
      return { xy: block, stride: 3, lossAt: (k) => block[k * 3 + 2], last: p.family.last[p.index], diverged: p.family.diverged[p.index] };
    }
    const loss = BLOBS.get(r.loss);
    return { xy: BLOBS.get(r.xy), stride: 2, lossAt: (k) => loss[k], last: r.last, diverged: r.diverged };
  }

  // ------------------------------------------------------------------ geometry
  layout() {
    if (!this.data) return;
    const d = this.data;
    const hostWidth = Math.max(200, this.host.clientWidth);
    const wide = hostWidth >= 760; // the legend and speed beside the map, else below it
    this.root.classList.toggle("ov-wide", wide);
    const width = wide ? hostWidth - Math.min(380, Math.max(250, hostWidth * 0.24)) - 20 : hostWidth;
    const phone = hostWidth < 560;
    this.font = phone ? 13 : 16;
    const pad = phone ? { left: 46, right: 84, top: 8, bottom: 40 } : { ...PAD };
    if (d.mode === "loss") { pad.right = 16; pad.left = phone ? 58 : 76; }
    else { // the colour bar's labels decide the right margin
      this.ctx.font = `${this.font - 1}px sans-serif`;
      const widest = Math.max(...d.map.colour_bar.ticks.map(([, text]) => this.ctx.measureText(text).width));
      pad.right = Math.ceil(14 + 14 + 6 + widest + 6);
    }
    this.pad = pad;
    const top = this.root.getBoundingClientRect().top + window.scrollY;
    const below = this.bar.offsetHeight + (wide ? 0 : this.side.offsetHeight) + 12;
    let room = window.innerHeight - top - below; // keep the map and its controls above the fold
    if (room < 220) room = width; // a long page above the map: size it by the width instead
    const [[x0, x1], [y0, y1]] = d.bounds;
    const aspect = d.mode === "loss" ? 0.62 : (y1 - y0) / (x1 - x0);
    let w, h;
    if (d.mode === "side") {
      const n = d.runs.length;
      let best = null;
      for (let cols = 1; cols <= n; cols++) {
        const rows = Math.ceil(n / cols);
        const cw = (width - pad.right) / cols - (pad.left + 8);
        const ch = (room - pad.top) / rows - (pad.bottom + 26);
        const side = Math.min(cw, ch / aspect);
        if (!best || side > best.side) best = { cols, rows, side };
      }
      this.grid = best;
      w = Math.max(120, Math.floor(best.side));
      h = Math.floor(w * aspect);
      this.cell = { w: w + pad.left + 8, h: h + pad.bottom + 26 };
      this.cssW = Math.min(width, this.cell.w * best.cols + pad.right);
      this.cssH = this.cell.h * best.rows + pad.top;
    } else {
      const maxW = width - pad.left - pad.right;
      w = Math.floor(Math.min(maxW, (room - pad.top - pad.bottom) / aspect));
      w = Math.max(160, w);
      h = Math.floor(w * aspect);
      this.cssW = w + pad.left + pad.right;
      this.cssH = h + pad.top + pad.bottom;
    }
    this.plotW = w;
    this.plotH = h;
    this.resetButton.style.left = pad.left + w - 48 + "px";
    this.resetButton.style.top = pad.top + (d.mode === "side" ? 32 : 6) + "px";
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = this.cssW + "px";
    this.canvas.style.height = this.cssH + "px";
    this.canvas.width = Math.round(this.cssW * dpr);
    this.canvas.height = Math.round(this.cssH * dpr);
    this.dpr = dpr;
    this.root.style.setProperty("--font", this.font + "px");
    this.draw();
  }

  view() {
    if (this.window) return this.window;
    const [[x0, x1], [y0, y1]] = this.data.bounds;
    return [x0, x1, y0, y1];
  }

  // Panels: the plot rectangles in CSS pixels, one per drawn map (or the loss axes).
  panels() {
    const { pad } = this;
    if (this.data.mode !== "side") return [{ x: pad.left, y: pad.top, w: this.plotW, h: this.plotH, run: -1 }];
    return this.data.runs.map((r, i) => {
      const c = i % this.grid.cols, row = Math.floor(i / this.grid.cols);
      return { x: pad.left + c * this.cell.w, y: pad.top + 26 + row * this.cell.h, w: this.plotW, h: this.plotH, run: i };
    });
  }

  toPixel(panel, x, y) {
    const [vx0, vx1, vy0, vy1] = this.view();
    return [panel.x + ((x - vx0) / (vx1 - vx0)) * panel.w, panel.y + ((vy1 - y) / (vy1 - vy0)) * panel.h];
  }

  fromPixel(panel, px, py) {
    const [vx0, vx1, vy0, vy1] = this.view();
    return [vx0 + ((px - panel.x) / panel.w) * (vx1 - vx0), vy1 - ((py - panel.y) / panel.h) * (vy1 - vy0)];
  }

  panelAt(px, py) {
    return this.panels().find((p) => px >= p.x && px <= p.x + p.w && py >= p.y && py <= p.y + p.h) || null;
  }

  // ------------------------------------------------------------------ drawing
  draw() {
    if (!this.data || !this.plotW) return;
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.cssW, this.cssH);
    if (this.data.mode === "loss") this.drawLoss();
    else {
      for (const panel of this.panels()) this.drawMap(panel);
      this.drawColourBar();
    }
    this.slider.value = this.step;
    this.counter.textContent = `${this.texts.step} ${this.step} / ${this.last()}`;
    this.root.dataset.step = this.step;
    this.resetButton.hidden = !this.window;
    this.frames++;
    this.root.dataset.frames = this.frames;
  }

  drawMap(panel) {
    const ctx = this.ctx, d = this.data;
    const [vx0, vx1, vy0, vy1] = this.view();
    const [[x0, x1], [y0, y1]] = d.bounds;
    ctx.save();
    ctx.beginPath();
    ctx.rect(panel.x, panel.y, panel.w, panel.h);
    ctx.clip();
    ctx.fillStyle = "#d9d9d9";
    ctx.fillRect(panel.x, panel.y, panel.w, panel.h);
    const img = BLOBS.get(d.map.image);
    if (img && img.complete && img.naturalWidth) {
      const iw = img.naturalWidth, ih = img.naturalHeight;
      const sx = ((vx0 - x0) / (x1 - x0)) * iw, sy = ((y1 - vy1) / (y1 - y0)) * ih;
      const sw = ((vx1 - vx0) / (x1 - x0)) * iw, sh = ((vy1 - vy0) / (y1 - y0)) * ih;
      ctx.imageSmoothingEnabled = sw > panel.w * 0.6; // zoomed far in: show the bands' pixels, not a blur
      // drawImage with a source rectangle outside the picture draws nothing, so clip it to the picture
      const cx0 = Math.max(0, sx), cy0 = Math.max(0, sy), cx1 = Math.min(iw, sx + sw), cy1 = Math.min(ih, sy + sh);
      if (cx1 > cx0 && cy1 > cy0) {
        const kx = panel.w / sw, ky = panel.h / sh;
        ctx.drawImage(img, cx0, cy0, cx1 - cx0, cy1 - cy0, panel.x + (cx0 - sx) * kx, panel.y + (cy0 - sy) * ky,
          (cx1 - cx0) * kx, (cy1 - cy0) * ky);
      }
    }
    const runs = panel.run >= 0 ? [panel.run] : d.runs.map((_, i) => i);
    const width = this.font >= 16 ? 3 : 2.2;
    for (const i of runs) if (!this.hidden.has(d.runs[i].key)) this.drawPath(panel, i, width);
    if (d.arrows) for (const i of runs) if (!this.hidden.has(d.runs[i].key)) this.drawArrows(panel, i);
    // Glyphs under the heads, so each head keeps its colour; an optimizer's own points above them (hollow).
    for (const i of runs) if (!this.hidden.has(d.runs[i].key)) this.drawGlyph(panel, i);
    for (const i of runs) if (!this.hidden.has(d.runs[i].key)) this.drawHead(panel, i, width);
    for (const i of runs) if (!this.hidden.has(d.runs[i].key)) this.drawPoints(panel, i);
    this.drawLandmarks(panel);
    if (this.ghost && this.ghost.panel === panel.run) this.drawGhost(panel);
    ctx.restore();
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1;
    ctx.strokeRect(panel.x + 0.5, panel.y + 0.5, panel.w - 1, panel.h - 1);
    this.drawAxes(panel, [vx0, vx1], [vy0, vy1]);
    if (panel.run >= 0) {
      const r = d.runs[panel.run];
      ctx.font = `600 ${this.font}px sans-serif`;
      ctx.fillStyle = "#111";
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(r.name, panel.x, panel.y - 6, panel.w);
    }
  }

  clampPixel(p) { return [Math.max(-1e5, Math.min(1e5, p[0])), Math.max(-1e5, Math.min(1e5, p[1]))]; }

  drawPath(panel, i, width) {
    const ctx = this.ctx, s = this.series(i);
    const end = Math.min(this.step, s.last);
    ctx.beginPath();
    let lx = null, ly = null;
    for (let k = 0; k <= end; k++) {
      const [px, py] = this.clampPixel(this.toPixel(panel, s.xy[k * s.stride], s.xy[k * s.stride + 1]));
      if (lx !== null && Math.abs(px - lx) < 0.4 && Math.abs(py - ly) < 0.4 && k < end) continue;
      if (lx === null) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      lx = px; ly = py;
    }
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    ctx.strokeStyle = CASING[0];
    ctx.lineWidth = width + 4;
    ctx.stroke();
    ctx.strokeStyle = CASING[1];
    ctx.lineWidth = width + 2;
    ctx.stroke();
    ctx.strokeStyle = this.data.runs[i].color;
    ctx.lineWidth = width;
    ctx.stroke();
  }

  headOf(i) {
    const s = this.series(i);
    const at = Math.min(this.step, s.last);
    return { at, x: s.xy[at * s.stride], y: s.xy[at * s.stride + 1], loss: s.lossAt(at), s };
  }

  drawHead(panel, i, width) {
    const ctx = this.ctx, r = this.data.runs[i];
    const h = this.headOf(i);
    let [px, py] = this.toPixel(panel, h.x, h.y);
    const inside = px >= panel.x && px <= panel.x + panel.w && py >= panel.y && py <= panel.y + panel.h;
    const died = h.s.diverged && this.step >= h.s.last;
    if (!inside || !isFinite(px) || !isFinite(py)) { // where it left the map, with its status
      const c = this.exitPoint(panel, i, h.at);
      if (!c) return;
      [px, py] = c;
    }
    const radius = width + 4;
    ctx.beginPath();
    ctx.arc(px, py, radius + 2, 0, 2 * Math.PI);
    ctx.fillStyle = CASING[0];
    ctx.fill();
    ctx.beginPath();
    ctx.arc(px, py, radius + 0.5, 0, 2 * Math.PI);
    ctx.fillStyle = CASING[1];
    ctx.fill();
    ctx.beginPath();
    ctx.arc(px, py, radius - 1, 0, 2 * Math.PI);
    ctx.fillStyle = r.color;
    ctx.fill();
    if (died) {
      this.cross(px, py, radius + 3, "#c00000", 3);
      this.label(px, py - radius - 6, r.status, "#8a0000");
    }
  }

  // The points an optimizer keeps beside its position (Schedule-Free's x and z, SAM's ascent point,
  // Lookahead's slow weights): each one's track so far, thin and dashed, and its place at this step as a
  // hollow marker (square, diamond, triangle: the legend names them) tied to the head.
  pointsOf(i) {
    const r = this.data.runs[i];
    if (!r.points || (this.pick && this.pick.run === i)) return []; // a stand-in path has none of its own
    const h = this.headOf(i);
    return r.points.map((q, k) => {
      const xy = BLOBS.get(q.xy);
      return { name: q.name, shape: POINT_SHAPES[k % POINT_SHAPES.length], xy, at: h.at, x: xy[h.at * 2], y: xy[h.at * 2 + 1] };
    });
  }

  drawPoints(panel, i) {
    const ctx = this.ctx, r = this.data.runs[i], h = this.headOf(i);
    const [hx, hy] = this.clampPixel(this.toPixel(panel, h.x, h.y));
    for (const q of this.pointsOf(i)) {
      if (!isFinite(q.x) || !isFinite(q.y)) continue;
      ctx.beginPath();
      for (let k = 0; k <= q.at; k++) {
        const [px, py] = this.clampPixel(this.toPixel(panel, q.xy[2 * k], q.xy[2 * k + 1]));
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      const [px, py] = this.clampPixel(this.toPixel(panel, q.x, q.y));
      ctx.moveTo(hx, hy);
      ctx.lineTo(px, py);
      ctx.setLineDash([5, 4]);
      for (const [stroke, lw] of [[CASING[1], 3.5], [r.color, 1.5]]) { ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.stroke(); }
      ctx.setLineDash([]);
      this.marker(px, py, q.shape, r.color);
    }
  }

  marker(px, py, shape, color) {
    const ctx = this.ctx, m = this.font * 0.75; // half-size: larger than a head (radius ~7 px), which shows through
    ctx.beginPath();
    if (shape === "square") ctx.rect(px - m, py - m, 2 * m, 2 * m);
    else if (shape === "diamond") { ctx.moveTo(px, py - m * 1.3); ctx.lineTo(px + m * 1.3, py); ctx.lineTo(px, py + m * 1.3); ctx.lineTo(px - m * 1.3, py); ctx.closePath(); }
    else { ctx.moveTo(px, py - m * 1.3); ctx.lineTo(px + m * 1.2, py + m * 0.9); ctx.lineTo(px - m * 1.2, py + m * 0.9); ctx.closePath(); }
    for (const [stroke, lw] of [[CASING[0], 5], [CASING[1], 3], [color, 2]]) { ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.stroke(); }
  }

  exitPoint(panel, i, at) { // the last drawn point still inside the map, pushed to its edge
    const s = this.series(i);
    let inside = null;
    for (let k = at; k >= 0; k--) {
      const [px, py] = this.toPixel(panel, s.xy[k * s.stride], s.xy[k * s.stride + 1]);
      if (px >= panel.x && px <= panel.x + panel.w && py >= panel.y && py <= panel.y + panel.h) { inside = [px, py]; break; }
    }
    if (!inside) return null;
    return [Math.max(panel.x + 8, Math.min(panel.x + panel.w - 8, inside[0])), Math.max(panel.y + 8, Math.min(panel.y + panel.h - 8, inside[1]))];
  }

  cross(x, y, r, color, w) {
    const ctx = this.ctx;
    for (const [stroke, lw] of [["#ffffff", w + 3], [color, w]]) {
      ctx.beginPath();
      ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
      ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r);
      ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.lineCap = "round";
      ctx.stroke();
    }
  }

  label(x, y, text, color) {
    const ctx = this.ctx;
    ctx.font = `600 ${this.font}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    const w = ctx.measureText(text).width;
    const left = Math.max(4, Math.min(this.cssW - w - 8, x - w / 2 - 4));
    ctx.fillStyle = "rgba(255,255,255,0.92)";
    ctx.fillRect(left, y - this.font - 4, w + 8, this.font + 6);
    ctx.fillStyle = color;
    ctx.textAlign = "left";
    ctx.fillText(text, left + 4, y);
  }

  star(x, y, r) {
    const ctx = this.ctx;
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
      const px = x + rr * Math.cos(a), py = y + rr * Math.sin(a);
      k ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
    }
    ctx.closePath();
    ctx.fillStyle = "#ffd700";
    ctx.fill();
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1.8;
    ctx.stroke();
  }

  drawLandmarks(panel) { // above the paths and the heads, so a run ending on a minimum never hides its ★
    const d = this.data, r = this.font;
    for (const [x, y] of d.map.minima) { const [px, py] = this.toPixel(panel, x, y); this.star(px, py, r * 0.75); }
    for (const [x, y] of d.map.saddles) {
      const [px, py] = this.toPixel(panel, x, y);
      const ctx = this.ctx;
      for (const [stroke, lw] of [["#ffffff", 5.5], ["#111111", 2.5]]) {
        ctx.beginPath();
        ctx.moveTo(px - r * 0.5, py - r * 0.5); ctx.lineTo(px + r * 0.5, py + r * 0.5);
        ctx.moveTo(px - r * 0.5, py + r * 0.5); ctx.lineTo(px + r * 0.5, py - r * 0.5);
        ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.lineCap = "round"; ctx.stroke();
      }
    }
  }

  drawArrows(panel, i) {
    const d = this.data, r = d.runs[i];
    const grad = r.grad && BLOBS.get(r.grad);
    const h = this.headOf(i);
    const [px, py] = this.toPixel(panel, h.x, h.y);
    const length = Math.min(panel.w, panel.h) * 0.09;
    const arrows = [];
    if (grad) arrows.push([-grad[h.at * 2], -grad[h.at * 2 + 1], [2, 4]]);
    const s = h.s, nxt = Math.min(h.at + 1, s.last);
    arrows.push([s.xy[nxt * s.stride] - h.x, s.xy[nxt * s.stride + 1] - h.y, []]);
    const ctx = this.ctx;
    for (const [vx, vy, dash] of arrows) {
      const [vx0, vx1, vy0, vy1] = this.view();
      const dx = (vx / (vx1 - vx0)) * panel.w, dy = (-vy / (vy1 - vy0)) * panel.h;
      const n = Math.hypot(dx, dy);
      if (!(n > 0) || !isFinite(n)) continue;
      const tx = px + (dx / n) * length, ty = py + (dy / n) * length;
      for (const [stroke, lw] of [["#ffffff", 5], [r.color, 2.5]]) {
        ctx.setLineDash(dash);
        ctx.beginPath(); ctx.moveTo(px, py); ctx.lineTo(tx, ty);
        ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.stroke();
        ctx.setLineDash([]);
        const a = Math.atan2(ty - py, tx - px);
        ctx.beginPath();
        ctx.moveTo(tx, ty);
        ctx.lineTo(tx - 10 * Math.cos(a - 0.45), ty - 10 * Math.sin(a - 0.45));
        ctx.lineTo(tx - 10 * Math.cos(a + 0.45), ty - 10 * Math.sin(a + 0.45));
        ctx.closePath();
        ctx.fillStyle = stroke; ctx.fill();
      }
    }
  }

  drawGhost(panel) {
    const ctx = this.ctx, g = this.ghost;
    const [px, py] = this.toPixel(panel, g.x, g.y);
    ctx.beginPath();
    ctx.arc(px, py, 6, 0, 2 * Math.PI);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 3; ctx.stroke();
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.stroke();
  }

  drawAxes(panel, [vx0, vx1], [vy0, vy1]) {
    const ctx = this.ctx, f = this.font, t = this.texts;
    ctx.fillStyle = "#111";
    ctx.strokeStyle = "#111";
    ctx.font = `${f}px sans-serif`;
    const xt = niceTicks(vx0, vx1, Math.max(3, Math.floor(panel.w / (f * 5))));
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of xt) {
      const [px] = this.toPixel(panel, v, vy0);
      ctx.beginPath(); ctx.moveTo(px, panel.y + panel.h); ctx.lineTo(px, panel.y + panel.h + 5); ctx.stroke();
      ctx.fillText(fmt(v, 3), px, panel.y + panel.h + 7);
    }
    const yt = niceTicks(vy0, vy1, Math.max(3, Math.floor(panel.h / (f * 3))));
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of yt) {
      const [, py] = this.toPixel(panel, vx0, v);
      ctx.beginPath(); ctx.moveTo(panel.x - 5, py); ctx.lineTo(panel.x, py); ctx.stroke();
      ctx.fillText(fmt(v, 3), panel.x - 7, py);
    }
    ctx.font = `600 ${f}px sans-serif`;
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.fillText(t.x, panel.x + panel.w / 2, panel.y + panel.h + 2 * f + 14);
    ctx.save();
    ctx.translate(panel.x - this.pad.left + f * 0.9, panel.y + panel.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(t.y, 0, 0);
    ctx.restore();
  }

  drawColourBar() {
    const ctx = this.ctx, bar = this.data.map.colour_bar, f = this.font;
    const x = this.cssW - this.pad.right + 14, y = this.pad.top + (this.data.mode === "side" ? 26 : 0);
    const h = Math.min(this.plotH, this.cssH - y - this.pad.bottom), w = 14;
    const grad = ctx.createLinearGradient(0, y + h, 0, y);
    for (const [frac, color] of bar.colors) grad.addColorStop(frac, color);
    ctx.fillStyle = grad;
    ctx.fillRect(x, y, w, h);
    ctx.strokeStyle = "#222"; ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    ctx.fillStyle = "#111";
    ctx.font = `${f - 1}px sans-serif`;
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    for (const [frac, text] of bar.ticks) {
      const py = y + h - frac * h;
      // the tick crosses the bar: a mark beside the label would read as a minus sign
      ctx.beginPath(); ctx.moveTo(x, py); ctx.lineTo(x + w, py); ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 3; ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x, py); ctx.lineTo(x + w, py); ctx.strokeStyle = "#000000"; ctx.lineWidth = 1; ctx.stroke();
      ctx.fillText(text, x + w + 6, py);
    }
  }

  // Loss against step: log axis where the surface's minimum is known (the gap to it), linear otherwise.
  drawLoss() {
    const ctx = this.ctx, d = this.data, f = this.font, t = this.texts;
    const panel = { x: this.pad.left, y: this.pad.top, w: this.plotW, h: this.plotH };
    const log = d.loss_axis.log, floor = d.loss_axis.floor;
    const tr = (v) => (log ? Math.log10(Math.max(v - floor, 1e-16)) : v);
    let lo = Infinity, hi = -Infinity;
    d.runs.forEach((r, i) => {
      if (this.hidden.has(r.key)) return;
      const s = this.series(i);
      for (let k = 0; k <= s.last; k++) { const v = tr(s.lossAt(k)); if (isFinite(v) && Math.abs(v) < 1e300) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-12) { hi = lo + 1; }
    const margin = (hi - lo) * 0.04; lo -= margin; hi += margin;
    const X = (k) => panel.x + (k / Math.max(1, d.steps)) * panel.w;
    const Y = (v) => panel.y + ((hi - v) / (hi - lo)) * panel.h;
    this.lossGeom = { panel, X, Y, tr, lo, hi };
    ctx.strokeStyle = "#e3e3e3"; ctx.lineWidth = 1;
    const yt = log ? niceTicks(Math.ceil(lo), Math.floor(hi), 6).filter((v) => Number.isInteger(v)) : niceTicks(lo, hi, 6);
    for (const v of yt) { ctx.beginPath(); ctx.moveTo(panel.x, Y(v)); ctx.lineTo(panel.x + panel.w, Y(v)); ctx.stroke(); }
    ctx.save();
    ctx.beginPath(); ctx.rect(panel.x, panel.y, panel.w, panel.h); ctx.clip();
    d.runs.forEach((r, i) => {
      if (this.hidden.has(r.key)) return;
      const s = this.series(i);
      ctx.beginPath();
      for (let k = 0; k <= s.last; k++) {
        const v = tr(s.lossAt(k));
        const py = Math.max(-1e5, Math.min(1e5, Y(isFinite(v) ? v : hi)));
        k ? ctx.lineTo(X(k), py) : ctx.moveTo(X(k), py);
      }
      ctx.strokeStyle = r.color; ctx.lineWidth = 2.5; ctx.lineJoin = "round"; ctx.stroke();
    });
    ctx.strokeStyle = "#111"; ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(X(this.step), panel.y); ctx.lineTo(X(this.step), panel.y + panel.h); ctx.stroke();
    ctx.setLineDash([]);
    d.runs.forEach((r, i) => {
      if (this.hidden.has(r.key)) return;
      const s = this.series(i), at = Math.min(this.step, s.last), v = tr(s.lossAt(at));
      if (!isFinite(v)) return;
      ctx.beginPath(); ctx.arc(X(at), Y(v), 6, 0, 2 * Math.PI);
      ctx.fillStyle = r.color; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke();
      if (s.diverged && this.step >= s.last) this.cross(X(at), Y(v), 8, "#c00000", 3);
    });
    ctx.restore();
    ctx.strokeStyle = "#222"; ctx.lineWidth = 1;
    ctx.strokeRect(panel.x + 0.5, panel.y + 0.5, panel.w - 1, panel.h - 1);
    ctx.fillStyle = "#111"; ctx.font = `${f}px sans-serif`;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of yt) ctx.fillText(log ? (v === 0 ? "1" : `1e${v}`) : fmt(v, 3), panel.x - 7, Y(v));
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of niceTicks(0, d.steps, Math.max(3, Math.floor(panel.w / (f * 5))))) {
      if (v !== Math.round(v)) continue;
      ctx.fillText(String(v), X(v), panel.y + panel.h + 7);
    }
    ctx.font = `600 ${f}px sans-serif`;
    ctx.textBaseline = "bottom";
    ctx.fillText(t.step, panel.x + panel.w / 2, panel.y + panel.h + 2 * f + 14);
    ctx.save();
    ctx.translate(f * 0.9, panel.y + panel.h / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle"; ctx.fillText(d.loss_axis.title, 0, 0);
    ctx.restore();
  }

  // What is on screen, in page coordinates: read by the browser tests and the benchmark.
  snapshot() {
    const c = this.canvas.getBoundingClientRect(), rect = (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
    const panels = this.data.mode === "loss" ? [] : this.panels();
    return {
      mode: this.data.mode, step: this.step, steps: this.data.steps, playing: this.playing, speed: SPEEDS[this.speedIndex],
      curvature: this.curvatureOn(), curvatureButton: rect(this.curvatureButton), tip: this.tip.hidden ? null : this.tip.textContent,
      frames: this.frames, font: this.font, canvas: rect(this.canvas), bar: rect(this.bar), play: rect(this.buttons.play),
      legend: rect(this.legend), map: this.data.map ? this.data.map.id || this.data.map.image : null,
      panels: panels.map((p) => ({ x: c.x + p.x, y: c.y + p.y, w: p.w, h: p.h, run: p.run })),
      runs: this.data.runs.map((r, i) => {
        const h = this.headOf(i), panel = panels.find((p) => p.run === i) || panels[0];
        const px = panel ? this.toPixel(panel, h.x, h.y) : [NaN, NaN];
        const g = panel && !this.hidden.has(r.key) ? this.glyphOf(panel, i) : null; // as drawn, in page coordinates
        const glyph = g && { at: g.at, kappa: g.kappa, sharpness: g.sharpness, axes: g.axes.map((a) => ({
          lambda: a.lambda, dir: a.dir, half: a.half, dashed: a.dashed, ends: a.ends.map(([x, y]) => [c.x + x, c.y + y]) })) };
        return { name: r.name, status: r.status, color: r.color, xy: r.xy, last: r.last, at: h.at, x: h.x, y: h.y,
          px: c.x + px[0], py: c.y + px[1], hidden: this.hidden.has(r.key), glyph,
          points: panel ? this.pointsOf(i).map((q) => { const [qx, qy] = this.toPixel(panel, q.x, q.y);
            return { name: q.name, shape: q.shape, x: q.x, y: q.y, px: c.x + qx, py: c.y + qy }; }) : [] };
      }),
    };
  }

  // The page coordinates of a point of the map (first panel), for tests that click there.
  pagePoint(x, y) {
    const c = this.canvas.getBoundingClientRect(), [px, py] = this.toPixel(this.panels()[0], x, y);
    return [c.x + px, c.y + py];
  }

  // ------------------------------------------------------------------ pointer: hover, click, zoom, pan
  bindPointer() {
    const c = this.canvas;
    const local = (e) => { const r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    c.addEventListener("pointerdown", (e) => {
      const [px, py] = local(e);
      const panel = this.data && this.data.mode !== "loss" ? this.panelAt(px, py) : null;
      this.press = panel ? { px, py, panel, view: this.view(), moved: false } : null;
      if (panel) c.setPointerCapture(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => {
      const [px, py] = local(e);
      const p = this.press;
      if (p && (p.moved || Math.hypot(px - p.px, py - p.py) > 4)) { // a drag pans
        p.moved = true;
        const [a0, a1, b0, b1] = p.view;
        const dx = ((px - p.px) / p.panel.w) * (a1 - a0), dy = ((py - p.py) / p.panel.h) * (b1 - b0);
        this.window = [a0 - dx, a1 - dx, b0 + dy, b1 + dy];
        this.draw();
        return;
      }
      this.hover(px, py);
    });
    c.addEventListener("pointerup", (e) => {
      const p = this.press;
      this.press = null;
      if (!p || p.moved || !this.data.clickable) return;
      const [px, py] = local(e);
      const [x, y] = this.fromPixel(p.panel, px, py);
      this.api.setTriggerValue("start", [x, y]);
    });
    c.addEventListener("pointerleave", () => { this.tip.hidden = true; this.ghost = null; this.draw(); });
    c.addEventListener("wheel", (e) => {
      if (!this.data || this.data.mode === "loss") return;
      const [px, py] = local(e);
      const panel = this.panelAt(px, py);
      if (!panel) return;
      e.preventDefault();
      const [x, y] = this.fromPixel(panel, px, py);
      const k = Math.exp(Math.sign(e.deltaY) * 0.15);
      const [a0, a1, b0, b1] = this.view();
      this.window = [x - (x - a0) * k, x + (a1 - x) * k, y - (y - b0) * k, y + (b1 - y) * k];
      this.draw();
    }, { passive: false });
    c.addEventListener("dblclick", () => { this.window = null; this.draw(); });
  }

  // The loss under the pointer, bilinear between the server's samples of the surface.
  lossAt(x, y) {
    const g = this.data.map.grid_shape, grid = BLOBS.get(this.data.map.grid);
    if (!grid) return NaN;
    const [[x0, x1], [y0, y1]] = this.data.bounds;
    const fx = ((x - x0) / (x1 - x0)) * (g[1] - 1), fy = ((y - y0) / (y1 - y0)) * (g[0] - 1);
    if (fx < 0 || fy < 0 || fx > g[1] - 1 || fy > g[0] - 1) return NaN;
    const i = Math.min(g[0] - 2, Math.floor(fy)), j = Math.min(g[1] - 2, Math.floor(fx));
    const u = fx - j, v = fy - i, at = (a, b) => grid[a * g[1] + b];
    return (1 - v) * ((1 - u) * at(i, j) + u * at(i, j + 1)) + v * ((1 - u) * at(i + 1, j) + u * at(i + 1, j + 1));
  }

  hover(px, py) {
    if (!this.data) return;
    const d = this.data, t = this.texts;
    let text = null;
    if (d.mode === "loss") {
      const g = this.lossGeom;
      if (!g || px < g.panel.x || px > g.panel.x + g.panel.w) { this.tip.hidden = true; return; }
      const k = Math.round(((px - g.panel.x) / g.panel.w) * d.steps);
      const lines = [`${t.step} ${k}`];
      d.runs.forEach((r, i) => {
        if (this.hidden.has(r.key)) return;
        const s = this.series(i);
        if (k <= s.last) lines.push(`${r.name}: ${fmt(s.lossAt(k))}`);
      });
      text = lines.join("\n");
    } else {
      const panel = this.panelAt(px, py);
      if (!panel) { this.tip.hidden = true; this.ghost = null; this.draw(); return; }
      let best = null;
      const runs = panel.run >= 0 ? [panel.run] : d.runs.map((_, i) => i);
      for (const i of runs) {
        if (this.hidden.has(d.runs[i].key)) continue;
        const s = this.series(i), end = Math.min(this.step, s.last);
        for (let k = 0; k <= end; k++) {
          const [qx, qy] = this.toPixel(panel, s.xy[k * s.stride], s.xy[k * s.stride + 1]);
          const dist = Math.hypot(qx - px, qy - py);
          if (dist < 9 && (!best || dist < best.dist)) best = { dist, i, k, s };
        }
      }
      if (best) {
        const s = best.s, r = d.runs[best.i];
        const loss = s.lossAt(best.k);
        text = `${r.name} · ${t.step} ${best.k}\n(${fmt(s.xy[best.k * s.stride])}, ${fmt(s.xy[best.k * s.stride + 1])})\n${t.loss} ${fmt(loss)}`
          + this.curvatureText(best.i, best.k);
        this.ghost = null;
      } else {
        const [x, y] = this.fromPixel(panel, px, py);
        this.ghost = { x, y, panel: panel.run };
        text = `(${fmt(x)}, ${fmt(y)})\n${t.loss} ≈ ${fmt(this.lossAt(x, y))}` + (d.clickable ? `\n${t.click_to_start}` : "");
      }
      this.draw();
    }
    this.tip.textContent = text;
    this.tip.hidden = false;
    const left = px + 16 + 220 > this.cssW ? px - 16 - this.tip.offsetWidth : px + 16;
    this.tip.style.left = Math.max(0, left) + "px";
    this.tip.style.top = Math.max(0, py - 10) + "px";
  }
}

export default function (component) {
  const { parentElement, data, setStateValue, setTriggerValue } = component;
  let view = VIEWS.get(parentElement);
  if (!view) {
    view = new RaceView(parentElement, { setStateValue, setTriggerValue });
    VIEWS.set(parentElement, view);
  }
  view.api = { setStateValue, setTriggerValue };
  if (data) view.update(data);
  return () => { view.destroy(); VIEWS.delete(parentElement); };
}
