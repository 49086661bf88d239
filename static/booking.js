// Small comforts for the booking pages; every page works without this file.
(function () {
  "use strict";
  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }
  var store;
  try { store = window.sessionStorage; } catch (e) { store = null; /* private mode */ }
  var form = document.querySelector("form.booking-form");

  // After a refused form, take keyboard and screen-reader users to the list of problems;
  // after "Send code", to the code field.
  var problems = document.getElementById("problems");
  var sent = document.querySelector("[data-focus]");
  var target = problems || (sent && document.getElementById(sent.getAttribute("data-focus")));

  // One press books: a second press while the first is on its way would only be refused.
  each("form[data-once]", function (one) {
    one.addEventListener("submit", function () {
      // Later than the submit itself, which has already taken the pressed button's formaction.
      window.setTimeout(function () {
        each("form[data-once] button[type=submit]", function (b) { b.disabled = true; });
      }, 0);
    });
  });

  // A form's answer page (after "Send code" or a refusal) becomes its form's plain address in
  // the history: Back or a reload then asks the server for the form again (GET), never to send
  // the answers a second time.
  if (form && form.hasAttribute("data-get-url") && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", form.getAttribute("data-get-url"));
  }

  // Nothing typed is lost (a reload, Back, a language or mode switch, an expired code): what is
  // typed in the booking form is kept in this tab only (sessionStorage, gone when the tab
  // closes; never localStorage or a cookie), and dropped once the booking is made.
  var KEY = form ? "typed:" + form.getAttribute("action") : null;
  function keptFields() {
    return form.querySelectorAll("input:not([type=hidden]):not([type=submit]), select," +
                                 "input[name=verification_id]");
  }
  function keep() {
    var typed = {};
    Array.prototype.forEach.call(keptFields(), function (field) {
      if (field.name && field.value) typed[field.name] = field.value;
    });
    try { store.setItem(KEY, JSON.stringify(typed)); } catch (e) { /* no storage */ }
  }
  if (form && store) {
    try {
      var kept = JSON.parse(store.getItem(KEY) || "{}");
      Array.prototype.forEach.call(keptFields(), function (field) {
        if (field.name && kept[field.name] && (field.tagName === "SELECT" || !field.value)) {
          field.value = kept[field.name];
        }
      });
    } catch (e) { /* nothing kept */ }
    keep();
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
  }

  // Booked: forget what was typed; Back to the form from here shows the booking again.
  if (document.querySelector("[data-booked]") && store) {
    for (var i = store.length - 1; i >= 0; i--) {
      var name = store.key(i);
      if (name && name.indexOf("typed:") === 0) store.removeItem(name);
    }
    store.setItem("booked", "1");
  }
  function cameBack(event) {
    if (event && event.persisted) return true;
    var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    return entries.length > 0 && entries[0].type === "back_forward";
  }
  function backAfterBooking(event) {
    if (!form || !store) return false;
    if (cameBack(event) && store.getItem("booked")) {
      window.history.forward();
      return true;
    }
    if (!event || !event.persisted) store.removeItem("booked");
    return false;
  }
  var leaving = backAfterBooking(null);

  // Care mode: one question per screen. Without scripts every question shows at once.
  var steps = form && form.hasAttribute("data-steps") ? form.querySelectorAll("[data-step]") : [];
  var nav = form && form.querySelector("[data-step-nav]");
  var current = 0;
  function show(index, focus) {
    current = Math.max(0, Math.min(index, steps.length - 1));
    var last = current === steps.length - 1;
    Array.prototype.forEach.call(steps, function (step, i) { step.hidden = i !== current; });
    each("form.booking-form fieldset", function (set) {  // a fieldset around steps: with its step
      if (set.querySelector("[data-step]")) set.hidden = !set.contains(steps[current]);
    });
    each("form.booking-form [data-step-last]", function (el) { el.hidden = !last; });
    nav.querySelector("[data-step-prev]").hidden = current === 0;
    nav.querySelector("[data-step-next]").hidden = last;
    if (focus) {
      var first = steps[current].querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    }
  }
  if (steps.length > 1 && nav) {
    nav.hidden = false;
    // Open on the first question with a problem, or on the code after "Send code".
    var start = -1;
    Array.prototype.forEach.call(steps, function (step, i) {
      if (start < 0 && (step.querySelector(".has-error") || (target && step.contains(target)))) start = i;
    });
    show(Math.max(start, 0), false);
    nav.querySelector("[data-step-next]").addEventListener("click", function () { show(current + 1, true); });
    nav.querySelector("[data-step-prev]").addEventListener("click", function () { show(current - 1, true); });
    // Enter in a field moves to the next question rather than sending the form half filled.
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT" && current < steps.length - 1) {
        event.preventDefault();
        show(current + 1, true);
      }
    });
  }
  // Enter in the code field books: the form's first button would only send another code.
  if (form) {
    form.addEventListener("keydown", function (event) {
      var book = form.querySelector("[data-step-last] button[type=submit]");
      if (event.key === "Enter" && event.target.name === "code" && book && form.requestSubmit) {
        event.preventDefault();
        form.requestSubmit(book);
      }
    });
  }
  if (target && !leaving) target.focus();

  // Back to this page with the Back button: usable again (or, after a booking, the booking).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && backAfterBooking(event)) return;
    each("form[data-once] button[disabled]", function (b) { b.disabled = false; });
  });
})();
