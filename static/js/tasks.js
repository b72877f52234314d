// Live task updates for logged-in users: one websocket per tab, at the address the page
// names in <meta name="websocket-url">; toasts for ended tasks on every page (and, opted in
// with a click, a browser notification when the tab is hidden); live rows on the task list
// (status, progress, time left, place in the waiting line, cancel/retry buttons), each row
// naming its status URL in data-status-url and the version it shows in data-version.
// Each update is the task JSON that users/tasks/updates.py defines (TaskUpdate). Updates can
// arrive late or twice (a catch-up answer after a newer socket message): one is applied only
// when its version is newer than what the page shows.
// Data only ever reaches the page through textContent and DOM properties.
"use strict";

(() => {
  const TERMINAL = ["finished", "failed", "cancelled"];
  const RETRYABLE = ["failed", "cancelled"];
  const TITLES = { finished: "Task finished", failed: "Task failed", cancelled: "Task cancelled" };
  const NOTIFY_KEY = "taskNotifications";
  const MAX_BACKOFF_MS = 30000;
  // chat/consumers.py closes a socket whose session ended (or never was) with this code.
  const CLOSE_UNAUTHENTICATED = 4401;
  const toasts = document.getElementById("task-toasts");
  const table = document.getElementById("task-table");
  const socketAddress = document.querySelector('meta[name="websocket-url"]').content;
  // The newest version applied per task, for tasks without a row on this page.
  const shown = new Map();
  let attempts = 0;

  const isTerminal = (status) => TERMINAL.includes(status);

  const rows = () => (table ? Array.from(table.tBodies[0].rows) : []);

  const rowFor = (taskId) => rows().find((row) => row.dataset.taskId === taskId) || null;

  const field = (row, name) => row.querySelector(`[data-field="${name}"]`);

  const setTime = (cell, when) => {
    const time = document.createElement("time");
    time.dateTime = when.toISOString();
    time.textContent = App.formatTime(when);
    cell.replaceChildren(time);
  };

  // The version the page shows of this task (-1: none yet).
  const shownVersion = (taskId) => {
    const row = rowFor(taskId);
    if (row && row.dataset.version !== undefined) return Number(row.dataset.version);
    return shown.has(taskId) ? shown.get(taskId) : -1;
  };

  const updateRow = (update) => {
    const row = rowFor(update.task_id);
    if (!row) return;
    row.dataset.version = String(update.version);
    row.dataset.status = update.status;
    const status = field(row, "status");
    status.textContent = update.status;
    status.className = `task-status status-${update.status}`;
    const progress = field(row, "progress");
    progress.value = update.progress;
    progress.textContent = `${update.progress}%`;
    field(row, "progress-text").textContent = `${update.progress}%`;
    field(row, "message").textContent = update.message;
    field(row, "position").textContent = update.position
      ? `Number ${update.position} in the waiting line.`
      : "";
    field(row, "eta").textContent =
      update.eta_seconds === null || update.eta_seconds === undefined
        ? ""
        : `about ${Math.round(update.eta_seconds)} s left`;
    row.querySelector('[data-action="cancel"]').hidden = isTerminal(update.status);
    row.querySelector('[data-action="retry"]').hidden = !RETRYABLE.includes(update.status);
    const now = new Date();
    if (update.status !== "queued" && !field(row, "started").querySelector("time")) {
      setTime(field(row, "started"), now);
    }
    if (isTerminal(update.status) && !field(row, "finished").querySelector("time")) {
      setTime(field(row, "finished"), now);
    }
  };

  const showToast = (update) => {
    if (!toasts || !isTerminal(update.status)) return;
    const toast = document.createElement("div");
    toast.className = `toast toast-${update.status}`;
    const title = document.createElement("strong");
    title.textContent = TITLES[update.status];
    const text = document.createElement("span");
    text.textContent = ` ${update.message} `;
    const link = document.createElement("a");
    link.href = toasts.dataset.taskListUrl;
    link.textContent = "See your tasks";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "button-link toast-close";
    close.textContent = "Dismiss";
    close.addEventListener("click", () => toast.remove());
    toast.append(title, text, link, close);
    toasts.append(toast);
  };

  // Opt-in browser notifications: permission is asked only after the user clicks.
  const notifyBox = document.getElementById("task-notify");
  const notifyState = document.getElementById("task-notify-state");
  const notificationsOn = () =>
    "Notification" in window &&
    Notification.permission === "granted" &&
    window.localStorage.getItem(NOTIFY_KEY) === "on";

  const showNotifyState = () => {
    if (!notifyState) return;
    notifyState.textContent = notificationsOn()
      ? "Notifications are on."
      : Notification.permission === "denied"
        ? "Notifications are blocked in this browser's settings."
        : "";
  };

  if (notifyBox && "Notification" in window) {
    notifyBox.hidden = false;
    showNotifyState();
    document.getElementById("task-notify-button").addEventListener("click", () => {
      Notification.requestPermission().then((permission) => {
        window.localStorage.setItem(NOTIFY_KEY, permission === "granted" ? "on" : "off");
        showNotifyState();
      });
    });
  }

  const notify = (update) => {
    if (!isTerminal(update.status) || !document.hidden || !notificationsOn()) return;
    new Notification(TITLES[update.status], { body: update.message, tag: update.task_id });
  };

  const handle = (update) => {
    if (!update || update.type !== "task.update" || !Number.isInteger(update.version)) return;
    if (update.version <= shownVersion(update.task_id)) return; // late or repeated: older
    const row = rowFor(update.task_id);
    const wasTerminal = row ? isTerminal(row.dataset.status) : false;
    shown.set(update.task_id, update.version);
    updateRow(update);
    if (!wasTerminal) {
      showToast(update);
      notify(update);
    }
  };

  // Rows still moving may have missed updates while no socket was open: ask the server.
  const catchUp = () => {
    for (const row of rows()) {
      if (isTerminal(row.dataset.status)) continue;
      App.requestJSON(row.dataset.statusUrl).then((answer) => {
        if (answer.ok) handle(answer.data);
      });
    }
  };

  // A ws:// or wss:// address is used as it is; a path is on the page's own host, over
  // wss:// when the page came over https.
  const socketUrl = () => {
    const url = new URL(socketAddress, window.location.href);
    if (url.protocol === "https:") url.protocol = "wss:";
    if (url.protocol === "http:") url.protocol = "ws:";
    return url.href;
  };

  const connect = () => {
    const socket = new WebSocket(socketUrl());
    socket.addEventListener("open", () => {
      attempts = 0;
      catchUp();
      document.body.dataset.taskSocket = "open";
    });
    socket.addEventListener("message", (event) => {
      try {
        handle(JSON.parse(event.data));
      } catch (error) {
        // A malformed message is dropped; the next one or the catch-up fixes the page.
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_UNAUTHENTICATED) {
        // Logged out (in this tab or another), expired or deactivated: reconnecting would
        // not help until the user logs in again.
        document.body.dataset.taskSocket = "ended";
        return;
      }
      document.body.dataset.taskSocket = "closed";
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts);
      attempts += 1;
      window.setTimeout(connect, delay * (0.5 + Math.random() / 2));
    });
  };

  connect();
})();
