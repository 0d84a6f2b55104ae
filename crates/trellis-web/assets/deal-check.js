// The deal registration form checks for conflicts while the partner types.
//
// Without JavaScript the form has a "Check for conflicts" button that posts the form and shows
// the outcome on the page it returns. With it, a change to the customer's name, website,
// contact e-mail or country posts those fields (with the session's CSRF token) to the endpoint
// in data-check-url after a short pause and shows the answer in the [data-check-result]
// region, which screen readers announce. The answer only says whether the customer may
// conflict, never with whom.
(function () {
  "use strict";

  var form = document.querySelector("form[data-check-url]");
  if (!form) {
    return;
  }
  var url = form.getAttribute("data-check-url");
  var out = form.querySelector("[data-check-result]");
  var names = ["company_name", "website", "contact_email", "country"];
  var timer = null;
  var asked = 0;

  function show(kind, text) {
    out.hidden = false;
    out.className = "check-result check-" + kind;
    out.textContent = text;
  }

  function check() {
    var company = form.elements.company_name.value.trim();
    if (company === "") {
      out.hidden = true;
      return;
    }
    var body = new URLSearchParams();
    body.append("_csrf", form.elements._csrf.value);
    names.forEach(function (n) {
      body.append(n, form.elements[n].value);
    });
    var ticket = ++asked;
    show("pending", "Checking for conflicts…");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: body,
    })
      .then(function (r) {
        return r.json().then(function (j) {
          return { ok: r.ok, body: j };
        });
      })
      .then(function (r) {
        if (ticket !== asked) {
          return; // a newer check is on its way
        }
        if (!r.ok) {
          show("error", r.body.message || "The check did not run; you can still register.");
          return;
        }
        show(r.body.outcome, r.body.message);
      })
      .catch(function () {
        if (ticket === asked) {
          show("error", "The check did not run; you can still register.");
        }
      });
  }

  names.forEach(function (n) {
    var input = form.elements[n];
    if (!input) {
      return;
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 600);
    });
  });
})();
