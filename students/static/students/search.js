// Search-as-you-type on /students/: debounced, stale requests aborted, only the latest
// answer shown, rows built from DOM nodes (never innerHTML with data).
(function () {
  "use strict";

  const MIN_LENGTH = 2;
  const MAX_LENGTH = 100;
  const DEBOUNCE_MS = 200;

  const form = document.getElementById("student-search-form");
  if (!form) {
    return;
  }
  const input = document.getElementById("student-search");
  const status = document.getElementById("search-status");
  const table = document.getElementById("search-results");
  const tbody = table.querySelector("tbody");
  const searchUrl = form.dataset.searchUrl;

  let timer = null;
  let controller = null;
  let latestRequest = 0;

  function say(message, state) {
    status.textContent = message;
    status.dataset.state = state;
  }

  function cell(value) {
    const td = document.createElement("td");
    td.textContent = value;
    return td;
  }

  function show(results) {
    const rows = results.map(function (student) {
      const tr = document.createElement("tr");
      tr.append(
        cell(student.last_name),
        cell(student.first_name),
        cell(student.email),
        cell(String(student.age))
      );
      return tr;
    });
    tbody.replaceChildren(...rows);
    table.hidden = rows.length === 0;
  }

  async function search(query) {
    if (controller) {
      controller.abort();
    }
    const request = ++latestRequest;
    if (query.length < MIN_LENGTH) {
      show([]);
      say("Type at least 2 characters to search.", "idle");
      return;
    }
    if (query.length > MAX_LENGTH) {
      show([]);
      say("The search text is limited to 100 characters.", "error");
      return;
    }
    controller = new AbortController();
    say("Searching…", "busy");
    let response;
    let body;
    try {
      response = await fetch(searchUrl + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      body = await response.json();
    } catch (error) {
      if (error.name === "AbortError" || request !== latestRequest) {
        return;
      }
      show([]);
      say("Search is unavailable right now.", "error");
      return;
    }
    if (request !== latestRequest) {
      return;
    }
    if (response.status === 401) {
      show([]);
      say("Your session has ended: log in again to search.", "error");
    } else if (response.status === 503 || response.status >= 500) {
      show([]);
      say("Search is unavailable right now.", "error");
    } else if (!response.ok) {
      show([]);
      say(body.error || "This search cannot be run.", "error");
    } else if (body.count === 0) {
      show([]);
      say("No student matches “" + query + "”.", "empty");
    } else {
      show(body.results);
      const noun = body.count === 1 ? "student" : "students";
      say(body.count + " " + noun + " found in " + body.took_ms + " ms", "results");
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      search(input.value.trim());
    }, DEBOUNCE_MS);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    search(input.value.trim());
  });
})();
