// A report's state as the pages show it, and how live events move it forward.
//
// applyEvent mirrors the server's lifecycle (reportflow.store.lifecycle): an
// event applies only if it moves (attempt, phase) forward, so an event replayed
// after a fresher list was fetched never turns a row back.

import { h } from "./dom.js";

export const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const KIND_PHASE = { queued: 0, started: 1, progress: 2, succeeded: 3, failed: 3, cancelled: 3 };

function phaseOf(report) {
  if (report.phase !== undefined) return report.phase;
  if (FINAL.has(report.status)) return 3;
  if (report.status === "running") return report.progress ? 2 : 1;
  return report.attempt > 0 ? 3 : 0; // queued again after a failed attempt
}

// The report after `entry`, or null when the entry is stale for it.
export function applyEvent(report, entry) {
  const kind = entry.type.replace(/^report\./, "");
  const phase = KIND_PHASE[kind];
  if (phase === undefined || FINAL.has(report.status)) return null;
  const current = phaseOf(report);
  if (entry.attempt < report.attempt) return null;
  if (entry.attempt === report.attempt && (phase < current || (phase === current && phase !== 2))) {
    return null;
  }
  const next = { ...report, status: entry.status, attempt: entry.attempt, phase, updated_at: entry.at };
  const data = entry.data ?? {};
  if (kind === "started") {
    next.started_at = report.started_at ?? entry.at;
    next.progress = null;
  } else if (kind === "progress") {
    next.progress = { stage: data.stage, rows: data.rows, percent: data.percent };
  } else if (kind === "succeeded") {
    next.artifacts = data.artifacts ?? [];
    next.finished_at = entry.at;
    next.progress = { stage: "done", rows: data.rows ?? report.progress?.rows, percent: 100 };
    next.error = null;
  } else if (kind === "failed" || kind === "cancelled") {
    next.error = kind === "failed" ? data.error : data.reason;
    if (FINAL.has(entry.status)) next.finished_at = entry.at;
  }
  return next;
}

let titles = null;

// The catalog title of a report name (the pages embed the map), else the name.
export function titleOf(name) {
  if (titles === null) {
    try {
      titles = JSON.parse(document.getElementById("report-titles")?.textContent ?? "{}");
    } catch {
      titles = {};
    }
  }
  return titles[name] ?? name;
}

export function badge(status) {
  return h("span", { class: "badge", dataset: { status } }, status);
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

// Running: time since it started; queued: time waiting; finished: how long it ran.
export function elapsedText(report, now = Date.now() / 1000) {
  if (report.status === "queued") return `waiting ${formatDuration(now - report.created_at)}`;
  const start = report.started_at ?? report.created_at;
  const end = report.finished_at ?? (FINAL.has(report.status) ? report.updated_at : now);
  return formatDuration(end - start);
}

const NUMBER = new Intl.NumberFormat();

export function progressView(report) {
  const p = report.progress;
  const done = report.status === "succeeded";
  const percent = done ? 100 : p?.percent;
  const known = typeof percent === "number";
  const running = report.status === "running";
  const bar = h("div", {
    class: `bar${done ? " done" : ""}${running && !known ? " indeterminate" : ""}`,
    role: "progressbar",
    "aria-label": "Progress",
    "aria-valuemin": "0",
    "aria-valuemax": "100",
    "aria-valuenow": known ? String(Math.round(percent)) : null,
  }, h("span", { style: known ? `width:${Math.max(0, Math.min(100, percent))}%` : null }));
  const parts = [];
  if (p?.stage && !done) parts.push(p.stage);
  // Finished: the rows written (the artifacts know), not the last progress tick.
  const written = (report.artifacts ?? []).map((a) => a.rows).filter((n) => typeof n === "number");
  const rowCount = done && written.length ? Math.max(...written) : p?.rows;
  if (typeof rowCount === "number") parts.push(`${NUMBER.format(rowCount)} rows`);
  if (known && !done) parts.push(`${Math.round(percent)}%`);
  if (!parts.length) parts.push(report.status === "queued" ? "waiting for a runner" : done ? "done" : report.status);
  return h("div", { class: "progress" }, bar, h("div", { class: "progress-text" }, parts.join(" · ")));
}

export function downloadLinks(report) {
  if (!report.artifacts?.length) return h("span", { class: "muted" }, "–");
  return h("div", { class: "downloads" }, report.artifacts.map((a) =>
    h("a", {
      class: "download",
      href: a.url,
      download: a.name,
      "aria-label": `Download ${(a.format ?? a.name).toUpperCase()} of ${titleOf(report.report)}`,
      dataset: { format: a.format ?? "" },
    }, (a.format ?? a.name).toUpperCase())));
}
