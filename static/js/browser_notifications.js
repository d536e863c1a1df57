// Browser notifications: one for each new message to me while Parley is open but in a background
// tab, once I turned them on (the browser is asked only after a click on "Turn on notifications").
// It follows inbox.js's frames ("parley:frame" events, docs/protocol.md):
// a message is news for me only when its message.new is followed by an unread.update for its
// conversation, and the server sends none for a muted person, a message request, or a blocked
// person's message. A muted conversation does get one: /inbox/<id>/notification/ says so.
// Of several open tabs, one shows each notification.
(() => {
  "use strict";

  const me = document.body.dataset.username;
  if (!me || !("Notification" in window)) return;

  const CLAIM_PREFIX = "parley:notified:";
  const VISIBLE_PREFIX = "parley:visible:";
  const DISMISSED_KEY = "parley:notifications-dismissed";
  // A visible tab says so every few seconds; a closed or crashed one stops counting after this.
  const VISIBLE_EVERY_MS = 5000;
  const VISIBLE_FRESH_MS = 15000;
  const CLAIM_KEPT_MS = 60 * 60 * 1000;
  const BODY_LENGTH = 140;

  const tabId = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  const favicon = document.querySelector("link[data-favicon]");
  // thread id -> message.new frames from others that wait for their unread.update
  const waiting = new Map();

  // localStorage is shared by my tabs of this site; it can be missing or full (private modes).
  const storage = {
    get(key) { try { return localStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); return true; } catch { return false; } },
    remove(key) { try { localStorage.removeItem(key); } catch { /* nothing kept */ } },
    keys(prefix) {
      try { return Object.keys(localStorage).filter((key) => key.startsWith(prefix)); } catch { return []; }
    },
  };

  // --- Which tab is looking ----------------------------------------------------------------------

  function noteVisibility() {
    if (document.visibilityState === "visible") storage.set(VISIBLE_PREFIX + tabId, String(Date.now()));
    else storage.remove(VISIBLE_PREFIX + tabId);
  }

  function someTabVisible() {
    if (document.visibilityState === "visible") return true;
    const now = Date.now();
    return storage.keys(VISIBLE_PREFIX).some((key) => key !== VISIBLE_PREFIX + tabId
      && now - Number(storage.get(key)) < VISIBLE_FRESH_MS);
  }

  function forgetOldClaims() {
    const now = Date.now();
    for (const key of storage.keys(CLAIM_PREFIX)) {
      if (!(now - Number(storage.get(key)) < CLAIM_KEPT_MS)) storage.remove(key);
    }
  }

  // --- Frames -------------------------------------------------------------------------------------

  document.addEventListener("parley:frame", (event) => {
    const frame = event.detail;
    if (frame.type === "message.new") {
      const message = frame.message;
      if (!message.sender || message.sender === me) return;
      const queue = waiting.get(frame.thread) || [];
      if (!queue.some((known) => known.message.id === message.id)) queue.push(frame);
      waiting.set(frame.thread, queue);
    } else if (frame.type === "unread.update") {
      const queue = waiting.get(frame.thread);
      waiting.delete(frame.thread);
      if (queue && frame.unread > 0) queue.forEach(notify);
    } else if (frame.type === "sync.done" || frame.type === "thread.removed") {
      // A sync answer replays messages the page missed, without unread.update: not news.
      waiting.delete(frame.thread);
    }
  });

  async function notify(frame) {
    if (Notification.permission !== "granted" || someTabVisible()) return;
    // A muted conversation gets unread.update too (it only leaves the badge's total): ask.
    try {
      const response = await fetch(`/inbox/${Number(frame.thread)}/notification/`, { credentials: "same-origin" });
      if (!response.ok || !(await response.json()).notify) return;
    } catch { return; }
    const key = CLAIM_PREFIX + frame.message.id;
    // The first of my tabs to claim the message shows it; the lock makes "look, then claim" one step.
    const claimAndShow = () => {
      if (storage.get(key)) return;
      storage.set(key, String(Date.now()));
      show(frame);
    };
    if (navigator.locks) navigator.locks.request("parley:notifications", claimAndShow);
    else claimAndShow();
  }

  function show(frame) {
    const url = `/inbox/${Number(frame.thread)}/`;
    const notification = new Notification(titleOf(frame), {
      body: bodyOf(frame.message),
      // The same tag from two tabs replaces instead of adding: a second guard against doubles.
      tag: `parley-message-${frame.message.id}`,
      icon: favicon ? favicon.dataset.plain : undefined,
    });
    notification.onclick = (event) => {
      if (event && event.preventDefault) event.preventDefault();
      window.focus();
      notification.close();
      if (location.pathname !== url) location.assign(url);
    };
  }

  function titleOf(frame) {
    const author = new DOMParser().parseFromString(frame.html, "text/html").querySelector(".message-author");
    const name = (author && author.textContent.trim()) || frame.message.sender;
    const row = document.querySelector(`[data-thread-row="${Number(frame.thread)}"]`);
    const group = row && row.dataset.kind === "group" && row.querySelector(".thread-name");
    return group ? `${name} in ${group.textContent.trim()}` : name;
  }

  function bodyOf(message) {
    const text = (message.body || "").replace(/\s+/g, " ").trim();
    if (text) return text.length > BODY_LENGTH ? `${text.slice(0, BODY_LENGTH - 1)}…` : text;
    if (message.card) return message.card.label || message.card.title || "Sent a card";
    if (message.sticker) return "Sent a sticker";
    return message.attachments && message.attachments.length ? "Sent a file" : "New message";
  }

  // --- Turning them on -----------------------------------------------------------------------------

  const offer = document.querySelector("[data-notifications-offer]");

  function showOffer() {
    if (!offer) return;
    offer.hidden = Notification.permission !== "default" || storage.get(DISMISSED_KEY) === "1";
  }

  if (offer) {
    offer.addEventListener("click", async (event) => {
      if (event.target.closest("[data-notifications-dismiss]")) {
        storage.set(DISMISSED_KEY, "1");
        offer.hidden = true;
        return;
      }
      if (!event.target.closest("[data-notifications-enable]")) return;
      const answer = await Notification.requestPermission();
      const text = offer.querySelector("[data-notifications-text]");
      offer.querySelector(".notifications-offer-actions").hidden = true;
      offer.setAttribute("role", "status");
      text.textContent = answer === "granted"
        ? "Notifications are on. You'll get one for each new message while Parley is in a background tab."
        : "Notifications are off. You can allow them later in your browser's settings for this site.";
    });
    showOffer();
  }

  forgetOldClaims();
  noteVisibility();
  setInterval(() => { if (document.visibilityState === "visible") noteVisibility(); }, VISIBLE_EVERY_MS);
  document.addEventListener("visibilitychange", noteVisibility);
  window.addEventListener("pagehide", () => storage.remove(VISIBLE_PREFIX + tabId));
  window.addEventListener("pageshow", noteVisibility);
})();
