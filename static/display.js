// The hall display: polls the display JSON every second and redraws.
// A failed request keeps the last state on screen, marks the connection as lost and retries;
// the next answer brings the page back by itself.
(function () {
  "use strict";
  var source = document.body.getAttribute("data-source");
  var INTERVAL = 1000;
  var TIMEOUT = 3000;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function en(text) {
    var span = el("span", "", text);
    span.lang = "en";
    return span;
  }

  // The counter as staff named it ("3号窗口", "B2"), shown once; a bare number is worded.
  function counterName(name) {
    if (!/^[0-9]+$/.test(name)) {
      return el("span", "counter", name);
    }
    var counter = el("span", "counter", name + "号窗口 ");
    counter.appendChild(en("Counter " + name));
    return counter;
  }

  function calling(list) {
    var ol = document.getElementById("calling");
    ol.textContent = "";
    list.forEach(function (item) {
      var li = el("li");
      li.appendChild(el("span", "ticket", item.ticket));
      li.appendChild(el("span", "arrow", "→"));
      li.appendChild(counterName(item.counter));
      ol.appendChild(li);
    });
    document.getElementById("calling-empty").hidden = list.length > 0;
  }

  function waiting(list) {
    var ol = document.getElementById("waiting");
    ol.textContent = "";
    list.forEach(function (item) { ol.appendChild(el("li", "", item.ticket)); });
  }

  function occupancy(state) {
    document.getElementById("occupancy-now").textContent = state.occupancy;
    document.getElementById("occupancy-limit").textContent = state.limit;
    document.getElementById("occupancy").className = "occupancy occupancy-" + state.level;
    var note = document.getElementById("occupancy-note");
    note.textContent = "";
    if (state.level === "full") {
      note.append("已满，请稍候 ", en("Full, please wait"));
    } else if (state.level === "warning") {
      note.append("即将满员 ", en("Nearly full"));
    }
  }

  function connection(ok) {
    var node = document.getElementById("connection");
    document.body.classList.toggle("offline", !ok);
    node.textContent = ok ? "" : "连接中断，正在重试… Connection lost, retrying…";
  }

  function poll() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT) : null;
    fetch(source, { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (state) {
        calling(state.calling);
        waiting(state.waiting);
        occupancy(state);
        connection(true);
      })
      .catch(function () { connection(false); })
      .then(function () {
        if (timer) { clearTimeout(timer); }
        setTimeout(poll, INTERVAL);
      });
  }

  setTimeout(poll, INTERVAL);
})();
