// Parley attachments in the composer: "Attach files", drag and drop, and pasted pictures upload at once to
// /media/upload/ (one file per request) with a preview and a progress bar; a failed upload can be retried or
// removed. Each uploaded file leaves a hidden input name="attachment" (its id) in the form, so a plain form post
// carries the ids too. Without this script the file input posts the files with the form.
//
// Sending waits for the files: a submit while files are still uploading is held (the Send button says
// "Sending…") and goes out by itself once they are up; while a file has failed ("photo.jpg could not be
// uploaded: …") nothing is sent until it is removed or uploads on retry.
//
// For the page's own script: window.ParleyAttachments.state(form) -> {ids, busy, failed, failures};
// .clear(form) empties the tray after sending; .addUploaded(form, payload) puts a file already stored
// (the upload endpoint's JSON, e.g. from media:reuse) in the tray. The form fires "attachments:change"
// whenever that state changes.
(() => {
  "use strict";

  const PREVIEWABLE = /^image\/(jpeg|png|gif|webp)$/;

  function csrfToken(form) {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  }

  function describeBytes(size) {
    if (size >= 1024 * 1024) return `${(size / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
    if (size >= 1024) return `${Math.round(size / 1024)} KB`;
    return `${size} bytes`;
  }

  function extensionLabel(name) {
    const dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot + 1, dot + 5).toUpperCase() : "FILE";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function enhance(container) {
    const form = container.closest("form");
    if (!form) return;
    const input = container.querySelector("input[type=file]");
    const tray = form.querySelector("[data-attachment-tray]");
    const errorLine = form.querySelector("[data-attachment-error]");
    const uploadUrl = container.dataset.uploadUrl;
    const maxFiles = Number(container.dataset.maxFiles) || 10;
    const maxBytes = Number(container.dataset.maxBytes) || Infinity;
    const dropZone = form.closest("[data-conversation]") || form;
    const waitingLine = form.querySelector("[data-attachment-waiting]");
    const sendButton = form.querySelector("button[type=submit]:not([name])");
    const sendLabel = sendButton ? sendButton.textContent : "";
    const items = new Set();
    let limitError = "";
    let waitingToSend = false;

    container.classList.add("is-enhanced");
    form.enctype = "multipart/form-data";

    function changed() {
      tray.hidden = items.size === 0;
      const current = state();
      renderErrors(current);
      form.dispatchEvent(new CustomEvent("attachments:change", { detail: current }));
      if (waitingToSend && !current.busy && !current.failed) {
        setWaiting(false);
        // The held message goes out now (its files are up, or the failed one was removed), through the
        // page's own submit handling: the socket, or a plain form post.
        form.requestSubmit();
      }
    }

    function state() {
      const all = [...items];
      return {
        ids: all.filter((item) => item.id).map((item) => item.id),
        busy: all.some((item) => item.request),
        failed: all.some((item) => item.failed),
        failures: all.filter((item) => item.failed).map((item) => ({ name: item.name, detail: item.failure })),
      };
    }

    function showError(text) {
      limitError = text;
      renderErrors(state());
    }

    function renderErrors(current) {
      const lines = current.failures.map((failure) => `${failure.name} could not be uploaded: ${failure.detail}`);
      if (limitError) lines.unshift(limitError);
      if (waitingToSend && current.failed) lines.push("Remove or retry it to send your message.");
      errorLine.textContent = lines.join(" ");
      errorLine.hidden = !lines.length;
    }

    function setWaiting(waiting) {
      waitingToSend = waiting;
      form.classList.toggle("is-waiting-for-files", waiting);
      if (sendButton) {
        sendButton.textContent = waiting ? "Sending…" : sendLabel;
        sendButton.setAttribute("aria-busy", String(waiting));
      }
      if (waitingLine) {
        waitingLine.textContent = waiting ? "Sending… Your message goes out once your files have uploaded." : "";
        waitingLine.hidden = !waiting;
      }
    }

    // Capture: this runs before the page's own submit handler, which then only sees sendable messages.
    form.addEventListener("submit", (event) => {
      const current = state();
      if (!current.busy && !current.failed) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      setWaiting(true);
      renderErrors(current);
    }, true);

    function addFiles(files) {
      showError("");
      for (const file of files) {
        if (items.size >= maxFiles) {
          showError(`A message can carry at most ${maxFiles} files.`);
          break;
        }
        addItem(file);
      }
      changed();
    }

    function addItem(file) {
      const name = file.name || "pasted-image.png";
      const item = { file, name, id: null, request: null, failed: false, failure: "", previewUrl: null };
      const previewUrl = PREVIEWABLE.test(file.type) ? URL.createObjectURL(file) : null;
      item.previewUrl = previewUrl;
      buildItem(item, previewUrl, describeBytes(file.size));

      if (file.size > maxBytes) {
        fail(item, `Too large: the limit is ${describeBytes(maxBytes)}.`, false);
        return;
      }
      upload(item);
    }

    function buildItem(item, previewUrl, statusText) {
      const name = item.name;
      const li = element("li", "tray-item");
      const preview = element("div", "tray-preview");
      if (previewUrl) {
        const image = element("img");
        image.src = previewUrl;
        image.alt = "";
        preview.append(image);
      } else {
        preview.textContent = extensionLabel(name);
      }
      const label = element("span", "tray-name", name);
      label.title = name;
      const progress = element("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", `Uploading ${name}`);
      const status = element("span", "tray-status", statusText);
      status.setAttribute("aria-live", "polite");
      const actions = element("div", "tray-actions");
      const retry = element("button", "button button-small", "Retry");
      retry.type = "button";
      retry.hidden = true;
      retry.append(element("span", "visually-hidden", ` ${name}`));
      const remove = element("button", "button button-small button-quiet", "Remove");
      remove.type = "button";
      remove.append(element("span", "visually-hidden", ` ${name}`));
      actions.append(retry, remove);
      li.append(preview, label, progress, status, actions);
      tray.append(li);
      Object.assign(item, { li, progress, status, retry });
      items.add(item);

      retry.addEventListener("click", () => { upload(item); changed(); });
      remove.addEventListener("click", () => { drop(item); changed(); input.focus(); });
    }

    function addUploaded(body) {
      showError("");
      if (items.size >= maxFiles) {
        showError(`A message can carry at most ${maxFiles} files.`);
        changed();
        return false;
      }
      const item = { file: null, name: body.name, id: null, request: null, failed: false, failure: "", previewUrl: null };
      buildItem(item, body.kind === "image" ? body.thumbnail_url : null, describeBytes(body.size));
      done(item, body);
      changed();
      return true;
    }

    function upload(item) {
      item.failed = false;
      item.failure = "";
      item.li.classList.remove("is-failed");
      item.retry.hidden = true;
      item.status.textContent = "Uploading…";
      const data = new FormData();
      data.append("file", item.file, item.name);
      const request = new XMLHttpRequest();
      item.request = request;
      request.open("POST", uploadUrl);
      request.setRequestHeader("X-CSRFToken", csrfToken(form));
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.responseType = "json";
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) item.progress.value = Math.round((event.loaded / event.total) * 100);
      });
      request.addEventListener("load", () => {
        item.request = null;
        const body = request.response || {};
        if (request.status === 201 && body.id) {
          done(item, body);
        } else {
          // Refusals are final (the same bytes would be refused again); server trouble may pass.
          const retryable = request.status >= 500 || request.status === 0;
          fail(item, body.detail || "The upload failed.", retryable);
        }
        changed();
      });
      for (const type of ["error", "abort", "timeout"]) {
        request.addEventListener(type, () => {
          item.request = null;
          if (items.has(item)) fail(item, "The upload was interrupted.", true);
          changed();
        });
      }
      request.send(data);
    }

    function done(item, body) {
      item.id = body.id;
      item.progress.value = 100;
      item.li.classList.add("is-done");
      item.status.textContent = describeBytes(body.size);
      const hidden = element("input");
      hidden.type = "hidden";
      hidden.name = "attachment";
      hidden.value = String(body.id);
      item.li.append(hidden);
      item.li.dataset.attachmentId = String(body.id);
    }

    function fail(item, detail, retryable) {
      item.failed = true;
      item.failure = detail;
      item.li.classList.add("is-failed");
      item.status.textContent = detail;
      item.retry.hidden = !retryable;
    }

    function drop(item) {
      items.delete(item);
      if (item.request) item.request.abort();
      if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
      item.li.remove();
    }

    input.addEventListener("change", () => {
      addFiles([...input.files]);
      // The files are on their way through XHR: the form itself must not post them again.
      input.value = "";
    });

    dropZone.addEventListener("dragover", (event) => {
      if (!event.dataTransfer || ![...event.dataTransfer.types].includes("Files")) return;
      event.preventDefault();
      dropZone.classList.add("is-dropping");
    });
    dropZone.addEventListener("dragleave", (event) => {
      if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove("is-dropping");
    });
    dropZone.addEventListener("drop", (event) => {
      dropZone.classList.remove("is-dropping");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      addFiles([...event.dataTransfer.files]);
    });
    form.addEventListener("paste", (event) => {
      const files = event.clipboardData ? [...event.clipboardData.files] : [];
      if (!files.length) return;
      event.preventDefault();
      addFiles(files);
    });

    form.parleyAttachments = {
      state,
      addUploaded,
      clear() {
        for (const item of [...items]) drop(item);
        showError("");
        changed();
      },
    };
  }

  window.ParleyAttachments = {
    state(form) {
      return form && form.parleyAttachments
        ? form.parleyAttachments.state()
        : { ids: [], busy: false, failed: false, failures: [] };
    },
    addUploaded(form, payload) {
      return Boolean(form && form.parleyAttachments && form.parleyAttachments.addUploaded(payload));
    },
    clear(form) {
      if (form && form.parleyAttachments) form.parleyAttachments.clear();
    },
  };

  document.querySelectorAll("[data-attachments]").forEach(enhance);
})();
