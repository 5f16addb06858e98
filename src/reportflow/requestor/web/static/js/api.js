// The JSON API as the pages use it: same origin, session cookie, CSRF header.

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : `request failed (${status})`);
    this.status = status;
    this.detail = detail;
  }
}

// fetch() a JSON endpoint; resolves to the parsed body, rejects with ApiError.
// A 401 means the session ended: go to the login page and come back here.
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "the server cannot be reached; check your connection and try again");
  }
  if (response.status === 401 && !path.endsWith("/session")) {
    window.location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.detail ?? data ?? response.statusText);
    error.retryAfter = response.headers.get("Retry-After");
    throw error;
  }
  return data;
}

// One line for a problem the API reported, whatever its shape.
export function problemText(error) {
  const detail = error?.detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return String(error?.message ?? error);
}
