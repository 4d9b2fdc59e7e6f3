/* Live updates while runs train. Run page: polls /api/runs/{id}/live with one cursor per chart
   series and appends only the new points. Runs table: polls /api/live/runs for the RUNNING rows,
   asking only for metric values written since the last poll. Polling stops when nothing runs. */
(function () {
  "use strict";
  var PERIOD_MS = 2000;

  function fmt(v) {
    if (typeof v !== "number") return String(v);
    return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }

  function setStatus(el, status) {
    var pill = el.querySelector(".status");
    if (pill) { pill.className = "status " + status; pill.textContent = status; }
    el.setAttribute("data-status", status);
  }

  function runPage(statusEl) {
    var runId = statusEl.getAttribute("data-live-run"), cursors = {}, polls = 0;
    var indicator = document.getElementById("live-indicator");
    var charts = (window.autologCharts && window.autologCharts.charts) || {};
    Object.keys(charts).forEach(function (k) { cursors[k] = ""; });
    indicator.hidden = false;

    function seed() {  // the cursor starts where each chart's first load ended
      Object.keys(charts).forEach(function (k) {
        var s = charts[k].fullSeries && charts[k].fullSeries[0];
        if (s && s.cursor && cursors[k] === "") cursors[k] = s.cursor.join(":");
      });
    }

    function tick() {
      seed();
      var q = Object.keys(cursors).filter(function (k) { return cursors[k] !== ""; }).map(function (k) {
        return "key=" + encodeURIComponent(k) + "&cursor=" + encodeURIComponent(cursors[k]);
      }).join("&");
      fetch("/api/runs/" + encodeURIComponent(runId) + "/live?" + q, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          polls++;
          document.body.setAttribute("data-live-polls", String(polls));
          Object.keys(body.series).forEach(function (k) {
            var s = body.series[k];
            if (window.autologCharts.append(k, runId, s.steps, s.values)) cursors[k] = s.cursor.join(":");
            var steps = document.querySelector('tr[data-metric="' + CSS.escape(k) + '"] [data-steps]');
            if (steps && s.steps.length) steps.textContent = steps.textContent.split(" – ")[0] + " – " + s.steps[s.steps.length - 1].toLocaleString("en-US");
          });
          Object.keys(body.metrics).forEach(function (k) {
            var cell = document.querySelector('tr[data-metric="' + CSS.escape(k) + '"] [data-value]');
            if (cell) cell.textContent = fmt(body.metrics[k]);
          });
          setStatus(statusEl, body.status);
          if (body.running) setTimeout(tick, PERIOD_MS);
          else { indicator.hidden = true; document.body.setAttribute("data-live-stopped", "1"); }
        })
        .catch(function () { setTimeout(tick, PERIOD_MS * 3); });
    }
    setTimeout(tick, PERIOD_MS);
  }

  function runsTable(table) {
    var since = 0, polls = 0;
    function running() {
      return Array.prototype.slice.call(table.querySelectorAll('tr[data-run-id][data-status="RUNNING"]'));
    }
    function tick() {
      var rows = running();
      if (!rows.length) { document.body.setAttribute("data-live-stopped", "1"); return; }
      var q = rows.map(function (r) { return "run=" + encodeURIComponent(r.getAttribute("data-run-id")); }).join("&");
      fetch("/api/live/runs?" + q + "&since=" + since, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          polls++;
          document.body.setAttribute("data-live-polls", String(polls));
          since = body.now - 1;
          rows.forEach(function (row) {
            var update = body.runs[row.getAttribute("data-run-id")];
            if (!update) return;
            setStatus(row, update.status);
            Object.keys(update.metrics).forEach(function (k) {
              var cell = row.querySelector('td[data-metric="' + CSS.escape(k) + '"]');
              if (cell) { cell.textContent = fmt(update.metrics[k]); cell.classList.remove("empty"); cell.classList.add("updated"); }
            });
          });
          setTimeout(tick, PERIOD_MS);
        })
        .catch(function () { setTimeout(tick, PERIOD_MS * 3); });
    }
    setTimeout(tick, PERIOD_MS);
  }

  var status = document.querySelector("[data-live-run]");
  if (status && status.getAttribute("data-status") === "RUNNING") runPage(status);
  var table = document.getElementById("runs");
  if (table && table.querySelector('tr[data-status="RUNNING"]')) runsTable(table);
})();
