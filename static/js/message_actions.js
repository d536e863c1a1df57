// The message menu (React, Reply, Forward, More: Edit, Unsend, Delete for me, Report) over the live
// socket. Without JavaScript each item is a link or a button posting the page's one "message-action"
// form to its own address (inbox/_message.html); with it, the same controls send frames
// (docs/protocol.md) and the change comes back as "message.updated".
(() => {
  "use strict";

  // The forward page: narrow the list of conversations by name or username as one types.
  const filter = document.querySelector("[data-forward-filter]");
  if (filter) {
    filter.addEventListener("input", () => {
      const words = filter.value.trim().toLowerCase();
      document.querySelectorAll("[data-forward-names]").forEach((choice) => {
        choice.hidden = Boolean(words) && !choice.dataset.forwardNames.toLowerCase().includes(words) && !choice.querySelector("input").checked;
      });
    });
  }

  const pane = document.querySelector("[data-conversation]");
  const list = pane && pane.querySelector("[data-messages]");
  const composer = pane && pane.querySelector("[data-composer]");
  if (!pane || !list) return;
  const me = document.body.dataset.username;
  const textarea = composer && composer.querySelector("textarea");
  const context = pane.querySelector("[data-composer-context]");
  const sendButton = composer && composer.querySelector(".composer-send");
  const EDIT_WINDOW_MS = 15 * 60 * 1000;
  const LONG_PRESS_MS = 500;
  let editingSeq = null;

  const inbox = () => window.parleyInbox;
  const live = () => Boolean(inbox() && inbox().connected);
  const messageOf = (element) => element.closest("li.message[data-seq]");

  function frame(type, li, extra = {}) {
    return inbox().send({ type, thread: inbox().threadId, seq: Number(li.dataset.seq), ...extra });
  }

  function closeMenus(except = null) {
    pane.querySelectorAll("details.menu-popover[open]").forEach((menu) => { if (menu !== except) menu.open = false; });
    pane.querySelectorAll("li.message.show-menu").forEach((li) => { if (!except || !li.contains(except)) li.classList.remove("show-menu"); });
  }

  // --- The composer's context line: "Replying to bob …" or "Editing your message" ---------------------

  function setContext(label, quote) {
    if (!context) return;
    context.querySelector("[data-composer-context-label]").textContent = label;
    context.querySelector("[data-composer-context-quote]").textContent = quote;
    context.hidden = false;
  }

  function clearContext() {
    if (context) context.hidden = true;
    const replyTo = composer && composer.querySelector("[data-reply-to]");
    if (replyTo) replyTo.value = "";
    if (editingSeq !== null && textarea) textarea.value = "";
    editingSeq = null;
    if (sendButton) sendButton.textContent = "Send";
  }

  function excerptOf(li) {
    const bubble = li.querySelector(".message-bubble");
    if (bubble) return bubble.textContent.replace(/\s*Edited$/, "").trim().slice(0, 80);
    if (li.querySelector(".message-sticker")) return "Sticker";
    if (li.querySelector(".attachment")) return "Attachment";
    return "";
  }

  function startReply(li) {
    clearContext();
    composer.querySelector("[data-reply-to]").value = li.dataset.seq;
    setContext(`Replying to ${li.dataset.sender}`, excerptOf(li));
    textarea.focus();
  }

  function startEdit(li) {
    clearContext();
    editingSeq = Number(li.dataset.seq);
    const bubble = li.querySelector(".message-bubble");
    const edited = bubble.querySelector(".message-edited");
    const text = edited ? bubble.textContent.slice(0, bubble.textContent.lastIndexOf(edited.textContent)) : bubble.textContent;
    textarea.value = text.trim();
    setContext("Editing your message", "");
    if (sendButton) sendButton.textContent = "Save";
    textarea.focus();
  }

  function withinEditWindow(li) {
    return Date.now() - new Date(li.dataset.created).getTime() < EDIT_WINDOW_MS;
  }

  // --- Clicks and submits ---------------------------------------------------------------------------

  pane.addEventListener("submit", (event) => {
    const submitter = event.submitter;
    const li = submitter && messageOf(submitter);
    if (!li || !live()) return; // no socket: the form posts
    const action = submitter.dataset.messageAction;
    if (action === "react") {
      event.preventDefault();
      frame("message.react", li, { emoji: submitter.value });
      closeMenus();
    } else if (action === "unsend") {
      event.preventDefault();
      closeMenus();
      if (window.confirm("Unsend this message? It will be removed for everyone.")) frame("message.unsend", li);
    } else if (action === "hide") {
      event.preventDefault();
      closeMenus();
      frame("message.hide", li);
    }
  });

  pane.addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    const control = event.target.closest("[data-message-action]");
    const li = control && messageOf(control);
    if (control && li && composer) {
      if (control.dataset.messageAction === "reply") {
        event.preventDefault();
        closeMenus();
        startReply(li);
        return;
      }
      if (control.dataset.messageAction === "edit" && live()) {
        event.preventDefault();
        closeMenus();
        if (withinEditWindow(li)) startEdit(li);
        else inbox().note("A message can only be edited in the 15 minutes after it was sent.");
        return;
      }
    }
    const cancel = event.target.closest("[data-composer-context-cancel]");
    if (cancel) { event.preventDefault(); clearContext(); textarea.focus(); return; }
    const quote = event.target.closest(".message-quote[data-quote]");
    if (quote) {
      const original = document.getElementById(`message-${quote.dataset.quote}`);
      if (original) {
        // On the page: go there; otherwise the link opens the conversation around it.
        event.preventDefault();
        original.scrollIntoView({ block: "center", behavior: "smooth" });
        original.classList.remove("is-highlighted");
        void original.offsetWidth;
        original.classList.add("is-highlighted");
        const target = original.querySelector(".menu-button");
        if (target) target.focus({ preventScroll: true });
      }
      return;
    }
    const menu = event.target.closest("details.menu-popover");
    closeMenus(menu);
  });

  pane.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (!(menu instanceof HTMLDetailsElement) || !menu.classList.contains("menu-popover") || !menu.open) return;
    closeMenus(menu);
    // Open upwards when the panel would fall under the composer (the scroller clips it).
    menu.classList.remove("opens-up");
    const panel = menu.querySelector(".menu-panel");
    const scroller = pane.querySelector("[data-scroller]");
    if (panel && scroller && panel.getBoundingClientRect().bottom > scroller.getBoundingClientRect().bottom) {
      menu.classList.add("opens-up");
    }
    // Edit only while it can still work.
    const li = messageOf(menu);
    const editItem = li && menu.querySelector("[data-message-action=edit]");
    if (editItem) editItem.hidden = !withinEditWindow(li);
    const first = menu.querySelector("button, a");
    if (first) first.focus();
  }, true);

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = pane.querySelector("details.menu-popover[open]");
    // preventDefault: the key is used (static/js/shortcuts.js leaves it alone then).
    if (open) { event.preventDefault(); open.open = false; open.querySelector("summary").focus(); return; }
    if (context && !context.hidden && document.activeElement === textarea) { event.preventDefault(); clearContext(); }
  });

  // A phone has no hover: a long press on a message shows its menu.
  let pressTimer = null;
  list.addEventListener("touchstart", (event) => {
    const li = messageOf(event.target);
    if (!li || event.target.closest("a, button, summary")) return;
    pressTimer = setTimeout(() => {
      closeMenus();
      li.classList.add("show-menu");
    }, LONG_PRESS_MS);
  }, { passive: true });
  ["touchend", "touchmove", "touchcancel"].forEach((type) => list.addEventListener(type, () => clearTimeout(pressTimer), { passive: true }));

  // A reaction chip tapped on a touch screen shows who reacted (hover and focus do it elsewhere).
  window.ParleyMessageActions = {
    editing: () => editingSeq,
    clearContext,
    mine: (li) => li.dataset.sender === me,
  };
})();
