// Search-as-you-type on /students/: debounced, stale requests aborted, only the latest
// answer shown, rows built from DOM nodes (never innerHTML with data). The limits and the
// search URL come from the form's data- attributes (students.forms.StudentSearchForm);
// requests go through App.requestJSON (static/js/app.js).
"use strict";

(() => {
  const DEBOUNCE_MS = 200;
  const UNAVAILABLE = "Search is unavailable right now.";

  const form = document.getElementById("student-search-form");
  if (!form) return;
  const input = document.getElementById("student-search");
  const status = document.getElementById("search-status");
  const table = document.getElementById("search-results");
  const tbody = table.querySelector("tbody");
  const { searchUrl } = form.dataset;
  const minLength = Number(form.dataset.minLength);
  const maxLength = Number(form.dataset.maxLength);

  let timer = null;
  let controller = null;
  let latestRequest = 0;

  const say = (message, state) => {
    status.textContent = message;
    status.dataset.state = state;
  };

  const cell = (value) => {
    const td = document.createElement("td");
    td.textContent = value;
    return td;
  };

  const show = (results) => {
    const rows = results.map((student) => {
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
  };

  const fail = (message) => {
    show([]);
    say(message, "error");
  };

  const search = async (query) => {
    if (controller) controller.abort();
    const request = ++latestRequest;
    if (query.length < minLength) {
      show([]);
      say(`Type at least ${minLength} characters to search.`, "idle");
      return;
    }
    if (query.length > maxLength) {
      fail(`The search text is limited to ${maxLength} characters.`);
      return;
    }
    controller = new AbortController();
    say("Searching…", "busy");
    let answer;
    try {
      answer = await App.requestJSON(`${searchUrl}?q=${encodeURIComponent(query)}`, {
        signal: controller.signal,
        fallback: "This search cannot be run.",
      });
    } catch (error) {
      return; // aborted: a newer keystroke's request took over
    }
    if (request !== latestRequest) return;
    const body = answer.data;
    if (answer.status === 401) {
      fail("Your session has ended: log in again to search.");
    } else if (answer.status === 0 || answer.status >= 500 || (answer.ok && !body)) {
      fail(UNAVAILABLE);
    } else if (!answer.ok) {
      fail(answer.error);
    } else if (body.count === 0) {
      show([]);
      say(`No student matches “${query}”.`, "empty");
    } else {
      show(body.results);
      const noun = body.count === 1 ? "student" : "students";
      say(`${body.count} ${noun} found in ${body.took_ms} ms`, "results");
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value.trim()), DEBOUNCE_MS);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    search(input.value.trim());
  });
})();
