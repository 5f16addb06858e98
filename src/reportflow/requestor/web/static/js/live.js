// The user's live channel: one websocket, replay from the last seq seen, reconnect with backoff.
//
// The last seq is kept in sessionStorage, so moving between pages (or reloading)
// resumes where the previous page stopped: nothing is missed and nothing is
// told twice. Listeners get "event" (a log entry), "ready" and "state" events.

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30000;
const CLOSE_UNAUTHORIZED = 4401;

export class LiveChannel extends EventTarget {
  constructor(user, serverSeq) {
    super();
    this.key = `reportflow.seq.${user}`;
    const stored = Number.parseInt(sessionStorage.getItem(this.key) ?? "", 10);
    // A stored seq past the server's means the log was reset: trust the server.
    this.seq = Number.isFinite(stored) && stored >= 0 && stored <= serverSeq ? stored : serverSeq;
    this.failures = 0;
    this.ws = null;
    this.timer = null;
    this.connected = false;
    this.stopped = false;
  }

  start() {
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.reconnectNow();
    });
    window.addEventListener("pagehide", () => this.stop());
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, "page closed");
  }

  reconnectNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.connect();
  }

  connect() {
    this.timer = null;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/ws?since=${this.seq}`);
    this.ws = ws;
    ws.addEventListener("message", (message) => this.onMessage(ws, message));
    ws.addEventListener("close", (close) => this.onClose(ws, close));
  }

  onMessage(ws, message) {
    let entry;
    try {
      entry = JSON.parse(message.data);
    } catch {
      return;
    }
    if (entry.type === "ping") {
      ws.send(JSON.stringify({ type: "pong" }));
    } else if (entry.type === "ready") {
      this.failures = 0;
      this.setConnected(true);
      this.dispatchEvent(new CustomEvent("ready", { detail: entry }));
    } else if (typeof entry.seq === "number" && entry.seq > this.seq) {
      this.seq = entry.seq;
      sessionStorage.setItem(this.key, String(entry.seq));
      this.dispatchEvent(new CustomEvent("event", { detail: entry }));
    }
  }

  onClose(ws, close) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.setConnected(false);
    if (this.stopped) return;
    if (close.code === CLOSE_UNAUTHORIZED) {
      window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    this.failures += 1;
    // Exponential backoff with jitter, so a restarted server is not stampeded.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failures - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.dispatchEvent(new CustomEvent("state", { detail: { connected: false, retryInMs: delay } }));
    this.timer = setTimeout(() => this.connect(), delay);
  }

  setConnected(connected) {
    if (this.connected === connected) return;
    this.connected = connected;
    this.dispatchEvent(new CustomEvent("state", { detail: { connected } }));
  }
}
