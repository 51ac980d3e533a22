/* Check-ins kept on the phone until the server has them.
 *
 * Every check-in is written here BEFORE it is sent, so that no answer is lost to a dropped
 * connection. Each carries an idempotency key made when it was filled in: the server stores a
 * key once, so sending the same check-in twice (a retry, or the page and the service worker
 * both sending) never stores it twice. Used by the pages and by the service worker.
 */
(function (scope) {
  "use strict";

  var DB_NAME = "aftercare";
  var STORE = "outbox";
  var KEEP_SENT_MS = 2 * 24 * 3600 * 1000;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
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
    return fetch(item.url || "/check-in", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  }

  function freshToken() {
    return fetch("/form-token", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { return data && data.csrf_token; });
  }

  /* Try to send one check-in. Resolves to "sent", "waiting" (try again later) or "problem". */
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

  /* Send every waiting check-in, oldest first; stop at the first that cannot go yet. */
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

  scope.AftercareOutbox = { put: put, all: all, remove: remove, newKey: newKey, sendOne: sendOne, flush: flush };
})(self);
