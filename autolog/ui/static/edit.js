/* Editing: rename, delete/restore, tags, notes. Every write is a JSON POST carrying the page's
   CSRF token (meta csrf-token), the server's only write path. The page reloads to show the result. */
(function () {
  "use strict";
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var errorBox = document.getElementById("edit-error");

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    });
  }

  function fail(error) {
    if (errorBox) errorBox.textContent = error.message; else window.alert(error.message);
  }

  function reload() { window.location.reload(); }

  var actions = document.getElementById("run-actions");
  if (actions) {
    var runUrl = "/api/runs/" + encodeURIComponent(actions.getAttribute("data-run-id"));
    actions.hidden = false;
    actions.addEventListener("click", function (event) {
      var button = event.target.closest("[data-edit]");
      if (!button) return;
      var what = button.getAttribute("data-edit");
      if (what === "rename") {
        var name = window.prompt("New run name", button.getAttribute("data-current") || "");
        if (name && name.trim()) post(runUrl + "/rename", { name: name.trim() }).then(reload, fail);
      } else if (what === "delete" && window.confirm("Delete this run? It can be restored later.")) {
        post(runUrl + "/delete").then(reload, fail);
      } else if (what === "restore") {
        post(runUrl + "/restore").then(reload, fail);
      }
    });
    document.querySelectorAll('[data-edit="untag"]').forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { post(runUrl + "/tags/delete", { key: b.getAttribute("data-key") }).then(reload, fail); });
    });
    var tagForm = document.getElementById("tag-form");
    if (tagForm) {
      tagForm.hidden = false;
      tagForm.addEventListener("submit", function (event) {
        event.preventDefault();
        post(runUrl + "/tags", { key: tagForm.key.value, value: tagForm.value.value }).then(reload, fail);
      });
    }
  }

  var note = document.getElementById("note");
  if (note && note.getAttribute("data-note-url")) {
    var form = document.getElementById("note-form"), edit = document.getElementById("edit-note");
    edit.hidden = false;
    edit.addEventListener("click", function () { form.hidden = false; edit.hidden = true; form.content.focus(); });
    document.getElementById("cancel-note").addEventListener("click", function () { form.hidden = true; edit.hidden = false; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      post(note.getAttribute("data-note-url"), { content: form.content.value }).then(reload, fail);
    });
  }
})();
