/* The not-found page of a tracking link. A report the public may not see (a category that is
   not published, e.g. pungli) answers as an unknown code; if this device holds the reporter's
   token for the code (the link's fragment, or remembered when the report was sent), it is posted
   once, in a form body, to /t/{code}, which opens the report for its reporter only. Without a
   token nothing is sent; a token that opened nothing is forgotten and not sent again. */
"use strict";
(function () {
  var form = document.getElementById("own-report");
  if (!form) { return; }
  var key = "tanggap.token." + form.dataset.code;
  if (form.dataset.tried) {
    try { localStorage.removeItem(key); } catch (e) { /* private mode */ }
    return;
  }
  var match = /(?:^|&)token=([^&]+)/.exec(window.location.hash.slice(1));
  var token = match ? decodeURIComponent(match[1]) : null;
  if (!token) { try { token = localStorage.getItem(key); } catch (e) { token = null; } }
  if (!token) { return; }
  try { localStorage.setItem(key, token); } catch (e) { /* private mode */ }
  form.elements.token.value = token;
  form.submit();
})();
