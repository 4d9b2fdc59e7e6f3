/* Model page: set and remove aliases through the JSON API (the protected write path: JSON body
   plus the page's CSRF token in X-CSRF-Token). Reading the page needs none of this. */
(function () {
  "use strict";
  var section = document.getElementById("aliases");
  if (!section) return;
  var model = section.getAttribute("data-model");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var form = document.getElementById("alias-form");
  var status = document.getElementById("alias-status");

  function post(path, body) {
    return fetch("/api/models/" + encodeURIComponent(model) + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || response.status + " " + response.statusText);
        return data;
      });
    });
  }

  function report(error) {
    if (status) { status.textContent = error.message; status.classList.add("error-text"); }
  }

  function reload() { window.location.reload(); }

  if (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var alias = form.elements.alias.value.trim();
      if (status) { status.textContent = "Saving…"; status.classList.remove("error-text"); }
      post("/aliases", { alias: alias, version: form.elements.version.value }).then(reload, report);
    });
  }

  document.querySelectorAll("[data-delete-alias]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      post("/aliases/delete", { alias: button.getAttribute("data-delete-alias") }).then(reload, report);
    });
  });
})();
