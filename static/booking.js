// Small comforts for the booking pages; every page works without this file.
(function () {
  "use strict";
  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }

  // After a refused form, take keyboard and screen-reader users to the list of problems;
  // after "Send code", to the code field.
  var problems = document.getElementById("problems");
  var sent = document.querySelector("[data-focus]");
  var target = problems || (sent && document.getElementById(sent.getAttribute("data-focus")));
  if (target) target.focus();

  // One press books: a second press while the first is on its way would only be refused.
  each("form[data-once]", function (form) {
    form.addEventListener("submit", function () {
      // Later than the submit itself, which has already taken the pressed button's formaction.
      window.setTimeout(function () {
        each("form[data-once] button[type=submit]", function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // Switching the language reloads the page: keep what was typed (names, numbers, the phone)
  // for that one reload, in this tab only, and put it back into the same fields.
  var KEY = "typed:" + window.location.pathname;
  function typedFields() {
    return document.querySelectorAll("form[data-once] input:not([type=hidden]):not([type=submit])," +
                                     "form[data-once] select");
  }
  each("a[hreflang]", function (link) {
    link.addEventListener("click", function () {
      var typed = {};
      Array.prototype.forEach.call(typedFields(), function (field) {
        if (field.name && field.value) typed[field.name] = field.value;
      });
      try { window.sessionStorage.setItem(KEY, JSON.stringify(typed)); } catch (e) { /* private mode */ }
    });
  });
  try {
    var kept = JSON.parse(window.sessionStorage.getItem(KEY) || "{}");
    window.sessionStorage.removeItem(KEY);
    Array.prototype.forEach.call(typedFields(), function (field) {
      if (field.name && kept[field.name] && (field.tagName === "SELECT" || !field.value)) {
        field.value = kept[field.name];
      }
    });
  } catch (e) { /* nothing kept */ }

  // Back to this page with the Back button: usable again.
  window.addEventListener("pageshow", function () {
    each("form[data-once] button[disabled]", function (b) { b.disabled = false; });
  });
})();
