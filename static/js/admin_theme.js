// The admin's theme is the account's: hand it to Django's admin/js/theme.js, which runs right after.
"use strict";
{
  const chosen = document.currentScript.dataset.theme;
  const adminMode = { system: "auto", light: "light", dark: "dark" }[chosen];
  if (adminMode) {
    localStorage.setItem("theme", adminMode);
  }
}
