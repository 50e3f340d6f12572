// Live countdown to a deadline: <span data-deadline="2026-12-31T09:00:00Z" data-closed="…" data-format="{d} 天 {h} 时 {m} 分 {s} 秒">
(function () {
  "use strict";
  var nodes = document.querySelectorAll("[data-deadline]");
  if (!nodes.length) return;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    nodes.forEach(function (node) {
      var left = Math.floor((Date.parse(node.dataset.deadline) - now) / 1000);
      if (left <= 0) { node.textContent = node.dataset.closed; node.classList.add("text-danger"); return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      node.textContent = node.dataset.format.replace("{d}", d).replace("{h}", pad(h)).replace("{m}", pad(m)).replace("{s}", pad(s));
      if (left < 86400) node.classList.add("text-danger");
    });
  }
  tick();
  setInterval(tick, 1000);
})();
