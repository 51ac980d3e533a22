/* Aftercare's service worker: the patient's pages open with no network, and what the outbox
 * keeps on the phone (check-ins, questionnaires...) is sent, each to its own address, when the
 * network returns. Served at /sw.js (scope /) by aftercare/pwa;
 * the server fills in the version and the list of files to keep. */
"use strict";

var VERSION = "__VERSION__";
var PRECACHE = __PRECACHE__;
var STATIC_CACHE = "static-" + VERSION;
var PAGE_CACHE = "pages-v1";
// Patient pages kept for offline use. Clinic pages are never kept on the device.
var OFFLINE_PAGES = /^\/(today|check-in|help|check-ins\/\d+|questionnaires(\/[a-z0-9_-]+)?|learn(\/[a-z0-9-]+)?|journal)?$/;

importScripts(PRECACHE.filter(function (url) { return url.indexOf("/static/js/outbox.js") === 0; })[0]);

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("static-") === 0 && name !== STATIC_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

/* Fetch a page and keep a copy for offline use; `keep` is given the promise of storing it,
 * so the worker stays alive until the copy is really stored. */
function pageFromNetwork(request, keep) {
  return fetch(request).then(function (response) {
    var url = new URL(response.url || request.url);
    if (response.status === 401) {
      // This phone was unlinked: keep none of the patient's pages on it.
      keep(caches.delete(PAGE_CACHE));
    } else if (response.ok && !response.redirected && OFFLINE_PAGES.test(url.pathname)) {
      var copy = response.clone();
      keep(caches.open(PAGE_CACHE).then(function (cache) { return cache.put(url.pathname, copy); }));
    }
    return response;
  });
}

function pageFromCache(request) {
  var path = new URL(request.url).pathname;
  return caches.open(PAGE_CACHE).then(function (cache) { return cache.match(path); })
    .then(function (page) { return page || caches.match("/offline"); })
    .then(function (page) {
      // The last resort, when not even the offline page was kept: in both languages, since the
      // worker cannot tell which one the patient reads.
      return page || new Response("You are offline. / No hay conexión.", {
        status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
    });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    if (url.pathname.indexOf("/clinic") === 0) return;
    // Network first, so the page is always current; the phone's copy when there is no network.
    var keep = function (promise) { event.waitUntil(promise); };
    if (url.pathname === "/learn") {
      // Learn opened online: every article it lists is kept too, so each opens offline.
      var keepPage = keep;
      keep = function (promise) { keepPage(promise.then(function () { return keepLearnArticles(false); })); };
    }
    event.respondWith(pageFromNetwork(request, keep).catch(function () { return pageFromCache(request); }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest" || url.pathname === "/offline") {
    // Static files have a version in their address, so a kept copy is never out of date.
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || staticFromNetwork(request, function (promise) { event.waitUntil(promise); });
    }));
  }
});

/* A versioned static file that was not kept at install is kept now, for pages opened offline
 * later (a questionnaire, the progress charts). */
function staticFromNetwork(request, keep) {
  return fetch(request).then(function (response) {
    var url = new URL(request.url);
    if (response.ok && url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
      var copy = response.clone();
      keep(caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); }));
    }
    return response;
  });
}

function tellPages() {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "outbox-changed" }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "outbox") {
    event.waitUntil(self.AftercareOutbox.flush().then(function (summary) {
      return tellPages().then(function () {
        // Still waiting: reject so that the browser tries this sync again later.
        if (summary.waiting > 0) throw new Error("submissions still waiting");
      });
    }));
  }
});

// Pages a patient needs offline even if they have only opened Today so far. Refreshed each
// time a patient page is opened online, so the check-in form carries the latest infusion time.
var KEEP_FRESH = ["/today", "/check-in", "/help"];

var REFRESH_EVERY_MS = 5 * 60 * 1000;
var lastRefresh = 0;
var lastLanguage = null;

/* The offline page is kept with the static files; it is in the language of the moment it was
 * kept, so it is fetched again when the patient changes language. */
function refreshOfflinePage() {
  return fetch("/offline", { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) return;
    return caches.open(STATIC_CACHE).then(function (cache) { return cache.put("/offline", response); });
  }).catch(function () {});
}

/* The language of the offline page kept now (its <html lang>), or null if none is kept. */
function keptOfflineLanguage() {
  return caches.open(STATIC_CACHE).then(function (cache) { return cache.match("/offline"); })
    .then(function (page) { return page ? page.text() : ""; })
    .then(function (html) {
      var found = /<html[^>]*\slang="([^"]+)"/.exec(html);
      return found ? found[1] : null;
    });
}

function refreshPages(except, language) {
  // A worker starting afresh knows no language yet: it asks the offline page it kept.
  var known = lastLanguage ? Promise.resolve(lastLanguage) : keptOfflineLanguage();
  return known.then(function (kept) {
    var changed = !!language && language !== kept;
    if (language) lastLanguage = language;
    if (!changed && Date.now() - lastRefresh < REFRESH_EVERY_MS) return;
    lastRefresh = Date.now();
    var stored = changed ? [refreshOfflinePage()] : [];
    var keep = function (promise) { stored.push(promise); };
    return Promise.all(KEEP_FRESH.filter(function (path) { return path !== except; }).map(function (path) {
      return pageFromNetwork(new Request(path, { credentials: "same-origin" }), keep).catch(function () {});
    })).then(function () { return Promise.all(stored); })
      .then(function () { return refreshLearn(except); });
  });
}

/* The articles the kept Learn page lists; any other article kept on the phone (one the clinic
 * has since hidden) is removed. */
function listedLearnArticles() {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match("/learn").then(function (page) { return page ? page.text() : null; })
      .then(function (html) {
        if (html === null) return [];
        var paths = [], pattern = /href="(\/learn\/[a-z0-9-]+)"/g, found;
        while ((found = pattern.exec(html)) !== null) paths.push(found[1]);
        return cache.keys().then(function (requests) {
          return Promise.all(requests.map(function (request) {
            var path = new URL(request.url).pathname;
            if (path.indexOf("/learn/") === 0 && paths.indexOf(path) < 0) return cache.delete(request);
          }));
        }).then(function () { return paths; });
      });
  });
}

/* Learn and its articles, once the patient has opened Learn (never before: see below). */
function refreshLearn(except) {
  return caches.open(PAGE_CACHE).then(function (cache) { return cache.match("/learn"); })
    .then(function (kept) {
      if (!kept) return;
      var stored = [];
      var keep = function (promise) { stored.push(promise); };
      var page = except === "/learn" ? Promise.resolve() :
        pageFromNetwork(new Request("/learn", { credentials: "same-origin" }), keep).catch(function () {});
      return page.then(function () { return Promise.all(stored); })
        .then(function () { return keepLearnArticles(true); });
    });
}

/* Fetch and keep the articles the kept Learn page lists: all of them once the patient has opened
 * Learn, or (onlyKept) just those already on the phone, to keep them fresh. A first visit to
 * Today fetches none: every byte of it counts on a cheap phone. */
function keepLearnArticles(onlyKept) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return listedLearnArticles().then(function (paths) {
      return Promise.all(paths.map(function (path) {
        return onlyKept ? cache.match(path).then(function (hit) { return hit ? path : null; }) : path;
      }));
    }).then(function (paths) {
      var stored = [];
      var keep = function (promise) { stored.push(promise); };
      return Promise.all(paths.filter(Boolean).map(function (path) {
        return pageFromNetwork(new Request(path, { credentials: "same-origin" }), keep).catch(function () {});
      })).then(function () { return Promise.all(stored); });
    });
  });
}

self.addEventListener("message", function (event) {
  var type = event.data && event.data.type;
  if (type === "flush") {
    event.waitUntil(self.AftercareOutbox.flush().then(tellPages));
  } else if (type === "refresh-pages") {
    event.waitUntil(refreshPages(event.data.except, event.data.lang));
  }
});

/* Reminders. The text is what a lock screen may show: nothing clinical (see reminders/). */
var ICON = PRECACHE.filter(function (url) { return url.indexOf("/static/icons/icon-192.png") === 0; })[0];

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  var options = {
    body: data.body || "",
    icon: ICON,
    badge: ICON,
    tag: data.tag || "aftercare",
    renotify: false,
    data: { url: data.url || "/today" },
  };
  // An appointment's reminder offers its answers as buttons (reminders/reply_actions.py).
  var appointment = answerable(data.appointment);
  if (appointment && Array.isArray(data.actions)) {
    options.actions = data.actions.filter(function (action) {
      return action && REPLIES.indexOf(action.action) >= 0 && typeof action.title === "string";
    }).map(function (action) { return { action: action.action, title: action.title }; });
    options.data.appointment = appointment;
  }
  event.waitUntil(self.registration.showNotification(data.title || "Aftercare", options));
});

/* Answers to an appointment's reminder: "I'll be there", "I need another time". */
var REPLIES = ["confirmed", "needs_new_time"];

function answerable(appointment) {
  return /^[1-9][0-9]{0,15}$/.test(String(appointment)) ? String(appointment) : null;
}

/* Kept in the outbox first, then sent (now, at the next sync, or from the next page opened
 * online); the server keeps it once. The outbox fetches a form token when asked for one. */
function answerAppointment(appointment, reply) {
  var now = new Date().toISOString();
  var item = {
    key: self.AftercareOutbox.newKey(), url: "/appointments/" + appointment + "/reply",
    fields: { reply: reply, channel: "notification" },
    csrf_token: "", filled_at: now, created_at: now, status: "waiting",
  };
  return self.AftercareOutbox.put(item).then(function () {
    return self.AftercareOutbox.sendOne(item);
  }).then(function (outcome) {
    if (outcome === "waiting" && self.registration.sync) {
      return self.registration.sync.register("outbox").catch(function () {});
    }
  }).then(tellPages);
}

/* A script's event (not the browser's) cannot be extended; its work still runs. */
function keepAlive(event, promise) {
  try { event.waitUntil(promise); } catch (error) { /* not the browser's event */ }
}

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var appointment = answerable(event.notification.data && event.notification.data.appointment);
  if (appointment && REPLIES.indexOf(event.action) >= 0) {
    keepAlive(event, answerAppointment(appointment, event.action));
    return;
  }
  var path = (event.notification.data && event.notification.data.url) || "/today";
  // Only pages of this app: a message cannot send the patient anywhere else. Check the URL the
  // browser would open, not the text: the parser drops tabs and newlines, so "/\t/evil.example"
  // would otherwise pass a check of its first characters and open //evil.example.
  var target = new URL("/today", self.location.origin).href;
  try {
    var asked = new URL(String(path), self.location.origin);
    if (asked.origin === self.location.origin) target = asked.href;
  } catch (error) { /* not a URL: open Today */ }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(target);
    })
  );
});
