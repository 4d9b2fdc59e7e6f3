/* Metric history charts (uPlot): one chart per [data-chart] element, fed by the JSON API.
   data-key: the metric; data-runs: comma-separated run ids (several runs are overlaid). */
(function () {
  "use strict";
  var COLORS = ["#0b62c4", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#3d5a80", "#8ab17d", "#b56576"];
  var HEIGHT = 200;

  function history(runId, key) {
    var url = "/api/runs/" + encodeURIComponent(runId) + "/metrics/history?key=" + encodeURIComponent(key);
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  // Non-finite values arrive as strings ("NaN", "Infinity"): draw them as gaps.
  function finite(v) { return typeof v === "number" && isFinite(v) ? v : null; }

  // uPlot wants one shared, sorted x array: the union of every run's steps.
  function align(series) {
    var seen = {}, steps = [];
    series.forEach(function (s) {
      s.points.forEach(function (p) { if (!seen.hasOwnProperty(p.step)) { seen[p.step] = true; steps.push(p.step); } });
    });
    steps.sort(function (a, b) { return a - b; });
    var index = {};
    steps.forEach(function (s, i) { index[s] = i; });
    var ys = series.map(function (s) {
      var y = steps.map(function () { return null; });
      s.points.forEach(function (p) { y[index[p.step]] = finite(p.value); });
      return y;
    });
    return [steps].concat(ys);
  }

  function draw(el, series) {
    var data = align(series);
    var axis = { stroke: "#656d76", grid: { stroke: "#eaeef2", width: 1 }, ticks: { stroke: "#d8dee4", width: 1 } };
    var opts = {
      width: Math.max(el.clientWidth, 240),
      height: HEIGHT,
      scales: { x: { time: false } },
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      axes: [axis, Object.assign({ size: 64 }, axis)],
      series: [{ label: "step" }].concat(series.map(function (s, i) {
        return {
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          width: 1.75,
          spanGaps: true,
          points: { show: data[0].length <= 60, size: 5 },
        };
      })),
    };
    el.textContent = "";
    var plot = new uPlot(opts, data, el);
    el.setAttribute("data-drawn", String(data[0].length));
    if (window.ResizeObserver) {
      new ResizeObserver(function () { plot.setSize({ width: Math.max(el.clientWidth, 240), height: HEIGHT }); }).observe(el);
    }
  }

  function load(el) {
    var key = el.getAttribute("data-key");
    var runs = (el.getAttribute("data-runs") || "").split(",").filter(Boolean);
    Promise.all(runs.map(function (id) { return history(id, key); })).then(function (results) {
      var series = results.filter(Boolean).map(function (r) {
        return { name: r.run_name || r.run_id.slice(0, 8), points: r.history };
      });
      if (!series.length) { el.textContent = "No history recorded."; return; }
      var longest = Math.max.apply(null, series.map(function (s) { return s.points.length; }));
      var card = el.closest(".chart-card");
      if (longest < 2 && card && el.hasAttribute("data-skip-single")) { card.remove(); return; }
      draw(el, series);
    });
  }

  document.querySelectorAll("[data-chart]").forEach(load);
})();
