/* The tracking page's "follow this report" (a visitor's, not the reporter's): "Saya juga / Me too"
   with an optional e-mail address, sent to POST /api/v1/reports/{code}/supporters. An address
   gets one confirmation mail first and nothing else until its owner confirms (the API's double
   opt-in). The answer says whether this "me too" counted; the supporters figure on the page
   follows it. A refusal (a bad address, too many at once) is said under the e-mail box in the
   page's words (problem.js).

   One send at a time: the button is disabled while sending and a second submit (Enter pressed
   again, a double tap) is ignored. Enter in an empty e-mail box sends nothing, so a stray Enter
   before the address is typed does not send a half-filled form; the button sends a "me too"
   without an address. After an answer the form gives way to what happened (focus moves there).

   Whether a confirmation mail went out is said as the API can say it: an address given gets one
   unless it already follows the report or got one within a day. The answer cannot be exact
   without telling anyone who types an address whether that address follows the report (the
   reporter's own address does, from the start): personal data the public API never gives. */
"use strict";
(function () {
  var section = document.getElementById("follow");
  var form = document.getElementById("follow-form");
  if (!section || !form) { return; }
  var t = window.tanggapMessages();
  var api = "/api/v1/reports/" + encodeURIComponent(section.dataset.code) + "/supporters";
  var email = document.getElementById("follow-email");
  var language = document.getElementById("follow-language");
  var button = document.getElementById("follow-send");
  var error = document.getElementById("follow-error");
  var statusBox = document.getElementById("follow-status");
  var figure = document.getElementById("supporters");
  var sending = false;

  function say(lines) {
    statusBox.replaceChildren.apply(statusBox, lines.map(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      return p;
    }));
  }
  function clearError() {
    error.hidden = true; error.textContent = "";
    email.removeAttribute("aria-invalid");
  }
  function showError(message, aboutEmail) {
    say([]);
    error.textContent = message; error.hidden = false;
    if (aboutEmail) { email.setAttribute("aria-invalid", "true"); email.focus(); }
  }
  /* The API's problem document in the page's words; whether it is about the address. */
  function refusal(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      var field = body && body.params ? body.params.field : undefined;
      return { message: t("track.failed", { detail: window.tanggapProblem(body) }), aboutEmail: field === "email" };
    });
  }
  function done(answer, address) {
    var count = String(Number(answer.supporters));
    if (figure) { figure.textContent = count; }
    form.hidden = true;
    say([
      t(answer.counted ? "track.follow_counted" : "track.follow_not_counted", { count: count }),
      address ? t("track.follow_mail", { email: address }) : t("track.follow_no_mail")
    ]);
    statusBox.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    sending = true;
    button.disabled = true;
    clearError();
    say([t("track.sending")]);
    var address = email.value.trim();
    var body = { language: language.value };
    if (address) { body.email = address; }
    fetch(api, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        if (!r.ok) { return refusal(r).then(function (p) { showError(p.message, p.aboutEmail); }); }
        return r.json().then(function (answer) { done(answer, address); });
      })
      .catch(function () { showError(t("track.offline"), false); })
      .finally(function () { sending = false; button.disabled = false; });
  });
  email.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !email.value.trim()) { event.preventDefault(); }
  });
  button.disabled = false;
})();
