// Every page: the live channel, its banner and notifications, log out; then the page's own module.

import { api } from "./api.js";
import { LiveChannel } from "./live.js";
import { systemNotify, toast } from "./toast.js";

const PAGES = {
  login: () => import("./login.js"),
  catalog: () => import("./catalog.js"),
  form: () => import("./form.js"),
  reports: () => import("./reports.js"),
  report: () => import("./report.js"),
  admin: () => import("./admin.js"),
};

function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.content;
}

function bindBanner(channel) {
  const banner = document.getElementById("connection-banner");
  const text = banner?.querySelector("[data-banner-text]");
  let shownAt = null;
  channel.addEventListener("state", ({ detail }) => {
    if (!banner) return;
    if (detail.connected) {
      banner.hidden = true;
      shownAt = null;
      return;
    }
    shownAt ??= Date.now();
    banner.hidden = false;
    const wait = detail.retryInMs ? ` in ${Math.max(1, Math.round(detail.retryInMs / 1000))} s` : "";
    text.textContent = `Live updates paused: reconnecting${wait}…`;
  });
}

// Told once per finished report: the channel delivers each log entry once per session.
function bindNotifications(channel) {
  channel.addEventListener("event", ({ detail: entry }) => {
    const href = `/reports/${entry.report_id}`;
    if (entry.status === "succeeded") {
      const rows = entry.data?.rows;
      const body = typeof rows === "number" ? `${rows.toLocaleString()} rows, ready to download.` : "Ready to download.";
      toast("Report ready", { body, kind: "ok", href });
      systemNotify("Report ready", body, href);
    } else if (entry.status === "failed") {
      const body = entry.data?.error ?? "It failed.";
      toast("Report failed", { body, kind: "bad", href });
      systemNotify("Report failed", body, href);
    }
  });
}

function bindLogout() {
  const form = document.querySelector("form[data-logout]");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/v1/session", { method: "DELETE" });
    } finally {
      sessionStorage.clear();
      window.location.assign("/login");
    }
  });
}

const user = meta("rf-user");
let channel = null;
if (user) {
  channel = new LiveChannel(user, Number.parseInt(meta("rf-last-seq") ?? "0", 10) || 0);
  bindBanner(channel);
  bindNotifications(channel);
  bindLogout();
  // For the console and the browser tests: the page's one channel.
  window.reportflow = { channel };
}
const page = document.body.dataset.page;
const loader = PAGES[page];
if (loader) {
  const module = await loader();
  module.init?.({ channel });
}
channel?.start();
