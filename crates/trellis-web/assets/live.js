// Live deal pages: a new decision, dispute or extension shows up without a refresh.
//
// The page names a session-authenticated JSON endpoint in data-live-url that answers
// {"stamp": n}, a number that moves whenever something the page shows changes (it is cheap to
// answer: the page itself is not rendered). This script polls it every few seconds while the
// tab is visible; when the stamp moves it fetches the page again and swaps in each region marked
// data-live-region (by id). A region holding a form the person has started to fill in is left
// alone, and a notice says that the page is out of date, so nobody loses what they typed.
//
// It also keeps the countdowns (<time data-countdown>) ticking, on the server's clock: the page
// carries the server's time in data-now, and the offset to the browser's clock is kept.
(function () {
  "use strict";

  var root = document.querySelector("[data-live-url]");
  if (!root) {
    return;
  }
  var url = root.getAttribute("data-live-url");
  var every = 4000;
  var serverNow = Number(root.getAttribute("data-now"));
  var offset = isFinite(serverNow) && serverNow > 0 ? serverNow - Date.now() : 0;
  var stamp = null;
  var announcer = document.getElementById("live-announcer");

  function say(text) {
    if (announcer) {
      announcer.textContent = text;
    }
  }

  // Whether the person has started on a form inside el (typed, ticked, chosen, or is in it).
  function touched(el) {
    if (el.contains(document.activeElement) && document.activeElement !== document.body &&
        document.activeElement.matches("input, textarea, select")) {
      return true;
    }
    var fields = el.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden" || f.type === "submit") {
        continue;
      }
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) {
          return true;
        }
      } else if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) {
            return true;
          }
        }
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var stale = false;
    var regions = document.querySelectorAll("[data-live-region]");
    for (var i = 0; i < regions.length; i++) {
      var old = regions[i];
      var next = fresh.getElementById(old.id);
      if (!next) {
        continue;
      }
      if (touched(old)) {
        stale = true;
        continue;
      }
      old.replaceWith(document.importNode(next, true));
    }
    var notice = document.querySelector("[data-live-stale]");
    if (notice) {
      notice.hidden = !stale;
    }
    var status = fresh.querySelector("[data-live-summary]");
    say(status ? "Updated: " + status.textContent.trim() : "This page was updated.");
    tick();
  }

  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("page answered " + r.status);
        }
        return r.text();
      })
      .then(swap);
  }

  function poll() {
    if (document.visibilityState === "hidden") {
      window.setTimeout(poll, every);
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("live answered " + r.status);
        }
        return r.json();
      })
      .then(function (body) {
        var moved = stamp !== null && body.stamp !== stamp;
        stamp = body.stamp;
        return moved ? refresh() : null;
      })
      .catch(function () {
        // Signed out or offline: keep the page as it is and try again later; the next
        // navigation shows the server's answer.
      })
      .then(function () {
        window.setTimeout(poll, every);
      });
  }

  // "in 3 h 20 min" / "2 d 4 h overdue", the same words the server renders.
  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(minutes / 1440);
    var h = Math.floor((minutes % 1440) / 60);
    var m = minutes % 60;
    if (d > 0) {
      return d + " d " + h + " h";
    }
    if (h > 0) {
      return h + " h " + m + " min";
    }
    return m + " min";
  }

  function tick() {
    var now = Date.now() + offset;
    var clocks = document.querySelectorAll("time[data-countdown]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("datetime"));
      if (!isFinite(due)) {
        continue;
      }
      var left = due - now;
      el.textContent = left >= 0 ? "in " + span(left) : span(left) + " overdue";
      var badge = el.closest(".badge");
      if (badge && left < 0) {
        badge.classList.remove("badge-green", "badge-amber");
        badge.classList.add("badge-red");
      }
    }
  }

  window.setInterval(tick, 30000);
  poll();
})();
