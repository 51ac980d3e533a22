/* Reminders on this phone: Web Push, turned on by a tap (iOS asks for a user gesture). */
(function () {
  "use strict";

  var section = document.getElementById("reminders");
  if (!section) return;
  var statusLine = section.querySelector(".push__status");
  var button = section.querySelector(".push__toggle");
  var help = section.querySelector(".push__help");

  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var installed = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  var text = self.AftercareText; // the page's words, in the patient's language (app.js)
  function say(words) { statusLine.textContent = words; }
  function explain(words) { help.textContent = words; help.hidden = !words; }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
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

  /* The server will not use this browser's subscription: drop it, so both sides agree. */
  function refused(subscription, error) {
    show(false);
    explain(error.words || text("push_error"));
    if (error.status === 422 && subscription) return subscription.unsubscribe().catch(function () {});
  }

  function show(on) {
    say(text(on ? "reminders_on" : "reminders_off"));
    button.textContent = text(on ? "turn_off" : "turn_on");
    button.dataset.on = on ? "true" : "false";
    button.hidden = false;
  }

  if (!supported) {
    if (ios && !installed) {
      explain(text("ios_install"));
    } else {
      explain(text("no_push"));
    }
    return;
  }

  navigator.serviceWorker.ready.then(function (registration) {
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (subscription && section.dataset.on !== "true") {
        // The phone still has it but the server lost it: tell the server again.
        return tellServer("POST", subscription.toJSON()).then(function () { show(true); }, function (error) {
          if (error.status === 422) return refused(subscription, error);
          show(true);
        });
      }
      show(!!subscription);
      if (Notification.permission === "denied") {
        explain(text("push_blocked"));
      }
    });
  }).catch(function () { explain(text("push_failed")); });

  button.addEventListener("click", function () {
    button.disabled = true;
    explain("");
    navigator.serviceWorker.ready.then(function (registration) {
      if (button.dataset.on === "true") {
        return registration.pushManager.getSubscription().then(function (subscription) {
          if (!subscription) return show(false);
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return tellServer("DELETE", { endpoint: endpoint });
          }).then(function () { show(false); });
        });
      }
      return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          explain(text("push_permission"));
          return;
        }
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(section.dataset.vapidKey),
        }).then(function (subscription) {
          return tellServer("POST", subscription.toJSON()).then(function () { show(true); }, function (error) {
            if (!error.status) throw error;
            return refused(subscription, error);
          });
        });
      });
    }).catch(function (error) {
      if (self.console) console.warn("reminders:", error);
      explain(error.words || text("push_error"));
    }).then(function () { button.disabled = false; });
  });
})();
