// The pages' one shared helper, loaded (deferred) before every page script: JSON requests
// with the session's CSRF token, answered in the site's error shape (core/http.py:
// {"error": "...", "errors": {...}}), and dates written as the server writes them. Data
// reaches a page only through textContent and DOM properties, never innerHTML.
"use strict";

window.App = (() => {
  // Every page of a logged-in user carries the token in its log-out form.
  const csrfToken = () => {
    const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  };

  // The sentence to show for a failed answer: the server's own when its JSON `data` has
  // one, else `fallback`, else the status.
  const errorMessage = (status, data, fallback) => {
    const serverError = data && typeof data.error === "string" ? data.error : "";
    return serverError || fallback || `The server answered ${status}.`;
  };

  // Read a JSON answer: {ok, status, data, error}. `error` is the server's sentence when
  // it sent one, else `fallback`; a network failure is status 0. Aborts are rethrown.
  const requestJSON = async (url, { method = "GET", body, signal, fallback } = {}) => {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    let response;
    try {
      response = await fetch(url, { method, body, signal, headers, credentials: "same-origin" });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      return { ok: false, status: 0, data: null, error: fallback || "The server could not be reached." };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return {
      ok: response.ok,
      status: response.status,
      data,
      error: response.ok ? "" : errorMessage(response.status, data, fallback),
    };
  };

  // A date as every page shows it, in UTC as the server renders it (core/templatetags/dates.py):
  // "2026-12-03 05:58:42".
  const formatTime = (when) => when.toISOString().slice(0, 19).replace("T", " ");

  return Object.freeze({ csrfToken, errorMessage, formatTime, requestJSON });
})();
