/* Evaluation plots of a run, drawn from the small JSON artifacts under evaluation/ (no images):
   confusion matrix, ROC / precision-recall / calibration curves, predicted vs actual, residual
   histogram, feature importance; for searches, parallel coordinates and param vs score.
   The container is [data-evaluation] with data-run = the run id. Curves use the vendored uPlot. */
(function () {
  "use strict";
  var COLORS = ["#0b62c4", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#3d5a80", "#8ab17d", "#b56576"];
  var HEIGHT = 240;
  var AXIS = { stroke: "#656d76", grid: { stroke: "#eaeef2", width: 1 }, ticks: { stroke: "#d8dee4", width: 1 } };

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) { return text === null ? null : JSON.parse(text); })
      .catch(function () { return null; });
  }

  function artifactURL(runId, path) {
    return "/runs/" + encodeURIComponent(runId) + "/artifacts/download?path=" + encodeURIComponent(path);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(parent, title, id) {
    var box = el("div", "chart-card");
    if (id) box.setAttribute("data-plot", id);
    box.appendChild(el("h3", null, title));
    var body = el("div", "chart");
    box.appendChild(body);
    parent.appendChild(box);
    return body;
  }

  // Several curves with their own x values in one uPlot: every point gets its own x slot (sorted,
  // stable), the other curves are null there and spanGaps joins each curve's own points.
  function mergeCurves(curves) {
    var points = [];
    curves.forEach(function (c, s) {
      c.x.forEach(function (x, i) { points.push({ x: x, s: s, y: c.y[i], i: points.length }); });
    });
    points.sort(function (a, b) { return a.x - b.x || a.i - b.i; });
    var xs = points.map(function (p) { return p.x; });
    var ys = curves.map(function (_, s) {
      return points.map(function (p) { return p.s === s ? p.y : null; });
    });
    return [xs].concat(ys);
  }

  function linePlot(target, curves, labels, options) {
    options = options || {};
    var data = mergeCurves(curves);
    var series = [{ label: labels.x }].concat(curves.map(function (c, i) {
      var s = { label: c.label, stroke: c.color || COLORS[i % COLORS.length], width: c.width || 1.75, spanGaps: true,
        points: { show: !!c.points, size: 4, fill: c.color || COLORS[i % COLORS.length] } };
      if (c.dash) s.dash = c.dash;
      if (c.points) s.paths = function () { return null; };
      return s;
    }));
    var xAxis = Object.assign({ label: labels.x }, AXIS);
    if (options.xValues) xAxis.values = options.xValues;
    var opts = {
      width: Math.max(target.clientWidth, 260), height: HEIGHT,
      scales: { x: { time: false, range: options.xRange, distr: options.xLog ? 3 : 1 }, y: { range: options.yRange } },
      legend: { live: false },
      axes: [xAxis, Object.assign({ label: labels.y, size: 60 }, AXIS)],
      series: series,
    };
    target.textContent = "";
    var plot = new uPlot(opts, data, target);
    target.setAttribute("data-drawn", String(curves.length));
    if (window.ResizeObserver) {
      new ResizeObserver(function () { plot.setSize({ width: Math.max(target.clientWidth, 260), height: HEIGHT }); }).observe(target);
    }
    return plot;
  }

  function diagonal(lo, hi) { return { label: "ideal", x: [lo, hi], y: [lo, hi], color: "#8c959f", dash: [4, 4], width: 1 }; }

  function fmt(v) { return typeof v === "number" ? (Math.abs(v) >= 1000 || v === Math.round(v) ? String(Math.round(v * 1000) / 1000) : String(Number(v.toPrecision(4)))) : String(v); }

  // -- classifier plots ---------------------------------------------------------------------------

  function confusionMatrix(parent, cm) {
    var target = card(parent, "confusion matrix (rows: actual, columns: predicted)", "confusion_matrix");
    var table = el("table", "confusion");
    var max = 0;
    cm.counts.forEach(function (row) { row.forEach(function (v) { max = Math.max(max, v); }); });
    var head = el("tr");
    head.appendChild(el("th", null, ""));
    cm.labels.forEach(function (label) { head.appendChild(el("th", "mono", label)); });
    table.appendChild(head);
    cm.counts.forEach(function (row, r) {
      var tr = el("tr");
      tr.appendChild(el("th", "mono", cm.labels[r]));
      row.forEach(function (v, c) {
        var td = el("td", "num", fmt(v));
        var strength = max ? v / max : 0;
        td.style.background = (r === c ? "rgba(26,127,55," : "rgba(207,34,46,") + (0.08 + 0.6 * strength).toFixed(3) + ")";
        td.style.padding = "0.25rem 0.6rem";
        td.style.textAlign = "right";
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    target.appendChild(table);
    target.setAttribute("data-drawn", String(cm.labels.length));
  }

  function curvesPlot(parent, title, id, curves, labels, withDiagonal, summary) {
    var target = card(parent, title, id);
    var list = curves.map(function (c, i) {
      return { label: c.label + (summary && c[summary] !== undefined ? " (" + summary.replace("_", " ") + " " + fmt(c[summary]) + ")" : ""),
        x: c.x, y: c.y, color: COLORS[i % COLORS.length] };
    });
    if (withDiagonal) list.push(diagonal(0, 1));
    linePlot(target, list, labels, { xRange: [0, 1], yRange: [0, 1] });
  }

  // -- regressor plots ----------------------------------------------------------------------------

  function predictedVsActual(parent, data) {
    var target = card(parent, "predicted vs actual (" + data.actual.length + " of " + data.rows + " rows)", "predicted_vs_actual");
    var lo = Math.min.apply(null, data.actual.concat(data.predicted));
    var hi = Math.max.apply(null, data.actual.concat(data.predicted));
    linePlot(target, [{ label: "rows", x: data.actual, y: data.predicted, points: true }, diagonal(lo, hi)],
      { x: "actual", y: "predicted" });
  }

  function histogram(parent, data) {
    var target = card(parent, "residuals (actual − predicted)", "residual_histogram");
    var centers = data.counts.map(function (_, i) { return (data.edges[i] + data.edges[i + 1]) / 2; });
    var opts = {
      width: Math.max(target.clientWidth, 260), height: HEIGHT, legend: { show: false },
      scales: { x: { time: false } },
      axes: [Object.assign({ label: "residual" }, AXIS), Object.assign({ label: "rows", size: 50 }, AXIS)],
      series: [{}, { label: "rows", fill: "rgba(11,98,196,0.35)", stroke: "#0b62c4",
        paths: uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.95, 100] }) : undefined }],
    };
    target.textContent = "";
    new uPlot(opts, [centers, data.counts], target);
    target.setAttribute("data-drawn", String(centers.length));
  }

  // -- feature importance -------------------------------------------------------------------------

  function importance(parent, data) {
    var target = card(parent, "feature " + data.kind + " (top " + data.features.length + ")", "feature_importance");
    var max = 0;
    data.values.forEach(function (v) { max = Math.max(max, Math.abs(v)); });
    var list = el("div", "bars");
    data.features.forEach(function (name, i) {
      var v = data.values[i];
      var row = el("div");
      row.style.display = "grid";
      row.style.gridTemplateColumns = "minmax(6rem, 30%) 1fr 5rem";
      row.style.gap = "0.5rem";
      row.style.alignItems = "center";
      row.style.fontSize = "0.82rem";
      var label = el("span", "mono", name);
      label.title = name;
      label.style.overflow = "hidden";
      label.style.textOverflow = "ellipsis";
      label.style.whiteSpace = "nowrap";
      var track = el("span");
      var bar = el("span");
      bar.style.display = "block";
      bar.style.height = "0.7rem";
      bar.style.width = (max ? (100 * Math.abs(v) / max) : 0).toFixed(1) + "%";
      bar.style.background = v < 0 ? "#d1495b" : "#0b62c4";
      track.appendChild(bar);
      row.appendChild(label);
      row.appendChild(track);
      row.appendChild(el("span", "num", fmt(v)));
      list.appendChild(row);
    });
    target.appendChild(list);
    target.setAttribute("data-drawn", String(data.features.length));
  }

  // -- searches -------------------------------------------------------------------------------------

  // Numbers spanning two decades or more (C, alpha, tol) are shown on a log scale.
  function isLogScale(values) {
    var finite = values.filter(function (v) { return typeof v === "number" && isFinite(v); });
    if (!finite.length) return false;
    var low = Math.min.apply(null, finite), high = Math.max.apply(null, finite);
    return low > 0 && high / low >= 100;
  }

  function axisValues(column) {
    if (column.type === "number" && isLogScale(column.values)) {
      return { values: column.values.map(function (v) { return typeof v === "number" && v > 0 ? Math.log10(v) : null; }), categories: null, log: true };
    }
    if (column.type === "number") return { values: column.values, categories: null };
    var categories = [];
    column.values.forEach(function (v) { if (categories.indexOf(v) < 0) categories.push(v); });
    return { values: column.values.map(function (v) { return categories.indexOf(v); }), categories: categories };
  }

  function scoreColor(t) {  // low scores red, high scores blue
    var r = Math.round(209 + (11 - 209) * t), g = Math.round(73 + (98 - 73) * t), b = Math.round(91 + (196 - 91) * t);
    return "rgba(" + r + "," + g + "," + b + ",0.75)";
  }

  function parallelCoordinates(parent, search) {
    var target = card(parent, "parallel coordinates (" + search.scores.length + " candidates, colour: " + search.score + ")", "parallel_coordinates");
    var names = Object.keys(search.params);
    var axes = names.map(function (n) { var a = axisValues(search.params[n]); a.name = n; return a; });
    axes.push({ name: search.score, values: search.scores, categories: null });
    var canvas = el("canvas");
    var width = Math.max(target.clientWidth, 360), height = 300, ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    target.appendChild(canvas);
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var left = 50, right = width - 60, top = 28, bottom = height - 30;
    var step = axes.length > 1 ? (right - left) / (axes.length - 1) : 0;
    axes.forEach(function (a) {
      var finite = a.values.filter(function (v) { return typeof v === "number" && isFinite(v); });
      a.min = Math.min.apply(null, finite);
      a.max = Math.max.apply(null, finite);
      if (!(a.max > a.min)) { a.min -= 0.5; a.max += 0.5; }
    });
    function y(a, v) { return bottom - (bottom - top) * (v - a.min) / (a.max - a.min); }
    var scores = axes[axes.length - 1];
    var order = search.scores.map(function (_, i) { return i; });
    order.sort(function (i, j) { return (search.scores[i] || 0) - (search.scores[j] || 0); });  // best drawn last
    order.forEach(function (row) {
      ctx.beginPath();
      var started = false;
      axes.forEach(function (a, k) {
        var v = a.values[row];
        if (typeof v !== "number" || !isFinite(v)) { started = false; return; }
        var px = left + k * step, py = y(a, v);
        if (started) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        started = true;
      });
      var s = search.scores[row];
      ctx.strokeStyle = scoreColor(typeof s === "number" ? (s - scores.min) / (scores.max - scores.min) : 0);
      ctx.lineWidth = search.rank[row] === 1 ? 2.5 : 1.2;
      ctx.stroke();
    });
    ctx.fillStyle = "#1f2328";
    ctx.strokeStyle = "#8c959f";
    ctx.font = "11px sans-serif";
    ctx.textAlign = "center";
    axes.forEach(function (a, k) {
      var px = left + k * step;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.fillText(a.name, px, top - 12);
      var low = a.categories ? a.categories[0] : fmt(a.log ? Math.pow(10, a.min) : a.min);
      var high = a.categories ? a.categories[a.categories.length - 1] : fmt(a.log ? Math.pow(10, a.max) : a.max);
      if (a.log) ctx.fillText("(log scale)", px, bottom + 26);
      ctx.fillText(String(high), px, top - 1);
      ctx.fillText(String(low), px, bottom + 14);
    });
    target.setAttribute("data-drawn", String(search.scores.length));
  }

  function paramVsScore(parent, search) {
    Object.keys(search.params).forEach(function (name) {
      var target = card(parent, name + " vs " + search.score, "param_vs_score");
      var column = search.params[name];
      var log = column.type === "number" && isLogScale(column.values);
      var a = log ? { values: column.values, categories: null } : axisValues(column);
      var pairs = [];
      a.values.forEach(function (v, i) {
        if (typeof v === "number" && isFinite(v) && typeof search.scores[i] === "number") pairs.push([v, search.scores[i]]);
      });
      pairs.sort(function (p, q) { return p[0] - q[0]; });
      var options = { xLog: log };
      if (log) {  // label the powers of ten only (uPlot also places the ticks between them)
        options.xValues = function (_, ticks) {
          return ticks.map(function (t) {
            return typeof t === "number" && t > 0 && Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9 ? fmt(t) : "";
          });
        };
      }
      if (a.categories) {
        options.xRange = [-0.5, a.categories.length - 0.5];
        options.xValues = function (_, ticks) {
          return ticks.map(function (t) { return t === Math.round(t) && a.categories[t] !== undefined ? a.categories[t] : ""; });
        };
      }
      linePlot(target, [{ label: "candidates", x: pairs.map(function (p) { return p[0]; }),
        y: pairs.map(function (p) { return p[1]; }), points: true }], { x: name, y: search.score }, options);
    });
  }

  // -- one dataset ------------------------------------------------------------------------------------

  function drawDataset(section, name, data) {
    section.appendChild(el("h3", null, name === "search" ? "Search" : "Evaluation: " + name));
    var grid = el("div", "charts");
    section.appendChild(grid);
    if (data.kind === "search") {
      parallelCoordinates(grid, data);
      paramVsScore(grid, data);
      return;
    }
    if (data.confusion_matrix) confusionMatrix(grid, data.confusion_matrix);
    if (data.roc_curve) curvesPlot(grid, "ROC curve", "roc_curve", data.roc_curve, { x: "false positive rate", y: "true positive rate" }, true, "auc");
    if (data.precision_recall_curve) curvesPlot(grid, "precision-recall curve", "precision_recall_curve", data.precision_recall_curve, { x: "recall", y: "precision" }, false, "average_precision");
    if (data.calibration_curve) curvesPlot(grid, "calibration curve", "calibration_curve",
      [{ label: "observed", x: data.calibration_curve.x, y: data.calibration_curve.y }], { x: "mean predicted probability", y: "fraction of positives" }, true);
    if (data.predicted_vs_actual) predictedVsActual(grid, data.predicted_vs_actual);
    if (data.residual_histogram) histogram(grid, data.residual_histogram);
    if (data.feature_importance) importance(grid, data.feature_importance);
  }

  function load(container) {
    var runId = container.getAttribute("data-run");
    getJSON("/api/runs/" + encodeURIComponent(runId) + "/artifacts?path=evaluation").then(function (listing) {
      var files = ((listing && listing.files) || []).filter(function (f) { return !f.is_dir && /\.json$/.test(f.path); });
      files.sort(function (a, b) { return a.path.indexOf("search") - b.path.indexOf("search") || (a.path < b.path ? -1 : 1); });
      return Promise.all(files.map(function (f) { return getJSON(artifactURL(runId, f.path)).then(function (d) { return [f.path, d]; }); }));
    }).then(function (loaded) {
      container.textContent = "";
      (loaded || []).forEach(function (entry) {
        if (!entry[1] || typeof uPlot === "undefined") return;
        var name = entry[0].replace(/^evaluation\//, "").replace(/\.json$/, "");
        drawDataset(container, name, entry[1]);
      });
      container.setAttribute("data-loaded", "true");
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-evaluation]"), load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
