// Suggestions where a person is picked ("To" of a new message, "Add people" of a group): an ARIA
// combobox over the field, fed by /people/search/?q= (name or username). The field stays plain
// text: without JavaScript people type usernames, as before.
(() => {
  "use strict";

  const DELAY_MS = 150;
  const SEPARATORS = /[\s,;]+/;
  let counter = 0;

  function lastToken(value) {
    const parts = value.split(SEPARATORS);
    return parts[parts.length - 1];
  }

  function attach(input) {
    counter += 1;
    const list = document.createElement("ul");
    list.id = `people-suggestions-${counter}`;
    list.className = "people-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People");
    list.hidden = true;
    input.after(list);
    input.parentElement.classList.add("has-people-picker");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    let timer = null;
    let asked = "";
    let active = -1;

    function options() { return Array.from(list.querySelectorAll("[role=option]")); }

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach((option, position) => option.setAttribute("aria-selected", String(position === active)));
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      const parts = input.value.split(SEPARATORS);
      parts[parts.length - 1] = option.dataset.username;
      input.value = `${parts.filter(Boolean).join(", ")}, `;
      close();
      input.focus();
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }

    async function suggest() {
      const words = lastToken(input.value).replace(/^@/, "");
      if (!words) { close(); return; }
      asked = words;
      const response = await fetch(`/people/search/?q=${encodeURIComponent(words)}`, { credentials: "same-origin" });
      if (!response.ok || asked !== words) return;
      const { people } = await response.json();
      const chosen = new Set(input.value.split(SEPARATORS).slice(0, -1).map((name) => name.replace(/^@/, "").toLowerCase()));
      const fresh = people.filter((person) => !chosen.has(person.username.toLowerCase()));
      if (!fresh.length) { close(); return; }
      list.replaceChildren(...fresh.map((person, index) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.username = person.username;
        option.innerHTML = person.avatar; // rendered by the server's avatar partial, escaped there
        const label = document.createElement("span");
        label.className = "people-suggestion-text";
        label.append(Object.assign(document.createElement("strong"), { textContent: person.name }), ` @${person.username}`);
        option.append(label);
        option.addEventListener("mousedown", (event) => { event.preventDefault(); choose(option); });
        return option;
      }));
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(suggest, DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options()[active]); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }

  document.querySelectorAll("[data-people-picker]").forEach(attach);
})();
