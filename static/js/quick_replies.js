// Quick replies in the composer: typing "/" at the start of a message opens a listbox of the
// account's saved replies (already filled in for the other person by the server); arrow keys,
// Enter, Escape and the mouse pick one, and its text replaces the "/shortcut" for editing.
// Also: rating cards that arrived live carry no CSRF token; they borrow the composer's.
(() => {
  "use strict";
  const picker = document.querySelector("[data-quick-replies]");
  const composer = document.querySelector("[data-composer]");
  const textarea = composer && composer.querySelector("textarea");

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-feedback-form], [data-card-form]");
    if (!form || form.querySelector("[name=csrfmiddlewaretoken]")) return;
    const token = document.querySelector("[name=csrfmiddlewaretoken]");
    if (token) form.appendChild(Object.assign(document.createElement("input"), { type: "hidden", name: token.name, value: token.value }));
  }, true);

  // The customer panel opens beside the composer, loaded when first opened (the page without
  // JavaScript links to it instead).
  const drawer = document.querySelector("[data-customer-panel]");
  if (drawer) {
    drawer.addEventListener("toggle", () => {
      if (!drawer.open || drawer.dataset.loaded) return;
      drawer.dataset.loaded = "1";
      fetch(drawer.dataset.url, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => {
          const body = drawer.querySelector("[data-customer-panel-body]");
          body.innerHTML = html;
          // Forms post to the panel's own page, which comes back here.
          body.querySelectorAll("form").forEach((form) => {
            form.action = drawer.dataset.url.split("?")[0];
            form.appendChild(Object.assign(document.createElement("input"), { type: "hidden", name: "back", value: "thread" }));
          });
        })
        .catch(() => { delete drawer.dataset.loaded; });
    });
  }

  if (!picker || !textarea) return;
  const list = picker.querySelector("[role=listbox]");
  const empty = picker.querySelector("[data-quick-replies-empty]");
  let replies = null;
  let loading = null;
  let matches = [];
  let active = -1;

  textarea.setAttribute("aria-controls", list.id);
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-expanded", "false");

  function load() {
    if (replies) return Promise.resolve(replies);
    if (!loading) {
      loading = fetch(picker.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { replies: [] }))
        .then((data) => { replies = data.replies || []; return replies; })
        .catch(() => { loading = null; return []; });
    }
    return loading;
  }

  function query() {
    const match = /^\/(\S*)$/.exec(textarea.value);
    return match ? match[1].toLowerCase() : null;
  }

  function isOpen() { return !picker.hidden; }

  function close() {
    picker.hidden = true;
    active = -1;
    textarea.setAttribute("aria-expanded", "false");
    textarea.removeAttribute("aria-activedescendant");
  }

  function render() {
    list.replaceChildren();
    matches.forEach((reply, index) => {
      const option = document.createElement("li");
      option.id = `quick-reply-${index}`;
      option.setAttribute("role", "option");
      option.className = "quick-reply-option";
      option.setAttribute("aria-selected", index === active ? "true" : "false");
      const shortcut = document.createElement("span");
      shortcut.className = "quick-reply-option-shortcut";
      shortcut.textContent = `/${reply.shortcut}`;
      const text = document.createElement("span");
      text.className = "quick-reply-option-text";
      text.textContent = reply.text;
      option.append(shortcut, text);
      option.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
      option.addEventListener("mousemove", () => { if (active !== index) { active = index; mark(); } });
      list.appendChild(option);
    });
    empty.hidden = matches.length > 0;
    mark();
  }

  function mark() {
    list.querySelectorAll("[role=option]").forEach((option, index) => {
      option.setAttribute("aria-selected", index === active ? "true" : "false");
    });
    if (active >= 0) {
      textarea.setAttribute("aria-activedescendant", `quick-reply-${active}`);
      const option = list.children[active];
      if (option && option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
    } else {
      textarea.removeAttribute("aria-activedescendant");
    }
  }

  function update() {
    const typed = query();
    if (typed === null) { close(); return; }
    load().then((all) => {
      if (query() === null) return;
      const current = query();
      matches = all.filter((reply) => reply.shortcut.startsWith(current))
        .concat(all.filter((reply) => !reply.shortcut.startsWith(current) && reply.shortcut.includes(current)));
      active = matches.length ? 0 : -1;
      picker.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      render();
    });
  }

  function choose(index) {
    const reply = matches[index];
    if (!reply) return;
    textarea.value = reply.text;
    close();
    textarea.focus();
    textarea.setSelectionRange(reply.text.length, reply.text.length);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  textarea.addEventListener("input", update);
  textarea.addEventListener("blur", () => setTimeout(close, 100));
  // Capture on the form: runs before inbox.js's own Enter-to-send on the textarea.
  composer.addEventListener("keydown", (event) => {
    if (event.target !== textarea || !isOpen()) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!matches.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + matches.length) % matches.length;
      mark();
    } else if (event.key === "Enter" && !event.shiftKey && active >= 0) {
      event.preventDefault();
      event.stopPropagation();
      choose(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  }, true);
})();
