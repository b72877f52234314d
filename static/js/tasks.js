// Live task updates for logged-in users: one websocket per tab on /ws/task/,
// toasts for finished and failed tasks on every page, live rows on /result/.
// Data only ever reaches the page through textContent and DOM properties.
(function () {
  "use strict";

  var TERMINAL = ["finished", "failed"];
  var MAX_BACKOFF_MS = 30000;
  var toasts = document.getElementById("task-toasts");
  var table = document.getElementById("task-table");
  var attempts = 0;

  function isTerminal(status) {
    return TERMINAL.indexOf(status) !== -1;
  }

  function rowFor(taskId) {
    if (!table) return null;
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].dataset.taskId === taskId) return rows[i];
    }
    return null;
  }

  function field(row, name) {
    return row.querySelector('[data-field="' + name + '"]');
  }

  function setTime(cell, when) {
    var time = document.createElement("time");
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleString();
    cell.replaceChildren(time);
  }

  function updateRow(update) {
    var row = rowFor(update.task_id);
    if (!row) return;
    var previous = row.dataset.status;
    if (isTerminal(previous) && previous !== update.status) return;  // never go backwards
    row.dataset.status = update.status;
    var status = field(row, "status");
    status.textContent = update.status;
    status.className = "task-status status-" + update.status;
    var progress = field(row, "progress");
    progress.value = update.progress;
    progress.textContent = update.progress + "%";
    field(row, "progress-text").textContent = update.progress + "%";
    field(row, "message").textContent = update.message;
    var now = new Date();
    if (update.status !== "queued" && !field(row, "started").querySelector("time")) {
      setTime(field(row, "started"), now);
    }
    if (isTerminal(update.status) && !field(row, "finished").querySelector("time")) {
      setTime(field(row, "finished"), now);
    }
  }

  function showToast(update) {
    if (!toasts || !isTerminal(update.status)) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + update.status;
    var title = document.createElement("strong");
    title.textContent = update.status === "finished" ? "Task finished" : "Task failed";
    var text = document.createElement("span");
    text.textContent = " " + update.message + " ";
    var link = document.createElement("a");
    link.href = "/result/";
    link.textContent = "See your tasks";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button-link toast-close";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { toast.remove(); });
    toast.append(title, text, link, close);
    toasts.append(toast);
  }

  function handle(update) {
    if (!update || update.type !== "task.update") return;
    var row = rowFor(update.task_id);
    var wasTerminal = row ? isTerminal(row.dataset.status) : false;
    updateRow(update);
    if (!wasTerminal) showToast(update);
  }

  // Rows still moving may have missed updates while no socket was open: ask the server.
  function catchUp() {
    if (!table) return;
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      if (isTerminal(rows[i].dataset.status)) continue;
      fetch("/result/" + encodeURIComponent(rows[i].dataset.taskId) + "/", {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(handle)
        .catch(function () {});
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/task/");
    socket.addEventListener("open", function () {
      attempts = 0;
      catchUp();
      document.body.dataset.taskSocket = "open";
    });
    socket.addEventListener("message", function (event) {
      try {
        handle(JSON.parse(event.data));
      } catch (error) {
        // A malformed message is dropped; the next one or the catch-up fixes the page.
      }
    });
    socket.addEventListener("close", function (event) {
      document.body.dataset.taskSocket = "closed";
      if (event.code === 4401) return;  // logged out: reconnecting would not help
      var delay = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, attempts));
      attempts += 1;
      window.setTimeout(connect, delay * (0.5 + Math.random() / 2));
    });
  }

  connect();
})();
