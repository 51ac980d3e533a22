/* Every page: the service worker, live countdowns, and check-ins waiting on this phone. */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    // On a patient page opened online, have the worker keep the other patient pages current,
    // so they open offline later even if the patient never visited them.
    if (document.body.classList.contains("patient") && document.querySelector(".tabs") && navigator.onLine) {
      navigator.serviceWorker.ready.then(function (registration) {
        // A page the worker did not serve (the first one after linking) was not kept either.
        var served = navigator.serviceWorker.controller ? location.pathname : null;
        registration.active.postMessage({ type: "refresh-pages", except: served });
      }).catch(function () {});
    }
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") showOutbox();
    });
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function timeLeft(until) {
    var seconds = Math.floor((until - Date.now()) / 1000);
    if (seconds <= 0) return "Done";
    var minutes = Math.ceil(seconds / 60);
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    var parts = [];
    if (hours) parts.push(plural(hours, "hour"));
    if (minutes || !hours) parts.push(plural(minutes, "minute"));
    return parts.join(" ") + " left";
  }

  function tick() {
    document.querySelectorAll(".timed__item[data-until]").forEach(function (item) {
      var until = Date.parse(item.getAttribute("data-until"));
      var text = timeLeft(until);
      var countdown = item.querySelector(".countdown");
      if (countdown && countdown.textContent !== text) countdown.textContent = text;
      item.classList.toggle("is-over", text === "Done");
    });
  }

  function when(iso) {
    return new Date(iso).toLocaleString([], { weekday: "long", hour: "numeric", minute: "2-digit" });
  }

  function showOutbox() {
    var box = document.getElementById("outbox-status");
    if (!box || !self.AftercareOutbox) return;
    self.AftercareOutbox.all().then(function (items) {
      var list = box.querySelector(".outbox__list");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox__item outbox__item--" + item.status;
        if (item.status === "sent") {
          var link = document.createElement("a");
          link.href = item.result_url;
          link.textContent = "Sent " + when(item.sent_at) + " (filled in " + when(item.filled_at) + ")";
          li.appendChild(link);
        } else if (item.status === "problem") {
          li.textContent = "Filled in " + when(item.filled_at) + ": could not be sent" +
            (item.problem === "not_linked" ? " because this phone is no longer linked." : ".") +
            " Please call the clinic.";
        } else {
          li.textContent = "Waiting to send: filled in " + when(item.filled_at) +
            ". It will be sent when you are back online.";
        }
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }).catch(function () {});
  }

  function flushThenShow() {
    if (!self.AftercareOutbox) return;
    self.AftercareOutbox.flush().then(showOutbox, showOutbox);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector(".timed__item[data-until]")) {
      tick();
      setInterval(tick, 30000);
    }
    showOutbox();
    if (navigator.onLine) flushThenShow();
  });
  window.addEventListener("online", flushThenShow);
  self.AftercareApp = { showOutbox: showOutbox, flushThenShow: flushThenShow };
})();
