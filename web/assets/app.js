// 办成事 · 全景监控: the live part of a page marked data-refresh reloads
// itself without a flash of white; everything works without this script too.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !live.dataset.refresh) {
    return;
  }
  var every = Math.max(10, parseInt(live.dataset.refresh, 10) || 30) * 1000;
  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (res.redirected || !res.ok) {
          // Signed out or something went wrong: a full load shows why.
          window.location.reload();
          return null;
        }
        return res.text();
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        if (fresh) {
          live.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
})();

// Voice messages in AMR (WeChat's format, which browsers cannot play) get a
// play/stop button: the vendored BenzAMRRecorder fetches the attachment,
// decodes it in a worker and plays it through Web Audio. Without the library,
// or in a browser without Web Audio, the download link and its note stay.
(function () {
  "use strict";
  var loadTimeout = 30 * 1000;
  var current = null; // the recorder playing now: one voice at a time

  function setUp() {
    var Recorder = window.BenzAMRRecorder;
    var voices = document.querySelectorAll(".voice[data-src]");
    if (!voices.length || !Recorder || !Recorder.isPlaySupported()) {
      return;
    }
    Array.prototype.forEach.call(voices, function (el) {
      player(el, Recorder);
    });
  }

  // player makes el's button play its voice message; el.dataset.state says
  // where it is (loading, ready, playing, failed) and el.dataset.duration
  // its length in seconds once decoded.
  function player(el, Recorder) {
    var button = el.querySelector(".voice-play");
    var status = el.querySelector(".voice-status");
    var note = el.querySelector(".voice-note");
    var amr = null;
    var state = "";
    function set(s) {
      state = s;
      el.dataset.state = s;
      el.classList.toggle("playing", s === "playing");
      el.classList.toggle("failed", s === "failed");
      button.disabled = s === "loading";
      button.textContent = s === "playing" ? el.dataset.stop : el.dataset.play;
    }
    function fail() {
      if (state === "failed") {
        return;
      }
      set("failed");
      button.hidden = true;
      status.textContent = el.dataset.failed;
    }
    function play() {
      if (current && current !== amr) {
        current.stop();
      }
      current = amr;
      amr.play();
    }
    button.addEventListener("click", function () {
      if (state === "playing") {
        amr.stop();
        return;
      }
      if (amr) {
        play();
        return;
      }
      if (state === "loading") {
        return;
      }
      set("loading");
      status.textContent = el.dataset.loading;
      // Started within the click: the library unlocks audio (iOS) here.
      var recorder = new Recorder();
      var timer = window.setTimeout(fail, loadTimeout); // a worker that never answers
      recorder.initWithUrl(el.dataset.src).then(function () {
        window.clearTimeout(timer);
        var seconds = recorder.getDuration();
        if (state === "failed" || !(seconds > 0)) {
          fail();
          return;
        }
        amr = recorder;
        amr.onPlay(function () { set("playing"); });
        amr.onStop(function () {
          if (current === amr) {
            current = null;
          }
          set("ready");
        });
        el.dataset.duration = seconds.toFixed(2);
        status.textContent = el.dataset.seconds.replace("%s", seconds.toFixed(1));
        set("ready");
        play();
      }, function () {
        window.clearTimeout(timer);
        fail();
      });
    });
    button.hidden = false;
    note.hidden = true;
  }

  if (document.readyState === "complete") {
    setUp();
  } else {
    // The library's script is deferred and comes after this one: it has run
    // by DOMContentLoaded.
    document.addEventListener("DOMContentLoaded", setUp);
  }
})();
