/* The integration journal: entries kept in this browser's IndexedDB, on this phone only.
 * Nothing here sends an entry anywhere: no fetch, no form. Listed, saved to a text file and
 * deleted here too. */
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
  var list = document.querySelector(".journal__entries");

  function show() {
    return all().then(function (entries) {
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
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn--plain";
        remove.textContent = say("delete");
        remove.setAttribute("aria-label", say("delete_named", { when: when(entry) }));
        remove.addEventListener("click", function () {
          if (!window.confirm(say("confirm_delete"))) return;
          run("readwrite", function (store) { return store.delete(entry.id); })
            .then(show).then(function () { status.textContent = say("deleted"); });
        });
        item.appendChild(remove);
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
  show().catch(function () { status.textContent = say("no_storage"); });
})();
