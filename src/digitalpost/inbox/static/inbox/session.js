// The mailbox session's idle warning. The server signs an idle session out by itself (inbox/signin.py); this only
// tells the person beforehand, offers "stay signed in", and leaves the page once the time is up.
(function () {
  "use strict";
  var body = document.body;
  var idle = Number(body.dataset.idleSeconds);
  var warnBefore = Number(body.dataset.idleWarningSeconds);
  if (!idle) { return; }
  var warning = document.getElementById("idle-warning");
  var stay = document.getElementById("stay-signed-in");
  var csrf = warning.querySelector("input[name=csrfmiddlewaretoken]").value;
  var warnTimer, expireTimer;

  function start() {
    clearTimeout(warnTimer);
    clearTimeout(expireTimer);
    warning.hidden = true;
    warnTimer = setTimeout(function () { warning.hidden = false; stay.focus(); },
      Math.max(0, idle - warnBefore) * 1000);
    expireTimer = setTimeout(function () { window.location.assign(body.dataset.expiredUrl); }, idle * 1000);
  }

  stay.addEventListener("click", function () {
    fetch(body.dataset.keepAliveUrl, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf } }).then(function (response) {
      if (response.ok) { start(); } else { window.location.assign(body.dataset.expiredUrl); }
    });
  });
  start();
})();
