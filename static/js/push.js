/* Reaching this phone: the card that invites the patient to add Aftercare to the Home Screen
 * (iPhone sends reminders only to an app there), and reminders by Web Push, turned on by a tap
 * (iOS asks for a user gesture). Both live on Today. */
(function () {
  "use strict";

  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var installed = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  var text = self.AftercareText; // the page's words, in the patient's language (app.js)

  // How this iPhone or iPad adds Aftercare to its Home Screen, on the install card: the server
  // put in the way for its browser (the steps, or "Open in Safari"). None elsewhere.
  var iosWay = ios && document.querySelector('#install [data-way="ios"]');

  var SAID = "aftercare-installed-said";
  installCard(document.getElementById("install"));
  reminders(document.getElementById("reminders"));
  if ("serviceWorker" in navigator && "PushManager" in window) {
    // Any page of a subscribed phone tells the server when it starts or stops running as the
    // installed app (the clinic sees it): once per change, remembered here.
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (subscription && said() !== installed + subscription.endpoint) {
        return tellServer("PATCH", { installed: installed }).then(function () { said(subscription); });
      }
    }).catch(function () { /* told on a later page */ });
  }

  /* What this phone last told the server; or, given its subscription, note it now. */
  function said(subscription) {
    try {
      if (!subscription) return localStorage.getItem(SAID);
      localStorage.setItem(SAID, installed + subscription.endpoint);
    } catch (error) { /* storage blocked: told again on a later page */ }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* Tell the server; a page kept offline for hours may need a fresh CSRF token first. */
  function tellServer(method, body) {
    function send(token) {
      return fetch("/push/subscription", {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify(body),
      });
    }
    return send(csrfToken()).then(function (response) {
      if (response.status !== 400) return response;
      return fetch("/form-token", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { return send(data.csrf_token); });
    }).then(function (response) {
      if (response.ok) return response;
      // A refused subscription (422) or a push service that could not be checked (503): the
      // server's words say why, in the patient's language.
      return response.json().catch(function () { return {}; }).then(function (data) {
        var error = new Error("The server said " + response.status);
        error.status = response.status;
        error.words = data && typeof data.message === "string" ? data.message : "";
        throw error;
      });
    });
  }

  /* Never in the installed app; put off for a week when the patient taps "Not now". */
  function installCard(card) {
    var PUT_OFF = "aftercare-install-put-off";
    var WEEK = 7 * 864e5;
    var deferred = null;
    if (!card || installed) return;
    try {
      if (Date.now() - localStorage.getItem(PUT_OFF) < WEEK) return; // none stored: 0
    } catch (error) { /* storage blocked: show it */ }
    function close(later) {
      try { if (later) localStorage.setItem(PUT_OFF, Date.now()); } catch (error) { /* private mode */ }
      card.hidden = true;
    }
    card.querySelector(".install__later").addEventListener("click", function () {
      close(true);
      // Its button is gone: keep keyboard and screen reader users here, not at the top.
      document.getElementById("main").focus({ preventScroll: true });
    });
    if (iosWay) return (iosWay.hidden = card.hidden = false);
    var add = card.querySelector(".install__add");
    if (!add) return;
    // Chromium offers installing through this event: the card asks instead of a browser banner.
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      deferred = event;
      card.hidden = add.parentNode.hidden = false;
    });
    add.addEventListener("click", function () {
      if (!deferred) return;
      deferred.prompt(); // once per event
      deferred.userChoice.then(function (choice) { close(choice.outcome !== "accepted"); });
      deferred = null;
    });
  }

  function reminders(section) {
    if (!section) return;
    var statusLine = section.querySelector(".push__status");
    var button = section.querySelector(".push__toggle");
    var help = section.querySelector(".push__help");
    var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

    function explain(words) { help.textContent = words; }

    /* Notifications blocked: how to allow them again, on this phone (the server's words). */
    function blocked() { return text(installed ? "blocked_app" : "blocked"); }

    function keyBytes(base64url) {
      var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
      return Uint8Array.from(atob(base64 + "===".slice((base64.length + 3) % 4)), function (c) { return c.charCodeAt(0); });
    }

    /* Send the phone's subscription, and whether it runs as the installed app. */
    function post(subscription) {
      var body = subscription.toJSON();
      body.installed = installed;
      return tellServer("POST", body).then(function () { said(subscription); });
    }

    /* The server will not use this browser's subscription: drop it, so both sides agree. */
    function refused(subscription, error) {
      show(false);
      explain(error.words || text("push_try_again"));
      if (error.status === 422 && subscription) return subscription.unsubscribe().catch(function () {});
    }

    function show(on) {
      statusLine.textContent = text(on ? "reminders_on" : "reminders_off");
      button.textContent = text(on ? "turn_off" : "turn_on");
      button.dataset.on = on ? "true" : "false";
      button.hidden = false;
    }

    if (!supported) {
      // An iPhone has push only in the app on its Home Screen: say how to put it there (a copy
      // of the install card's steps, which may be put off).
      var why = section.querySelector(".push__ios");
      if (!installed && iosWay && why) {
        why.appendChild(iosWay.cloneNode(true)).hidden = why.hidden = false;
      } else {
        explain(text("no_push"));
        var email = section.querySelector(".push__email");
        email.textContent = text("email_instead");
        email.className += " btn btn--primary btn--wide";
      }
      return;
    }

    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription().then(function (subscription) {
        if (subscription && section.dataset.on !== "true") {
          // The phone still has it but the server lost it: tell the server again.
          return post(subscription).then(function () { show(true); }, function (error) {
            if (error.status === 422) return refused(subscription, error);
            show(true);
          });
        }
        show(!!subscription);
        if (Notification.permission === "denied") explain(blocked());
      });
    }).catch(function () { explain(text("push_try_again")); });

    function turnOff() {
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        if (!subscription) return show(false);
        var endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(function () {
          return tellServer("DELETE", { endpoint: endpoint });
        }).then(function () { show(false); });
      });
    }

    function turnOn() {
      // Asked here, straight from the tap, and nowhere else: Safari wants the tap's own call.
      return Notification.requestPermission().then(function (permission) {
        if (permission === "denied") return explain(blocked());
        if (permission !== "granted") return; // closed without an answer: the button stays
        return navigator.serviceWorker.ready.then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(section.dataset.vapidKey),
          });
        }).then(function (subscription) {
          return post(subscription).then(function () { show(true); }, function (error) {
            if (!error.status) throw error;
            return refused(subscription, error);
          });
        });
      });
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      explain("");
      (button.dataset.on === "true" ? turnOff() : turnOn()).catch(function (error) {
        if (self.console) console.warn("reminders:", error);
        explain(error.words || text("push_try_again"));
      }).then(function () { button.disabled = false; });
    });
  }
})();
