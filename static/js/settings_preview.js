// Settings: the preview of what patients see follows what is typed, before it is saved.
// Without this script the Preview button does the same with a page load.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  var preview = document.getElementById("preview");
  if (!form || !preview || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var asked = 0;

  function refresh() {
    var mine = ++asked;
    var body = new FormData(form);
    body.set("action", "preview");
    // form.action would be the buttons named "action", not the address.
    fetch(form.getAttribute("action") || location.href, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        // Only the latest answer counts: an earlier, slower one must not overwrite it.
        if (mine !== asked) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("preview");
        if (fresh) preview.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* the Preview button still works */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
