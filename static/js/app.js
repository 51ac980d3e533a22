/* Every page: the service worker, live countdowns, and check-ins waiting on this phone. */
(function () {
  "use strict";

  /* The words the scripts show come from the page, in the patient's language (page_text() in
   * aftercare/i18n.py); none is written here. {name} in a text takes values[name]. */
  var pageText = {};
  var textNode = document.getElementById("page-text");
  if (textNode) {
    try { pageText = JSON.parse(textNode.textContent); } catch (error) { pageText = {}; }
  }
  /* A value that ends in a full stop ("3:40 p. m.") ends the sentence too: no second one after
   * it (the rule of one_full_stop() in aftercare/care/translation.py). */
  function fill(words, values) {
    return String(words).replace(/\{(\w+)\}(\.?)/g, function (whole, name, stop) {
      if (!values || !Object.prototype.hasOwnProperty.call(values, name)) return whole;
      var value = String(values[name]);
      return value + (value.slice(-1) === "." ? "" : stop);
    });
  }
  function text(key, values) {
    return Object.prototype.hasOwnProperty.call(pageText, key) ? fill(pageText[key], values) : "";
  }
  /* [one, other]: English and Spanish both use the first form for 1 only. */
  function plural(key, n) {
    var forms = pageText[key] || ["{n}", "{n}"];
    return fill(forms[n === 1 ? 0 : 1], { n: n });
  }
  self.AftercareText = text;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    // On a patient page opened online, have the worker keep the other patient pages current,
    // so they open offline later even if the patient never visited them.
    if (document.body.classList.contains("patient") && document.querySelector(".tabs") && navigator.onLine) {
      navigator.serviceWorker.ready.then(function (registration) {
        // A page the worker did not serve (the first one after linking) was not kept either.
        var served = navigator.serviceWorker.controller ? location.pathname : null;
        // The page's language too: pages kept in another language are fetched again at once.
        registration.active.postMessage({ type: "refresh-pages", except: served, lang: document.documentElement.lang });
      }).catch(function () {});
    }
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") showOutbox();
    });
    waitForWorkerBeforeLinking();
  }

  /* Linking the phone: wait a moment, at most three seconds, for the service worker to take
   * charge of this page. The first page after linking then comes through the worker, which
   * keeps it for offline use; otherwise the worker has to fetch that page again. */
  function waitForWorkerBeforeLinking() {
    var form = document.querySelector("form[data-wait-for-worker]");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (navigator.serviceWorker.controller) return;
      event.preventDefault();
      var sent = false;
      function send() {
        if (sent) return;
        sent = true;
        form.submit();
      }
      navigator.serviceWorker.addEventListener("controllerchange", send);
      setTimeout(send, 3000);
    });
  }

  function timeLeft(until) {
    var seconds = Math.floor((until - Date.now()) / 1000);
    if (seconds <= 0) return text("done");
    var minutes = Math.ceil(seconds / 60);
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    var parts = [];
    if (hours) parts.push(plural("hours", hours));
    if (minutes || !hours) parts.push(plural("minutes", minutes));
    return text("left", { time: parts.join(" ") });
  }

  /* Times in words change at the clinic's midnights ("tomorrow at 3 PM" becomes "today at
   * 3 PM"). The server put each later wording in data-later, as [[from, text], ...]: a page kept
   * on the phone shows the right one with no connection. */
  function reword() {
    var now = Date.now();
    document.querySelectorAll("[data-later]").forEach(function (node) {
      var later;
      try { later = JSON.parse(node.getAttribute("data-later")); } catch (error) { return; }
      var words = null;
      later.forEach(function (pair) { if (Date.parse(pair[0]) <= now) words = pair[1]; });
      if (words !== null && node.textContent !== words) node.textContent = words;
    });
  }

  function tick() {
    reword();
    document.querySelectorAll(".timed__item[data-until]").forEach(function (item) {
      var until = Date.parse(item.getAttribute("data-until"));
      var left = timeLeft(until);
      var countdown = item.querySelector(".countdown");
      // No countdown: the time is up but the rule still waits (driving, for the morning check-in).
      if (!countdown) return;
      if (countdown.textContent !== left) countdown.textContent = left;
      item.classList.toggle("is-over", left === text("done"));
    });
  }

  function when(iso) {
    var language = document.documentElement.lang || [];
    return new Date(iso).toLocaleString(language, { weekday: "long", hour: "numeric", minute: "2-digit" });
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
          link.textContent = text("outbox_sent", { sent: when(item.sent_at), filled: when(item.filled_at) });
          li.appendChild(link);
        } else if (item.status === "problem") {
          li.textContent = text(item.problem === "not_linked" ? "outbox_not_linked" : "outbox_problem",
            { filled: when(item.filled_at) });
        } else {
          li.textContent = text("outbox_waiting", { filled: when(item.filled_at) });
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
    if (document.querySelector(".timed__item[data-until], [data-later]")) {
      tick();
      setInterval(tick, 30000);
    }
    showOutbox();
    if (navigator.onLine) flushThenShow();
  });
  window.addEventListener("online", flushThenShow);
  self.AftercareApp = { showOutbox: showOutbox, flushThenShow: flushThenShow };
})();
