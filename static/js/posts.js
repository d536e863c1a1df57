// The public side's few live touches (every page works without them):
// - the story viewer: arrow keys, Escape and swipes go to the previous/next story or close it;
// - the feed: every 30 s, GET /feed/new-posts/?after=<newest cursor> → {"count": n}; when n > 0
//   a "New posts" button appears at the top (it reloads the feed). window.parleyPosts.poll() asks at once.
(function () {
  "use strict";

  const viewer = document.querySelector("[data-story-viewer]");
  if (viewer) {
    const go = (url) => { if (url) window.location.assign(url); };
    const previous = viewer.dataset.previousUrl;
    const next = viewer.dataset.nextUrl;
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea")) return;
      if (event.key === "ArrowLeft") go(previous);
      else if (event.key === "ArrowRight") go(next);
      else if (event.key === "Escape") go(viewer.dataset.closeUrl);
    });
    let startX = null;
    viewer.addEventListener("touchstart", (event) => { startX = event.touches[0].clientX; }, { passive: true });
    viewer.addEventListener("touchend", (event) => {
      if (startX === null) return;
      const delta = event.changedTouches[0].clientX - startX;
      startX = null;
      if (Math.abs(delta) > 50) go(delta > 0 ? previous : next);
    });
  }

  const feed = document.querySelector("[data-feed][data-newest-cursor]");
  if (feed) {
    const button = feed.querySelector("[data-new-posts]");
    const url = `${feed.dataset.newPostsUrl}?after=${encodeURIComponent(feed.dataset.newestCursor)}`;
    const poll = async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) return;
        const { count } = await response.json();
        if (count > 0) {
          button.textContent = count === 1 ? "New posts (1)" : `New posts (${count})`;
          button.hidden = false;
        }
      } catch (error) { /* offline for a moment: try again at the next tick */ }
    };
    window.setInterval(poll, 30000);
    window.parleyPosts = { poll };
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  }

  const pictures = document.querySelector("[data-pictures-input]");
  if (pictures) {
    const hint = document.querySelector("[data-pictures-hint]");
    pictures.addEventListener("change", () => {
      const count = pictures.files.length;
      hint.textContent = count ? `${count} picture${count === 1 ? "" : "s"} chosen${count > 4 ? " (at most 4)" : ""}` : "Up to 4 pictures · 2,200 characters";
    });
  }
})();
