// Parley's GIF picker (templates/media/_gif_picker.html): choosing a GIF sends it at once, without uploading
// it again. The choice asks media:reuse (POST /media/<id>/reuse/) for a copy, which answers like an upload;
// the copy goes into the composer's tray as an uploaded file (window.ParleyAttachments.addUploaded) and the
// composer is submitted, so the message leaves the way every other message does. Without this script each
// GIF is a submit button that posts reuse_attachment=<id> with the composer form.
(() => {
  "use strict";

  function csrfToken(form) {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function enhance(picker) {
    const form = picker.closest("form");
    const errorLine = picker.querySelector("[data-gif-picker-error]");
    if (!form) return;

    function showError(text) {
      errorLine.textContent = text;
      errorLine.hidden = !text;
    }

    async function choose(button) {
      if (button.getAttribute("aria-busy") === "true") return;
      showError("");
      button.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(button.dataset.reuseUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "XMLHttpRequest" },
        });
        const body = await response.json().catch(() => ({}));
        if (response.status !== 201 || !body.id) {
          showError(body.detail || "This GIF could not be sent. Try again.");
          return;
        }
        if (!window.ParleyAttachments || !window.ParleyAttachments.addUploaded(form, body)) {
          showError("This GIF could not be added to your message.");
          return;
        }
        picker.open = false;
        form.requestSubmit();
      } catch {
        showError("This GIF could not be sent: check your connection and try again.");
      } finally {
        button.removeAttribute("aria-busy");
      }
    }

    picker.addEventListener("click", (event) => {
      const button = event.target.closest("button[name=reuse_attachment]");
      if (!button || !button.dataset.reuseUrl) return;
      event.preventDefault();
      choose(button);
    });
    // Closes like a menu: Escape, or a click elsewhere.
    document.addEventListener("click", (event) => {
      if (picker.open && !picker.contains(event.target)) picker.open = false;
    });
    picker.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && picker.open) {
        picker.open = false;
        picker.querySelector("summary").focus();
      }
    });
  }

  document.querySelectorAll("[data-gif-picker]").forEach(enhance);
})();
