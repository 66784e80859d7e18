/* The staff pages' forms (an action on a ticket with its note, signing out) are plain HTML
   posts, each action carrying the version of the ticket the page showed. One send at a time:
   while a form's answer is on its way, a second press (a double click, Enter again, another
   form of the page) sends nothing. Before, the second press was sent too, found the ticket
   moved on by the first, and its answer (the page the officer then read) said that someone
   else had changed the ticket and nothing was saved, and offered the note to send again.
   Without this script the forms work as before. A page brought back by the Back button sends
   again. */
"use strict";
(function () {
  var sending = null;
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }  /* a check of the page's own refused it: not sent */
    if (sending) { event.preventDefault(); return; }
    sending = event.target;
    sending.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && sending) { sending.removeAttribute("aria-busy"); sending = null; }
  });
})();
