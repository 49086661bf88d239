// The proof-of-work check of popular days (booking/challenge.py): our own copy of ALTCHA's
// PBKDF2 worker solves the challenge (static/altcha/, no third-party service). The widget looks
// the worker up only when it starts solving, when a field of the form takes the focus.
(function () {
  "use strict";
  var self = document.currentScript;
  if (!window.$altcha || !self) {
    return;
  }
  var worker = self.getAttribute("data-worker");
  window.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
    return new Worker(worker);
  });
})();
