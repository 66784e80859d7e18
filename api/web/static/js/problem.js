/* Why something was not done, in the page's words: the API's problem document (code + params)
   through the page's "problem.*" messages, as api/web/problems.py does on the server.
   window.tanggapProblem(body, fields) — fields renames the API's field names to the page's
   ({note: "comment"}). */
"use strict";
(function () {
  var MB = 1024 * 1024;
  /* A number as the page's language writes it: "8,0" in Indonesian, "8.0" in English. */
  function number(value) {
    var lang = document.documentElement.lang || "id";
    return new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
  }
  /* A size in bytes as problems.py size_words says it: "8,0 MB", "64 KB", "512 byte(s)". */
  function sizeWords(bytes) {
    var lang = document.documentElement.lang || "id";
    var whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
    if (bytes < 1024) { return whole.format(bytes) + (lang === "id" ? " byte" : " bytes"); }
    if (Math.round(bytes / 1024) < 1024) { return whole.format(bytes / 1024) + " KB"; }
    return number(bytes / MB) + " MB";
  }
  window.tanggapProblem = function (body, fields) {
    var t = window.tanggapMessages();
    var all = window.tanggapMessageKeys();
    body = body || {};
    var params = {};
    Object.keys(body.params || {}).forEach(function (k) { params[k] = body.params[k]; });
    var name = "";
    if (params.field !== undefined) {
      name = (fields || {})[params.field] || params.field;
      params.field = t(all.indexOf("problem.field." + name) >= 0 ? "problem.field." + name : "problem.field.any");
    }
    ["size", "limit"].forEach(function (k) {
      if (typeof params[k] === "number") { params[k + "_words"] = sizeWords(params[k]); }
    });
    Object.keys(params).forEach(function (k) {
      if (typeof params[k] === "number" && !Number.isInteger(params[k])) { params[k] = number(params[k]); }
    });
    var key = "problem." + (body.code || "other");
    if (body.code === "unknown_reference" && all.indexOf("problem.unknown_reference_of." + name) >= 0) {
      /* an officer, an agency, a report's code: each in its own words (as problems.py does) */
      key = "problem.unknown_reference_of." + name;
    }
    if (body.code === "note_required") {
      /* a comment or note with nothing in it: the text itself is missing, not a reason */
      var written = "problem.write_first." + (name || "note");
      if (all.indexOf(written) >= 0) { key = written; }
    }
    if (all.indexOf(key) >= 0) {
      var missing = (t(key).match(/\{(\w+)\}/g) || []).some(function (p) { return params[p.slice(1, -1)] === undefined; });
      if (!missing) { return t(key, params); }
      if (all.indexOf(key + "_plain") >= 0) { return t(key + "_plain"); }
    }
    if (params.field !== undefined) { return t("problem.invalid_request", { field: params.field }); }
    return t("problem.other");
  };
})();
