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

  var finder = document.getElementById("column-search");
  if (finder) {
    finder.hidden = false;
    finder.addEventListener("input", function () {
      var needle = finder.value.toLowerCase();
      document.querySelectorAll("#columns-form label").forEach(function (label) {
        label.hidden = needle !== "" && label.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  }
})();
