// A report's parameter form: client-side checks beside each field, then POST /api/v1/reports.
// Server-side 422 problems name their field (loc ["body", "params", NAME]) and land beside it too.

import { api } from "./api.js";
import { toast } from "./toast.js";

function fieldErrorBox(form, name) {
  return form.querySelector(`[data-param="${CSS.escape(name)}"] .field-error`);
}

function controls(box) {
  return [...box.querySelectorAll("input, select")];
}

function clearErrors(form) {
  for (const box of form.querySelectorAll(".field-error, .form-error")) box.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function showError(form, name, message) {
  const box = form.querySelector(`[data-param="${CSS.escape(name)}"]`);
  if (!box) return false;
  box.querySelector(".field-error").textContent = message;
  const target = box.tagName === "FIELDSET" ? box : controls(box)[0];
  target?.setAttribute("aria-invalid", "true");
  return true;
}

function focusFirstError(form) {
  const first = form.querySelector("[aria-invalid='true']");
  first?.focus();
}

// The browser's own constraint checks, worded beside the field.
function validateLocally(form) {
  let ok = true;
  for (const box of form.querySelectorAll("[data-param]")) {
    const name = box.dataset.param;
    if (box.tagName === "FIELDSET") {
      if (name === "formats" && !box.querySelector("input:checked")) {
        ok = showError(form, name, "Choose at least one format.") && false;
      }
      continue;
    }
    const input = controls(box)[0];
    if (!input || input.validity.valid) continue;
    ok = false;
    const label = box.querySelector("label")?.textContent.replace("*", "").trim() ?? name;
    let message = input.validationMessage;
    if (input.validity.valueMissing) message = `${label} is required.`;
    else if (input.validity.patternMismatch) {
      const help = box.querySelector(".help")?.textContent;
      message = `${label} does not have the expected form${help ? ` (${help.replace(/\.$/, "")})` : ""}.`;
    } else if (input.validity.rangeUnderflow) message = `${label} must be at least ${input.min}.`;
    else if (input.validity.rangeOverflow) message = `${label} must be at most ${input.max}.`;
    else if (input.validity.stepMismatch) message = `${label} must be a whole number.`;
    showError(form, name, message);
  }
  return ok;
}

function collect(form) {
  const params = {};
  for (const box of form.querySelectorAll("[data-param]")) {
    const name = box.dataset.param;
    if (name === "formats") continue;
    const inputs = controls(box);
    const type = box.dataset.type;
    if (type === "array") {
      params[name] = inputs.filter((i) => i.checked).map((i) => i.value);
    } else if (type === "boolean") {
      params[name] = inputs[0].checked;
    } else {
      const raw = inputs[0].value.trim();
      if (raw === "") continue; // blank: the server applies the default
      params[name] = type === "integer" || type === "number" ? Number(raw) : raw;
    }
  }
  const formats = [...form.querySelectorAll("[data-param='formats'] input:checked")].map((i) => i.value);
  return { report: form.dataset.report, params, formats };
}

function showProblem(form, problem) {
  const general = form.querySelector("#form-error");
  if (Array.isArray(problem.detail)) {
    const unplaced = [];
    for (const item of problem.detail) {
      const loc = item.loc ?? [];
      const name = loc[1] === "params" ? loc[2] : loc[1] === "formats" ? "formats" : null;
      if (!(name && showError(form, String(name), item.msg))) unplaced.push(item.msg);
    }
    general.textContent = unplaced.join(" ");
  } else if (problem.status === 429) {
    const wait = problem.retryAfter ? ` Try again in ${problem.retryAfter} s.` : "";
    general.textContent = `${problem.message}.${wait}`;
  } else {
    general.textContent = problem.message;
  }
}

export function init() {
  const form = document.getElementById("report-form");
  let idempotencyKey = crypto.randomUUID();
  form.addEventListener("input", (event) => {
    const box = event.target.closest("[data-param]");
    if (box && box.querySelector("[aria-invalid]") !== null) {
      box.querySelector(".field-error").textContent = "";
      for (const el of box.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
      box.removeAttribute("aria-invalid");
    }
  });
  form.addEventListener("reset", () => setTimeout(() => clearErrors(form)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!validateLocally(form)) {
      focusFirstError(form);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      // One key per filled-in form: a double click or a retry after a timeout makes one report.
      const report = await api("/api/v1/reports", {
        method: "POST",
        body: collect(form),
        headers: { "Idempotency-Key": idempotencyKey },
      });
      idempotencyKey = crypto.randomUUID();
      toast("Report queued", { body: "You will be told when it is ready." });
      window.location.assign(`/reports?new=${encodeURIComponent(report.id)}`);
    } catch (problem) {
      showProblem(form, problem);
      focusFirstError(form);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
}
