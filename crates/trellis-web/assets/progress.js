// Live progress of a running job (a CSV import, an account mapping) on its page.
//
// Without JavaScript the page refreshes itself every two seconds (a meta refresh inside
// <noscript>, which browsers running scripts ignore). With it, this script asks the
// session-authenticated JSON endpoint named by data-progress-url for the job's progress
// ({status, phase_label, done, total}) every second, updates the bar and the figures in place,
// and reloads the page once when the job has ended, so the server renders the outcome.
(function () {
  "use strict";

  var root = document.querySelector("[data-progress-url]");
  if (!root) {
    return;
  }
  var url = root.getAttribute("data-progress-url");
  var bar = root.querySelector("progress");

  function show(name, value) {
    var el = root.querySelector('[data-progress="' + name + '"]');
    if (el) {
      el.textContent = String(value);
    }
  }

  function update(p) {
    show("phase", p.phase_label);
    show("done", p.done.toLocaleString());
    show("total", p.total.toLocaleString());
    if (bar) {
      if (p.total > 0) {
        bar.max = p.total;
        bar.value = p.done;
      } else {
        // Nothing to count yet (the file is being read): an indeterminate bar.
        bar.removeAttribute("value");
      }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("progress answered " + r.status);
        }
        return r.json();
      })
      .then(function (p) {
        if (p.status !== "running") {
          window.location.reload();
          return;
        }
        update(p);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        // Signed out, a network hiccup or a server error: fall back to what the page does
        // without JavaScript, and let the server say what is wrong.
        window.setTimeout(function () {
          window.location.reload();
        }, 2000);
      });
  }

  window.setTimeout(poll, 1000);
})();
