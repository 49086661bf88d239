// Check-in by QR code: where the browser has a camera and BarcodeDetector, read the booking's
// QR code and find the booking; typing the reference always works without it.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var input = document.getElementById("reference");
  var camera = document.getElementById("camera");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var REFERENCE = /[2-9A-HJ-NP-Z]{8}/;

  // The QR code holds the booking's link or its reference: take the reference from either.
  function referenceFrom(text) {
    var parts = String(text).toUpperCase().split(/[^0-9A-Z]+/);
    for (var i = parts.length - 1; i >= 0; i--) {
      if (parts[i].length === 8 && REFERENCE.test(parts[i])) { return parts[i]; }
    }
    return null;
  }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  camera.hidden = false;
  document.getElementById("no-camera").hidden = true;

  document.getElementById("scan-start").addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play().then(function () { return stream; });
      })
      .then(function (stream) {
        function look() {
          detector.detect(video).then(function (codes) {
            var found = codes.length ? referenceFrom(codes[0].rawValue) : null;
            if (found) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              input.value = found;
              form.submit();
            } else {
              requestAnimationFrame(look);
            }
          }).catch(function () { requestAnimationFrame(look); });
        }
        look();
      })
      .catch(function () { status.textContent = status.getAttribute("data-denied") || "—"; });
  });
})();
