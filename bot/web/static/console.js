/*
 * Mediator console: live handover (see docs/console.md).
 *
 * On the queue: reloads it every minute, until the mediator stops it with the page's button.
 * On every page: shows the mediator's presence, keeps it alive while the page is used, and
 * alerts (banner, sound, page title) when a person waits for a mediator in the website chat.
 * Browser notifications (Notification API), once the mediator turned them on with the header's
 * button (never asked on load): a person waits in the live chat, a dossier asks for a human
 * (an appointment, a call back). Each is notified once, across pages and tabs (localStorage).
 * On a dossier page with a live chat: shows the person's messages as they arrive and sends the
 * mediator's. Every text is put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var PREFIX = "/mediateurs";
  var STATE_EVERY_MS = 5000;
  var CHAT_EVERY_MS = 1500;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var lastInput = Date.now();
  var alerted = {};  // waiting chats already announced by a sound
  var baseTitle = document.title;

  ["keydown", "mousedown", "mousemove", "scroll", "touchstart", "focus"].forEach(function (name) {
    window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true });
  });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 401 || r.redirected) { window.location.reload(); throw new Error("logged out"); }
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  /* A short two-tone chime (Web Audio: no file to load). Browsers allow it once the page was used. */
  function chime() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      var audio = new Context();
      [660, 880].forEach(function (frequency, index) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.value = 0.15;
        tone.connect(gain);
        gain.connect(audio.destination);
        tone.start(audio.currentTime + index * 0.25);
        tone.stop(audio.currentTime + index * 0.25 + 0.2);
      });
    } catch (e) { /* no sound: the banner and the title remain */ }
  }

  function duration(seconds) {
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }

  // --- presence and the waiting people -------------------------------------------------------
  function showPresence(state) {
    var label = document.getElementById("presence-state");
    var on = document.getElementById("presence-on");
    var off = document.getElementById("presence-off");
    if (!label) return;
    label.textContent = state.available ? "Direct : disponible" : "Direct : absent";
    label.className = state.available ? "presence-on" : "";
    on.hidden = state.available;
    off.hidden = !state.available;
  }

  function showWaiting(state) {
    var box = document.getElementById("live-alert");
    if (!box) return;
    box.textContent = "";
    var waiting = state.waiting || [];
    box.hidden = waiting.length === 0;
    waiting.forEach(function (entry) {
      var line = el("p", {}, "Une personne attend un médiateur dans le chat depuis " + duration(entry.seconds) + ".");
      line.appendChild(document.createTextNode(" "));
      line.appendChild(el("a", { href: PREFIX + "/dossiers/" + entry.dossier }, "Voir le dossier n° " + entry.dossier));
      var form = el("form", { method: "post", action: PREFIX + "/direct/" + entry.chat + "/rejoindre" });
      form.appendChild(el("input", { type: "hidden", name: "csrftoken", value: csrf }));
      form.appendChild(el("button", { type: "submit", "class": "primary" }, "Rejoindre"));
      line.appendChild(form);
      box.appendChild(line);
      if (state.available && !alerted[entry.chat]) { alerted[entry.chat] = true; chime(); }
    });
    document.title = waiting.length ? "(" + waiting.length + ") En attente — " + baseTitle : baseTitle;
  }

  // --- browser notifications -----------------------------------------------------------------
  var NOTIFIED_KEY = "mediationConsole.notified";  // {key: when notified}, shared by the tabs
  var NOTIFIED_KEEP_MS = 24 * 3600 * 1000;
  var notifiedHere = null;  // when localStorage is unavailable: this page only

  function notificationsSupported() { return typeof window.Notification === "function"; }

  function showNotifyState() {
    var button = document.getElementById("notify-on");
    var label = document.getElementById("notify-state");
    if (!button || !label) return;
    if (!notificationsSupported()) { button.hidden = true; label.hidden = true; return; }
    var permission = window.Notification.permission;
    button.hidden = permission !== "default";
    label.hidden = permission === "default";
    label.textContent = permission === "granted" ? "Notifications : activées"
      : "Notifications bloquées par le navigateur (réglages du site)";
  }

  function readNotified() {
    try {
      var raw = window.localStorage.getItem(NOTIFIED_KEY);
      return raw === null ? null : JSON.parse(raw);
    } catch (e) { return notifiedHere; }
  }

  function writeNotified(seen) {
    var now = Date.now();
    Object.keys(seen).forEach(function (key) { if (now - seen[key] > NOTIFIED_KEEP_MS) delete seen[key]; });
    notifiedHere = seen;
    try { window.localStorage.setItem(NOTIFIED_KEY, JSON.stringify(seen)); } catch (e) { /* this page only */ }
  }

  function notify(item) {
    try {
      var notification = new window.Notification(item.title, {
        body: item.body, tag: item.key, lang: "fr", requireInteraction: !!item.urgent
      });
      notification.onclick = function () {
        window.focus();
        window.location.href = PREFIX + "/dossiers/" + item.dossier;
        notification.close();
      };
    } catch (e) { /* not allowed here (some mobile browsers): the banner remains */ }
  }

  /* What the poll says, as notifications: each person waiting, each new request, once. The first
     time (nothing recorded yet) the requests already there are only recorded, not notified. */
  function notifyNew(state) {
    if (!notificationsSupported() || window.Notification.permission !== "granted") return;
    var stored = readNotified();
    var first = stored === null;
    var seen = stored || {};
    var items = [];
    (state.waiting || []).forEach(function (entry) {
      items.push({
        key: "direct:" + entry.chat, dossier: entry.dossier, urgent: true,
        title: "Une personne attend dans le chat",
        body: "Elle attend un médiateur depuis " + duration(entry.seconds) + " — dossier n° " + entry.dossier
          + (entry.need ? " : " + entry.need : "") + "."
      });
    });
    (state.requests || []).forEach(function (request) {
      items.push({
        key: request.key, dossier: request.dossier,
        title: request.kind === "rendez_vous" ? "Nouveau rendez-vous" : "Nouvelle demande de rappel",
        body: "Dossier n° " + request.dossier + (request.need ? " : " + request.need : "") + "."
      });
    });
    var changed = first;
    items.forEach(function (item) {
      if (seen[item.key]) return;
      seen[item.key] = Date.now();
      changed = true;
      if (!first || item.urgent) notify(item);
    });
    if (changed) writeNotified(seen);
  }

  function askForNotifications() {
    var button = document.getElementById("notify-on");
    if (!button || !notificationsSupported()) return;
    button.addEventListener("click", function () {
      var done = false;
      var answered = function (permission) {
        if (done) return;  // browsers that call the callback and resolve the promise
        done = true;
        showNotifyState();
        if (permission === "granted") {
          notify({ key: "notifications-on", title: "Notifications activées",
                   body: "Vous serez prévenu ici quand une personne attend dans le chat ou demande un rendez-vous ou un rappel." });
        }
      };
      var asked = window.Notification.requestPermission(answered);  // older browsers: the callback
      if (asked && typeof asked.then === "function") asked.then(answered);
    });
  }

  /* A POST with the CSRF token: it records that the page is open (and used, actif=1). */
  function postJSON(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { body.set(name, fields[name]); });
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "x-csrftoken": csrf, Accept: "application/json" }
    }).then(function (r) {
      if (r.status === 401 || r.redirected) { window.location.reload(); throw new Error("logged out"); }
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  function pollState() {
    var active = Date.now() - lastInput < 60000 ? "1" : "0";
    postJSON(PREFIX + "/direct/etat.json", { actif: active }).then(function (state) {
      showPresence(state);
      showWaiting(state);
      notifyNew(state);
    }).catch(function () { /* next round */ });
  }

  // --- the live chat of a dossier --------------------------------------------------------------
  var SPEAKERS = { personne: "Personne", assistant: "Assistant", info: "Info" };
  var PARIS_TIME = { timeZone: "Europe/Paris", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" };

  function chatView(panel) {
    var dossier = panel.getAttribute("data-dossier");
    var shownState = panel.getAttribute("data-state");
    var list = document.getElementById("transcript");
    var last = parseInt(list.getAttribute("data-last") || "0", 10);

    function addLine(line) {
      var empty = list.querySelector(".empty");
      if (empty) empty.remove();
      var item = el("li", { "class": "line-" + line.speaker });
      item.appendChild(el("span", { "class": "when" }, new Date(line.at).toLocaleString("fr-FR", PARIS_TIME)));
      item.appendChild(document.createTextNode(" "));
      var who = line.speaker === "mediateur" ? line.author + " (médiation)" : (SPEAKERS[line.speaker] || line.speaker);
      item.appendChild(el("strong", {}, who));
      item.appendChild(document.createTextNode(" : "));
      item.appendChild(el("span", { "class": "said" }, line.text));
      if (line.sent === "button") {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("span", { "class": "how" }, "(bouton)"));
      } else if (line.sent === "payload") {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("span", { "class": "how unoffered" }, "(commande envoyée telle quelle : aucun bouton proposé n'avait cette valeur)"));
      }
      if (line.buttons && line.buttons.length) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("span", { "class": "offered" }, "— boutons proposés : " + line.buttons.map(function (t) { return "« " + t + " »"; }).join(", ")));
      }
      list.appendChild(item);
      scrollDown();
    }

    function scrollDown() { list.parentElement.scrollTop = list.parentElement.scrollHeight; }

    function poll() {
      getJSON(PREFIX + "/dossiers/" + dossier + "/direct.json?apres=" + last).then(function (state) {
        state.lines.forEach(function (line) { addLine(line); last = Math.max(last, line.id); });
        list.setAttribute("data-last", String(last));
        if (state.state !== shownState) window.location.reload();  // joined, or ended: new buttons
      }).catch(function () { /* next round */ });
    }

    var form = document.getElementById("live-form");
    if (form) {
      var input = document.getElementById("live-message");
      var error = document.getElementById("live-error");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = input.value.trim();
        if (!text) return;
        var body = new URLSearchParams();
        body.set("message", text);
        fetch(form.action, {
          method: "POST", credentials: "same-origin", body: body,
          headers: { "x-csrftoken": csrf, Accept: "application/json" }
        }).then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) throw new Error(data.error || "Message non envoyé.");
            input.value = "";
            error.hidden = true;
            poll();
          });
        }).catch(function (failure) {
          error.textContent = failure.message || "Message non envoyé. Réessayez.";
          error.hidden = false;
        });
        input.focus();
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
    scrollDown();
    window.setInterval(poll, CHAT_EVERY_MS);
  }

  // --- the queue's reload every minute, which the mediator can stop (RGAA 13.1) ----------------
  var AUTO_REFRESH_KEY = "mediationConsole.autoRefresh";  // "off" once stopped, for this tab

  function autoRefresh() {
    var box = document.getElementById("auto-refresh");
    if (!box) return;
    var state = document.getElementById("auto-refresh-state");
    var button = document.getElementById("auto-refresh-toggle");
    var every = parseInt(box.getAttribute("data-seconds"), 10) * 1000;
    var timer = null;

    function remember(on) {
      try { window.sessionStorage.setItem(AUTO_REFRESH_KEY, on ? "on" : "off"); } catch (e) { /* this page only */ }
    }

    function stoppedBefore() {
      try { return window.sessionStorage.getItem(AUTO_REFRESH_KEY) === "off"; } catch (e) { return false; }
    }

    function turn(on) {
      if (timer !== null) { window.clearTimeout(timer); timer = null; }
      if (on) timer = window.setTimeout(function () { window.location.replace(box.getAttribute("data-url")); }, every);
      state.textContent = on ? "Mise à jour automatique chaque minute." : "Mise à jour automatique arrêtée.";
      button.textContent = on ? "Arrêter la mise à jour automatique" : "Reprendre la mise à jour automatique";
    }

    button.addEventListener("click", function () {
      var on = timer === null;
      remember(on);
      turn(on);
    });
    box.hidden = false;
    button.hidden = false;
    turn(!stoppedBefore());
  }

  function start() {
    if (!document.getElementById("presence")) return;  // not logged in
    autoRefresh();
    showNotifyState();
    askForNotifications();
    pollState();
    window.setInterval(pollState, STATE_EVERY_MS);
    var panel = document.getElementById("direct");
    if (panel) chatView(panel);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
