// mezzo studio: the page. Plain JavaScript over the studio's HTTP API (docs/studio.md);
// charts by Plotly (served from the plotly Python package), sound by Web Audio.
"use strict";

const MARGIN = { l: 58, r: 18 };            // every lane: the same plot area, so one playhead fits all
const MARKINGS = ["ppp", "pp", "p", "mp", "mf", "f", "ff", "fff"];
// a tempo read from a weak pulse says so and is drawn dashed (mezzo.meters.tempo.WEAK_PULSE)
const WEAK_PULSE = 0.5;
const weakPulse = (a) => a.tempo_confidence < WEAK_PULSE;  // false when there is no confidence
const MARK_COLOURS = ["#1d3557", "#264d73", "#2f6690", "#3a7ca5", "#5e9c76", "#c0913a", "#d8662c", "#e63946"];
const PLOT_CONFIG = { displaylogo: false, responsive: true, scrollZoom: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"] };

const $ = (id) => document.getElementById(id);
const state = {
  session: null, tracks: [], stemSets: [], selected: null,   // selected: {kind: "track"|"stems", id}
  working: null, compare: null,                              // ids: the version worked on, the one compared (B)
  analyses: {}, timelines: {}, duration: 0, lanesReady: false, syncing: false,
};

// ------------------------------------------------------------------ helpers

function fmtTime(s) {
  s = Math.max(0, s || 0);
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(1).padStart(4, "0")}`;
}
function num(v, digits = 1, unit = "") {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  return `${v.toFixed(digits).replace("-", "\u2212")}${unit ? " " + unit : ""}`;
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c);
  return node;
}
function status(text, isError = false) {
  const s = $("status");
  s.textContent = text || "";
  s.classList.toggle("error", !!isError);
}
async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  return { status: response.status, body };
}
function postJSON(path, payload) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload || {}) });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const track = (id) => state.tracks.find((t) => t.id === id);

// ------------------------------------------------------------------ jobs

async function followJob(jobId, box) {
  // Show a job's progress in `box` (a .progress element) until it ends; resolve with the final job.
  const bar = box.querySelector("progress");
  const phase = box.querySelector(".phase");
  const cancel = box.querySelector(".cancel");
  box.hidden = false;
  if (cancel) {
    cancel.hidden = false;
    cancel.onclick = () => postJSON(`/api/jobs/${jobId}/cancel`).catch((e) => status(e.message, true));
  }
  for (;;) {
    const job = (await api(`/api/jobs/${jobId}`)).body;
    box.dataset.state = job.state;
    box.dataset.jobId = job.id;
    if (job.state === "running" && job.progress > 0) bar.value = job.progress; else bar.removeAttribute("value");
    const elapsed = job.elapsed_s ? ` — ${Math.round(job.elapsed_s)} s` : "";
    phase.textContent = job.state === "failed" ? `failed: ${job.error}` : `${job.phase}${elapsed}`;
    if (["done", "failed", "cancelled"].includes(job.state)) {
      if (job.state === "done") bar.value = 1; else bar.value = 0;
      if (cancel) cancel.hidden = true;
      refreshJobs();
      return job;
    }
    await sleep(300);
  }
}

let jobsTimer = null;
async function refreshJobs() {
  try {
    const jobs = (await api("/api/jobs")).body.jobs;
    const active = jobs.filter((j) => j.state === "queued" || j.state === "running");
    $("jobs-panel").hidden = active.length === 0;
    $("jobs").replaceChildren(...active.map((j) => el("li", {},
      el("span", { class: "state", text: j.state }),
      el("span", { text: `${j.label}: ${j.phase}${j.progress > 0 && j.state === "running" ? ` ${Math.round(j.progress * 100)} %` : ""}` }),
      el("button", { class: "small", type: "button", text: "Cancel",
        onclick: () => postJSON(`/api/jobs/${j.id}/cancel`).then(refreshJobs) }))));
    clearTimeout(jobsTimer);
    if (active.length) jobsTimer = setTimeout(refreshJobs, 1000);
  } catch (e) { /* the next call tries again */ }
}

// ------------------------------------------------------------------ tracks and stems

async function refreshLists() {
  const [tracks, stems] = await Promise.all([api("/api/tracks"), api("/api/stems")]);
  state.tracks = tracks.body.tracks;
  state.stemSets = stems.body.stems;
  const select = $("track-select");
  const roots = state.tracks.filter((t) => !t.parent_id);
  const options = [
    ...roots.map((t) => el("option", { value: `track:${t.id}`, text: t.name })),
    ...state.stemSets.map((s) => el("option", { value: `stems:${s.id}`, text: `Stems: ${s.names.join(", ")}` })),
  ];
  select.replaceChildren(...options);
  if (state.selected) select.value = `${state.selected.kind}:${state.selected.id}`;
  $("empty").hidden = options.length > 0;
  return options.length;
}

function lineOf(rootId) {
  // The original and every version made from it, oldest first.
  return state.tracks.filter((t) => t.root_id === rootId);
}

async function select(kind, id) {
  state.selected = { kind, id };
  $("track-select").value = `${kind}:${id}`;
  $("empty").hidden = true;
  if (kind === "stems") {
    $("track-view").hidden = true;
    $("stems-view").hidden = false;
    player.stop();
    return showStems(id);
  }
  $("stems-view").hidden = true;
  $("track-view").hidden = false;
  const line = lineOf(id);
  state.working = id;
  const versions = line.filter((t) => t.id !== id);
  state.compare = versions.length ? versions[versions.length - 1].id : null;
  player.reset(id);
  $("play").disabled = true;
  $("play").textContent = "loading…";
  await showTrack(id);
}

async function loadAnalysis(id) {
  if (!state.analyses[id]) {
    let response;
    do {
      response = await api(`/api/tracks/${id}/analysis`);
    } while (response.status === 202);
    state.analyses[id] = response.body;
    state.timelines[id] = (await api(`/api/tracks/${id}/timeline`)).body;
    renderVersions();
  }
  return state.analyses[id];
}

async function showTrack(rootId) {
  const root = track(rootId);
  status(`analysing ${root.name}…`);
  renderVersions();
  const analysis = await loadAnalysis(rootId);
  if (!state.selected || state.selected.id !== rootId) return;
  renderFigures(analysis);
  drawLanes(rootId);
  status("");
  const audio = player.load(rootId).then(() => {
    if (player.a === rootId) { $("play").disabled = false; renderPlay(); }
  });
  await Promise.all([audio, renderAdvice(), state.compare ? setCompare(state.compare) : Promise.resolve()]);
  renderAB();
}

function renderFigures(a) {
  const tempo = a.tempo_bpm ? `${a.tempo_bpm.toFixed(1)} BPM${weakPulse(a) ? " (weak pulse)" : ""}` : "—";
  const figures = [
    ["Integrated", num(a.integrated_lufs, 1, "LUFS")], ["Loudness range", num(a.loudness_range_lu, 1, "LU")],
    ["True peak", num(a.true_peak_dbtp, 2, "dBTP")], ["Short-term max", num(a.short_term_max_lufs, 1, "LUFS")],
    ["PLR", num(a.plr_db, 1, "dB")], ["Tempo", tempo], ["Duration", fmtTime(a.duration_s)],
  ];
  $("figures").replaceChildren(...figures.map(([k, v]) => el("div", { class: "fig" }, el("b", { text: v }), el("span", { text: k }))));
}

function renderVersions() {
  const root = state.selected && state.selected.kind === "track" ? state.selected.id : null;
  if (!root) return;
  const line = lineOf(root);
  for (const node of document.querySelectorAll(".work-name")) node.textContent = track(state.working)?.name || "";
  $("versions").replaceChildren(...line.map((t) => {
    const measured = state.analyses[t.id] ? state.analyses[t.id].integrated_lufs : t.integrated_lufs;
    const done = !!state.analyses[t.id] || t.analysis_state === "done";
    const lufs = done ? (measured == null ? "silent" : num(measured, 1, "LUFS"))
      : t.analysis_state === "failed" ? "analysis failed" : "measuring…";
    return el("li", { class: t.id === state.working ? "working" : "", "data-track-id": t.id },
      el("span", { class: "vname", text: t.name }),
      el("span", { class: "made", text: `${t.parent_id ? t.made_by : "original"} · ${lufs}` }),
      el("span", { class: "actions" },
        el("button", { class: "small", type: "button", text: t.id === state.working ? "working on it" : "work on this",
          disabled: t.id === state.working, onclick: () => { state.working = t.id; renderVersions(); renderAdvice(); } }),
        t.parent_id ? el("button", { class: "small", type: "button", text: t.id === state.compare ? "is B" : "compare as B",
          disabled: t.id === state.compare, onclick: () => setCompare(t.id).catch((e) => status(e.message, true)) }) : "",
        el("a", { class: "button small", href: `/api/tracks/${t.id}/download`, download: t.name, text: "download" }),
        t.parent_id ? el("button", { class: "small", type: "button", text: "delete", onclick: () => deleteVersion(t.id).catch((e) => status(e.message, true)) }) : ""));
  }));
  const b = $("b-select");
  const versions = line.filter((t) => t.parent_id);
  b.replaceChildren(...(versions.length ? versions.map((t) => el("option", { value: t.id, text: t.name }))
    : [el("option", { value: "", text: "no version yet" })]));
  b.disabled = versions.length === 0;
  if (state.compare) b.value = state.compare;
}

async function deleteVersion(id) {
  if (!confirm(`Delete ${track(id).name} and the versions made from it?`)) return;
  await api(`/api/tracks/${id}`, { method: "DELETE" });
  await refreshLists();
  if (state.working && !track(state.working)) state.working = state.selected.id;
  if (state.compare && !track(state.compare)) {
    const versions = lineOf(state.selected.id).filter((t) => t.parent_id);
    state.compare = versions.length ? versions[versions.length - 1].id : null;
    if (state.compare) await setCompare(state.compare); else { player.setB(null); renderAB(); }
  }
  renderVersions();
}

async function renderAdvice() {
  const id = state.working;
  if (!id) return;
  const preset = selectedPreset() || "spotify";
  if (!state.analyses[id]) $("advice").replaceChildren(el("li", { class: "info", text: `measuring ${track(id)?.name || "the version"}…` }));
  try {
    const items = (await api(`/api/tracks/${id}/advice?preset=${encodeURIComponent(preset)}`)).body.advice;
    if (id !== state.working) return;
    $("advice").replaceChildren(...items.map((item) => el("li", {
      class: item.level, text: item.text, "data-kind": item.kind,
      "data-start": item.start_s === null ? null : item.start_s,
      onclick: item.start_s === null ? null : () => { player.seek(item.start_s); zoomTo(item.start_s - 2, (item.end_s || item.start_s) + 2); },
    })));
  } catch (e) { status(e.message, true); }
}

// ------------------------------------------------------------------ charts

function lanesLayout(height, extra = {}) {
  return {
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", height,
    margin: { l: MARGIN.l, r: MARGIN.r, t: 8, b: 22 }, font: { color: "#c9d1d9", size: 11 },
    showlegend: false, dragmode: "zoom", hovermode: "x",
    xaxis: { range: state.view || [0, state.duration], gridcolor: "#26303c", zeroline: false, tickformat: "", ticksuffix: " s" },
    ...extra,
  };
}

function loudnessTraces(id, colour, name, opacity = 1) {
  const tl = state.timelines[id];
  return [
    { x: tl.momentary.times_s, y: tl.momentary.lufs, type: "scatter", mode: "lines", name: `${name} momentary`,
      line: { color: colour, width: 1 }, opacity: 0.35 * opacity, showlegend: false, hovertemplate: "%{y:.1f} LUFS momentary<extra></extra>" },
    { x: tl.short_term.times_s, y: tl.short_term.lufs, type: "scatter", mode: "lines", name: `${name}: ${track(id)?.name || ""}`,
      line: { color: colour, width: 2 }, opacity, showlegend: true,
      hovertemplate: "%{y:.1f} LUFS short-term<extra>" + name + "</extra>" },
  ];
}

function oversTrace(id, ceiling, colour, name) {
  // True-peak overs: the columns whose true peak passes the platform's ceiling, marked at the top.
  const tp = state.timelines[id].true_peak;
  const x = [], values = [];
  tp.dbtp.forEach((v, i) => { if (v !== null && v > ceiling) { x.push(tp.times_s[i]); values.push(v); } });
  return { x, y: x.map(() => (name === "A" ? 0.8 : -0.8)), type: "scatter", mode: "markers", showlegend: x.length > 0,
    name: `${name}: true peak over ${num(ceiling, 0)} dBTP`, marker: { color: colour, symbol: "triangle-down", size: 8 },
    customdata: values, hovertemplate: `${name}: true peak %{customdata:+.2f} dBTP<extra>over the ceiling</extra>` };
}

function drawLanes(rootId) {
  const a = state.analyses[rootId];
  const tl = state.timelines[rootId];
  state.duration = a.duration_s || tl.duration_s;
  // Drawn again for the same track (a new B, another platform), the lanes keep their zoom.
  state.view = state.lanesReady && state.lanesRoot === rootId ? xRange() : [0, state.duration];
  state.lanesRoot = rootId;
  const preset = laneGoal();
  const ceiling = preset.ceiling_dbtp;
  const values = tl.short_term.lufs.filter((v) => v !== null);
  const low = Math.max(-70, Math.min(-30, (values.length ? Math.min(...values) : -40) - 6));
  const traces = loudnessTraces(rootId, "#4fc3f7", "A");
  if (state.compare && state.timelines[state.compare]) traces.push(...loudnessTraces(state.compare, "#ffb74d", "B", 0.9));
  traces.push(oversTrace(rootId, ceiling, "#ef5350", "A"));
  if (state.compare && state.timelines[state.compare]) traces.push(oversTrace(state.compare, ceiling, "#ff8a65", "B"));
  const shapes = [];
  const annotations = [];
  if (a.integrated_lufs !== null) {
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: a.integrated_lufs, y1: a.integrated_lufs,
      line: { color: "#4fc3f7", width: 1, dash: "dot" } });
    annotations.push({ xref: "paper", x: 0.005, y: a.integrated_lufs, text: `integrated ${num(a.integrated_lufs)} LUFS`,
      showarrow: false, xanchor: "left", yanchor: "bottom", font: { color: "#4fc3f7", size: 10 } });
  }
  if (preset) {
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: preset.target_lufs, y1: preset.target_lufs,
      line: { color: "#81c784", width: 1.5, dash: "dash" } });
    annotations.push({ xref: "paper", x: 0.995, y: preset.target_lufs, text: `${preset.label} target ${num(preset.target_lufs, 0)} LUFS`,
      showarrow: false, xanchor: "right", yanchor: "bottom", font: { color: "#81c784", size: 10 } });
  }
  // The legend sits above the plot: inside, it hid the true-peak overs marked along the top.
  Plotly.react("loudness-chart", traces, lanesLayout(324, {
    margin: { l: MARGIN.l, r: MARGIN.r, t: 32, b: 22 },
    showlegend: true, legend: { orientation: "h", x: 0, y: 1, xanchor: "left", yanchor: "bottom", font: { size: 11 } },
    yaxis: { range: [low, 2], fixedrange: true, gridcolor: "#26303c", zeroline: false, title: { text: "LUFS", standoff: 4 } },
    shapes, annotations,
  }), PLOT_CONFIG);
  drawMarkings(a);
  drawTempo(a);
  if (!state.lanesReady) {
    for (const id of ["loudness-chart", "markings-lane", "tempo-lane"]) {
      $(id).on("plotly_relayout", (ev) => syncZoom(id, ev));
      attachSeek($(id));
    }
    state.lanesReady = true;
  }
}

function markingLabels(markings, [x0, x1]) {
  // Each marking's name in the middle of the part of it that is in view.
  return markings.map((m) => {
    const lo = Math.max(m.start_s, x0), hi = Math.min(m.end_s, x1);
    return { x: lo < hi ? (lo + hi) / 2 : (m.start_s + m.end_s) / 2, y: 0.75, text: `<i><b>${m.marking}</b></i>`,
      showarrow: false, font: { color: "#fff", size: 13, family: "serif" } };
  });
}

function drawMarkings(a) {
  const shapes = [];
  for (const m of a.markings || []) {
    const k = Math.max(0, MARKINGS.indexOf(m.marking));
    shapes.push({ type: "rect", x0: m.start_s, x1: m.end_s, y0: 0.52, y1: 0.98, line: { width: 0 },
      fillcolor: MARK_COLOURS[k], opacity: 0.95 });
  }
  const annotations = markingLabels(a.markings || [], xRange());
  for (const h of a.hairpins || []) {
    const up = h.kind === "crescendo";
    const [open, point] = up ? [h.end_s, h.start_s] : [h.start_s, h.end_s];
    shapes.push({ type: "path", path: `M ${open},0.44 L ${point},0.26 L ${open},0.08`,
      line: { color: "#e6edf3", width: 2 } });
  }
  for (const f of a.flat_sections || []) {
    shapes.push({ type: "rect", x0: f.start_s, x1: f.end_s, y0: 0.04, y1: 0.48, line: { color: "#ffb74d", width: 1, dash: "dot" },
      fillcolor: "rgba(255,183,77,0.08)" });
    annotations.push({ x: f.start_s, y: 0.26, xanchor: "left", text: " flat", showarrow: false, font: { color: "#ffb74d", size: 10 } });
  }
  // An invisible trace gives the lane its hover text and a place for clicks.
  const hover = (a.markings || []).map((m) => (m.start_s + m.end_s) / 2);
  Plotly.react("markings-lane", [{ x: hover, y: hover.map(() => 0.75), type: "scatter", mode: "markers",
    marker: { opacity: 0 }, text: (a.markings || []).map((m) => `${m.marking} ${fmtTime(m.start_s)}–${fmtTime(m.end_s)}`),
    hovertemplate: "%{text}<extra></extra>" }], lanesLayout(92, {
    yaxis: { range: [0, 1], fixedrange: true, showticklabels: false, showgrid: false, zeroline: false, title: { text: "marks", standoff: 4 } },
    shapes, annotations, hovermode: "closest",
  }), PLOT_CONFIG);
}

function sure(reading) {
  // " (60 % sure)" for a reading under a confidence of 0.995, nothing otherwise: the readings the
  // CLI's timeline shows with "(confidence 0.60)" (mezzo/cli/analyze_cmd.py); 0.994 says 99 %.
  const c = reading.confidence;
  return c === undefined || c === null || c >= 0.995 ? "" : ` (${Math.round(100 * c)} % sure)`;
}

function drawTempo(a) {
  const curve = a.tempo_curve || [];
  const bpm = curve.map((p) => p.bpm);
  const lo = bpm.length ? Math.min(...bpm) : 100, hi = bpm.length ? Math.max(...bpm) : 140;
  const pad = Math.max(4, (hi - lo) * 0.25);
  const shapes = [], annotations = [];
  for (const b of a.buildups || []) {
    shapes.push({ type: "rect", x0: b.start_s, x1: b.end_s, yref: "paper", y0: 0, y1: 1, line: { width: 0 },
      fillcolor: "rgba(255,183,77,0.18)" });
    annotations.push({ x: b.start_s, yref: "paper", y: 0.98, xanchor: "left", yanchor: "top", text: ` build-up${sure(b)}`,
      showarrow: false, font: { color: "#ffb74d", size: 10 } });
  }
  for (const c of a.tempo_changes || []) {
    shapes.push({ type: "rect", x0: c.start_s, x1: c.end_s, yref: "paper", y0: 0, y1: 0.12, line: { width: 0 },
      fillcolor: "rgba(129,199,132,0.35)" });
    annotations.push({ x: c.start_s, yref: "paper", y: 0.02, xanchor: "left", yanchor: "bottom", text: ` ${c.kind}${sure(c)}`,
      showarrow: false, font: { color: "#81c784", size: 10 } });
  }
  for (const d of a.drops || []) {
    shapes.push({ type: "line", x0: d.time_s, x1: d.time_s, yref: "paper", y0: 0, y1: 1, line: { color: "#ef5350", width: 2 } });
    annotations.push({ x: d.time_s, yref: "paper", y: 0.98, xanchor: "left", yanchor: "top", text: ` DROP${sure(d)}`, showarrow: false,
      font: { color: "#ef5350", size: 11 } });
  }
  Plotly.react("tempo-lane", [{ x: curve.map((p) => p.time_s), y: bpm, type: "scatter", mode: "lines",
    line: { color: "#ce93d8", width: 2, dash: weakPulse(a) ? "dash" : "solid" },  // beats barely there
    hovertemplate: "%{y:.1f} BPM<extra></extra>" }], lanesLayout(130, {
    yaxis: { range: [lo - pad, hi + pad], fixedrange: true, gridcolor: "#26303c", zeroline: false, title: { text: "BPM", standoff: 4 } },
    shapes, annotations,
  }), PLOT_CONFIG);
}

function syncZoom(source, ev) {
  if (state.syncing) return;
  let update = null;
  if (ev["xaxis.autorange"] || ev["xaxis.range"] === undefined && ev["xaxis.range[0]"] === undefined && ev.autosize === undefined) {
    if (ev["xaxis.autorange"]) update = { "xaxis.range": [0, state.duration] };
  }
  if (ev["xaxis.range[0]"] !== undefined) update = { "xaxis.range": [ev["xaxis.range[0]"], ev["xaxis.range[1]"]] };
  if (Array.isArray(ev["xaxis.range"])) update = { "xaxis.range": ev["xaxis.range"] };
  if (!update) return;
  state.syncing = true;
  const others = ["loudness-chart", "markings-lane", "tempo-lane"].filter((id) => id !== source);
  const all = others.map((id) => Plotly.relayout(id, update));
  if (ev["xaxis.autorange"]) all.push(Plotly.relayout(source, update));
  Promise.all(all).then(relabel).finally(() => { state.syncing = false; });
}

function relabel() {
  const a = state.selected && state.analyses[state.selected.id];
  if (!a) return Promise.resolve();
  const labels = markingLabels(a.markings || [], xRange());
  const flat = ($("markings-lane").layout.annotations || []).slice(labels.length);
  return Plotly.relayout("markings-lane", { annotations: [...labels, ...flat] });
}

function zoomTo(t0, t1) {
  const range = [Math.max(0, t0), Math.min(state.duration, t1)];
  state.syncing = true;
  Promise.all(["loudness-chart", "markings-lane", "tempo-lane"].map((id) => Plotly.relayout(id, { "xaxis.range": range })))
    .then(relabel).finally(() => { state.syncing = false; });
}

function xRange() {
  const gd = $("loudness-chart");
  const axis = gd && gd.layout && gd.layout.xaxis;
  return axis && axis.range ? axis.range.map(Number) : [0, state.duration];
}

function attachSeek(node) {
  // A click (down and up within 4 px) on a lane moves the playhead there. Plotly covers the page with
  // its drag layer on pointerdown, so the pointerup lands on that layer: it is heard on the document.
  let down = null;
  node.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; }, true);
  document.addEventListener("pointerup", (e) => {
    if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) { down = null; return; }
    down = null;
    const box = node.getBoundingClientRect();
    const width = box.width - MARGIN.l - MARGIN.r;
    const x = e.clientX - box.left - MARGIN.l;
    if (x < 0 || x > width) return;
    const [x0, x1] = xRange();
    player.seek(x0 + (x / width) * (x1 - x0));
  }, true);
}

function placePlayhead() {
  const head = $("playhead");
  if (!state.duration || $("track-view").hidden) { head.hidden = true; return; }
  const t = player.position();
  const [x0, x1] = xRange();
  const width = $("lanes").clientWidth - MARGIN.l - MARGIN.r;
  if (t < x0 || t > x1 || width <= 0) { head.hidden = true; }
  else { head.hidden = false; head.style.left = `${MARGIN.l + ((t - x0) / (x1 - x0)) * width}px`; }
  $("clock").textContent = `${fmtTime(t)} / ${fmtTime(state.duration)}`;
}

// ------------------------------------------------------------------ playback: A/B, loudness-matched

class Player {
  constructor() {
    this.ctx = null; this.buffers = {}; this.loading = {}; this.sources = [];
    this.a = null; this.b = null; this.active = "A"; this.playing = false; this.offset = 0; this.startedAt = 0;
  }
  ensure() {
    if (!this.ctx) {
      this.ctx = new AudioContext();
      this.gainA = this.ctx.createGain(); this.gainB = this.ctx.createGain();
      this.gainA.connect(this.ctx.destination); this.gainB.connect(this.ctx.destination);
    }
    return this.ctx;
  }
  async load(id) {
    if (this.buffers[id]) return this.buffers[id];
    if (!this.loading[id]) {
      this.loading[id] = (async () => {
        const response = await fetch(`/api/tracks/${id}/audio`, { credentials: "same-origin" });
        if (!response.ok) throw new Error(`the audio of ${track(id)?.name || id} did not load (${response.status})`);
        const data = await response.arrayBuffer();
        this.buffers[id] = await this.ensure().decodeAudioData(data);
        return this.buffers[id];
      })();
    }
    return this.loading[id];
  }
  reset(id) { this.stop(); this.a = id; this.b = null; this.offset = 0; this.active = "A"; }
  setB(id) {
    if (id === this.b) return;
    const t = this.position();
    const was = this.playing;
    if (was) this.pause();
    this.b = id;
    if (!id) this.active = "A";
    this.offset = t;
    if (was) this.play();
    this.applyGains(true);
  }
  position() {
    // Sources start 30 ms after play(): until then the position is still the offset, never below it.
    if (!this.playing) return this.offset;
    return Math.max(this.offset, Math.min(this.ctx.currentTime - this.startedAt, state.duration || Infinity));
  }
  gains() {
    // Loudness match: the louder of A and B is turned down to the other's integrated loudness.
    const la = state.analyses[this.a]?.integrated_lufs, lb = state.analyses[this.b]?.integrated_lufs;
    if (!$("match").checked || la == null || lb == null) return [1, 1, 0];
    return la > lb ? [10 ** ((lb - la) / 20), 1, lb - la] : [1, 10 ** ((la - lb) / 20), la - lb];
  }
  applyGains(now = false) {
    if (!this.ctx) return;
    const [ga, gb] = this.gains();
    const t = this.ctx.currentTime;
    const to = (param, value) => (now ? param.setValueAtTime(value, t) : param.setTargetAtTime(value, t, 0.008));
    to(this.gainA.gain, this.active === "A" || !this.b ? ga : 0);
    to(this.gainB.gain, this.active === "B" && this.b ? gb : 0);
  }
  play() {
    const ctx = this.ensure();
    if (ctx.state === "suspended") ctx.resume();
    const bufA = this.buffers[this.a];
    if (!bufA) return;
    if (this.offset >= bufA.duration - 0.05) this.offset = 0;
    const when = ctx.currentTime + 0.03;
    this.sources = [];
    for (const [id, gain] of [[this.a, this.gainA], [this.b, this.gainB]]) {
      const buffer = id && this.buffers[id];
      if (!buffer) continue;
      const src = ctx.createBufferSource();
      src.buffer = buffer; src.connect(gain);
      src.start(when, Math.max(0, Math.min(this.offset, buffer.duration)));
      this.sources.push(src);
    }
    this.sources[0].onended = () => { if (this.playing && this.position() >= bufA.duration - 0.05) { this.pause(); this.offset = 0; renderPlay(); } };
    this.startedAt = when - this.offset;
    this.playing = true;
    this.applyGains(true);
  }
  pause() {
    if (!this.playing) return;
    this.offset = this.position();
    this.playing = false;
    for (const s of this.sources) { s.onended = null; try { s.stop(); } catch (e) { /* already stopped */ } }
    this.sources = [];
  }
  stop() { this.pause(); this.offset = 0; }
  seek(t) {
    const was = this.playing;
    this.pause();
    this.offset = Math.max(0, Math.min(t, state.duration || t));
    if (was) this.play();
    placePlayhead();
  }
  toggleAB() {
    if (!this.b) return;
    this.active = this.active === "A" ? "B" : "A";
    this.applyGains();
    renderAB();
  }
}
const player = new Player();

function renderPlay() { $("play").textContent = player.playing ? "❚❚ Pause" : "▶ Play"; }

function renderAB() {
  const button = $("ab-toggle");
  const b = player.b && track(player.b);
  button.disabled = !b;
  button.dataset.active = player.active;
  button.textContent = player.active === "A" || !b ? `A: ${track(player.a)?.name || "original"}` : `B: ${b.name}`;
  const info = $("ab-info");
  if (!b) { info.textContent = "Master or shape the track to compare versions."; return; }
  const la = state.analyses[player.a]?.integrated_lufs, lb = state.analyses[player.b]?.integrated_lufs;
  if (la == null || lb == null) { info.textContent = "measuring B…"; return; }
  const diff = lb - la;
  if (!$("match").checked) {
    info.textContent = `Not matched: B is ${num(Math.abs(diff))} dB ${diff >= 0 ? "louder" : "quieter"} than A — louder tends to sound better.`;
  } else if (Math.abs(diff) < 0.05) {
    info.textContent = `A and B are equally loud (${num(la)} LUFS): nothing to match.`;
  } else {
    const [which, by, from, to] = diff > 0 ? ["B", diff, lb, la] : ["A", -diff, la, lb];
    info.textContent = `Loudness-matched: ${which} is turned down ${num(by)} dB while comparing (${num(from)} → ${num(to)} LUFS).`;
  }
  info.dataset.matchDb = String(Math.abs(diff).toFixed(2));
}

async function setCompare(id) {
  state.compare = id;
  renderVersions();
  $("ab-info").textContent = "loading B…";
  await loadAnalysis(id);
  await player.load(id);
  if (state.compare !== id) return;
  player.setB(id);
  renderAB();
  drawLanes(state.selected.id);
}

// ------------------------------------------------------------------ master and shape

function presetInfo() {
  const name = $("preset").value;
  return state.session.presets.find((p) => p.name === name) || null;
}
function selectedPreset() { const p = presetInfo(); return p ? p.name : null; }
function laneGoal() {
  // The target and ceiling the lanes draw: the platform's, or the custom ones typed in.
  const preset = presetInfo();
  if (preset) return preset;
  const target = Number($("target-lufs").value), ceiling = Number($("ceiling-dbtp").value);
  return { label: "Custom", target_lufs: Number.isFinite(target) ? target : -14, ceiling_dbtp: Number.isFinite(ceiling) ? ceiling : -1 };
}

async function startVersionJob(path, payload, box, words) {
  words.replaceChildren();
  box.hidden = false;
  box.dataset.state = "queued";
  box.querySelector(".phase").textContent = "queued";
  box.querySelector("progress").removeAttribute("value");
  let job;
  try {
    job = (await postJSON(path, payload)).body;
  } catch (e) {
    box.dataset.state = "failed";
    box.querySelector(".phase").textContent = e.message;
    return null;
  }
  refreshJobs();
  const final = await followJob(job.job_id, box);
  if (final.state !== "done") return null;
  await refreshLists();
  renderVersions();
  return final;
}

async function master() {
  const payload = presetInfo() ? { preset: selectedPreset() }
    : { target_lufs: Number($("target-lufs").value), ceiling_dbtp: Number($("ceiling-dbtp").value) };
  if ($("glue").checked) payload.glue = true;
  $("download").hidden = true;
  $("master").disabled = true;
  try {
    const job = await startVersionJob(`/api/tracks/${state.working}/master`, payload, $("job-progress"), $("master-words"));
    if (!job) return;
    const made = track(job.result_track_id);
    const words = (made.report && made.report.words) || [];
    $("master-words").replaceChildren(...words.map((w) => el("li", { text: w })));
    const link = $("download");
    link.href = `/api/tracks/${made.id}/download`;
    link.setAttribute("download", made.name);
    link.textContent = `Download ${made.name}`;
    link.hidden = false;
    $("master").disabled = false;
    await setCompare(made.id);
  } finally {
    $("master").disabled = false;
  }
}

async function shape(payload) {
  const box = $("shape-progress");
  for (const b of document.querySelectorAll("#shape-panel button:not(.cancel)")) b.disabled = true;
  try {
    const job = await startVersionJob(`/api/tracks/${state.working}/shape`, payload, box, $("shape-words"));
    if (!job) return;
    const made = track(job.result_track_id);
    const r = made.report || {};
    const b = r.before || {}, a = r.after || {};
    const lines = [
      `${made.made_by}: integrated ${num(b.integrated_lufs)} → ${num(a.integrated_lufs)} LUFS, loudness range ${num(b.loudness_range_lu)} → ${num(a.loudness_range_lu)} LU, true peak ${num(b.true_peak_dbtp, 2)} → ${num(a.true_peak_dbtp, 2)} dBTP.`,
      ...(r.warnings || []),
    ];
    if (a.true_peak_dbtp > 0) lines.push("It peaks above 0 dBTP (kept intact in 32-bit float): master it before delivery.");
    $("shape-words").replaceChildren(...lines.map((w) => el("li", { text: w })));
    state.working = made.id;
    for (const b of document.querySelectorAll("#shape-panel button")) b.disabled = false;
    renderVersions();
    renderAdvice();
    await setCompare(made.id);
  } finally {
    for (const b of document.querySelectorAll("#shape-panel button")) b.disabled = false;
  }
}

// ------------------------------------------------------------------ stems

async function showStems(id) {
  const set = state.stemSets.find((s) => s.id === id);
  $("stems-title").textContent = `Stems: ${set.names.join(", ")}`;
  $("buried").replaceChildren();
  $("suggestions").replaceChildren();
  Plotly.purge("stems-lane");
  let response = (await api(`/api/stems/${id}?wait=0`)).body;
  if (!response.result && response.job_id) {
    await followJob(response.job_id, $("stems-progress"));
    response = (await api(`/api/stems/${id}`)).body;
  }
  $("stems-progress").hidden = true;
  if (!response.result) { status(response.error || "the stems could not be measured", true); return; }
  drawStems(response.result);
}

function drawStems(result) {
  const stems = result.stems;
  const n = stems.length;
  const traces = [], shapes = [], annotations = [];
  const colours = ["#4fc3f7", "#ffb74d", "#ce93d8", "#81c784", "#f06292", "#ffd54f", "#90a4ae", "#a1887f"];
  stems.forEach((s, i) => {
    const base = n - 1 - i;
    traces.push({ x: result.times_s, y: s.audibility.map((v) => (v === null ? null : base + 0.9 * v)), type: "scatter",
      mode: "lines", line: { color: colours[i % colours.length], width: 1.5 }, name: s.name,
      customdata: s.audibility, hovertemplate: `${s.name}: audibility %{customdata:.2f}<extra></extra>` });
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: base + 0.9 * result.buried_below, y1: base + 0.9 * result.buried_below,
      line: { color: "#444d59", width: 1, dash: "dot" } });
    for (const b of s.buried) {
      shapes.push({ type: "rect", x0: b.start_s, x1: b.end_s, y0: base, y1: base + 0.92, line: { width: 0 },
        fillcolor: "rgba(239,83,80,0.25)" });
      if (b.end_s - b.start_s >= 0.06 * result.duration_s) {  // short spans: the list below names them
        annotations.push({ x: b.start_s, y: base + 0.85, xanchor: "left", text: ` under ${b.masked_by.join(", ")}`,
          showarrow: false, font: { color: "#ef9a9a", size: 10 } });
      }
    }
  });
  Plotly.react("stems-lane", traces, {
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", height: 70 * n + 50,
    margin: { l: 90, r: 18, t: 10, b: 26 }, font: { color: "#c9d1d9", size: 11 }, showlegend: false, hovermode: "closest",
    xaxis: { range: [0, result.duration_s], ticksuffix: " s", gridcolor: "#26303c", zeroline: false },
    yaxis: { range: [0, n], fixedrange: true, tickvals: stems.map((_, i) => n - 1 - i + 0.45), ticktext: stems.map((s) => s.name),
      showgrid: false, zeroline: false },
    shapes, annotations,
  }, PLOT_CONFIG);
  const buried = [];
  for (const s of stems) {
    for (const b of s.buried) {
      const band = b.band_hz ? ` around ${Math.round(b.band_hz[0])}–${Math.round(b.band_hz[1])} Hz` : "";
      const need = b.needed_db !== null && b.needed_db !== undefined ? `; it would need about ${num(b.needed_db)} dB more there` : "";
      buried.push(el("li", { class: "warn", text: `${s.name} is buried from ${fmtTime(b.start_s)} to ${fmtTime(b.end_s)} under ${b.masked_by.join(" and ")}${band}${need}.` }));
    }
  }
  if (!buried.length) buried.push(el("li", { class: "good", text: "No stem is buried: every one is heard in the mix." }));
  $("buried").replaceChildren(...buried);
  const remedies = (result.suggestions || []).map((s) => el("li", { class: "info", text: s.text || s.message || JSON.stringify(s) }));
  $("suggestions").replaceChildren(...remedies);
  $("suggestions-box").open = remedies.length <= 8;
  $("suggestions-count").textContent = `${remedies.length} remed${remedies.length === 1 ? "y" : "ies"}`;
}

// ------------------------------------------------------------------ uploads

function upload(files, asStems) {
  const form = new FormData();
  for (const f of files) form.append("file", f, f.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", asStems ? "/api/stems" : "/api/tracks");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) status(`uploading ${Math.round((100 * e.loaded) / e.total)} %…`); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body); else reject(new Error((body && body.error) || `upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("the upload failed: is the studio still running?"));
    xhr.send(form);
  });
}

async function addFiles(files, asStems) {
  if (!files.length) return;
  if (asStems && files.length < 2) { status("stems: choose at least two files (the mix is their sum)", true); return; }
  try {
    const body = await upload(files, asStems);
    status("");
    await refreshLists();
    if (asStems) await select("stems", body.id); else await select("track", body.tracks[0].id);
  } catch (e) { status(e.message, true); }
}

async function openDemo(stems) {
  status(stems ? "rendering the demo stems…" : "rendering the demo track…");
  try {
    const job = (await postJSON("/api/demo", { stems })).body;
    refreshJobs();
    let final;
    do { await sleep(400); final = (await api(`/api/jobs/${job.job_id}`)).body; } while (!["done", "failed", "cancelled"].includes(final.state));
    if (final.state !== "done") throw new Error(`the demo could not be rendered: ${final.error || final.state}`);
    status("");
    await refreshLists();
    if (stems) await select("stems", final.result.stems_id); else await select("track", final.result_track_id);
  } catch (e) { status(e.message, true); }
}

// ------------------------------------------------------------------ start

function wire() {
  $("play").addEventListener("click", () => { if (player.playing) player.pause(); else player.play(); renderPlay(); });
  $("ab-toggle").addEventListener("click", () => player.toggleAB());
  $("match").addEventListener("change", () => { player.applyGains(); renderAB(); });
  $("b-select").addEventListener("change", (e) => e.target.value && setCompare(e.target.value).catch((err) => status(err.message, true)));
  $("track-select").addEventListener("change", (e) => {
    const [kind, id] = e.target.value.split(":");
    select(kind, id).catch((err) => status(err.message, true));
  });
  $("preset").addEventListener("change", () => {
    $("custom-target").hidden = $("preset").value !== "custom";
    if (state.selected && state.selected.kind === "track" && state.analyses[state.selected.id]) drawLanes(state.selected.id);
    renderAdvice();
  });
  for (const id of ["target-lufs", "ceiling-dbtp"]) {
    $(id).addEventListener("change", () => {
      if (state.selected && state.selected.kind === "track" && state.analyses[state.selected.id]) drawLanes(state.selected.id);
    });
  }
  $("master").addEventListener("click", () => master().catch((err) => status(err.message, true)));
  const shapeWith = (payload) => shape(payload).catch((err) => status(err.message, true));
  $("apply-marks").addEventListener("click", () => shapeWith({ kind: "marks", marks: $("marks").value }));
  $("marks").addEventListener("keydown", (e) => { if (e.key === "Enter") $("apply-marks").click(); });
  $("apply-compressor").addEventListener("click", () => shapeWith({ kind: "compressor", preset: $("compressor-preset").value }));
  $("apply-leveler").addEventListener("click", () => shapeWith({ kind: "leveler", target_lufs: Number($("leveler-target").value) }));
  $("upload-input").addEventListener("change", (e) => { addFiles([...e.target.files], false); e.target.value = ""; });
  $("stems-input").addEventListener("change", (e) => { addFiles([...e.target.files], true); e.target.value = ""; });
  for (const id of ["demo", "demo-big"]) $(id).addEventListener("click", () => openDemo(false));
  $("demo-stems").addEventListener("click", () => openDemo(true));
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.code === "Space") { e.preventDefault(); $("play").click(); }
    else if (e.key === "a" || e.key === "A") { e.preventDefault(); player.toggleAB(); }
  });
  let depth = 0;
  document.addEventListener("dragenter", (e) => { e.preventDefault(); depth += 1; $("drop-cover").hidden = false; });
  document.addEventListener("dragleave", () => { depth -= 1; if (depth <= 0) { depth = 0; $("drop-cover").hidden = true; } });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault(); depth = 0; $("drop-cover").hidden = true;
    const files = [...e.dataTransfer.files];
    addFiles(files, files.length > 1);
  });
  const frame = () => { placePlayhead(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}

async function start() {
  wire();
  state.session = (await api("/api/session")).body;
  $("preset").replaceChildren(...state.session.presets.map((p) =>
    el("option", { value: p.name, text: `${p.label} (${p.target_lufs} LUFS, ${p.ceiling_dbtp} dBTP)` })),
    el("option", { value: "custom", text: "Custom target and ceiling…" }));
  $("compressor-preset").replaceChildren(...state.session.compressor_presets.map((p) =>
    el("option", { value: p.name, text: `${p.name} — ${p.use}` })));
  $("leveler-target").value = state.session.leveler.target_lufs;
  const count = await refreshLists();
  refreshJobs();
  if (count) {
    // What the command line opened comes first; else the first track in the list.
    const opened = state.session.opened.find((o) => $("track-select").querySelector(`option[value="${o.kind}:${o.id}"]`));
    const [kind, id] = opened ? [opened.kind, opened.id] : $("track-select").value.split(":");
    await select(kind, id);
  }
}

window.addEventListener("DOMContentLoaded", () => start().catch((e) => status(e.message, true)));
