/* The integration journal: entries kept in this browser's IndexedDB, on this phone only.
 * Listed, saved to a text file and deleted here too. An entry leaves the phone only when the
 * patient taps "Share with my care team" under it: that one entry is then put in a hidden form
 * and handed to the outbox (outbox.js), like a check-in; "Stop sharing" sends its id alone. */
(function () {
  "use strict";

  var DB_NAME = "aftercare-journal";
  var STORE = "entries";

  var words = {};
  try { words = JSON.parse(document.getElementById("journal-words").textContent); } catch (error) { words = {}; }
  function say(key, values) {
    return String(words[key] || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function open() {
    return new Promise(function (resolve, reject) {
      if (!self.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(result && result.result); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
        transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (entries) {
      return (entries || []).sort(function (a, b) { return a.written_at < b.written_at ? 1 : -1; });
    });
  }

  function newId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function when(entry) {
    return new Date(entry.written_at).toLocaleString(document.documentElement.lang, {
      weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit",
    });
  }

  /* An entry as plain lines: for the page and for the file alike. */
  function lines(entry) {
    var out = [];
    if (entry.mood !== null) out.push(say("mood", { mood: entry.mood }));
    entry.answers.forEach(function (answer) { out.push(answer.prompt, answer.text); });
    if (entry.text) out.push(entry.text);
    return out;
  }

  var status = document.querySelector(".journal__status");
  var sharing = document.querySelector(".journal__sharing");
  var list = document.querySelector(".journal__entries");
  var shareForm = document.getElementById("journal-share-form");
  var unshareForm = document.getElementById("journal-unshare-form");

  function put(entry) {
    return run("readwrite", function (store) { return store.put(entry); });
  }

  /* What the outbox last did with this entry (a share or an unshare), if anything. */
  function lastSending(entry, sendings) {
    var found = null;
    sendings.forEach(function (item) {
      if (item.fields && item.fields.client_id === entry.id) found = item;
    });
    return found;
  }

  function outboxItems() {
    if (!self.AftercareOutbox) return Promise.resolve([]);
    return self.AftercareOutbox.all().catch(function () { return []; });
  }

  /* What to say under the entry about sharing, from the entry and the outbox. */
  function shareState(entry, sending) {
    var waiting = sending && sending.status === "waiting";
    if (entry.shared) {
      if (waiting) return "is_sharing";
      if (sending && sending.status === "problem") return "share_problem";
      return "is_shared";
    }
    return waiting ? "is_unsharing" : null;
  }

  /* Put one entry's words in the share form: the only time they are in a form at all. */
  function fill(form, entry) {
    form.querySelectorAll("[data-entry-field]").forEach(function (input) { input.remove(); });
    var fields = { client_id: entry.id };
    if (form === shareForm) {
      fields.written_at = entry.written_at;
      if (entry.mood !== null) fields.mood = String(entry.mood);
      entry.answers.forEach(function (answer, index) {
        fields["prompt_" + (index + 1)] = answer.prompt;
        fields["answer_" + (index + 1)] = answer.text;
      });
      if (entry.text) fields.text = entry.text;
    }
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      input.setAttribute("data-entry-field", "");
      form.appendChild(input);
    });
  }

  /* Hand the entry to the outbox: sent now (the page reloads with word of it) or kept until
   * the phone is back online. */
  function send(form, entry) {
    fill(form, entry);
    return self.AftercareOutbox.submitForm(form, {
      queued: sharing,
      show: function () { return [document.createTextNode(say("waiting"))]; },
    }).then(function (outcome) {
      if (outcome === "problem") sharing.textContent = say("share_problem");
      return show();
    });
  }

  function share(entry) {
    if (!window.confirm(say("confirm_share"))) return;
    entry.shared = true;
    entry.shared_at = new Date().toISOString();
    put(entry).then(function () { return send(shareForm, entry); });
  }

  function unshare(entry) {
    entry.shared = false;
    entry.shared_at = null;
    put(entry).then(function () { return send(unshareForm, entry); });
  }

  function button(label, named, action) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "btn btn--plain";
    element.textContent = label;
    element.setAttribute("aria-label", named);
    element.addEventListener("click", action);
    return element;
  }

  function show() {
    return Promise.all([all(), outboxItems()]).then(function (both) {
      var entries = both[0];
      var sendings = both[1];
      list.textContent = "";
      if (!entries.length) {
        var empty = document.createElement("li");
        empty.textContent = say("none");
        list.appendChild(empty);
      }
      entries.forEach(function (entry) {
        var item = document.createElement("li");
        item.className = "journal__entry box";
        var heading = document.createElement("h3");
        heading.textContent = when(entry);
        item.appendChild(heading);
        lines(entry).forEach(function (line) {
          var paragraph = document.createElement("p");
          paragraph.textContent = line;  // text, never markup
          item.appendChild(paragraph);
        });
        var state = shareState(entry, lastSending(entry, sendings));
        if (state) {
          var note = document.createElement("p");
          note.className = "journal__shared";
          note.textContent = say(state);
          item.appendChild(note);
        }
        var named = { when: when(entry) };
        var actions = document.createElement("p");
        actions.className = "journal__actions";
        if (entry.shared && state !== "share_problem") {
          actions.appendChild(button(say("unshare"), say("unshare_named", named), function () { unshare(entry); }));
        } else if (self.AftercareOutbox && shareForm) {
          actions.appendChild(button(say("share"), say("share_named", named), function () { share(entry); }));
        }
        actions.appendChild(button(say("delete"), say("delete_named", named), function () {
          var wasShared = entry.shared;
          if (!window.confirm(say(wasShared ? "confirm_delete_shared" : "confirm_delete"))) return;
          run("readwrite", function (store) { return store.delete(entry.id); }).then(function () {
            // Deleted here, taken back from the care team too.
            if (wasShared) return send(unshareForm, entry);
            return show().then(function () { status.textContent = say("deleted"); });
          });
        }));
        item.appendChild(actions);
        list.appendChild(item);
      });
    });
  }

  function save() {
    var chosen = document.querySelector('input[name="journal-mood"]:checked');
    var answers = Array.prototype.map.call(document.querySelectorAll("textarea[data-prompt]"), function (box) {
      return { prompt: box.getAttribute("data-prompt"), text: box.value.trim() };
    }).filter(function (answer) { return answer.text; });
    var text = document.getElementById("journal-text").value.trim();
    if (!chosen && !answers.length && !text) {
      status.textContent = say("need_something");
      return;
    }
    var entry = {
      id: newId(),
      written_at: new Date().toISOString(),
      mood: chosen ? Number(chosen.value) : null,
      answers: answers,
      text: text,
      shared: false,
    };
    run("readwrite", function (store) { return store.add(entry); }).then(function () {
      if (chosen) chosen.checked = false;
      document.querySelectorAll(".journal textarea").forEach(function (box) { box.value = ""; });
      status.textContent = say("saved");
      return show();
    }).catch(function () { status.textContent = say("no_storage"); });
  }

  function exportFile() {
    all().then(function (entries) {
      var text = [say("file_title"), ""];
      entries.slice().reverse().forEach(function (entry) {
        text = text.concat([when(entry)], lines(entry), [""]);
      });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text.join("\n")], { type: "text/plain;charset=utf-8" }));
      link.download = say("file_name") + "-" + new Date().toISOString().slice(0, 10) + ".txt";
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    });
  }

  document.querySelectorAll("[data-journal]").forEach(function (part) { part.hidden = false; });
  document.querySelector("[data-journal-save]").addEventListener("click", save);
  document.querySelector("[data-journal-export]").addEventListener("click", exportFile);
  show().then(function () {
    // Back from the server after a share or an unshare went through (the outbox's result page).
    var done = /[?&](shared|unshared)=1/.exec(location.search);
    if (done) sharing.textContent = say(done[1]);
  }).catch(function () { status.textContent = say("no_storage"); });
})();
