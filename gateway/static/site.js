/* Small enhancements for the server-rendered pages; every form also works without this script.
   - list sections: add and remove rows;
   - new dossier: only the levels the chosen series (and year) opens;
   - materials: upload through the JSON API with a progress bar;
   - after a refused form: scroll to the section concerned. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* -- list sections ------------------------------------------------------------------- */
  function renumber(rows) {
    Array.prototype.forEach.call(rows.querySelectorAll(".row"), function (row, position) {
      var number = row.querySelector(".row-number");
      if (number) { number.textContent = String(position + 1); }
    });
  }

  function nextIndex(rows) {
    var highest = -1;
    Array.prototype.forEach.call(rows.querySelectorAll(".row"), function (row) {
      var index = parseInt(row.getAttribute("data-index"), 10);
      if (!isNaN(index) && index > highest) { highest = index; }
    });
    return highest + 1;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.classList.contains("add-row")) {
      var form = target.closest("form");
      var rows = form.querySelector(".rows");
      var template = form.querySelector("template.row-template");
      var index = String(nextIndex(rows));
      var html = template.innerHTML.split("__i__").join(index);
      rows.insertAdjacentHTML("beforeend", html);
      renumber(rows);
      var first = rows.lastElementChild.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    } else if (target.classList.contains("remove-row")) {
      var row = target.closest(".row");
      var container = row.parentNode;
      row.parentNode.removeChild(row);
      renumber(container);
    }
  });

  /* -- new dossier: levels of the chosen series ---------------------------------------- */
  function filterLevels() {
    var level = document.getElementById("f-level");
    if (!level) { return; }
    var series = document.getElementById("f-series");
    var year = document.getElementById("f-review_year");
    Array.prototype.forEach.call(level.options, function (option) {
      if (!option.value) { return; }
      var fits = (!series.value || option.getAttribute("data-series") === series.value) &&
                 (!year || !year.value || option.getAttribute("data-year") === year.value);
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) { level.value = ""; }
    });
  }

  /* -- materials upload with progress -------------------------------------------------- */
  function showFieldError(form, name, messages) {
    var field = form.querySelector('[name="' + name + '"]');
    if (!field) { return false; }
    var box = field.closest(".field");
    var id = "err-materials-" + name;
    var error = document.getElementById(id);
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.id = id;
      error.setAttribute("role", "alert");
      box.appendChild(error);
    }
    error.textContent = messages.join(";");
    box.classList.add("has-error");
    return true;
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (error) {
      error.parentNode.removeChild(error);
    });
    Array.prototype.forEach.call(form.querySelectorAll(".has-error"), function (box) {
      box.classList.remove("has-error");
    });
  }

  function addMaterial(form, material) {
    var list = document.getElementById("material-list");
    var empty = document.getElementById("material-empty");
    if (empty) { empty.parentNode.removeChild(empty); }
    var category = form.querySelector('select[name="category"]');
    var item = document.createElement("li");
    var tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = category.options[category.selectedIndex].text;
    var link = document.createElement("a");
    link.href = form.getAttribute("data-view") + encodeURIComponent(material.material_id);
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = material.filename;
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = " " + material.pages + " 页 · " + (material.size / 1024 / 1024).toFixed(1) + " MB";
    item.appendChild(tag);
    item.appendChild(link);
    item.appendChild(meta);
    list.appendChild(item);
  }

  function sendUpload(form, retried) {
    var progressBox = form.querySelector(".upload-progress");
    var bar = document.getElementById("upload-progress");
    var percent = document.getElementById("upload-percent");
    var status = document.getElementById("upload-status");
    var button = form.querySelector('button[type="submit"]');
    var body = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-api"));
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var value = Math.round(event.loaded / event.total * 100);
        bar.value = value;
        percent.textContent = value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText || "{}"); } catch (ignored) { answer = {}; }
      if (xhr.status === 401 && !retried) {
        refreshSession(function (ok) {
          if (ok) { sendUpload(form, true); } else { finish(false, "登录已过期,请重新登录后再上传。"); }
        });
        return;
      }
      if (xhr.status === 201) {
        bar.value = 100;
        percent.textContent = "100%";
        addMaterial(form, answer);
        form.querySelector('input[type="file"]').value = "";
        finish(true, "上传完成:" + answer.filename + "(" + answer.pages + " 页)");
        refreshChecklist();
        return;
      }
      var error = answer.error || {};
      var fields = error.fields || {};
      Object.keys(fields).forEach(function (name) { showFieldError(form, name, fields[name]); });
      finish(false, error.message || "上传失败,请稍后重试。");
    });
    xhr.addEventListener("error", function () { finish(false, "网络错误,上传未完成,请重试。"); });

    function finish(ok, text) {
      status.textContent = text;
      status.className = "upload-status " + (ok ? "done" : "failed");
      button.disabled = false;
      if (!ok) { progressBox.classList.add("failed"); }
    }

    clearErrors(form);
    progressBox.hidden = false;
    progressBox.classList.remove("failed");
    bar.value = 0;
    percent.textContent = "0%";
    status.textContent = "正在上传…";
    status.className = "upload-status";
    button.disabled = true;
    xhr.send(body);
  }

  /* The 必备材料清单 and the file list count the new file against its requirement (year, achievement,
     duplicates): both are taken from the page drawn again by the server, the upload status stays. */
  function refreshChecklist() {
    var panel = document.getElementById("required-materials");
    if (!panel || !window.fetch || !window.DOMParser) { return; }
    fetch(window.location.pathname, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["required-materials", "material-list"].forEach(function (id) {
          var now = document.getElementById(id), next = fresh.getElementById(id);
          if (now && next) { now.parentNode.replaceChild(document.importNode(next, true), now); }
        });
      })
      .catch(function () { /* the list already shows the file; the checklist catches up on reload */ });
  }

  function refreshSession(done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/session/refresh");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.addEventListener("load", function () { done(xhr.status === 200); });
    xhr.addEventListener("error", function () { done(false); });
    xhr.send();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var series = document.getElementById("f-series");
    var year = document.getElementById("f-review_year");
    if (series && document.getElementById("f-level")) {
      series.addEventListener("change", filterLevels);
      if (year) { year.addEventListener("change", filterLevels); }
      filterLevels();
    }

    var upload = document.getElementById("upload-form");
    if (upload && window.FormData && window.XMLHttpRequest) {
      upload.addEventListener("submit", function (event) {
        event.preventDefault();
        sendUpload(upload, false);
      });
    }

    var focus = document.getElementById("focus-target");
    if (focus) {
      var section = document.getElementById("sec-" + focus.getAttribute("data-focus"));
      if (section) { section.scrollIntoView(); }
    }

    // A link to 撤回申报 (the 当前待办 card's) opens its confirmation step; the final button stays the person's.
    function openTakeBack() {
      var step = location.hash === "#sec-take-back" && document.querySelector("#sec-take-back details");
      if (step) { step.open = true; }
    }
    openTakeBack();
    window.addEventListener("hashchange", openTakeBack);
  });
}());
