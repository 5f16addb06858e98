// In-page toasts (an aria-live region) and, when allowed, system notifications.

const TOAST_MS = 8000;

export function toast(title, { body = "", kind = "info", href = null } = {}) {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = document.createElement("div");
  item.className = `toast ${kind}`;
  const heading = document.createElement("strong");
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    link.textContent = title;
    heading.append(link);
  } else {
    heading.textContent = title;
  }
  item.append(heading);
  if (body) {
    const text = document.createElement("p");
    text.textContent = body;
    item.append(text);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.setAttribute("aria-label", "Dismiss notification");
  close.textContent = "×";
  close.addEventListener("click", () => item.remove());
  item.append(close);
  region.append(item);
  setTimeout(() => item.remove(), TOAST_MS);
}

export function notificationsSupported() {
  return "Notification" in window;
}

// A system notification only when the page is not being looked at and the user said yes.
export function systemNotify(title, body, href) {
  if (!notificationsSupported() || Notification.permission !== "granted" || !document.hidden) return;
  const note = new Notification(title, { body, tag: href ?? title });
  note.onclick = () => {
    window.focus();
    if (href) window.location.assign(href);
  };
}
