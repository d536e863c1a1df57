// "Turn on push notifications" on the notification settings page: registers /sw.js and hands the
// browser's push subscription to Parley (notifications/push.py). Only offered when the site has VAPID keys.
(() => {
  "use strict";

  const section = document.querySelector("[data-push]");
  if (!section) return;
  const button = section.querySelector("[data-push-toggle]");
  const status = section.querySelector("[data-push-status]");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = "This browser cannot receive push notifications.";
    button.hidden = true;
    return;
  }

  function keyBytes(base64) {
    const padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
  }

  async function post(body) {
    const response = await fetch(section.dataset.pushUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error((await response.json()).detail || "Parley refused the subscription.");
  }

  async function current() {
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    return { registration, subscription: await registration.pushManager.getSubscription() };
  }

  async function render() {
    const { subscription } = await current();
    button.textContent = subscription ? "Turn off push notifications on this device" : "Turn on push notifications on this device";
    button.dataset.on = subscription ? "1" : "";
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { registration, subscription } = await current();
      if (subscription) {
        await post({ remove: true, endpoint: subscription.endpoint });
        await subscription.unsubscribe();
        status.textContent = "Push notifications are off on this device.";
      } else {
        if (await Notification.requestPermission() !== "granted") {
          status.textContent = "Notifications are blocked for this site in the browser's settings.";
          return;
        }
        const fresh = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(section.dataset.pushKey) });
        await post({ subscription: fresh.toJSON() });
        status.textContent = "Push notifications are on on this device.";
      }
    } catch (error) {
      status.textContent = `Could not change push notifications: ${error.message}`;
    } finally {
      button.disabled = false;
      render();
    }
  });
  render();
})();
