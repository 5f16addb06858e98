// "My reports": the live table. Loads the list, then applies channel events to its rows.

import { api, problemText } from "./api.js";
import { announce, h } from "./dom.js";
import { applyEvent, badge, downloadLinks, elapsedText, FINAL, progressView, titleOf } from "./status.js";
import { notificationsSupported, toast } from "./toast.js";

const PAGE_SIZE = 50;
const rows = new Map(); // report id -> report
let tbody;
let cursor = null;

function actions(report) {
  const buttons = [];
  if (!FINAL.has(report.status)) {
    buttons.push(h("button", {
      type: "button", class: "button danger small", "aria-label": `Cancel ${titleOf(report.report)}`,
      onclick: (e) => act(e.currentTarget, report, "cancel"),
    }, "Cancel"));
  }
  if (report.status === "failed" || report.status === "cancelled") {
    buttons.push(h("button", {
      type: "button", class: "button ghost small", "aria-label": `Retry ${titleOf(report.report)}`,
      onclick: (e) => act(e.currentTarget, report, "retry"),
    }, "Retry"));
  }
  return h("div", { class: "actions" }, buttons);
}

async function act(button, report, what) {
  button.disabled = true;
  try {
    const updated = await api(`/api/v1/reports/${report.id}/${what}`, { method: "POST" });
    if (what === "retry") {
      toast("Report queued again", { body: titleOf(report.report) });
      upsert(updated, { flash: true });
    } else {
      upsert({ ...rows.get(report.id), ...pick(updated) });
    }
  } catch (problem) {
    toast(`Could not ${what}`, { body: problemText(problem), kind: "bad" });
    button.disabled = false;
  }
}

// A cancel answer may lag the live channel: keep the newer of the two.
function pick(updated) {
  const current = rows.get(updated.id);
  return current && FINAL.has(current.status) ? {} : updated;
}

function renderRow(report) {
  const created = new Date(report.created_at * 1000);
  const nameCell = h("td", { class: "report-name", "data-label": "Report" },
    h("a", { href: `/reports/${report.id}` }, titleOf(report.report)),
    h("span", { class: "report-sub" }, h("time", { datetime: created.toISOString() }, created.toLocaleString()),
      report.retry_of ? " · retry" : ""),
    report.error && report.status !== "succeeded" ? h("span", { class: "row-error" }, report.error) : null);
  return h("tr", { dataset: { reportId: report.id, status: report.status } },
    nameCell,
    h("td", { "data-label": "Status" }, badge(report.status)),
    h("td", { "data-label": "Progress" }, progressView(report)),
    h("td", { class: "elapsed", "data-label": "Elapsed", dataset: { elapsed: "" } }, elapsedText(report)),
    h("td", { "data-label": "Files" }, downloadLinks(report)),
    h("td", {}, actions(report)));
}

// Update a row in place: the status badge is replaced only when the status
// changes, so assistive tech and observers see one change per transition.
function upsert(report, { flash = false, append = false } = {}) {
  const previous = rows.get(report.id);
  rows.set(report.id, report);
  const existing = tbody.querySelector(`tr[data-report-id="${CSS.escape(report.id)}"]`);
  const fresh = renderRow(report);
  let row = fresh;
  if (existing) {
    row = existing;
    row.dataset.status = report.status;
    [...fresh.cells].forEach((cell, i) => {
      if (i === 1 && previous?.status === report.status) return;
      row.cells[i].replaceWith(cell);
    });
  } else if (append) {
    tbody.append(row);
  } else {
    tbody.prepend(row);
  }
  if (flash) row.classList.add("flash");
  syncEmpty();
}

function syncEmpty() {
  document.querySelector("[data-empty]").hidden = rows.size > 0;
  document.getElementById("reports-table").hidden = rows.size === 0;
}

async function loadPage() {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set("cursor", cursor);
  const page = await api(`/api/v1/reports?${query}`);
  for (const report of page.reports) if (!rows.has(report.id)) upsert(report, { append: true });
  cursor = page.next_cursor;
  document.querySelector("[data-more]").hidden = !cursor;
  syncEmpty();
}

async function onEntry(entry) {
  let report = rows.get(entry.report_id);
  if (!report) {
    // Submitted elsewhere (another tab, the API): fetch it whole.
    try {
      report = await api(`/api/v1/reports/${entry.report_id}`);
    } catch {
      return;
    }
    upsert(report, { flash: true });
    return;
  }
  const next = applyEvent(report, entry);
  if (!next) return;
  upsert(next);
  if (next.status !== report.status) announce(`${titleOf(next.report)} is ${next.status}`);
}

function tick() {
  for (const [id, report] of rows) {
    if (FINAL.has(report.status)) continue;
    const cell = tbody.querySelector(`tr[data-report-id="${CSS.escape(id)}"] [data-elapsed]`);
    if (cell) cell.textContent = elapsedText(report);
  }
}

function bindNotificationButton() {
  const button = document.querySelector("[data-enable-notifications]");
  if (!notificationsSupported() || Notification.permission !== "default") return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const answer = await Notification.requestPermission();
    button.hidden = true;
    toast(answer === "granted" ? "Desktop notifications on" : "Desktop notifications stay off");
  });
}

export async function init({ channel }) {
  tbody = document.querySelector("[data-rows]");
  const loading = document.querySelector("[data-loading]");
  const error = document.querySelector("[data-error]");
  // Events that arrive before the list is loaded wait for it, then apply in order.
  const early = [];
  let loaded = false;
  channel?.addEventListener("event", ({ detail }) => (loaded ? onEntry(detail) : early.push(detail)));
  document.querySelector("[data-more]").addEventListener("click", () => loadPage().catch(showError));
  bindNotificationButton();
  function showError(problem) {
    error.textContent = `Could not load your reports: ${problemText(problem)}`;
  }
  try {
    await loadPage();
  } catch (problem) {
    showError(problem);
  } finally {
    loading.hidden = true;
  }
  loaded = true;
  for (const entry of early) await onEntry(entry);
  const fresh = new URLSearchParams(location.search).get("new");
  if (fresh) tbody.querySelector(`tr[data-report-id="${CSS.escape(fresh)}"]`)?.classList.add("flash");
  setInterval(tick, 1000);
}
