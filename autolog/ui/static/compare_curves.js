/* The compare page's overlay of ROC and precision-recall curves: one request for every selected
   run's curves (/api/evaluation/curves, read from evaluation/training.json, sent once the page has loaded and
   the browser is idle), drawn on a canvas
   (hundreds of curves stay cheap), a legend sorted by AUC / average precision; hovering a legend
   entry highlights its run. With several classes, one class at a time (a chooser). */
(function () {
  "use strict";
  var HEIGHT = 320;
  var PLOTS = [
    { key: "roc_curve", title: "ROC curve", x: "false positive rate", y: "true positive rate", summary: "auc", summaryLabel: "AUC", diagonal: true },
    { key: "precision_recall_curve", title: "precision-recall curve", x: "recall", y: "precision", summary: "average_precision", summaryLabel: "AP", diagonal: false },
  ];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function color(index, count) {  // evenly spread hues, a little darker for every second run
    var hue = Math.round((index * 360) / Math.max(count, 1) + 210) % 360;
    return "hsl(" + hue + ", 70%, " + (index % 2 ? 38 : 48) + "%)";
  }

  function fmt(v) { return typeof v === "number" && isFinite(v) ? v.toFixed(3) : "—"; }

  function classLabels(runs) {
    var labels = [];
    runs.forEach(function (r) {
      (r.roc_curve || []).forEach(function (c) { if (labels.indexOf(c.label) < 0) labels.push(c.label); });
    });
    return labels;
  }

  function curveOf(run, key, label) {
    var list = run[key] || [];
    for (var i = 0; i < list.length; i++) if (list.length === 1 || list[i].label === label) return list[i];
    return null;
  }

  function drawCanvas(canvas, plot, lines, highlighted) {
    var width = Math.max(canvas.parentNode.clientWidth, 300), ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = HEIGHT * ratio;
    canvas.style.width = width + "px";
    canvas.style.height = HEIGHT + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    var left = 48, right = width - 12, top = 10, bottom = HEIGHT - 38;
    function px(x) { return left + (right - left) * x; }
    function py(y) { return bottom - (bottom - top) * y; }
    ctx.font = "11px sans-serif";
    ctx.fillStyle = "#656d76";
    for (var t = 0; t <= 5; t++) {
      var v = t / 5;
      ctx.strokeStyle = "#eaeef2";
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(px(v), top); ctx.lineTo(px(v), bottom); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(left, py(v)); ctx.lineTo(right, py(v)); ctx.stroke();
      ctx.textAlign = "center"; ctx.fillText(v.toFixed(1), px(v), bottom + 14);
      ctx.textAlign = "right"; ctx.fillText(v.toFixed(1), left - 6, py(v) + 4);
    }
    ctx.textAlign = "center";
    ctx.fillText(plot.x, (left + right) / 2, HEIGHT - 6);
    ctx.save(); ctx.translate(12, (top + bottom) / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(plot.y, 0, 0); ctx.restore();
    if (plot.diagonal) {
      ctx.strokeStyle = "#8c959f"; ctx.setLineDash([4, 4]);
      ctx.beginPath(); ctx.moveTo(px(0), py(0)); ctx.lineTo(px(1), py(1)); ctx.stroke();
      ctx.setLineDash([]);
    }
    var order = lines.slice();
    if (highlighted) order.sort(function (a, b) { return (a.run_id === highlighted) - (b.run_id === highlighted); });
    order.forEach(function (line) {
      var on = !highlighted || line.run_id === highlighted;
      ctx.globalAlpha = on ? (lines.length > 20 && !highlighted ? 0.7 : 1) : 0.12;
      ctx.strokeStyle = line.color;
      ctx.lineWidth = highlighted && on ? 2.5 : 1.5;
      ctx.beginPath();
      line.curve.x.forEach(function (x, i) {
        if (i) ctx.lineTo(px(x), py(line.curve.y[i])); else ctx.moveTo(px(x), py(line.curve.y[i]));
      });
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
  }

  function legend(lines, plot, redraw) {
    var list = el("ol", "curve-legend");
    lines.slice().sort(function (a, b) { return (b.curve[plot.summary] || 0) - (a.curve[plot.summary] || 0); })
      .forEach(function (line) {
        var item = el("li");
        item.setAttribute("data-run", line.run_id);
        var swatch = el("span", "swatch");
        swatch.style.background = line.color;
        item.appendChild(swatch);
        var link = el("a", null, line.name);
        link.href = "/runs/" + encodeURIComponent(line.run_id);
        item.appendChild(link);
        item.appendChild(el("span", "num", plot.summaryLabel + " " + fmt(line.curve[plot.summary])));
        item.addEventListener("mouseenter", function () { redraw(line.run_id); });
        item.addEventListener("mouseleave", function () { redraw(null); });
        list.appendChild(item);
      });
    return list;
  }

  function drawPlots(grid, runs, names, label) {
    grid.textContent = "";
    PLOTS.forEach(function (plot) {
      var lines = [];
      runs.forEach(function (run, i) {
        var curve = curveOf(run, plot.key, label);
        if (curve) lines.push({ run_id: run.run_id, name: names[run.run_id] || run.run_id.slice(0, 8), curve: curve, color: color(i, runs.length) });
      });
      var box = el("div", "chart-card");
      box.setAttribute("data-plot", plot.key);
      box.appendChild(el("h3", null, plot.title + (label !== null ? " · class " + label : "") + " · " + lines.length + " runs"));
      var body = el("div", "chart");
      var canvas = el("canvas");
      body.appendChild(canvas);
      box.appendChild(body);
      grid.appendChild(box);
      var redraw = function (highlighted) { drawCanvas(canvas, plot, lines, highlighted); };
      box.appendChild(legend(lines, plot, redraw));
      redraw(null);
      body.setAttribute("data-drawn", String(lines.length));
    });
  }

  function show(container, payload, names) {
    var runs = payload.runs || [];
    container.setAttribute("data-loaded", String(runs.length));
    if (!runs.length) return;  // the section stays hidden
    ["curves-section", "curves-link"].forEach(function (id) { var node = document.getElementById(id); if (node) node.hidden = false; });
    var labels = classLabels(runs);
    var grid = el("div", "charts");
    var chosen = labels.length > 1 ? labels[0] : null;
    if (labels.length > 1) {
      var bar = el("label", "toolbar", "Class ");
      var select = el("select");
      select.id = "curve-class";
      labels.forEach(function (l) { var o = el("option", null, l); o.value = l; select.appendChild(o); });
      select.addEventListener("change", function () { drawPlots(grid, runs, names, select.value); });
      bar.appendChild(select);
      container.appendChild(bar);
    }
    container.appendChild(grid);
    drawPlots(grid, runs, names, chosen);
  }

  function load(container) {
    var runs = JSON.parse(container.getAttribute("data-runs-json"));
    var names = {};
    runs.forEach(function (r) { names[r.id] = r.name; });
    var query = runs.map(function (r) { return "run=" + encodeURIComponent(r.id); }).join("&");
    fetch("/api/evaluation/curves?" + query, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { name: "training", runs: [] }; })
      .catch(function () { return { name: "training", runs: [] }; })
      .then(function (payload) { show(container, payload, names); });
  }

  function start() {  // after the page and its charts: one request, when the browser is idle
    var later = window.requestIdleCallback || function (f) { setTimeout(f, 300); };
    later(function () {
      Array.prototype.forEach.call(document.querySelectorAll("[data-evaluation-compare]"), load);
    }, { timeout: 2000 });
  }

  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
