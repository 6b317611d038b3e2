// The console page: xterm.js on a WebSocket that relays the guest's serial console.
// The page carries a single-use token in data-websocket; bytes go both ways as they are.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("terminal");
    var status = document.getElementById("console-status");
    if (!box || typeof Terminal === "undefined") { return; }
    var term = new Terminal({convertEol: false, cursorBlink: true, rows: 30, cols: 100});
    term.open(box);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + box.dataset.websocket);
    ws.binaryType = "arraybuffer";
    var encoder = new TextEncoder();
    ws.onopen = function () { status.textContent = "connected"; term.focus(); };
    ws.onmessage = function (event) {
      term.write(typeof event.data === "string" ? event.data : new Uint8Array(event.data));
    };
    ws.onclose = function (event) {
      status.textContent = "closed" + (event.reason ? ": " + event.reason : "");
    };
    term.onData(function (data) {
      if (ws.readyState === WebSocket.OPEN) { ws.send(encoder.encode(data)); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
