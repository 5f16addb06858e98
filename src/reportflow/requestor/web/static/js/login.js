// The login form: POST /api/v1/session, then back to where the user was going.

import { api } from "./api.js";

export function init() {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    let valid = true;
    for (const input of form.querySelectorAll("input[required]")) {
      const message = document.getElementById(`${input.id}-error`);
      const missing = !input.value.trim();
      input.setAttribute("aria-invalid", String(missing));
      message.textContent = missing ? `Enter your ${input.labels[0].textContent.toLowerCase()}.` : "";
      if (missing && valid) input.focus();
      valid &&= !missing;
    }
    if (!valid) return;
    const button = form.querySelector("button[type=submit]");
    button.setAttribute("aria-busy", "true");
    try {
      await api("/api/v1/session", {
        method: "POST",
        body: { username: form.username.value.trim(), password: form.password.value },
      });
      sessionStorage.clear();
      window.location.assign(form.dataset.next || "/catalog");
    } catch (problem) {
      error.textContent = problem.status === 401 ? "Wrong user name or password." : problem.message;
      form.password.select();
    } finally {
      button.removeAttribute("aria-busy");
    }
  });
}
