// The join page's camera and microphone test: nothing leaves the phone. Messages come
// translated from the page (data-* attributes), so this file holds no text.
(function () {
  "use strict";
  var box = document.getElementById("device-test");
  if (!box) { return; }
  var start = box.querySelector("[data-start]");
  var stop = box.querySelector("[data-stop]");
  var video = box.querySelector("video");
  var meter = box.querySelector("meter");
  var status = box.querySelector("[role=status]");
  var stream = null;
  var audio = null;
  var heard = false;

  function say(key) { status.textContent = box.getAttribute("data-" + key); }

  function end() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    if (audio) { audio.close(); }
    stream = null; audio = null;
    video.srcObject = null;
    box.classList.remove("testing");
    start.hidden = false; stop.hidden = true;
    meter.value = 0;
  }

  function listen() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    audio = new Context();
    var analyser = audio.createAnalyser();
    analyser.fftSize = 512;
    audio.createMediaStreamSource(stream).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    (function measure() {
      if (!audio) { return; }
      analyser.getByteTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) {
        var centred = (samples[i] - 128) / 128;
        sum += centred * centred;
      }
      var level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      meter.value = level;
      if (!heard && level > 0.05) { heard = true; say("heard"); }
      window.requestAnimationFrame(measure);
    }());
  }

  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    // Very old browsers, or a page not served over HTTPS.
    box.hidden = false; start.disabled = true; say("unsupported");
    return;
  }
  box.hidden = false;
  var instead = document.getElementById("device-test-without-js");
  if (instead) { instead.hidden = true; }

  start.addEventListener("click", function () {
    heard = false;
    say("asking");
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (media) {
      stream = media;
      video.srcObject = media;
      box.classList.add("testing");
      start.hidden = true; stop.hidden = false;
      say("working");
      listen();
    }).catch(function (error) {
      end();
      var name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError") { say("denied"); }
      else if (name === "NotFoundError" || name === "OverconstrainedError") { say("missing"); }
      else { say("failed"); }
    });
  });
  stop.addEventListener("click", function () { end(); say("stopped"); start.focus(); });
  window.addEventListener("pagehide", end);
}());
