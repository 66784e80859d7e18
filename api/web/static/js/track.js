/* The tracking page's reporter actions. The token comes from the link's fragment (#token=…),
   which browsers never send to a server, or from this device's memory, or is pasted, or (a report
   the public may not see) was just posted to open this page (handed over for that one page load
   in sessionStorage, never written into the page); it goes only in the X-Reporter-Token header
   of the JSON API calls (comment, dispute, appeal, rating). The device remembers it only when
   the reporter ticks "Remember this report on this device" (a warnet or a family phone is
   shared); "Forget on this device" undoes that. */
"use strict";
(function () {
  var section = document.getElementById("reporter");
  window.TanggapMap.make(document.getElementById("track-map"));
  if (!section) { return; }
  var t = window.tanggapMessages();
  var code = section.dataset.code;
  var api = "/api/v1/reports/" + encodeURIComponent(code);
  var key = "tanggap.token." + code;
  var actions = document.getElementById("actions");
  var tokenForm = document.getElementById("token-form");
  var statusLine = document.getElementById("action-status");
  var error = document.getElementById("action-error");
  var token = null;

  function remember(value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function forget() { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  function recalled() { try { return localStorage.getItem(key); } catch (e) { return null; } }
  /* The token posted to open this page (a report the public may not see), handed over by the
     page that posted it for this one load: taken, then no longer kept. */
  var handoff = "tanggap.posted." + code;
  function posted() {
    var value = null;
    try { value = sessionStorage.getItem(handoff); sessionStorage.removeItem(handoff); } catch (e) { /* */ }
    return document.getElementById("own-report") ? value : null;
  }
  var rememberChoice = document.getElementById("remember-choice");
  var rememberBox = document.getElementById("remember-token");
  var forgetButton = document.getElementById("forget-token");
  /* What the reporter is offered: to remember the report here, or to forget it. */
  function showRemembered() {
    var kept = token !== null && recalled() === token;
    rememberChoice.hidden = kept; rememberBox.checked = kept; forgetButton.hidden = !kept;
  }
  document.getElementById("token-remember-choice").hidden = false;
  function fromFragment() {
    var match = /(?:^|&)token=([^&]+)/.exec(window.location.hash.slice(1));
    return match ? decodeURIComponent(match[1]) : null;
  }
  function showError(message) { error.textContent = message; error.hidden = false; statusLine.textContent = ""; }
  /* The API names the citizen's words "note" or "text"; on this page they are a comment or a
     reason. */
  function problem(response, fields) {
    return response.json().then(function (b) { return window.tanggapProblem(b, fields); },
      function () { return window.tanggapProblem({}); });
  }

  /* The API says a token is wrong for this report as 403 (or 404 for a report the public may
     not see; 422 for one no token can be); anything else (a 503, no network) says nothing of
     the token: it is kept, and the reporter is told to try again. */
  var WRONG = [401, 403, 404, 422];
  function unreachable() {
    var e = new Error(t("track.unreachable")); e.wrong = false; return e;
  }
  /* Each use of a code, and each "Forget on this device", is counted: an answer that arrives
     after a later one was asked for (the reporter pressed Forget while the page was still
     asking, or pasted another code) changes nothing on the page. The reporter's actions, the
     Forget button and their own words appear together, once the whole answer is read. */
  var asking = 0;
  function use(candidate, keep) {
    var mine = ++asking;
    var asked = fetch(api + "/private", { headers: { "X-Reporter-Token": candidate } });
    return asked.catch(function () { throw unreachable(); }).then(function (r) {
      if (!r.ok) {
        if (WRONG.indexOf(r.status) === -1) { throw unreachable(); }
        var e = new Error(t("track.token_wrong")); e.wrong = true; throw e;
      }
      return r.json().catch(function () { throw unreachable(); });
    }).then(function (view) {
      if (mine !== asking) { return view; }
      token = candidate;
      if (keep) { remember(candidate); }
      showRemembered();
      tokenForm.hidden = true; actions.hidden = false; error.hidden = true;
      showOwnWords(view.own_notes || [], (view.report && view.report.timeline) || []);
      return view;
    }, function (e) {
      e.stale = mine !== asking; throw e;
    });
  }
  /* A moment as the server writes the other entries ("1 Desember 2026, 13:16 WIB"): in the
     city's time zone, whatever the device's, with the zone's own name (by its UTC offset). */
  function cityTime(iso, list) {
    var moment = new Date(iso);
    var zone = list.dataset.timezone;
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    }).formatToParts(moment).forEach(function (p) { parts[p.type] = p.value; });
    var local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day),
      Number(parts.hour), Number(parts.minute), Number(parts.second));
    var offset = Math.round((local - Math.floor(moment.getTime() / 1000) * 1000) / 60000);
    var names = JSON.parse(list.dataset.zoneNames || "{}");
    var name = names[String(offset)];
    if (name === undefined) {
      var short = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" })
        .formatToParts(moment).find(function (p) { return p.type === "timeZoneName"; });
      name = short ? short.value : "";
    }
    return Number(parts.day) + " " + t("base.month_" + Number(parts.month)) + " " + parts.year + ", " +
      parts.hour + ":" + parts.minute + (name ? " " + name : "");
  }
  /* The public history holds what the public sees: a dispute (it reopens the report), not a
     comment or a rating. With the token, the reporter sees their own entries and words again
     (from the private view's timeline, never the page's HTML). */
  function ownEntry(event) {
    var list = document.querySelector(".timeline");
    if (!list || !event) { return null; }
    var entry = document.createElement("li");
    entry.className = "own-entry";
    entry.dataset.seq = String(Number(event.seq));
    var when = document.createElement("p");
    var time = document.createElement("time");
    time.dateTime = event.at;
    time.textContent = cityTime(event.at, list);
    when.appendChild(time);
    var what = document.createElement("p");
    what.textContent = t("trigger." + event.action) + " · " + t("role.citizen");
    entry.appendChild(when);
    entry.appendChild(what);
    var later = Array.prototype.find.call(list.children, function (li) {
      return Number(li.dataset.seq) > Number(event.seq);
    });
    list.insertBefore(entry, later || null);
    return entry;
  }
  function showOwnWords(notes, timeline) {
    notes.forEach(function (n) {
      var entry = document.querySelector(".timeline li[data-seq='" + Number(n.seq) + "']");
      if (!entry) {
        entry = ownEntry(timeline.find(function (e) { return Number(e.seq) === Number(n.seq); }));
      }
      if (!entry || entry.querySelector(".own-words")) { return; }
      var said = document.createElement("p");
      said.className = "note own-words";
      var label = document.createElement("strong");
      label.textContent = t("track.your_words") + " ";
      said.appendChild(label);
      said.appendChild(document.createTextNode(n.note));
      entry.appendChild(said);
    });
  }
  function hideOwnWords() {
    document.querySelectorAll(".own-entry, .own-words").forEach(function (p) { p.remove(); });
  }
  var handed = posted();
  var given = fromFragment() || handed;
  var initial = given || recalled();
  if (initial) {
    use(initial, false).catch(function (e) {
      if (e.stale) { return; }
      if (!e.wrong) { showError(e.message); } else if (!given) { forget(); }
    });
  }
  tokenForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var keep = document.getElementById("token-remember").checked;
    use(document.getElementById("token").value.trim(), keep).catch(function (e) {
      if (!e.stale) { showError(e.message); }
    });
  });
  rememberBox.addEventListener("change", function () {
    if (rememberBox.checked && token) { remember(token); }
    showRemembered();
  });
  forgetButton.addEventListener("click", function () {
    asking += 1;
    forget();
    token = null; actions.hidden = true; tokenForm.hidden = false; hideOwnWords();
    document.getElementById("token-remember").checked = false;
    if (window.location.hash) { history.replaceState(null, "", window.location.pathname); }
  });

  /* Shows the page again after an action: a report the public may not see is opened by
     posting the token again (its page has no public address to reload). */
  function again() {
    var own = document.getElementById("own-report");
    if (own) {
      try { sessionStorage.setItem(handoff, token); } catch (e) { /* */ }
      own.elements.token.value = token; own.submit();
    } else { window.location.reload(); }
  }
  /* The button stays pressed while its action is on its way and, once the action is taken,
     until the page has come back to show it: a second press never sends it twice. Only a
     refusal or a lost connection wakes it up, to try again. */
  function post(path, body, doneKey, button, fields) {
    error.hidden = true;
    statusLine.textContent = t("track.sending");
    button.disabled = true;
    var headers = { "X-Reporter-Token": token };
    if (!(body instanceof FormData)) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    return fetch(api + path, { method: "POST", headers: headers, body: body }).then(function (r) {
      if (!r.ok) { return problem(r, fields).then(function (d) { throw new Error(t("track.failed", { detail: d })); }); }
      statusLine.textContent = t(doneKey);
      try { sessionStorage.setItem("tanggap.done", t(doneKey)); } catch (e) { /* */ }
      again();
    }).catch(function (e) {
      button.disabled = false;
      showError(e instanceof TypeError ? t("track.offline") : e.message);
    });
  }
  try {
    var said = sessionStorage.getItem("tanggap.done");
    if (said) { statusLine.textContent = said; sessionStorage.removeItem("tanggap.done"); }
  } catch (e) { /* */ }

  /* Each form is on the page only when the engine takes that action from the reporter now. */
  var comment = document.getElementById("comment-form");
  if (comment) {
    comment.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new FormData();
      body.append("text", document.getElementById("comment-text").value.trim());
      var photo = document.getElementById("comment-photo").files[0];
      if (photo) { body.append("photos", photo); }
      post("/comments", body, "track.comment_done", event.submitter || event.target.querySelector("button"),
        { note: "comment", text: "comment" });
    });
  }
  var dispute = document.getElementById("dispute-form");
  if (dispute) {
    dispute.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = document.getElementById("dispute-reason").value.trim();
      if (!reason) { showError(t("track.need_reason")); return; }
      post("/dispute", { reason: reason }, "track.dispute_done", event.submitter || event.target.querySelector("button"),
        { note: "reason", reason: "reason" });
    });
  }
  var appeal = document.getElementById("appeal-form");
  if (appeal) {
    appeal.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = document.getElementById("appeal-reason").value.trim();
      if (!reason) { showError(t("track.need_appeal_reason")); return; }
      post("/appeal", { reason: reason }, "track.appeal_done", event.submitter || event.target.querySelector("button"),
        { note: "reason", reason: "reason" });
    });
  }
  var rating = document.getElementById("rating-form");
  if (rating) {
    rating.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = rating.querySelector("input[name=rating]:checked");
      if (!chosen) { showError(t("track.need_rating")); return; }
      post("/rating", { rating: Number(chosen.value) }, "track.rating_done", event.submitter || event.target.querySelector("button"));
    });
  }
})();
