// Keyboard shortcuts on every logged-in page, and their "Keyboard shortcuts" help (a <dialog> made
// here: without JavaScript there are no shortcuts, so the pages carry no help for them).
// None fires while someone types in a field, except Escape and Ctrl+K (Cmd+K), so no letter typed
// is ever taken. The single-key ones (c, /, ?) can be turned off in the help, for screen readers
// and voice control that send single keys of their own.
(() => {
  "use strict";

  if (!document.body.dataset.username || typeof HTMLDialogElement !== "function") return;

  const HELP = `
    <h2 id="shortcuts-title">Keyboard shortcuts</h2>
    <dl class="shortcuts-list">
      <div><dt><kbd>Alt</kbd> + <kbd>↑</kbd> / <kbd>↓</kbd></dt><dd>Previous / next conversation</dd></div>
      <div><dt><kbd>c</kbd></dt><dd>Write a message (the message box)</dd></div>
      <div><dt><kbd>/</kbd> or <kbd>Ctrl</kbd> + <kbd>K</kbd></dt><dd>Search</dd></div>
      <div><dt><kbd>?</kbd></dt><dd>Show this list</dd></div>
      <div><dt><kbd>Esc</kbd></dt><dd>Close a menu or this list; leave the message box or search</dd></div>
    </dl>
    <p class="muted">While you type in a field, only <kbd>Esc</kbd> and <kbd>Ctrl</kbd> + <kbd>K</kbd> work.</p>
    <p class="check-field"><input type="checkbox" id="shortcuts-single-keys" data-shortcuts-single-keys checked>
      <label for="shortcuts-single-keys">Single-key shortcuts</label>
      <span class="check-help">c, / and ?. Turn them off if they get in the way of a screen reader or voice control.</span></p>
    <form method="dialog"><button type="submit" class="button button-primary">Close</button></form>`;
  const SEARCH_URL = "/search/";

  const dialog = document.createElement("dialog");
  dialog.className = "shortcuts-dialog";
  dialog.setAttribute("aria-labelledby", "shortcuts-title");
  dialog.dataset.shortcutsDialog = "";
  dialog.innerHTML = HELP;
  document.body.append(dialog);

  const SINGLE_KEYS_KEY = "parley:single-key-shortcuts";
  // Set before a page change made with Alt+↑/↓: the next page keeps the focus in the list.
  const MOVED_KEY = "parley:moved-by-keyboard";
  const TEXT_INPUTS = new Set(["text", "search", "email", "url", "tel", "password", "number", "date",
    "datetime-local", "month", "week", "time"]);

  const singleKeys = dialog.querySelector("[data-shortcuts-single-keys]");
  let opener = null;

  function stored(key) { try { return localStorage.getItem(key); } catch { return null; } }
  function store(key, value) { try { localStorage.setItem(key, value); } catch { /* not kept */ } }

  function isTyping(target) {
    if (!(target instanceof Element)) return false;
    if (target.isContentEditable || target.matches("textarea, select")) return true;
    return target.matches("input") && TEXT_INPUTS.has(target.type);
  }

  // --- What the shortcuts do -------------------------------------------------------------------------

  function searchBox() {
    return document.querySelector("input[type=search]");
  }

  function focusSearch() {
    const box = searchBox();
    if (box) { box.focus(); box.select(); return; }
    const form = document.querySelector("form[role=search]");
    location.assign(form ? form.action : SEARCH_URL);
  }

  function focusComposer() {
    const composer = document.querySelector("[data-composer] textarea:not([disabled])");
    if (!composer) return false;
    composer.focus();
    return true;
  }

  function conversationLinks() {
    return Array.from(document.querySelectorAll("[data-thread-row] .thread-link"));
  }

  function moveConversation(step) {
    const links = conversationLinks();
    if (!links.length) return false;
    const current = links.findIndex((link) => link.getAttribute("aria-current") === "page");
    const next = current === -1 ? (step > 0 ? 0 : links.length - 1) : current + step;
    if (next < 0 || next >= links.length) return true; // at an end of the list: stay
    try { sessionStorage.setItem(MOVED_KEY, "1"); } catch { /* the composer takes the focus then */ }
    location.assign(links[next].href);
    return true;
  }

  function openHelp() {
    if (dialog.open) return;
    opener = document.activeElement;
    dialog.showModal();
    dialog.querySelector("button, input").focus();
  }

  // --- The help dialog: focus stays inside while it is open, and goes back where it was -----------

  function focusables() {
    return Array.from(dialog.querySelectorAll("button, input, a[href], [tabindex]:not([tabindex='-1'])"))
      .filter((element) => !element.disabled && element.getClientRects().length);
  }

  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const all = focusables();
    if (!all.length) return;
    const first = all[0];
    const last = all[all.length - 1];
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  });
  dialog.addEventListener("close", () => {
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
    opener = null;
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener("click", (event) => {
    if (event.target !== dialog) return;
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close();
  });

  if (singleKeys) {
    singleKeys.checked = stored(SINGLE_KEYS_KEY) !== "off";
    singleKeys.addEventListener("change", () => store(SINGLE_KEYS_KEY, singleKeys.checked ? "on" : "off"));
  }
  document.querySelectorAll("[data-shortcuts-open]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", openHelp);
  });

  // --- The keys ----------------------------------------------------------------------------------------

  document.addEventListener("keydown", (event) => {
    if (event.isComposing) return;
    // In fields too: Ctrl+K types nothing.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k") {
      if (dialog.open) return;
      event.preventDefault();
      focusSearch();
    }
  });

  // Escape and the rest listen on window, after the page's own handlers (menus, pickers, the reply
  // bar) had their turn: one of them that used the key marks it with preventDefault.
  window.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing || dialog.open) return;
    const typing = isTyping(event.target);
    const key = event.key;
    if (key === "Escape") {
      // Out of the message box or the search box, so the other shortcuts work again; a search box
      // with words in it is first emptied by the browser.
      if (!typing || (event.target.type === "search" && event.target.value)) return;
      const main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true }); else event.target.blur();
      return;
    }
    if (typing) return;
    if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && (key === "ArrowUp" || key === "ArrowDown")) {
      if (moveConversation(key === "ArrowUp" ? -1 : 1)) event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (singleKeys && !singleKeys.checked) return;
    if (event.target instanceof Element && event.target.closest("[role=menu], [role=listbox]")) return;
    if (key === "/") { event.preventDefault(); focusSearch(); }
    else if (key === "?") { event.preventDefault(); openHelp(); }
    else if (key === "c" && focusComposer()) event.preventDefault();
  });

  // After Alt+↑/↓ the conversation's row in the list has the focus instead of the message box,
  // so the next Alt+↑/↓ goes on from there.
  let moved = null;
  try { moved = sessionStorage.getItem(MOVED_KEY); sessionStorage.removeItem(MOVED_KEY); } catch { /* no storage */ }
  if (moved) {
    const current = conversationLinks().find((link) => link.getAttribute("aria-current") === "page");
    if (current) current.focus();
  }
})();
