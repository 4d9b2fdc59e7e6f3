/* Metric history charts (uPlot), one per [data-chart] element.
   data-key: the metric; data-runs: comma-separated run ids, or data-runs-from: the id of an element whose
   data-runs-json is [{id, name}] (compare). One request per chart fetches every run's series, down-sampled on
   the server to the visible range; zooming re-fetches that range; double-click resets.
   Charts load when they scroll into view. window.autologCharts lets live.js append new points. */
(function () {
  "use strict";
  var COLORS = ["#0b62c4", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#3d5a80", "#8ab17d", "#b56576"];
  var HEIGHT = 200, EAGER = 4, LEGEND_MAX = 12, POINT_BUDGET = 16000, ZOOM_DELAY_MS = 150;
  var charts = {};

  function finite(v) { return typeof v === "number" && isFinite(v) ? v : null; }

  function runsOf(el) {
    var from = el.getAttribute("data-runs-from");
    if (from) return JSON.parse(document.getElementById(from).getAttribute("data-runs-json"));
    return (el.getAttribute("data-runs") || "").split(",").filter(Boolean).map(function (id) {
      return { id: id, name: el.getAttribute("data-run-name") || id.slice(0, 8) };
    });
  }

  // Points per series: a few thousand in all, at least 60 per run, at most 2,000.
  function perSeries(n) { return Math.max(60, Math.min(2000, Math.floor(POINT_BUDGET / Math.max(1, n)))); }

  function fetchSeries(chart, range) {
    var q = ["key=" + encodeURIComponent(chart.key), "max_points=" + perSeries(chart.runs.length)];
    chart.runs.forEach(function (r) { q.push("run=" + encodeURIComponent(r.id)); });
    if (range) { q.push("min_step=" + Math.floor(range[0])); q.push("max_step=" + Math.ceil(range[1])); }
    return fetch("/api/metrics/histories?" + q.join("&"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { series: [] }; });
  }

  // uPlot wants one shared, sorted x array: the union of every series' steps.
  function align(chart, series) {
    var seen = new Map(), steps = [];
    series.forEach(function (s) { s.steps.forEach(function (x) { if (!seen.has(x)) { seen.set(x, 0); steps.push(x); } }); });
    steps.sort(function (a, b) { return a - b; });
    steps.forEach(function (x, i) { seen.set(x, i); });
    var byRun = {};
    series.forEach(function (s) { byRun[s.run_id] = s; });
    var ys = chart.runs.map(function (r) {
      var y = new Array(steps.length).fill(null), s = byRun[r.id];
      if (s) for (var i = 0; i < s.steps.length; i++) y[seen.get(s.steps[i])] = finite(s.values[i]);
      return y;
    });
    return [steps].concat(ys);
  }

  function readout(chart, u) {
    var idx = u.cursor.idx, line = chart.readout;
    if (!line) return;
    if (idx == null) { line.textContent = ""; return; }
    var best = null, top = u.cursor.top;
    for (var i = 1; i < u.data.length; i++) {
      var v = u.data[i][idx];
      if (v == null) continue;
      var d = Math.abs(u.valToPos(v, "y") - top);
      if (best === null || d < best.d) best = { d: d, i: i, v: v };
    }
    line.textContent = best ? "step " + u.data[0][idx] + " · " + chart.runs[best.i - 1].name + " = " + best.v.toPrecision(5) : "";
  }

  function create(chart, data) {
    var el = chart.el, many = chart.runs.length > LEGEND_MAX;
    var axis = { stroke: "#656d76", grid: { stroke: "#eaeef2", width: 1 }, ticks: { stroke: "#d8dee4", width: 1 } };
    var opts = {
      width: Math.max(el.clientWidth, 240), height: HEIGHT,
      scales: { x: { time: false } },
      legend: { show: !many, live: true },
      cursor: { bind: { dblclick: function () { return function () { reset(chart); return null; }; } } },
      axes: [axis, Object.assign({ size: 64 }, axis)],
      hooks: { setScale: [function (u, key) { if (key === "x") zoomed(chart, u); }],
               setCursor: [function (u) { if (many) readout(chart, u); }] },
      series: [{ label: "step" }].concat(chart.runs.map(function (r, i) {
        return { label: r.name, stroke: COLORS[i % COLORS.length], width: many ? 1 : 1.75, spanGaps: true,
                 points: { show: data[0].length <= 60 && !many, size: 5 } };
      })),
    };
    el.textContent = "";
    chart.plot = new uPlot(opts, data, el);
    if (many) { chart.readout = document.createElement("div"); chart.readout.className = "chart-readout"; el.appendChild(chart.readout); }
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.plot.setSize({ width: Math.max(el.clientWidth, 240), height: HEIGHT }); }).observe(el);
    }
  }

  function show(chart, data, keepScale) {
    chart.busy = true;
    if (!chart.plot) create(chart, data); else chart.plot.setData(data, !keepScale);
    chart.busy = false;
    chart.el.setAttribute("data-drawn", String(data[0].length));
    chart.el.setAttribute("data-points", String(data.slice(1).reduce(function (n, y) { return n + y.filter(function (v) { return v !== null; }).length; }, 0)));
  }

  function zoomed(chart, u) {
    if (chart.busy || !chart.full) return;
    var min = u.scales.x.min, max = u.scales.x.max, all = chart.full[0];
    if (min <= all[0] && max >= all[all.length - 1]) return;
    clearTimeout(chart.timer);
    chart.timer = setTimeout(function () {
      var asked = ++chart.request;
      fetchSeries(chart, [min, max]).then(function (body) {
        if (asked !== chart.request) return;
        chart.series = body.series;
        show(chart, align(chart, body.series), true);
        chart.el.setAttribute("data-zoomed", min + ":" + max);
      });
    }, ZOOM_DELAY_MS);
  }

  function reset(chart) {
    if (!chart.full) return;
    chart.request++;
    chart.series = chart.fullSeries;
    show(chart, chart.full, false);
    chart.el.removeAttribute("data-zoomed");
  }

  function load(chart) {
    var started = performance.now();
    chart.request = 1;
    fetchSeries(chart, null).then(function (body) {
      var series = body.series;
      if (!series.length) { chart.el.textContent = "No history recorded."; return; }
      var longest = Math.max.apply(null, series.map(function (s) { return s.steps.length; }));
      var card = chart.el.closest(".chart-card");
      if (longest < 2 && card && chart.el.hasAttribute("data-skip-single") && !chart.el.hasAttribute("data-live")) { card.remove(); return; }
      chart.series = chart.fullSeries = series;
      chart.full = align(chart, series);
      show(chart, chart.full, false);
      var ms = performance.now() - started;
      chart.el.setAttribute("data-render-ms", ms.toFixed(1));
      performance.mark("autolog-chart:" + chart.key);
    });
  }

  /* For live.js: append points (already newer than what the chart holds) to one run's series. */
  function append(key, runId, steps, values) {
    var chart = charts[key];
    if (!chart || !chart.fullSeries) return false;
    var s = chart.fullSeries.filter(function (x) { return x.run_id === runId; })[0];
    if (!s) { s = { run_id: runId, steps: [], values: [] }; chart.fullSeries.push(s); }
    s.steps = s.steps.concat(steps);
    s.values = s.values.concat(values);
    chart.full = align(chart, chart.fullSeries);
    if (!chart.el.hasAttribute("data-zoomed")) { chart.series = chart.fullSeries; show(chart, chart.full, false); }
    return true;
  }

  var observer = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) return;
      observer.unobserve(e.target);
      load(charts[e.target.getAttribute("data-key")]);
    });
  }, { rootMargin: "200px" }) : null;

  function register(el, index) {
    var chart = { el: el, key: el.getAttribute("data-key"), runs: runsOf(el), request: 0 };
    charts[chart.key] = chart;
    if (observer && index >= EAGER) observer.observe(el); else load(chart);
    return chart;
  }

  // The first few charts load at once, the rest when they come near the viewport.
  document.querySelectorAll("[data-chart]").forEach(register);
  window.autologCharts = { append: append, register: register, charts: charts };
})();
