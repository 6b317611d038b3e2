// Live parts of a page: an element with data-poll="URL" has its content replaced by
// the server-rendered fragment at URL every second, until the fragment marks itself
// final (data-final="true"). No build step, no library.
(function () {
  "use strict";
  var PERIOD_MS = 1000;

  function poll(el) {
    var url = el.getAttribute("data-poll");
    var timer = null;
    var last = null;  // the fragment as served: el.innerHTML is the browser's re-serialisation

    // never wipe what someone is typing into a form of the live part (an approval note)
    function typing(el) {
      var active = document.activeElement;
      return active !== null && el.contains(active) && active.tagName === "INPUT";
    }

    function done() {
      return el.querySelector("[data-final='true']") !== null;
    }

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (resp) { return resp.ok ? resp.text() : null; })
        .then(function (html) {
          if (html !== null && html !== last && !typing(el)) {
            el.innerHTML = html;
            last = html;
          }
          if (!done()) {
            timer = setTimeout(tick, PERIOD_MS);
          }
        })
        .catch(function () { timer = setTimeout(tick, PERIOD_MS * 3); });
    }

    if (!done()) {
      timer = setTimeout(tick, PERIOD_MS);
    }
    return timer;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    // a console tail reads from its end
    document.querySelectorAll("pre.console").forEach(function (pre) { pre.scrollTop = pre.scrollHeight; });
  });
})();
