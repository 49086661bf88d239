// The bureau's live view: polls the region's overview JSON every 5 seconds and rewrites the
// figures of each office's row (data-office, data-field); a row turns amber at 80 % of its
// limit and red when full. A failed request keeps the figures and says the connection is lost.
(function () {
  "use strict";
  var state = document.getElementById("overview-state");
  var source = state.getAttribute("data-source");
  var levels = JSON.parse(state.getAttribute("data-levels") || "{}");
  var INTERVAL = 5000;

  function draw(view) {
    view.offices.forEach(function (office) {
      var row = document.querySelector('tr[data-office="' + office.office + '"]');
      if (!row) { return; }
      row.className = "crowd-" + office.crowding;
      row.querySelectorAll("[data-field]").forEach(function (cell) {
        var name = cell.getAttribute("data-field");
        cell.textContent = name === "level" ? (levels[office.level] || office.level) : String(office[name]);
      });
    });
    state.textContent = state.getAttribute("data-updated") + " " + new Date().toLocaleTimeString();
    state.classList.remove("bad-text");
  }

  function poll() {
    fetch(source, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(draw)
      .catch(function () {
        state.textContent = state.getAttribute("data-lost");
        state.classList.add("bad-text");
      })
      .then(function () { window.setTimeout(poll, INTERVAL); });
  }

  window.setTimeout(poll, INTERVAL);
}());
