// Parley's live inbox: one WebSocket per tab at /ws/ (frames: docs/protocol.md), loaded on every logged-in page.
// Everything here is an enhancement: the pages work as plain form posts without it.
(() => {
  "use strict";

  const me = document.body.dataset.username;
  if (!me || !("WebSocket" in window)) return;

  const TYPING_EVERY_MS = 3000;
  const TYPING_SHOWN_MS = 5000;
  const GROUP_GAP_MS = 5 * 60 * 1000;
  const MAX_BACKOFF_MS = 30000;

  const badge = document.querySelector("[data-unread-badge]");
  const pane = document.querySelector("[data-conversation]");
  const threadId = pane ? Number(pane.dataset.thread) : null;
  const isGroup = pane ? pane.dataset.kind === "group" : false;
  const viewingOlder = pane ? pane.hasAttribute("data-viewing-older") : false;
  const list = pane && pane.querySelector("[data-messages]");
  const scroller = pane && pane.querySelector("[data-scroller]");
  const composer = pane && pane.querySelector("[data-composer]");
  const textarea = composer && composer.querySelector("textarea");
  const typingLine = pane && pane.querySelector("[data-typing]");
  const statusLine = pane && pane.querySelector("[data-connection-status]");
  const readMarks = pane ? JSON.parse(pane.dataset.readMarks || "{}") : {};
  // The conversation's change counter as far as this page knows it: sync asks for the changes
  // after it (edits, unsends, reactions, deletes for me), so a reconnect leaves nothing stale.
  let changeCursor = pane ? Number(pane.dataset.change || 0) : 0;
  let changesSynced = false;

  let socket = null;
  let attempts = 0;
  let everOpened = false;
  let stopped = false;
  let reconnectTimer = null;
  let lastTypingSent = 0;
  let lastReadSent = 0;
  let lastSyncAsked = null;
  let listRefresh = null;
  const pending = new Map(); // client_id -> {body, attachments (upload ids), li, failed}
  // Seqs of this conversation the server keeps from me (a group member I blocked wrote them):
  // they count as received, so they are no gap to sync again.
  const hiddenSeqs = new Set();
  const typists = new Map(); // username -> {name, timer}

  // --- The socket ----------------------------------------------------------------------------------

  function connect() {
    clearTimeout(reconnectTimer);
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/");
    socket.addEventListener("open", onOpen);
    socket.addEventListener("close", onClose);
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      const handler = HANDLERS[frame.type];
      if (handler) handler(frame);
      // Other scripts (browser_notifications.js) follow the frames without a socket of their own.
      document.dispatchEvent(new CustomEvent("parley:frame", { detail: frame }));
    });
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function onOpen() {
    const reconnected = everOpened;
    everOpened = true;
    attempts = 0;
    setStatus("");
    reportPresence(true);
    catchUp();
    if (reconnected) refreshThreadList();
  }

  // Whatever this page may have missed: after a reconnect, or when the server says its pushes
  // stopped for a while (resync), with the socket open all along.
  function catchUp() {
    if (pane && !viewingOlder) {
      // Whatever was sent or changed between the page render (or the drop) and now.
      lastSyncAsked = null;
      changesSynced = false;
      askSync(highestSeq());
      for (const [clientId, item] of pending) {
        if (!item.failed) sendPending(clientId, item);
      }
    }
  }

  function onClose(event) {
    socket = null;
    if (stopped) return;
    if (event.code === 4001) {
      // The session was revoked (logout, password change): go on only if this tab is still signed in.
      fetch("/inbox/?partial=list", { redirect: "manual", credentials: "same-origin" }).then((response) => {
        if (response.ok) scheduleReconnect();
        else signedOut();
      }, scheduleReconnect);
      return;
    }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (stopped || socket) return;
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts);
    attempts += 1;
    // Jitter: after a server restart, tabs must not all come back in the same instant.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    if (everOpened) setStatus("Connection lost. Reconnecting…");
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (!stopped && !socket) { attempts = 0; connect(); }
  }

  function signedOut() {
    stopped = true;
    setStatus("You have been signed out. Reload the page to sign in again.");
    if (textarea) textarea.disabled = true;
  }

  function setStatus(text) {
    if (!statusLine) return;
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  // --- Frames from the server ------------------------------------------------------------------------

  const HANDLERS = {
    "message.new": onMessageNew,
    "message.removed": onMessageRemoved,
    "message.updated": onMessageUpdated,
    "message.forwarded": (frame) => {
      const sent = frame.to.length;
      const refused = frame.refused.map((item) => item.detail).join(" ");
      setComposerNote(`${sent ? `Forwarded to ${sent} conversation${sent === 1 ? "" : "s"}.` : "Not forwarded."} ${refused}`.trim());
    },
    "message.hidden": (frame) => {
      if (frame.thread === threadId) hiddenSeqs.add(frame.seq);
    },
    "requests.update": onRequests,
    "resync": () => { catchUp(); refreshThreadList(); },
    "sync.done": (frame) => {
      if (frame.thread !== threadId) return;
      if (typeof frame.change === "number") changeCursor = Math.max(changeCursor, frame.change);
      if (frame.more) { askSync(highestSeq(), true); return; }
      changesSynced = true;
    },
    "error": onError,
    "typing": onTyping,
    "presence": (frame) => {
      document.querySelectorAll(`[data-presence][data-presence-user="${CSS.escape(frame.user)}"]`).forEach((element) => {
        element.dataset.lastActive = frame.last_active;
      });
      renderPresence();
    },
    "read": onRead,
    "unread.update": onUnread,
    "thread.removed": onRemoved,
  };

  function onMessageNew(frame) {
    updateRow(frame);
    if (frame.thread !== threadId || !list) return;
    if (viewingOlder) return;
    const author = frame.message.sender;
    if (author && author !== me) dropTypist(author);
    if (!author) refreshHeader(); // a system line: someone joined, left or renamed the group
    const stick = author === me || nearBottom();
    if (author === me) {
      // Replying to a message request accepts it: its banner goes.
      const banner = pane.querySelector("[data-request-banner]");
      if (banner) banner.remove();
    }
    placeMessage(frame.html, frame.message);
    decorate();
    if (stick) scrollToBottom();
    if (author !== me) sendRead();
  }

  function onMessageRemoved(frame) {
    // The conversation list's preview may have been this message: the list reloads (rare, so cheap).
    refreshThreadList();
    if (frame.thread !== threadId || !list) return;
    const shown = list.querySelector(`li.message[data-seq="${Number(frame.message.seq)}"]`);
    if (!shown) return; // not on the page: "Load older" or a reload brings the removed version
    const template = document.createElement("template");
    template.innerHTML = frame.html.trim();
    const node = template.content.firstElementChild;
    if (node) { shown.replaceWith(node); decorate(); }
  }

  function onMessageUpdated(frame) {
    if (frame.thread !== threadId || !list) return;
    // Live changes move the cursor only once this connection's catch-up is done: before that, an
    // older change may still be on its way in the sync answer.
    if (changesSynced) changeCursor = Math.max(changeCursor, frame.change);
    const message = frame.message;
    const shown = list.querySelector(`li.message[data-seq="${Number(message.seq)}"]`);
    if (message.hidden || message.unsent || message.removed || message.edited) refreshThreadList();
    if (message.unsent || message.removed) {
      list.querySelectorAll(`.message-quote[data-quote="${Number(message.id)}"]`).forEach((quote) => {
        const gone = Object.assign(document.createElement("p"), { className: "message-quote is-unavailable" });
        gone.append(Object.assign(document.createElement("span"), { className: "quote-text", textContent: "Original message unavailable" }));
        quote.replaceWith(gone);
      });
    }
    if (!shown) return; // not on the page: "Load older" or a reload brings the changed version
    if (message.hidden) {
      hiddenSeqs.add(message.seq);
      shown.remove();
      decorate();
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = frame.html.trim();
    const node = template.content.firstElementChild;
    if (!node) return;
    const hadFocus = shown.contains(document.activeElement);
    shown.replaceWith(node);
    decorate();
    if (hadFocus) { const again = node.querySelector(".menu-button"); if (again) again.focus(); }
  }

  function onError(frame) {
    const item = frame.client_id && pending.get(frame.client_id);
    if (item) markFailed(frame.client_id, item, frame.detail, frame.code);
    // A refused reaction, edit, unsend or sticker says why under the composer.
    else if (pane) setComposerNote(frame.detail);
  }

  function onTyping(frame) {
    if (frame.thread !== threadId || frame.user === me) return;
    const known = typists.get(frame.user);
    if (known) clearTimeout(known.timer);
    typists.set(frame.user, { name: frame.name || frame.user, timer: setTimeout(() => dropTypist(frame.user), TYPING_SHOWN_MS) });
    renderTyping();
  }

  function onRead(frame) {
    if (frame.thread !== threadId || frame.user === me) return;
    readMarks[frame.user] = Math.max(readMarks[frame.user] || 0, frame.seq);
    renderReceipt();
  }

  function onUnread(frame) {
    setBadge(frame.total);
    const row = findRow(frame.thread);
    if (!row) return;
    const count = row.querySelector("[data-thread-unread]");
    row.classList.toggle("is-unread", frame.unread > 0);
    if (count) {
      count.hidden = !frame.unread;
      count.querySelector("[data-count]").textContent = String(frame.unread);
    }
  }

  function onRequests(frame) {
    const count = document.querySelector("[data-requests-count]");
    if (count) {
      count.hidden = !frame.count;
      count.querySelector("[data-count]").textContent = String(frame.count);
    }
    const holder = threadList();
    if (holder && holder.dataset.box === "requests") refreshThreadList();
  }

  function onRemoved(frame) {
    const row = findRow(frame.thread);
    if (row) row.remove();
    if (frame.thread !== threadId || !pane) return;
    const notice = pane.querySelector("[data-removed-notice]");
    if (notice) notice.hidden = false;
    if (composer) composer.querySelectorAll("textarea, button").forEach((control) => { control.disabled = true; });
    typists.clear();
    renderTyping();
  }

  // --- Activity status ------------------------------------------------------------------------------
  // This tab says "active" while it is visible and used; an idle or hidden tab stops, and the
  // server's "Active now" ages out by itself (accounts/presence.py).

  const PRESENCE_EVERY_MS = 60 * 1000;
  const ACTIVE_WINDOW_MS = 120 * 1000;
  let lastInteraction = Date.now();
  let lastPresenceSent = 0;

  function reportPresence(force = false) {
    if (document.visibilityState !== "visible") return;
    const now = Date.now();
    if (now - lastInteraction > ACTIVE_WINDOW_MS) return;
    if (!force && now - lastPresenceSent < PRESENCE_EVERY_MS) return;
    if (send({ type: "presence" })) lastPresenceSent = now;
  }

  function presenceLabel(seconds) {
    if (seconds < 120) return "Active now";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `Active ${minutes} min ago`;
    if (minutes < 24 * 60) return `Active ${Math.floor(minutes / 60)} h ago`;
    return "";
  }

  function renderPresence() {
    document.querySelectorAll("[data-presence][data-last-active]").forEach((element) => {
      const seconds = Math.max(0, (Date.now() - new Date(element.dataset.lastActive).getTime()) / 1000);
      const label = presenceLabel(seconds);
      const active = label === "Active now";
      if (element.hasAttribute("data-presence-dot")) {
        element.hidden = !active;
        element.classList.toggle("is-active", active);
      } else {
        element.textContent = label;
        element.hidden = !label;
        element.classList.toggle("is-active", active);
      }
    });
  }

  ["keydown", "pointerdown", "wheel", "touchstart"].forEach((type) => {
    document.addEventListener(type, () => {
      const wasIdle = Date.now() - lastInteraction > ACTIVE_WINDOW_MS;
      lastInteraction = Date.now();
      if (wasIdle) reportPresence(true);
    }, { passive: true, capture: true });
  });
  setInterval(() => { reportPresence(); renderPresence(); }, 30 * 1000);

  // --- The conversation: placing messages by seq -----------------------------------------------------

  function messages() {
    return Array.from(list.querySelectorAll("li.message[data-seq]"));
  }

  function highestSeq() {
    const all = messages();
    return Math.max(all.length ? Number(all[all.length - 1].dataset.seq) : 0, ...hiddenSeqs);
  }

  function placeMessage(html, message) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const node = template.content.firstElementChild;
    if (!node) return;
    if (message.client_id && pending.has(message.client_id)) {
      pending.get(message.client_id).li.remove();
      pending.delete(message.client_id);
    }
    const all = messages();
    const same = all.find((li) => Number(li.dataset.seq) === message.seq);
    if (same) { same.replaceWith(node); return; }
    const first = all.length ? Number(all[0].dataset.seq) : null;
    if (first !== null && message.seq < first) return; // older than the page shows: "Load older" has it
    const after = all.find((li) => Number(li.dataset.seq) > message.seq);
    // Pending bubbles stay below every stored message.
    list.insertBefore(node, after || list.querySelector("li.is-pending, li.is-failed") || null);
    const previous = all.filter((li) => Number(li.dataset.seq) < message.seq).pop();
    if (!previous) return;
    let known = Number(previous.dataset.seq);
    while (hiddenSeqs.has(known + 1)) known += 1;
    if (message.seq > known + 1) askSync(known);
  }

  function askSync(after, again = false) {
    // The same gap is asked about once; sync.done with more=true asks for the next batch.
    if (!again && lastSyncAsked === after) return;
    if (send({ type: "sync", thread: threadId, after, changes_after: changeCursor })) lastSyncAsked = after;
  }

  // Marks mine, runs of one person's messages, day separators and the receipt: recomputed after each change.
  function decorate() {
    list.querySelectorAll("[data-day-separator]").forEach((separator) => separator.remove());
    let previous = null;
    let previousDay = null;
    for (const li of list.querySelectorAll("li.message")) {
      const created = new Date(li.dataset.created || Date.now());
      const day = created.toDateString();
      if (day !== previousDay) {
        const separator = document.createElement("li");
        separator.className = "day-separator";
        separator.dataset.daySeparator = "";
        separator.append(Object.assign(document.createElement("span"), { textContent: dayLabel(created) }));
        li.before(separator);
      }
      const sender = li.dataset.sender || null;
      li.classList.toggle("is-mine", sender === me);
      li.querySelectorAll(".reaction[data-users]").forEach((chip) => chip.classList.toggle("is-mine", chip.dataset.users.split(" ").includes(me)));
      const continued = Boolean(sender && previous && day === previousDay && previous.dataset.sender === sender
        && !previous.classList.contains("message-system")
        && created - new Date(previous.dataset.created || Date.now()) < GROUP_GAP_MS);
      li.classList.toggle("is-continued", continued);
      li.classList.remove("has-next");
      if (continued) previous.classList.add("has-next");
      previous = li;
      previousDay = day;
    }
    formatTimes(list);
    renderReceipt();
    const intro = pane.querySelector("[data-conversation-intro]");
    if (intro) intro.hidden = messages().length > 0;
  }

  function renderReceipt() {
    if (!list || viewingOlder) return;
    list.querySelectorAll("[data-receipt]").forEach((receipt) => receipt.remove());
    const mine = messages().filter((li) => li.dataset.sender === me).pop();
    if (!mine) return;
    const seq = Number(mine.dataset.seq);
    const seenBy = Object.values(readMarks).filter((mark) => mark >= seq).length;
    const receipt = document.createElement("li");
    receipt.className = "receipt";
    receipt.dataset.receipt = "";
    receipt.textContent = !seenBy ? "Sent" : isGroup ? `Seen by ${seenBy}` : "Seen";
    mine.after(receipt);
  }

  async function refreshHeader() {
    const response = await fetch(`/inbox/${threadId}/?partial=head`, { credentials: "same-origin" });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const fresh = template.content.querySelector(".conversation-head");
    const current = pane.querySelector(".conversation-head");
    // Never pull the panel away from someone using it.
    if (fresh && current && !current.querySelector("details[open]")) current.replaceWith(fresh);
  }

  function nearBottom() {
    // The scroller is column-reverse: scrollTop is 0 at the newest message and negative above it.
    return !scroller || Math.abs(scroller.scrollTop) < 120;
  }

  function scrollToBottom() {
    if (scroller) scroller.scrollTop = 0;
  }

  // --- Sending ---------------------------------------------------------------------------------------

  function attachmentsState() {
    return window.ParleyAttachments ? window.ParleyAttachments.state(composer) : { ids: [], busy: false, failed: false };
  }

  function composerReplyTo() {
    const input = composer.querySelector("[data-reply-to]");
    return input && input.value ? Number(input.value) : null;
  }

  function submitMessage(event) {
    const body = textarea.value;
    // attachments.js holds a submit back while files upload or have failed: here they are all up.
    const files = attachmentsState();
    const sticker = event.submitter && event.submitter.name === "sticker" ? event.submitter.value : null;
    const editing = window.ParleyMessageActions && window.ParleyMessageActions.editing();
    if (everOpened && (sticker || editing)) {
      event.preventDefault();
      if (sticker) {
        const frame = { type: "message.send", thread: threadId, sticker, client_id: crypto.randomUUID() };
        const replyTo = composerReplyTo();
        if (replyTo) frame.reply_to = replyTo;
        if (send(frame)) {
          const picker = composer.querySelector("[data-sticker-picker]");
          if (picker) picker.open = false;
          if (window.ParleyMessageActions) window.ParleyMessageActions.clearContext();
        } else setComposerNote("Not connected. Try again in a moment.");
      } else if (body.trim() && send({ type: "message.edit", thread: threadId, seq: editing, body })) {
        textarea.value = "";
        window.ParleyMessageActions.clearContext();
      }
      return;
    }
    // No live connection yet: the form posts as without JavaScript, with the uploads' ids in hidden inputs.
    if (!everOpened) return;
    event.preventDefault();
    if (!body.trim() && !files.ids.length) { textarea.focus(); return; }
    setComposerNote("");
    const clientId = crypto.randomUUID();
    const li = document.createElement("li");
    li.className = "message is-mine is-pending";
    li.dataset.sender = me;
    li.dataset.clientId = clientId;
    const content = document.createElement("div");
    content.className = "message-content";
    if (body.trim()) content.append(Object.assign(document.createElement("div"), { className: "message-bubble", textContent: body.trim() }));
    if (files.ids.length) {
      // The real thumbnails and cards arrive with message.new.
      const count = files.ids.length === 1 ? "1 file" : `${files.ids.length} files`;
      content.append(Object.assign(document.createElement("p"), { className: "message-files-pending", textContent: `📎 ${count}` }));
    }
    const status = Object.assign(document.createElement("p"), { className: "message-status", textContent: "Sending…" });
    content.append(status);
    li.append(content);
    list.append(li);
    const item = { body, attachments: files.ids, li, failed: false, replyTo: composerReplyTo() };
    pending.set(clientId, item);
    sendPending(clientId, item);
    if (item.replyTo && window.ParleyMessageActions) window.ParleyMessageActions.clearContext();
    if (files.ids.length) window.ParleyAttachments.clear(composer);
    textarea.value = "";
    lastTypingSent = 0;
    scrollToBottom();
  }

  function sendPending(clientId, item) {
    const frame = { type: "message.send", thread: threadId, body: item.body, client_id: clientId };
    if (item.attachments.length) frame.attachments = item.attachments;
    if (item.replyTo) frame.reply_to = item.replyTo;
    return send(frame);
  }

  function setComposerNote(text) {
    const note = pane.querySelector("[data-composer-note]");
    if (!note) return;
    note.textContent = text;
    note.hidden = !text;
  }

  // Refusals that the same message, sent again later, can get past. The others (a block, too long,
  // a conversation you left...) only offer Edit: a Retry button there would fail the same way.
  const RETRYABLE_CODES = new Set(["rate_limited", "server_error"]);

  function markFailed(clientId, item, detail, code) {
    item.failed = true;
    item.li.classList.replace("is-pending", "is-failed");
    const status = item.li.querySelector(".message-status");
    const button = (label) => Object.assign(document.createElement("button"), { type: "button", className: "button button-small", textContent: label });
    const retry = button("Retry");
    retry.addEventListener("click", () => {
      item.failed = false;
      item.li.classList.replace("is-failed", "is-pending");
      status.textContent = "Sending…";
      // A refused send attached nothing: the uploads are still unsent and go again with the retry.
      sendPending(clientId, item);
    });
    // Refusals such as "too long" need a change, not a retry: give the text back to the composer.
    const edit = button("Edit");
    edit.addEventListener("click", () => {
      pending.delete(clientId);
      item.li.remove();
      textarea.value = textarea.value ? `${item.body}\n${textarea.value}` : item.body;
      textarea.focus();
    });
    const note = Object.assign(document.createElement("span"), { textContent: detail ? `Not sent. ${detail}` : "Not sent." });
    status.replaceChildren(...(RETRYABLE_CODES.has(code) ? [note, retry, edit] : [note, edit]));
  }

  function noteTyping() {
    const now = Date.now();
    if (!textarea.value.trim() || now - lastTypingSent < TYPING_EVERY_MS) return;
    if (send({ type: "typing", thread: threadId })) lastTypingSent = now;
  }

  function sendRead() {
    const seq = highestSeq();
    if (document.visibilityState !== "visible" || viewingOlder || seq <= lastReadSent) return;
    if (send({ type: "read", thread: threadId, seq })) lastReadSent = seq;
  }

  function dropTypist(username) {
    const known = typists.get(username);
    if (!known) return;
    clearTimeout(known.timer);
    typists.delete(username);
    renderTyping();
  }

  function renderTyping() {
    if (!typingLine) return;
    const names = Array.from(typists.values(), (typist) => typist.name);
    typingLine.textContent = names.length === 0 ? ""
      : names.length === 1 ? `${names[0]} is typing…`
      : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
      : "Several people are typing…";
  }

  // --- The conversation list and the badge -------------------------------------------------------------

  // The page's own title, without the count the server put in front of it.
  const plainTitle = document.title.replace(/^\(\d+\) /, "");
  const favicon = document.querySelector("link[data-favicon]");

  function setBadge(total) {
    if (!badge) return;
    badge.hidden = !total;
    const count = badge.querySelector("[data-unread-count]");
    if (count) count.textContent = String(total);
    // The tab itself shows the count and a dot on its icon, as other web inboxes do: seen from
    // another tab, or in a background one.
    document.title = total ? `(${total}) ${plainTitle}` : plainTitle;
    if (favicon) {
      const icon = total ? favicon.dataset.unread : favicon.dataset.plain;
      if (favicon.getAttribute("href") !== icon) favicon.setAttribute("href", icon);
    }
  }

  function threadList() {
    return document.querySelector("[data-thread-list]");
  }

  function findRow(id) {
    const holder = threadList();
    return holder && holder.querySelector(`[data-thread-row="${Number(id)}"]`);
  }

  function updateRow(frame) {
    const holder = threadList();
    if (!holder) return;
    const row = findRow(frame.thread);
    const rows = holder.querySelector(".thread-rows");
    // Only the first page of the open list can simply move a row up; anything else reloads the list,
    // and so do system lines, which may change a group's name or members.
    if (!row || !rows || !frame.message.sender || holder.dataset.page !== "1"
        || holder.dataset.box === "archived" || holder.dataset.box === "requests") {
      refreshThreadList();
      return;
    }
    const message = frame.message;
    const preview = row.querySelector("[data-thread-preview]");
    let prefix = "";
    if (message.sender === me) prefix = "You: ";
    else if (message.sender && row.dataset.kind === "group") {
      const author = new DOMParser().parseFromString(frame.html, "text/html").querySelector(".message-author");
      prefix = `${author ? author.textContent : message.sender}: `;
    }
    const removed = /^<li[^>]*\sdata-removed[\s>]/.test(frame.html.trim());
    preview.textContent = removed ? "This message was removed"
      : prefix + (message.body.replace(/\s+/g, " ").trim()
        || (message.card && (message.card.label || message.card.title))
        || (message.sticker ? "Sent a sticker" : "📎 Attachment"));
    preview.classList.toggle("is-system", !message.sender);
    const time = row.querySelector("[data-short-time]");
    time.setAttribute("datetime", message.created);
    formatTimes(row);
    rows.prepend(row);
    row.classList.remove("is-fresh");
    void row.offsetWidth; // restart the highlight animation
    row.classList.add("is-fresh");
  }

  function refreshThreadList() {
    const holder = threadList();
    if (!holder) return;
    clearTimeout(listRefresh);
    // A burst of messages reloads the list once.
    listRefresh = setTimeout(async () => {
      const box = holder.dataset.box || "all";
      const response = await fetch(`/inbox/?box=${encodeURIComponent(box)}&page=${holder.dataset.page || 1}&partial=list`,
        { credentials: "same-origin" });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const fresh = template.content.querySelector("[data-thread-list]");
      const current = threadList();
      if (!fresh || !current) return;
      const open = threadId && fresh.querySelector(`[data-thread-row="${threadId}"] .thread-link`);
      if (open) open.setAttribute("aria-current", "page");
      current.replaceWith(fresh);
      formatTimes(fresh);
    }, 150);
  }

  // --- Dates in the reader's own time zone ------------------------------------------------------------

  function sameDay(a, b) { return a.toDateString() === b.toDateString(); }

  function dayLabel(date) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (sameDay(date, today)) return "Today";
    if (sameDay(date, yesterday)) return "Yesterday";
    const options = { weekday: "long", day: "numeric", month: "long" };
    if (date.getFullYear() !== today.getFullYear()) options.year = "numeric";
    return date.toLocaleDateString(undefined, options);
  }

  function clock(date) {
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function formatTimes(root) {
    const today = new Date();
    root.querySelectorAll("time[data-message-time]").forEach((time) => {
      time.textContent = clock(new Date(time.getAttribute("datetime")));
    });
    root.querySelectorAll("time[data-short-time]").forEach((time) => {
      const date = new Date(time.getAttribute("datetime"));
      const options = { day: "numeric", month: "short" };
      if (date.getFullYear() !== today.getFullYear()) options.year = "numeric";
      time.textContent = sameDay(date, today) ? clock(date) : date.toLocaleDateString(undefined, options);
    });
  }

  // --- Loading older messages without leaving the page ------------------------------------------------

  async function loadOlder(link) {
    link.setAttribute("aria-disabled", "true");
    const response = await fetch(`${link.href}&partial=messages`, { credentials: "same-origin" });
    if (!response.ok) { link.removeAttribute("aria-disabled"); return; }
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const older = template.content.querySelectorAll("[data-messages] > li.message");
    const shown = new Set(messages().map((li) => li.dataset.seq));
    list.prepend(...Array.from(older).filter((li) => !shown.has(li.dataset.seq)));
    const start = template.content.querySelector("[data-history-start]");
    pane.querySelector("[data-history-start]").replaceWith(start);
    decorate();
    const next = start.querySelector("[data-load-older]");
    if (next) next.focus();
  }

  // --- Wiring --------------------------------------------------------------------------------------------

  if (pane && list) {
    decorate();
    lastReadSent = highestSeq(); // the server marked the page read when it served it
    pane.addEventListener("click", (event) => {
      const link = event.target.closest("[data-load-older]");
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
        event.preventDefault();
        if (link.getAttribute("aria-disabled") !== "true") loadOlder(link);
      }
    });
  }
  if (composer && textarea) {
    composer.addEventListener("submit", submitMessage);
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    textarea.addEventListener("input", noteTyping);
    composer.addEventListener("attachments:change", (event) => { if (!event.detail.busy) setComposerNote(""); });
    const hint = pane.querySelector("[data-composer-hint]");
    if (hint) hint.hidden = false;
    if (!viewingOlder && matchMedia("(pointer: fine)").matches) textarea.focus();
  }
  if (pane) {
    // The details panel closes like a menu: a click elsewhere or Escape.
    document.addEventListener("click", (event) => {
      const open = pane.querySelector(".conversation-details[open]");
      if (open && !open.contains(event.target)) open.open = false;
    });
    document.addEventListener("keydown", (event) => {
      const open = pane.querySelector(".conversation-details[open]");
      if (event.key === "Escape" && open) { event.preventDefault(); open.open = false; open.querySelector("summary").focus(); }
    });
  }
  const holder = threadList();
  if (holder) formatTimes(holder);
  if (badge && !badge.hidden) setBadge(Number(badge.querySelector("[data-unread-count]").textContent) || 0);

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    lastInteraction = Date.now();
    reportPresence(true);
    if (pane) sendRead();
    reconnectNow();
  });
  window.addEventListener("online", reconnectNow);
  window.addEventListener("pagehide", () => { stopped = true; if (socket) socket.close(1000); });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) { stopped = false; reconnectNow(); }
  });

  // A small handle for tests and the curious: window.parleyInbox.socket is the live socket.
  window.parleyInbox = {
    get socket() { return socket; },
    get connected() { return Boolean(socket && socket.readyState === WebSocket.OPEN); },
    get changeCursor() { return changeCursor; },
    pending,
    // For static/js/message_actions.js: a frame over the live socket (false when there is none).
    send,
    threadId,
    note: (text) => pane && setComposerNote(text),
  };

  connect();
})();
