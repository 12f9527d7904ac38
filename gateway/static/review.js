/* Review pages: bulk selection on the work queue (select the page, count what is selected).
   The forms work without this script; it only saves clicks and shows the count. */
(function () {
  "use strict";

  function rows(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input.pick-row"));
  }

  function refresh(form) {
    var boxes = rows(form);
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    var all = document.getElementById("all-matching");
    var count = document.getElementById("selected-count");
    var total = form.getAttribute("data-total");
    if (count) {
      count.textContent = all && all.checked ? (total || String(ticked)) : String(ticked);
    }
    var page = document.getElementById("select-page");
    if (page) {
      page.checked = boxes.length > 0 && ticked === boxes.length;
      page.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    boxes.forEach(function (box) {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("picked", box.checked); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("bulk-form");
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.id === "select-page") {
        rows(form).forEach(function (box) { box.checked = target.checked; });
      }
      refresh(form);
    });
    refresh(form);
  });
}());
