/* Runs table: selection for compare / what-changed, select-all, and the column finder.
   Everything here is an enhancement: the forms work without JavaScript. */
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="run"][form="compare-form"]'));
  var compare = document.getElementById("compare-button");
  var diff = document.getElementById("diff-button");
  var count = document.getElementById("selection-count");
  var all = document.getElementById("select-all");

  function refresh() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    if (compare) compare.disabled = n < 2;
    if (diff) diff.disabled = n !== 2;
    if (count) count.textContent = n ? n + " selected" : "Select runs with the checkboxes.";
    if (all) all.checked = n > 0 && n === boxes.length;
  }

  boxes.forEach(function (b) { b.addEventListener("change", refresh); });
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      refresh();
    });
  }
  refresh();

  // The column finder asks the server (the experiment may hold 10,000+ keys; the page lists a few
  // hundred). Checked columns stay in the list so that Apply keeps them.
  var finder = document.getElementById("column-search");
  if (finder) {
    var timer = null, asked = 0;
    var lists = { metrics: document.getElementById("chooser-metrics"), params: document.getElementById("chooser-params") };

    function label(kind, key, checked) {
      var l = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.name = "col"; box.value = kind + "." + key; box.checked = checked;
      l.appendChild(box); l.appendChild(document.createTextNode(" " + key));
      return l;
    }

    // Matches are listed; checked columns that do not match stay in the form, hidden, so that
    // Apply keeps them.
    function fill(kind, keys, needle) {
      var list = lists[kind], checked = {};
      list.querySelectorAll("input:checked").forEach(function (b) { checked[b.value] = true; });
      list.textContent = "";
      Object.keys(checked).forEach(function (v) {
        var key = v.slice(kind.length + 1), l = label(kind, key, true);
        l.hidden = needle !== "" && key.toLowerCase().indexOf(needle) < 0;
        list.appendChild(l);
      });
      keys.filter(function (k) { return !checked[kind + "." + k]; }).forEach(function (k) { list.appendChild(label(kind, k, false)); });
    }

    finder.addEventListener("input", function () {
      var needle = finder.value.trim().toLowerCase();
      finder.removeAttribute("data-found");
      document.querySelectorAll("#columns-form label").forEach(function (l) {  // instant, then the server's list
        l.hidden = needle !== "" && l.textContent.toLowerCase().indexOf(needle) < 0;
      });
      clearTimeout(timer);
      asked++;
      if (needle === "") return;  // every listed key shows again
      timer = setTimeout(function () {
        var mine = ++asked;
        fetch(finder.getAttribute("data-keys-url") + "?q=" + encodeURIComponent(finder.value.trim()), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (body) {
            if (mine !== asked) return;
            var needle = finder.value.trim().toLowerCase();
            fill("metrics", body.metrics, needle); fill("params", body.params, needle);
            finder.setAttribute("data-found", String(body.metrics.length + body.params.length));
          });
      }, 150);
    });
    finder.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  }
})();
