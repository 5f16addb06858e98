// The report page: live status, downloads, cancel/retry, a preview of the first rows and a chart.

import { api, problemText } from "./api.js";
import { announce, h } from "./dom.js";
import { buildSeries, drawChart, guessSpec } from "./chart.js";
import { applyEvent, badge, downloadLinks, elapsedText, FINAL, progressView } from "./status.js";
import { toast } from "./toast.js";

const PREVIEW_ROWS = 50;
const CHART_ROWS = 500; // the chart wants every point the API will give, the table a screenful
let report;
let previewLoaded = false;

function field(name) {
  return document.querySelector(`#report-view [data-field="${name}"]`);
}

function render(previous) {
  if (previous?.status !== report.status) field("status").replaceChildren(badge(report.status));
  field("progress").replaceChildren(progressView(report));
  field("elapsed").textContent = elapsedText(report);
  field("created").textContent = new Date(report.created_at * 1000).toLocaleString();
  field("downloads").replaceChildren(downloadLinks(report));
  field("error").textContent = report.error && report.status !== "succeeded" ? report.error : "";
  const buttons = [];
  if (!FINAL.has(report.status)) buttons.push(h("button", { type: "button", class: "button danger", onclick: () => act("cancel") }, "Cancel"));
  if (report.status === "failed" || report.status === "cancelled") {
    buttons.push(h("button", { type: "button", class: "button primary", onclick: () => act("retry") }, "Retry"));
  }
  document.querySelector("[data-actions]").replaceChildren(...buttons);
  if (report.status === "succeeded" && !previewLoaded) loadPreview();
}

async function act(what) {
  try {
    const updated = await api(`/api/v1/reports/${report.id}/${what}`, { method: "POST" });
    if (what === "retry") {
      window.location.assign(`/reports/${updated.id}`);
      return;
    }
    const previous = report;
    if (!FINAL.has(report.status)) report = updated;
    render(previous);
  } catch (problem) {
    toast(`Could not ${what}`, { body: problemText(problem), kind: "bad" });
  }
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function previewTable(data) {
  const numeric = data.columns.map((_, i) => data.rows.length > 0 && data.rows.every((r) => r[i] === null || r[i] === "" || NUMERIC.test(String(r[i]))));
  return h("div", { class: "preview-scroll", tabindex: "0", role: "region", "aria-label": "Preview of the first rows" },
    h("table", {},
      h("thead", {}, h("tr", {}, data.columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, data.rows.map((row) => h("tr", {}, row.map((v, i) => h("td", { class: numeric[i] ? "num" : null }, v ?? "")))))));
}

async function loadPreview() {
  previewLoaded = true;
  const box = document.querySelector("[data-preview]");
  const note = document.querySelector("[data-preview-note]");
  box.replaceChildren(h("p", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Loading the first rows…"));
  let data;
  try {
    data = await api(`/api/v1/reports/${report.id}/preview?limit=${CHART_ROWS}`);
  } catch (problem) {
    box.replaceChildren(h("p", { class: "form-error", role: "alert" }, `The preview could not be loaded: ${problemText(problem)}`));
    return;
  }
  if (!data.format) {
    box.replaceChildren(h("p", { class: "muted" }, "This report has no CSV or JSON output to preview; download it above."));
    return;
  }
  if (!data.rows.length) {
    box.replaceChildren(h("p", { class: "muted" }, "The report ran and returned no rows."));
    return;
  }
  const total = typeof data.total_rows === "number" ? ` of ${data.total_rows.toLocaleString()}` : "";
  const shown = { ...data, rows: data.rows.slice(0, PREVIEW_ROWS) };
  note.textContent = `First ${shown.rows.length.toLocaleString()}${total} rows, from ${data.artifact}`;
  box.replaceChildren(previewTable(shown));
  const spec = data.chart ?? guessSpec(data.columns, data.rows);
  const series = spec && buildSeries(data.columns, data.rows, spec);
  if (series?.series.length) {
    const section = document.querySelector("[data-chart-section]");
    section.hidden = false;
    const title = spec.title ?? `${spec.y.join(", ")} by ${spec.x}`;
    section.querySelector("h2").textContent = title;
    drawChart(section.querySelector("[data-chart]"), series, title);
  }
}

export async function init({ channel }) {
  const id = document.getElementById("report-view").dataset.reportId;
  const early = [];
  channel?.addEventListener("event", ({ detail }) => {
    if (detail.report_id !== id) return;
    if (!report) {
      early.push(detail);
      return;
    }
    const next = applyEvent(report, detail);
    if (!next) return;
    const previous = report;
    report = next;
    render(previous);
    if (previous.status !== report.status) announce(`The report is ${report.status}`);
  });
  try {
    report = await api(`/api/v1/reports/${id}`);
  } catch (problem) {
    field("error").textContent = `Could not load the report: ${problemText(problem)}`;
    return;
  }
  for (const entry of early) report = applyEvent(report, entry) ?? report;
  render(null);
  setInterval(() => {
    if (!FINAL.has(report.status)) field("elapsed").textContent = elapsedText(report);
  }, 1000);
}
