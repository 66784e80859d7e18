/* The not-found page of a tracking link. A report the public may not see (a category that is
   not published, e.g. pungli) answers as an unknown code; its reporter opens it with the token,
   posted in a form body to /t/{code} (never in an address). If this device holds the token for
   the code (the link's fragment, or remembered on this device by the reporter's choice), it is
   posted once without asking; a pasted one is remembered only when "Remember this report on
   this device" is ticked. The report's page gets the token it was opened with for that one
   load (sessionStorage, taken there), never in its HTML. A token that opened nothing is
   forgotten and not sent again. */
"use strict";
(function () {
  var form = document.getElementById("own-report");
  if (!form) { return; }
  var key = "tanggap.token." + form.dataset.code;
  var field = form.elements.token;
  var handoff = "tanggap.posted." + form.dataset.code;
  function remember(value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function handOver(value) { try { sessionStorage.setItem(handoff, value); } catch (e) { /* private mode */ } }
  try { sessionStorage.removeItem(handoff); } catch (e) { /* private mode */ }
  var keep = document.getElementById("own-remember");
  document.getElementById("own-remember-choice").hidden = false;
  form.addEventListener("submit", function () {
    field.value = field.value.trim();
    if (keep.checked) { remember(field.value); }
    handOver(field.value);
  });
  if (form.dataset.tried) {
    try { localStorage.removeItem(key); } catch (e) { /* private mode */ }
    return;
  }
  var match = /(?:^|&)token=([^&]+)/.exec(window.location.hash.slice(1));
  var token = match ? decodeURIComponent(match[1]) : null;
  if (!token) { try { token = localStorage.getItem(key); } catch (e) { token = null; } }
  if (!token) { return; }
  field.value = token;
  handOver(token);
  form.submit();
})();
