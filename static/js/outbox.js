/* Forms kept on the phone until the server has them: check-ins, questionnaires, and any form a
 * page hands to submitForm().
 *
 * Every submission is written here BEFORE it is sent, so that no answer is lost to a dropped
 * connection. Each carries the address it goes to and an idempotency key made when it was
 * filled in: the server stores a key once, so sending the same submission twice (a retry, or
 * the page and the service worker both sending) never stores it twice (aftercare/submissions.py).
 * Used by the pages and by the service worker.
 */
(function (scope) {
  "use strict";

  var DB_NAME = "aftercare";
  var STORE = "outbox";
  var KEEP_SENT_MS = 2 * 24 * 3600 * 1000;
  var TOKEN_URL = "/form-token";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = function (event) {
        if (event.oldVersion < 1) request.result.createObjectStore(STORE, { keyPath: "key" });
        // Version 1 kept check-ins without their address (questionnaires had theirs): add it.
        if (event.oldVersion === 1) {
          request.transaction.objectStore(STORE).openCursor().onsuccess = function (e) {
            var cursor = e.target.result;
            if (!cursor) return;
            if (!cursor.value.url) { cursor.value.url = "/check-in"; cursor.update(cursor.value); }
            cursor.continue();
          };
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function put(item) { return withStore("readwrite", function (s) { s.put(item); }); }
  function remove(key) { return withStore("readwrite", function (s) { s.delete(key); }); }
  function all() {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    });
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function post(item) {
    var body = new URLSearchParams(item.fields);
    body.set("csrf_token", item.csrf_token || "");
    body.set("idempotency_key", item.key);
    body.set("filled_at", item.filled_at);
    return fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  }

  function freshToken() {
    return fetch(TOKEN_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { return data && data.csrf_token; });
  }

  /* Try to send one submission. Resolves to "sent", "waiting" (try again later) or "problem". */
  function sendOne(item) {
    return post(item).then(function (response) {
      if (response.status === 400) {
        // The token outlived its session: fetch a new one and try once more.
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (data.error !== "csrf") return response;
          return freshToken().then(function (token) {
            if (!token) return response;
            item.csrf_token = token;
            return post(item);
          });
        });
      }
      return response;
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().then(function (data) {
          item.status = "sent";
          item.sent_at = new Date().toISOString();
          item.level = data.level;
          item.result_url = data.result_url;
          item.problem = null;
          return put(item).then(function () { return "sent"; });
        });
      }
      if (response.status === 401 || response.status === 422) {
        item.status = "problem";
        item.problem = response.status === 401 ? "not_linked" : "invalid";
        return put(item).then(function () { return "problem"; });
      }
      return "waiting"; // 5xx, 429, a stale token: it stays waiting and is sent later
    }, function () {
      return "waiting"; // no network
    });
  }

  var flushing = null;

  /* Send every waiting submission, oldest first; stop at the first that cannot go yet. */
  function flush() {
    if (flushing) return flushing;
    flushing = all().then(function (items) {
      var now = Date.now();
      var stale = items.filter(function (i) {
        return i.status === "sent" && now - Date.parse(i.sent_at) > KEEP_SENT_MS;
      });
      var waiting = items.filter(function (i) { return i.status === "waiting"; });
      var summary = { sent: 0, waiting: waiting.length };
      return Promise.all(stale.map(function (i) { return remove(i.key); })).then(function next() {
        var item = waiting.shift();
        if (!item) return summary;
        return sendOne(item).then(function (outcome) {
          if (outcome === "sent") { summary.sent += 1; summary.waiting -= 1; }
          if (outcome === "waiting") return summary;
          return next();
        });
      });
    }).finally(function () { flushing = null; });
    return flushing;
  }

  /* Ask the browser to wake the service worker when the network is back (Background Sync,
   * where there is one; elsewhere the next page opened online sends what waits). */
  function sendWhenOnline() {
    if (!scope.navigator || !("serviceWorker" in scope.navigator)) return Promise.resolve(false);
    return scope.navigator.serviceWorker.ready.then(function (registration) {
      if (!registration.sync) return false;
      return registration.sync.register("outbox").then(function () { return true; });
    }).catch(function () { return false; });
  }

  /* Send a page's form, once the page has checked it: keep it on the phone, then send it now or
   * later. Sent: the patient goes to its result. Not sent yet: options.queued (an element) is
   * shown in place of the form, holding the nodes options.show() returns. No storage on the
   * phone (none, or it fails): the form is posted the plain way, with its key, and the
   * server's page follows. Resolves to "sent", "waiting", "problem" or "posted". */
  // options.submitter: a button whose name and value are part of the answers ("I feel fine").
  function submitForm(form, options) {
    var buttons = form.querySelectorAll("[type=submit]");
    var submitter = options.submitter || null;
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "idempotency_key" && name !== "filled_at") fields[name] = value;
    });
    if (submitter) fields[submitter.name] = submitter.value;
    var now = new Date().toISOString();
    var item = {
      key: newKey(), url: form.getAttribute("action"), fields: fields,
      csrf_token: form.elements.csrf_token.value, filled_at: now, created_at: now, status: "waiting",
    };
    function plainPost() {
      buttons.forEach(function (button) { button.disabled = false; });
      form.elements.idempotency_key.value = item.key;
      form.elements.filled_at.value = item.filled_at;
      if (submitter) {
        form.appendChild(Object.assign(form.ownerDocument.createElement("input"),
          { type: "hidden", name: submitter.name, value: submitter.value }));
      }
      form.submit();
      return "posted";
    }
    function showQueued() {
      var shown = options.queued;
      form.hidden = true;
      shown.textContent = "";
      options.show().forEach(function (node) { shown.appendChild(node); });
      shown.hidden = false;
      shown.focus();
    }
    buttons.forEach(function (button) { button.disabled = true; });
    // put() fails, not throws, when the phone has no IndexedDB or cannot use it.
    return put(item).then(function () {
      return sendOne(item).then(function (outcome) {
        if (outcome === "sent") { scope.location.assign(item.result_url); return outcome; }
        if (outcome === "waiting") sendWhenOnline();
        showQueued();
        return outcome;
      });
    }, plainPost);
  }

  /* A form marked data-outbox (Today's answer to an appointment) is sent by its button through
   * the outbox; while it waits, the element its data-queued names shows its own data-text. */
  if (scope.document) scope.document.addEventListener("submit", function (event) {
    var form = event.target, submitter = event.submitter;
    if (!form.hasAttribute("data-outbox") || !submitter || !submitter.name) return;
    event.preventDefault();
    var queued = scope.document.getElementById(form.getAttribute("data-queued"));
    submitForm(form, { queued: queued, submitter: submitter, show: function () {
      return [scope.document.createTextNode(queued.getAttribute("data-text"))];
    } });
  });

  scope.AftercareOutbox = {
    put: put, all: all, remove: remove, newKey: newKey, sendOne: sendOne, flush: flush, submitForm: submitForm,
  };
})(self);
