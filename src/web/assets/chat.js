/* The chat page's script: plain ES2017, no framework, no modules (WeChat's in-app browser included).
 * Without it the page still works: forms post and the page reloads. With it, forms are sent with
 * XMLHttpRequest and new messages arrive over server-sent events (or polling where those fail). */
(function () {
  "use strict";
  var log = document.getElementById("log");
  var end = document.getElementById("end");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!log || !end || !meta) return;
  var csrf = meta.getAttribute("content") || "";
  var version = Number(log.getAttribute("data-version")) || 0;
  var pending = 0;
  var toastTimer = 0;

  function scrollDown() {
    end.scrollIntoView(false);
  }

  function toast(text) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 3000);
  }

  /* Applies a change: each message fragment (rendered and escaped by the server) replaces or joins the log. */
  function apply(change) {
    if (!change || typeof change.version !== "number") return;
    var added = false;
    for (var i = 0; i < change.messages.length; i++) {
      var m = change.messages[i];
      var holder = document.createElement("div");
      holder.innerHTML = m.html;
      var fresh = holder.firstElementChild;
      if (!fresh) continue;
      var old = document.getElementById("m" + m.id);
      if (old) {
        if (Number(old.getAttribute("data-v")) < Number(fresh.getAttribute("data-v"))) old.parentNode.replaceChild(fresh, old);
      } else {
        log.insertBefore(fresh, end);
        added = true;
      }
    }
    for (var j = 0; j < change.toasts.length; j++) toast(change.toasts[j]);
    if (change.version > version) version = change.version;
    if (added) scrollDown();
  }

  function post(url, fields, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    var body = [];
    fields.since = String(version);
    for (var k in fields) body.push(encodeURIComponent(k) + "=" + encodeURIComponent(fields[k]));
    pending++;
    document.body.className = "chat busy";
    xhr.onload = function () {
      pending--;
      if (!pending) document.body.className = "chat";
      if (xhr.status === 200) {
        try { apply(JSON.parse(xhr.responseText)); } catch (e) { /* a proxy's page: ignore */ }
      } else if (xhr.status === 401 || xhr.status === 403) {
        window.location.reload();
      } else {
        toast(xhr.responseText || "发送失败，请重试。");
      }
      if (done) done(xhr.status === 200);
    };
    xhr.onerror = function () {
      pending--;
      if (!pending) document.body.className = "chat";
      toast("网络不通，请稍后重试。");
      if (done) done(false);
    };
    xhr.send(body.join("&"));
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || !form.getAttribute) return;
    var action = form.getAttribute("action");
    if (action !== "/chat/send" && action !== "/chat/tap") return;
    ev.preventDefault();
    var button = ev.submitter || document.activeElement;
    var fields = {};
    if (button && button.name && form.contains(button)) fields[button.name] = button.value;
    var input = form.querySelector('input[name="text"]');
    if (input && !fields.text) {
      fields.text = input.value;
      if (!input.value.trim()) return;
      input.value = "";
    }
    post(action, fields);
  });

  /* Buttons: remember which one was pressed, for browsers without SubmitEvent.submitter. */
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.tagName === "BUTTON" && t.form) t.focus();
  });

  var polling = 0;
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/chat/poll?since=" + version);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status === 200) {
        try { apply(JSON.parse(xhr.responseText)); } catch (e) { /* ignore */ }
      }
    };
    xhr.send();
  }
  function startPolling() {
    if (!polling) polling = setInterval(poll, 4000);
  }

  if (window.EventSource) {
    var failures = 0;
    var source = new EventSource("/chat/events?since=" + version);
    source.addEventListener("change", function (ev) {
      failures = 0;
      try { apply(JSON.parse(ev.data)); } catch (e) { /* ignore */ }
    });
    source.onerror = function () {
      failures++;
      /* Some in-app browsers and proxies break event streams: fall back to polling. */
      if (failures >= 3) {
        source.close();
        startPolling();
      }
    };
  } else {
    startPolling();
  }
  scrollDown();
})();
