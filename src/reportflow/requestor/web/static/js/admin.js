// The admin page: queue depth, runner slots, failed webhook deliveries (redeliver), all reports.

import { api, problemText } from "./api.js";
import { announce, h } from "./dom.js";
import { badge, downloadLinks, elapsedText, formatDuration, titleOf } from "./status.js";
import { toast } from "./toast.js";

const REFRESH_MS = 5000;

function stat(name, value) {
  document.querySelector(`[data-stat="${name}"]`).textContent = value;
}

function renderOverview(data) {
  const depth = data.queue.depth;
  stat("queued", (depth.queued ?? 0).toLocaleString());
  stat("running", (depth.running ?? 0).toLocaleString());
  stat("oldest", data.queue.oldest_wait_seconds > 0 ? formatDuration(data.queue.oldest_wait_seconds) : "none");
  const busy = data.runners.reduce((n, r) => n + r.busy, 0);
  const slots = data.runners.reduce((n, r) => n + r.concurrency, 0);
  stat("slots", data.runners.length ? `${busy} / ${slots}` : "n/a");
  document.querySelector("[data-slots]").replaceChildren(
    ...Array.from({ length: Math.min(slots, 64) }, (_, i) => h("i", { class: i < busy ? "busy" : null })));
  document.querySelector("[data-depth]").replaceChildren(
    ...Object.entries(depth).flatMap(([state, n]) => [h("dt", {}, state), h("dd", {}, n.toLocaleString())]));
  const runners = document.querySelector("[data-runners]");
  if (!data.runners.length) {
    runners.replaceChildren(h("p", { class: "muted" },
      "No runner runs in this process. Runners on other machines report their slots to Prometheus (reportflow_runner_slots, reportflow_runner_slots_busy)."));
    return;
  }
  runners.replaceChildren(h("div", { class: "table-scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Worker"), h("th", { scope: "col" }, "Concurrency"), h("th", { scope: "col" }, "Busy slots"))),
    h("tbody", {}, data.runners.map((r) => h("tr", {}, h("td", { class: "mono" }, r.worker), h("td", {}, r.concurrency), h("td", {}, r.busy)))))));
}

async function redeliver(button, id) {
  button.disabled = true;
  try {
    const result = await api(`/api/v1/admin/deliveries/${encodeURIComponent(id)}/redeliver`, { method: "POST" });
    toast("Redelivery queued", { body: `${id} is ${result.state}` });
    announce(`Delivery ${id} queued for redelivery`);
    await refresh();
  } catch (problem) {
    toast("Could not redeliver", { body: problemText(problem), kind: "bad" });
    button.disabled = false;
  }
}

function renderDeliveries(data) {
  const box = document.querySelector("[data-deliveries]");
  if (!data.deliveries.length) {
    box.replaceChildren(h("p", { class: "muted" }, "No failed deliveries: every runner event reached the requestor."));
    return;
  }
  box.replaceChildren(h("div", { class: "table-scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, ["Message", "Event", "State", "Tries", "Last error", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, data.deliveries.map((d) => h("tr", {},
      h("td", { class: "mono" }, d.id),
      h("td", {}, d.type ?? "–", d.report_id ? h("span", { class: "report-sub mono" }, d.report_id) : null),
      h("td", {}, h("span", { class: "badge", dataset: { status: d.state === "pending" ? "running" : "failed" } }, d.state)),
      h("td", {}, d.attempts),
      h("td", {}, `${d.last_status ?? ""} ${d.last_error ?? ""}`.trim() || "–"),
      h("td", {}, h("button", {
        type: "button", class: "button ghost small", "aria-label": `Redeliver ${d.id}`,
        onclick: (e) => redeliver(e.currentTarget, d.id),
      }, "Redeliver"))))))));
}

function renderAll(page) {
  const box = document.querySelector("[data-all-reports]");
  if (!page.reports.length) {
    box.replaceChildren(h("p", { class: "muted" }, "No reports match."));
    return;
  }
  box.replaceChildren(h("div", { class: "table-scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, ["Report", "Owner", "Status", "Requested", "Elapsed", "Downloads"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, page.reports.map((r) => h("tr", {},
      h("td", { class: "report-name" }, h("a", { href: `/reports/${r.id}` }, titleOf(r.report)), h("span", { class: "report-sub mono" }, r.id)),
      h("td", {}, r.owner ?? "–"),
      h("td", {}, badge(r.status)),
      h("td", {}, new Date(r.created_at * 1000).toLocaleString()),
      h("td", { class: "elapsed" }, elapsedText(r)),
      h("td", {}, downloadLinks(r))))))));
}

let filter = "";

async function refresh() {
  const query = new URLSearchParams({ all_users: "true", limit: "50" });
  if (filter) query.set("status", filter);
  const results = await Promise.allSettled([
    api("/api/v1/admin/overview").then(renderOverview),
    api("/api/v1/admin/deliveries?failed=true").then(renderDeliveries),
    api(`/api/v1/reports?${query}`).then(renderAll),
  ]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) toast("Part of the page could not be refreshed", { body: problemText(failed.reason), kind: "bad" });
}

export async function init() {
  document.querySelector("[data-refresh]").addEventListener("click", refresh);
  document.querySelector("[data-status-filter]").addEventListener("change", (e) => {
    filter = e.target.value;
    refresh();
  });
  await refresh();
  setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
}
