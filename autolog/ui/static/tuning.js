/* Tuning parent runs: optimization history (uPlot) and parallel coordinates (SVG) from the
   JSON document the page embeds (#tuning-data, see autolog/ui/_tuning.py). */
(function () {
  "use strict";
  var source = document.getElementById("tuning-data");
  if (!source) { return; }
  var doc = JSON.parse(source.textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var minimize = doc.direction !== "max" && doc.direction !== "maximize";
  var done = doc.trials.filter(function (t) {
    return typeof t.value === "number" && (t.state === "COMPLETE" || t.state === "TERMINATED");
  });

  function historyChart(el) {
    if (!done.length || typeof uPlot === "undefined") { el.textContent = "No finished trial."; return; }
    var xs = [], ys = [], best = [], current = null;
    done.forEach(function (t) {
      current = current === null ? t.value : (minimize ? Math.min(current, t.value) : Math.max(current, t.value));
      xs.push(t.number); ys.push(t.value); best.push(current);
    });
    var opts = {
      width: Math.max(el.clientWidth, 240), height: 200, scales: { x: { time: false } },
      series: [{ label: "trial" },
        { label: doc.objective || "value", stroke: "#0b62c4", width: 0, points: { show: true, size: 6 } },
        { label: "best", stroke: "#d1495b", width: 1.75 }],
    };
    el.textContent = "";
    new uPlot(opts, [xs, ys, best], el);
    el.setAttribute("data-drawn", String(xs.length));
  }

  function numericAxes() {
    var names = [];
    done.forEach(function (t) {
      Object.keys(t.params || {}).forEach(function (k) { if (names.indexOf(k) < 0) { names.push(k); } });
    });
    var axes = names.map(function (k) {
      var values = done.map(function (t) { var v = Number((t.params || {})[k]); return isFinite(v) ? v : null; });
      return { name: k, values: values };
    }).filter(function (a) { return a.values.every(function (v) { return v !== null; }); });
    axes.push({ name: doc.objective || "value", values: done.map(function (t) { return t.value; }) });
    return axes;
  }

  function node(name, attrs, parent) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    parent.appendChild(el);
    return el;
  }

  function parallelChart(el) {
    if (done.length < 2) { el.textContent = "Needs two finished trials."; return; }
    var axes = numericAxes(), width = Math.max(el.clientWidth, 240), height = 200, pad = 24;
    var svg = node("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height }, el);
    var step = axes.length > 1 ? (width - 2 * pad) / (axes.length - 1) : 0;
    var scaled = axes.map(function (a) {
      var lo = Math.min.apply(null, a.values), hi = Math.max.apply(null, a.values);
      return a.values.map(function (v) { return hi > lo ? (v - lo) / (hi - lo) : 0.5; });
    });
    var objective = scaled[scaled.length - 1];
    done.forEach(function (t, i) {
      var points = axes.map(function (a, j) { return (pad + j * step) + "," + (height - pad - scaled[j][i] * (height - 2 * pad)); });
      var goodness = minimize ? 1 - objective[i] : objective[i];
      node("polyline", { points: points.join(" "), fill: "none", stroke: "#0b62c4", "stroke-opacity": String(0.15 + 0.8 * goodness) }, svg);
    });
    axes.forEach(function (a, j) {
      node("line", { x1: pad + j * step, x2: pad + j * step, y1: pad, y2: height - pad, stroke: "#656d76" }, svg);
      node("text", { x: pad + j * step, y: height - 6, "text-anchor": "middle", "font-size": "11", fill: "#24292f" }, svg).textContent = a.name;
    });
    el.setAttribute("data-drawn", String(done.length));
  }

  historyChart(document.getElementById("tuning-history"));
  parallelChart(document.getElementById("tuning-parallel"));
})();
