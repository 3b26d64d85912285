// The live alert stream on /watch: server-sent events from /watch/stream,
// each new alert added on top of the list. Plain DOM, no library.
"use strict";
(function () {
  var list = document.getElementById("alerts");
  var template = document.getElementById("alert-template");
  var live = document.getElementById("live");
  var arrived = document.getElementById("arrived");
  if (!list || !template || !window.EventSource) { return; }

  function setLive(state, text) { live.dataset.state = state; live.textContent = text; }

  function markSnippet(node, snippet, matched) {
    node.textContent = "";
    var lower = snippet.toLowerCase(), at = matched ? lower.indexOf(matched.toLowerCase()) : -1;
    if (at < 0) { node.textContent = snippet; return; }
    node.appendChild(document.createTextNode(snippet.slice(0, at)));
    var mark = document.createElement("mark");
    mark.textContent = snippet.slice(at, at + matched.length);
    node.appendChild(mark);
    node.appendChild(document.createTextNode(snippet.slice(at + matched.length)));
  }

  function render(alert) {
    var item = template.content.firstElementChild.cloneNode(true);
    var field = function (name) { return item.querySelector('[data-f="' + name + '"]'); };
    item.dataset.id = alert.id || "";
    item.classList.add("new");
    var time = field("alerted_at");
    time.textContent = (alert.alerted_at || "").slice(0, 16).replace("T", " ");
    time.setAttribute("datetime", alert.alerted_at || "");
    var actor = field("actor");
    if (alert.saved_search) {
      actor.textContent = "saved search \u201c" + alert.saved_search + "\u201d";
      actor.href = "/saved";
    } else {
      actor.textContent = alert.actor_name || "";
      actor.href = "/?actor=" + encodeURIComponent(alert.actor_id || "");
    }
    field("source").textContent = alert.source || "";
    field("language").textContent = alert.language || "";
    var title = field("title");
    title.textContent = alert.title || "";
    title.href = "/article/" + encodeURIComponent(alert.article_id || "");
    markSnippet(field("snippet"), alert.snippet || "", alert.matched_text || "");
    var words = (alert.highlights && alert.highlights.length) ? alert.highlights.join("\u201d, \u201c") : (alert.matched_text || "");
    var why = "matched \u201c" + words + "\u201d";
    if (alert.alias && alert.alias !== alert.matched_text) { why += " as \u201c" + alert.alias + "\u201d"; }
    if (alert.actor_kind && !alert.saved_search) { why += " (" + alert.actor_kind + ")"; }
    if (alert.rule) { why += " \u00b7 rule: " + alert.rule; }
    if (alert.entity) { why += " \u00b7 recognised as " + alert.entity; }
    if (alert.latency_ms >= 0) { why += " \u00b7 " + alert.latency_ms + " ms after it reached Kafka"; }
    field("why").textContent = why;
    return item;
  }

  var params = list.dataset.actor ? "?actor=" + encodeURIComponent(list.dataset.actor) : "";
  var source = new EventSource("/watch/stream" + params);
  source.onopen = function () { setLive("live", "live"); };
  source.onerror = function () { setLive("down", "reconnecting\u2026"); };
  source.addEventListener("alert", function (event) {
    var alert = JSON.parse(event.data);
    if (list.querySelector('[data-id="' + CSS.escape(alert.id || "") + '"]')) { return; }
    var empty = document.getElementById("no-alerts");
    if (empty) { empty.remove(); }
    list.insertBefore(render(alert), list.firstChild);
    arrived.textContent = String(Number(arrived.textContent) + 1);
  });
})();
