/*
 * Chat widget of the digital mediation service.
 *
 * Embed it with one tag (see docs/widget.md):
 *   <script src="https://SERVICE/widget.js" data-socket-url="https://SERVICE" defer></script>
 * Options (data-… attributes of the tag):
 *   data-socket-url  where Rasa's socket.io answers (default: the origin of this script)
 *   data-container   CSS selector of an element to show the chat in; without it, a button
 *                    at the bottom right of the page opens the chat
 *   data-open="true" open the chat at once (button mode)
 *
 * On a shared computer (France Services desk, library): a conversation idle for IDLE_MINUTES is
 * forgotten here (the server refuses its history too), and « J'ai fini » forgets it at once.
 *
 * Every text, from the person or the assistant, is put in the page with textContent:
 * nothing is ever interpreted as HTML. Links in the assistant's messages are built as
 * <a> elements, and only for http(s) addresses.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var BASE = new URL(script.src, window.location.href).origin;
  var SOCKET_URL = script.getAttribute("data-socket-url") || BASE;
  var CONTAINER = script.getAttribute("data-container");
  var OPEN_AT_START = script.getAttribute("data-open") === "true";
  var MAX_CHARS = 2000;
  var KEY_PREFIX = "mediationChat.";
  var KEY_TOKEN = KEY_PREFIX + "token";
  var KEY_OUTBOX = KEY_PREFIX + "outbox";
  var IDLE_MINUTES = Number("__IDLE_MINUTES__") || 30;  // CONVERSATION_IDLE_MINUTES, set by the server
  var IDLE_CHECK_MS = 15000;
  var URL_PATTERN = /https?:\/\/[^\s<>"'«»]+/g;

  var TEXT = {
    title: "Assistant de médiation numérique",
    intro: "Bonjour\u202f! Je suis l’assistant automatique du service de médiation numérique. " +
      "Décrivez votre besoin avec vos mots, par exemple\u00a0: «\u00a0je n’arrive pas à faire ma déclaration URSSAF\u00a0». " +
      "Vous pouvez demander à parler à une personne à tout moment.",
    notice: "Vos messages sont gardés __RETENTION_MONTHS__ mois au plus, pour le suivi de votre demande. " +
      "Vos coordonnées ne sont demandées qu’avec votre accord. Ne donnez ni mot de passe ni numéro de carte.",
    noticeLink: "En savoir plus sur vos données",
    accessibilityLink: "l’accessibilité",
    legalLink: "les mentions légales",
    label: "Votre message",
    placeholder: "Écrivez votre message…",
    send: "Envoyer",
    erase: "Effacer ma conversation",
    finish: "J’ai fini",
    finishHint: "Effacer la conversation de cet appareil (ordinateur partagé)",
    forgotten: "C’est fait\u00a0: la conversation n’est plus sur cet appareil. La personne suivante ne la verra pas.",
    expired: "Votre conversation précédente a été fermée sur cet appareil après " + IDLE_MINUTES +
      " minutes sans activité. Vous pouvez en commencer une nouvelle.",
    eraseQuestion: "Effacer toute la conversation, sur nos serveurs et dans ce navigateur\u202f?",
    eraseYes: "Oui, tout effacer",
    eraseNo: "Annuler",
    erased: "Votre conversation a été effacée de nos serveurs et de ce navigateur.",
    erasedAppointment: "Votre rendez-vous est annulé et le médiateur en est informé.",
    erasedAppointments: "Vos rendez-vous sont annulés et les médiateurs en sont informés.",
    closedElsewhere: "Cette conversation a été fermée dans un autre onglet.",
    eraseFailed: "L’effacement n’a pas abouti. Réessayez dans un instant.",
    typing: "L’assistant écrit…",
    you: "Vous\u00a0: ",
    bot: "Assistant\u00a0: ",
    offline: "Connexion perdue. Nouvelle tentative en cours… Vos messages partiront dès son retour.",
    pending: "(en attente d’envoi)",
    empty: "Écrivez un message avant d’envoyer.",
    tooLong: "Votre message dépasse 2\u202f000 caractères. Pouvez-vous le raccourcir\u202f?",
    replies: "Réponses proposées",
    open: "Une question sur le numérique\u202f?",
    close: "Fermer la discussion",
    historyFailed: "Je n’ai pas pu retrouver vos messages précédents. Vous pouvez continuer ici.",
    mediator: " · équipe de médiation",
    info: "Information\u00a0: ",
    endLive: "Terminer l’échange",
    endLiveFailed: "Je n’ai pas pu terminer l’échange. Réessayez dans un instant.",
    liveWaiting: "Un médiateur va vous rejoindre. Vous pouvez déjà écrire votre message.",
    liveActive: "Vous échangez avec une personne de l’équipe de médiation."
  };

  // --- small helpers ------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  /* Everything this widget keeps in the browser (localStorage and sessionStorage). */
  function storageClear() {
    [window.localStorage, window.sessionStorage].forEach(function (store) {
      try {
        for (var i = store.length - 1; i >= 0; i--) {
          var key = store.key(i);
          if (key && key.indexOf(KEY_PREFIX) === 0) store.removeItem(key);
        }
      } catch (e) { /* storage disabled: nothing was kept */ }
    });
  }
  function storageSet(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode: the conversation just won't survive a reload */ }
  }

  /* Text with http(s) links made clickable; everything else stays plain text. */
  function appendText(parent, text) {
    var last = 0;
    String(text).replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url));
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(String(text).slice(last)));
  }

  /* An assistant's text, line by line: « 1. … » lines become a numbered list and « • … » lines a
     bulleted one (read as lists by screen readers), the words before « : » of an item in bold. */
  var NUMBERED = /^(\d+)\.\s+(.*)$/;
  var BULLET = /^•\s+(.*)$/;
  function appendItem(list, text, number) {
    var item = el("li");
    if (number) item.setAttribute("value", number);
    var colon = text.indexOf("\u00a0: ");
    if (colon > 0 && colon < 90) {
      var strong = el("strong");
      appendText(strong, text.slice(0, colon));
      item.appendChild(strong);
      text = text.slice(colon);
    }
    appendText(item, text);
    list.appendChild(item);
  }
  function appendRich(parent, text) {
    var list = null, kind = "";
    String(text).split("\n").forEach(function (line) {
      var numbered = NUMBERED.exec(line), bullet = BULLET.exec(line);
      if (numbered || bullet) {
        var wanted = numbered ? "ol" : "ul";
        if (!list || kind !== wanted) {
          list = el(wanted, { "class": "mw-list" });
          kind = wanted;
          parent.appendChild(list);
        }
        appendItem(list, numbered ? numbered[2] : bullet[1], numbered ? numbered[1] : "");
      } else {
        list = null;
        var paragraph = el("p", { "class": "mw-line" });
        appendText(paragraph, line);
        parent.appendChild(paragraph);
      }
    });
  }

  function loadScript(src, done) {
    if (window.io) { done(); return; }
    var tag = el("script", { src: src });
    tag.onload = function () { done(); };
    tag.onerror = function () { done(new Error("socket.io")); };
    document.head.appendChild(tag);
  }

  // --- the interface ------------------------------------------------------------------------
  var ui = {};

  function build(mount, floating) {
    var link = el("link", { rel: "stylesheet", href: BASE + "/static/widget.css" });
    document.head.appendChild(link);

    ui.root = el("section", { "class": "mw-chat" + (floating ? " mw-floating" : ""), "aria-label": TEXT.title, id: "mw-chat" });
    var header = el("div", { "class": "mw-header" });
    header.appendChild(el("h2", { "class": "mw-title" }, TEXT.title));
    ui.endLive = el("button", { type: "button", "class": "mw-end-live", hidden: "" }, TEXT.endLive);
    header.appendChild(ui.endLive);
    ui.finish = el("button", { type: "button", "class": "mw-finish", title: TEXT.finishHint }, TEXT.finish);
    header.appendChild(ui.finish);
    ui.erase = el("button", { type: "button", "class": "mw-erase" }, TEXT.erase);
    header.appendChild(ui.erase);
    if (floating) {
      ui.close = el("button", { type: "button", "class": "mw-close", "aria-label": TEXT.close }, "×");
      header.appendChild(ui.close);
    }
    ui.root.appendChild(header);

    ui.confirm = el("div", { "class": "mw-confirm", role: "group", "aria-label": TEXT.erase, hidden: "" });
    ui.confirm.appendChild(el("p", {}, TEXT.eraseQuestion));
    ui.eraseYes = el("button", { type: "button", "class": "mw-danger" }, TEXT.eraseYes);
    ui.eraseNo = el("button", { type: "button" }, TEXT.eraseNo);
    ui.confirm.appendChild(ui.eraseYes);
    ui.confirm.appendChild(ui.eraseNo);
    ui.root.appendChild(ui.confirm);

    /* the three notices a public service publishes (bot/web/notices.py) */
    var notice = el("p", { "class": "mw-notice" }, TEXT.notice + " ");
    notice.appendChild(el("a", { href: BASE + "/donnees-personnelles" }, TEXT.noticeLink));
    notice.appendChild(document.createTextNode(", "));
    notice.appendChild(el("a", { href: BASE + "/accessibilite" }, TEXT.accessibilityLink));
    notice.appendChild(document.createTextNode(" et "));
    notice.appendChild(el("a", { href: BASE + "/mentions-legales" }, TEXT.legalLink));
    notice.appendChild(document.createTextNode("."));
    ui.root.appendChild(notice);

    ui.log = el("div", { "class": "mw-log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
    ui.root.appendChild(ui.log);
    ui.typing = el("p", { "class": "mw-typing", "aria-hidden": "true", hidden: "" }, TEXT.typing);
    ui.root.appendChild(ui.typing);
    ui.status = el("p", { "class": "mw-status", role: "status" });
    ui.root.appendChild(ui.status);
    ui.replies = el("div", { "class": "mw-replies", role: "group", "aria-label": TEXT.replies });
    ui.root.appendChild(ui.replies);

    ui.form = el("form", { "class": "mw-form" });
    ui.form.appendChild(el("label", { "for": "mw-input", "class": "mw-visually-hidden" }, TEXT.label));
    ui.input = el("textarea", { id: "mw-input", rows: "2", maxlength: String(MAX_CHARS), placeholder: TEXT.placeholder, autocomplete: "off" });
    ui.form.appendChild(ui.input);
    ui.send = el("button", { type: "submit", "class": "mw-send" }, TEXT.send);
    ui.form.appendChild(ui.send);
    ui.root.appendChild(ui.form);

    if (floating) {
      ui.launcher = el("button", { type: "button", "class": "mw-launcher", "aria-expanded": "false", "aria-controls": "mw-chat" }, TEXT.open);
      document.body.appendChild(ui.launcher);
      ui.root.hidden = true;
      ui.launcher.addEventListener("click", function () { setOpen(ui.root.hidden); });
      ui.close.addEventListener("click", function () { setOpen(false); ui.launcher.focus(); });
    }
    mount.appendChild(ui.root);

    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(ui.input.value);
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send(ui.input.value);
      }
    });
    ui.erase.addEventListener("click", function () {
      ui.confirm.hidden = false;
      ui.eraseYes.focus();
    });
    ui.eraseNo.addEventListener("click", function () {
      ui.confirm.hidden = true;
      ui.erase.focus();
    });
    ui.eraseYes.addEventListener("click", eraseConversation);
    ui.finish.addEventListener("click", function () {
      forgetHere(TEXT.forgotten);
      ui.input.focus();
    });
    ui.endLive.addEventListener("click", endLive);
  }

  function setOpen(open) {
    ui.root.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) ui.input.focus();
  }

  function setStatus(text) { ui.status.textContent = text || ""; }

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  function showIntro() {
    var item = el("div", { "class": "mw-msg mw-bot mw-intro" });
    item.appendChild(el("span", { "class": "mw-visually-hidden" }, TEXT.bot));
    item.appendChild(el("div", { "class": "mw-text" }, TEXT.intro));
    ui.log.appendChild(item);
  }

  var SPEAKER_LABELS = { user: TEXT.you, bot: TEXT.bot, info: TEXT.info };

  /* from: user | bot | mediator (a person of the team, shown with their first name) | info */
  function addMessage(from, text, pending, name) {
    var item = el("div", { "class": "mw-msg mw-" + from });
    if (from === "mediator") {
      item.appendChild(el("p", { "class": "mw-author" }, (name || "") + TEXT.mediator));
    } else {
      item.appendChild(el("span", { "class": "mw-visually-hidden" }, SPEAKER_LABELS[from] || TEXT.bot));
    }
    var body = el("div", { "class": "mw-text" });
    if (from === "bot") appendRich(body, text); else appendText(body, text);
    item.appendChild(body);
    if (pending) {
      item.classList.add("mw-pending");
      item.appendChild(el("span", { "class": "mw-pending-note" }, " " + TEXT.pending));
    }
    ui.log.appendChild(item);
    scrollDown();
    return item;
  }

  function addBotMessage(text, buttons) {
    var parts = String(text || "").trim().split("\n\n").filter(function (p) { return p; });
    parts.forEach(function (part) { addMessage("bot", part); });
    showReplies(buttons || []);
  }

  function clearReplies() {
    var hadFocus = ui.replies.contains(document.activeElement);
    ui.replies.textContent = "";
    if (hadFocus) ui.input.focus();  // never leave the focus on a button that disappeared
  }

  function showReplies(buttons) {
    clearReplies();
    buttons.forEach(function (button) {
      var title = String(button.title || "");
      var payload = String(button.payload || title);
      var node = el("button", { type: "button", "class": "mw-reply" }, title);
      node.addEventListener("click", function () { send(payload, title); });
      ui.replies.appendChild(node);
    });
  }

  function resetConversation() {
    ui.log.textContent = "";
    clearReplies();
    ui.typing.hidden = true;
    setLive(null);
    showIntro();
  }

  // --- live part: a person of the team writes in this chat ------------------------------------
  var live = null;  // null | "waiting" | "active"

  function setLive(state) {
    live = state === "waiting" || state === "active" ? state : null;
    ui.endLive.hidden = !live;
    ui.root.classList.toggle("mw-live", !!live);
    if (live) ui.typing.hidden = true;
    if (live === "waiting") setStatus(TEXT.liveWaiting);
    else if (live === "active") setStatus(TEXT.liveActive);
    else if (ui.status.textContent === TEXT.liveWaiting || ui.status.textContent === TEXT.liveActive) setStatus("");
  }

  /* A message of the live part: a mediator's, a change of state, or the assistant's own. */
  function addLiveMessage(message) {
    var info = message.live || {};
    if (info.role === "mediator") addMessage("mediator", message.text, false, info.name);
    else if (info.role === "notice") { clearReplies(); addMessage("info", message.text); }
    else addBotMessage(message.text, []);
    if (info.state) setLive(info.state);
  }

  function endLive() {
    if (!token) return;
    ui.endLive.disabled = true;
    api("/api/conversation/live/end", { token: token }).then(function (response) {
      if (response.ok || response.status === 409) setLive(null); else throw new Error("end " + response.status);
    }).catch(function () { setStatus(TEXT.endLiveFailed); }).then(function () {
      ui.endLive.disabled = false;
      ui.input.focus();
    });
  }

  // --- the conversation -----------------------------------------------------------------------
  var socket = null;
  var ready = false;  // the server confirmed our conversation on this connection
  var token = storageGet(KEY_TOKEN);
  var outbox = readOutbox();
  var lastActivity = Date.now();  // something said in the conversation, here or in another tab

  function touch() { lastActivity = Date.now(); }

  /* Forget the conversation on this device: storage, chat, live part; then a new one starts.
     It stays on the server (for the mediators, then the retention period). */
  function forgetHere(message) {
    if (live && token) api("/api/conversation/live/end", { token: token }).catch(function () {});
    token = null;
    outbox = [];
    ready = false;
    storageClear();
    ui.confirm.hidden = true;
    resetConversation();
    setStatus(message);
    touch();
    if (socket && socket.connected) socket.emit("session_request", { session_id: null });
  }

  /* Idle for IDLE_MINUTES (the page left open on a shared computer): forget it here too. */
  function checkIdle() {
    if (token && Date.now() - lastActivity > IDLE_MINUTES * 60000) forgetHere(TEXT.expired);
  }

  function readOutbox() {
    try {
      var value = JSON.parse(storageGet(KEY_OUTBOX) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (e) { return []; }
  }
  function saveOutbox() {
    var plain = outbox.map(function (m) { return { text: m.text, display: m.display }; });
    storageSet(KEY_OUTBOX, plain.length ? JSON.stringify(plain) : null);
  }

  function send(text, display) {
    text = String(text || "").trim();
    if (!text) { setStatus(TEXT.empty); ui.input.focus(); return; }
    if (text.length > MAX_CHARS) { setStatus(TEXT.tooLong); return; }
    setStatus("");
    if (!display) ui.input.value = "";
    clearReplies();
    var message = { text: text, display: display || "" };
    touch();
    if (ready) {
      addMessage("user", display || text);
      emit(message);
    } else {
      message.node = addMessage("user", display || text, true);
      outbox.push(message);
      saveOutbox();
      setStatus(TEXT.offline);
    }
    ui.input.focus();
  }

  function emit(message) {
    socket.emit("user_uttered", { message: message.text, display: message.display });
  }

  function flushOutbox() {
    var queued = outbox;
    outbox = [];
    saveOutbox();
    queued.forEach(function (message) {
      if (message.node) {
        message.node.classList.remove("mw-pending");
        var note = message.node.querySelector(".mw-pending-note");
        if (note) note.remove();
      }
      emit(message);
    });
  }

  function api(path, body) {
    return fetch(BASE + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    });
  }

  function restoreHistory() {
    if (!token) return Promise.resolve();
    return api("/api/conversation/history", { token: token }).then(function (response) {
      if (response.status === 404) { token = null; storageSet(KEY_TOKEN, null); return; }
      if (response.status === 410) {  // idle too long: the server does not show it any more
        token = null;
        outbox = [];
        storageClear();
        setStatus(TEXT.expired);
        return;
      }
      if (!response.ok) throw new Error("history " + response.status);
      return response.json().then(function (data) {
        var messages = data.messages || [];
        messages.forEach(function (message, index) {
          if (message.from === "user" || message.from === "info") {
            addMessage(message.from, message.text);
          } else if (message.from === "mediator") {
            addMessage("mediator", message.text, false, message.name);
          } else {
            var last = index === messages.length - 1;
            addBotMessage(message.text, last ? message.buttons : []);
          }
        });
        setLive(data.live ? data.live.state : null);
        touch();
      });
    }).catch(function () { setStatus(TEXT.historyFailed); });
  }

  function showPendingOutbox() {
    outbox.forEach(function (message) {
      message.node = addMessage("user", message.display || message.text, true);
    });
  }

  function connect() {
    socket = window.io(SOCKET_URL);
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: token });
    });
    socket.on("session_confirm", function (confirmed) {
      if (token && confirmed !== token) {  // erased, idle too long, or not ours any more
        resetConversation();
        storageClear();
        touch();
      }
      token = confirmed;
      storageSet(KEY_TOKEN, token);
      ready = true;
      if (ui.status.textContent === TEXT.offline) setStatus("");
      flushOutbox();
    });
    socket.on("bot_uttered", function (message) {
      touch();
      if (message.live) { addLiveMessage(message); return; }
      var buttons = (message.quick_replies || message.buttons || []).map(function (b) {
        return { title: b.title, payload: b.payload };
      });
      addBotMessage(message.text, buttons);
    });
    socket.on("rate_limited", function (notice) {  // too many messages at once: this one was not read
      addMessage("info", notice.text);
      if (!ui.input.value && notice.message && notice.message.charAt(0) !== "/") ui.input.value = notice.message;
    });
    socket.on("user_echo", function (message) {  // said in another tab of this conversation
      touch();
      clearReplies();
      addMessage("user", message.text);
    });
    socket.on("typing", function (state) {
      ui.typing.hidden = !(state && state.on) || !!live;  // the assistant does not answer during the live part
      if (!ui.typing.hidden) scrollDown();
    });
    socket.on("disconnect", function () {
      ready = false;
      ui.typing.hidden = true;
      setStatus(TEXT.offline);
    });
    socket.on("connect_error", function () { setStatus(TEXT.offline); });
  }

  /* Another tab erased the conversation or started a new one: follow it. */
  function onStorage(event) {
    if (event.key !== KEY_TOKEN || event.newValue === token) return;
    token = event.newValue;
    ready = false;
    resetConversation();
    if (!token) {  // erased or forgotten there: that tab starts the next conversation, we follow it
      setStatus(TEXT.closedElsewhere);
      window.setTimeout(function () { if (!token && socket) socket.emit("session_request", { session_id: null }); }, 2000);
      return;
    }
    restoreHistory().then(function () {
      if (socket) socket.emit("session_request", { session_id: token });
    });
  }

  function eraseConversation() {
    var erasing = token;
    var done = function (cancelled) {  // cancelled: how many appointments still to come the erasure cancelled
      var said = TEXT.erased;
      if (cancelled > 0) said += " " + (cancelled > 1 ? TEXT.erasedAppointments : TEXT.erasedAppointment);
      token = null;
      outbox = [];
      storageSet(KEY_TOKEN, null);
      saveOutbox();
      ui.confirm.hidden = true;
      resetConversation();
      addMessage("bot", said);
      setStatus(said);
      ready = false;
      if (socket && socket.connected) socket.emit("session_request", { session_id: null });
      ui.input.focus();
    };
    if (!erasing) { done(0); return; }
    api("/api/conversation/erase", { token: erasing }).then(function (response) {
      if (response.status === 404) return done(0);
      if (!response.ok) throw new Error("erase " + response.status);
      return response.json().then(function (body) { done(Number(body && body.cancelled) || 0); }, function () { done(0); });
    }).catch(function () { setStatus(TEXT.eraseFailed); });
  }

  function start() {
    var mount = CONTAINER ? document.querySelector(CONTAINER) : null;
    build(mount || document.body, !mount);
    if (!mount && OPEN_AT_START) setOpen(true);
    showIntro();
    window.addEventListener("storage", onStorage);
    window.setInterval(checkIdle, IDLE_CHECK_MS);
    restoreHistory().then(function () {
      showPendingOutbox();
      loadScript(BASE + "/vendor/socket.io.min.js", function (error) {
        if (error) { setStatus(TEXT.offline); return; }
        connect();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
