// Upload without a page reload: XMLHttpRequest reports upload progress (fetch cannot), the
// server answers JSON in the site's shape (static/js/app.js). Without JavaScript the form
// posts normally and the page reloads.
"use strict";

(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const fileInput = document.getElementById("id_file");
  const folderChoices = document.getElementById("folder-choices");
  const progressRow = document.getElementById("upload-progress-row");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const errors = document.getElementById("upload-errors");
  const button = document.getElementById("upload-button");
  const maxFileSize = Number(form.dataset.maxFileSize);

  const showError = (message) => {
    const paragraph = document.createElement("p");
    paragraph.textContent = message;
    errors.replaceChildren(paragraph);
    errors.hidden = false;
    status.textContent = "";
  };

  const clearError = () => {
    errors.replaceChildren();
    errors.hidden = true;
  };

  const rememberFolder = (folder) => {
    const known = Array.from(folderChoices.options).some((option) => option.value === folder);
    if (!known) {
      const option = document.createElement("option");
      option.value = folder;
      folderChoices.appendChild(option);
    }
  };

  const finish = (request) => {
    button.disabled = false;
    let answer = null;
    try {
      answer = JSON.parse(request.responseText);
    } catch (error) {
      answer = null;
    }
    if (request.status === 201 && answer) {
      progress.value = 100;
      const count = answer.documents.length;
      status.textContent = `Uploaded ${count} file${count === 1 ? "" : "s"} to “${answer.folder}”.`;
      rememberFolder(answer.folder);
      fileInput.value = "";
      return;
    }
    progressRow.hidden = true;
    const fallback = `The upload failed (HTTP ${request.status}).`;
    showError(App.errorMessage(request.status, answer, fallback));
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError();
    const tooLarge = Array.from(fileInput.files).find((file) => file.size > maxFileSize);
    if (tooLarge) {
      showError(`“${tooLarge.name}” is larger than the limit per file; nothing was uploaded.`);
      return;
    }

    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", App.csrfToken());
    request.upload.addEventListener("progress", (progressEvent) => {
      if (!progressEvent.lengthComputable) return;
      const percent = Math.round((progressEvent.loaded / progressEvent.total) * 100);
      progress.value = percent;
      progress.textContent = `${percent}%`;
      status.textContent = `Uploading… ${percent}%`;
    });
    request.upload.addEventListener("load", () => {
      status.textContent = "Storing the files…";
    });
    request.addEventListener("load", () => finish(request));
    request.addEventListener("error", () => {
      button.disabled = false;
      progressRow.hidden = true;
      showError("The upload did not reach the server. Check your connection and try again.");
    });

    progress.value = 0;
    progressRow.hidden = false;
    status.textContent = "Uploading… 0%";
    button.disabled = true;
    request.send(new FormData(form));
  });
})();
