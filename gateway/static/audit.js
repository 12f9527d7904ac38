/* The audit workspace without extra clicks: a filter or the version slider submits its form when changed,
   and the slider says which version it points at while it moves. Every form also works without this. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.id === "f-version") {
      var output = document.getElementById("version-output");
      if (output) { output.textContent = "第 " + target.value + " 版"; }
    }
  });
})();
