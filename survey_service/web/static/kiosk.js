// Kiosk enhancements (the form works without them).
// 1. A form left untouched asks whether someone is still there, then clears itself.
// 2. The thank-you page returns to a fresh form after a countdown that can be stopped or extended.
// 3. Back never shows the previous person's answers: navigation replaces history entries, and a
//    page the browser brings back (Back, Forward, Reload, or an earlier step sent again) is
//    replaced by a fresh form before anyone can read it.
(function () {
  "use strict";
  var nav = window.performance && performance.getEntriesByType
    ? performance.getEntriesByType("navigation")[0] : null;
  var revisited = !!nav && (nav.type === "back_forward" || nav.type === "reload");
  var leave = function (url) { document.body.hidden = true; location.replace(url); };
  var form = document.getElementById("survey");
  if (form) {
    var idleMs = (parseInt(form.getAttribute("data-idle"), 10) || 120) * 1000;
    var fresh = form.getAttribute("data-fresh");
    if (revisited) { leave(fresh); return; }
    var box = document.getElementById("idle");
    var warnTimer, clearTimer;
    var clear = function () { leave(fresh); };
    var arm = function () {
      clearTimeout(warnTimer); clearTimeout(clearTimer);
      if (box) box.hidden = true;
      warnTimer = setTimeout(function () {
        if (box) { box.hidden = false; document.getElementById("idle-continue").focus(); }
        clearTimer = setTimeout(clear, 30000);
      }, idleMs);
    };
    ["input", "change", "keydown", "pointerdown", "scroll"].forEach(function (t) {
      document.addEventListener(t, function () { if (!box || box.hidden) arm(); }, { passive: true });
    });
    document.getElementById("idle-continue").addEventListener("click", arm);
    document.getElementById("idle-clear").addEventListener("click", clear);
    window.addEventListener("pageshow", function (e) { if (e.persisted) clear(); });
    arm();
  }
  var restart = document.getElementById("restart");
  if (restart) {
    var left = parseInt(restart.getAttribute("data-seconds"), 10) || 30;
    var url = restart.getAttribute("data-fresh");
    var go = function () { leave(url); };
    if (revisited) { go(); return; }
    var text = document.getElementById("restart-text");
    var template = text.textContent.replace(String(left), "{s}");
    var stop = document.getElementById("restart-stop");
    var more = document.getElementById("restart-more");
    history.pushState(null, "", location.href);
    window.addEventListener("popstate", go);
    window.addEventListener("pageshow", function (e) { if (e.persisted) go(); });
    stop.hidden = false; more.hidden = false;
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(timer); go(); return; }
      if (left % 10 === 0 || left <= 5) text.textContent = template.replace("{s}", left);
    }, 1000);
    stop.addEventListener("click", function () {
      clearInterval(timer); stop.hidden = true; more.hidden = true;
      text.textContent = text.getAttribute("data-stopped") || "";
    });
    more.addEventListener("click", function () {
      left += 60; text.textContent = template.replace("{s}", left);
    });
    document.getElementById("restart-now").addEventListener("click", function (e) { e.preventDefault(); go(); });
  }
})();
