// The board's own script: drag and drop between columns, "/" to reach the
// filter, and a word on whether the page is live. Everything it does can
// also be done without it, with the buttons of each card.
(function () {
  "use strict";

  var status = function (text, live) {
    var el = document.getElementById("live-status");
    if (el) { el.textContent = text; }
    document.body.setAttribute("data-live", live ? "on" : "off");
  };
  document.addEventListener("htmx:sseOpen", function () { status("Live", true); });
  document.addEventListener("htmx:sseError", function () { status("Live updates reconnecting", false); });

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    var f = document.getElementById("filter");
    if (f) { ev.preventDefault(); f.focus(); f.select(); }
  });

  // Dropping a card on a column asks the server for the command that puts
  // it there (start, stop or release, done); the answer comes back as the
  // page's message.
  var dragged = null;
  document.addEventListener("dragstart", function (ev) {
    var card = ev.target.closest && ev.target.closest(".card[data-ref]");
    if (!card) { return; }
    dragged = { ref: card.getAttribute("data-ref"), from: card.closest("[data-column]").getAttribute("data-column") };
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", dragged.ref);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function (ev) {
    if (ev.target.classList) { ev.target.classList.remove("dragging"); }
    dragged = null;
  });
  var target = function (ev) {
    var col = ev.target.closest && ev.target.closest("[data-column]");
    if (!col || !dragged || col.getAttribute("data-column") === dragged.from) { return null; }
    return col;
  };
  document.addEventListener("dragover", function (ev) {
    if (target(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = "move"; }
  });
  document.addEventListener("drop", function (ev) {
    var col = target(ev);
    var form = document.getElementById("move-form");
    if (!col || !form) { return; }
    ev.preventDefault();
    form.setAttribute("action", "/tasks/" + encodeURIComponent(dragged.ref) + "/move");
    form.elements.to.value = col.getAttribute("data-column");
    form.submit();
  });
}());
