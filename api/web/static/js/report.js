/* The report form: pick a category and a place, see what is already reported nearby, describe,
   add photos, send to the JSON API (POST /api/v1/reports), then show the code and the link to
   keep. The reporter token travels only in the link's fragment, which browsers never send.
   The device remembers the report only when the reporter ticks "Remember this report on this
   device" on the receipt (a warnet or a family phone is shared). */
"use strict";
(function () {
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var t = window.tanggapMessages();
  var lang = form.dataset.lang;
  var point = null, marker = null;
  var mapElement = document.getElementById("report-map");
  var map = window.TanggapMap.make(mapElement);
  var status = document.getElementById("location-status");
  var coords = document.getElementById("coords");
  var nearby = document.getElementById("nearby");
  var error = document.getElementById("form-error");
  var nearbyMarkers = [];

  function round(x) { return Math.round(x * 1e6) / 1e6; }
  /* Each choice of the place is counted (a tap, the coordinates, an address, "Use where I am
     now"): a position the phone finds after the citizen chose the place otherwise, or asked
     again, changes nothing, and neither does its "not available". */
  var placed = 0;
  function setPoint(lat, lon, message, params, zoom) {
    placed += 1;
    point = { lat: round(lat), lon: round(lon) };
    coords.value = point.lat + ", " + point.lon;
    status.textContent = t(message, Object.assign({}, point, params || {}));
    if (map) {
      if (marker) { marker.remove(); }
      marker = window.TanggapMap.dot(map, point.lat, point.lon, "blue");
      map.setView([point.lat, point.lon], zoom || Math.max(map.getZoom(), 16));
    }
    loadNearby();
  }
  function category() {
    var checked = form.querySelector("input[name=category]:checked");
    return checked ? checked.value : "";
  }

  /* What is already reported nearby answers the category and place chosen now: a list (and its
     dots on the map) for an earlier choice goes as soon as another is made, and an answer that
     comes after a later question was asked changes nothing. */
  var nearbyAsked = 0;
  function loadNearby() {
    var mine = ++nearbyAsked;
    nearbyMarkers.forEach(function (m) { m.remove(); });
    nearbyMarkers = [];
    nearby.hidden = true;
    nearby.replaceChildren();
    if (!point || !category()) { return; }
    var query = new URLSearchParams({ category: category(), lat: point.lat, lon: point.lon, lang: lang });
    fetch("/web/nearby?" + query.toString()).then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (mine !== nearbyAsked) { return; }
        nearby.innerHTML = html;  // rendered and escaped by the server
        nearby.hidden = !html.trim();
        nearby.querySelectorAll(".card").forEach(function (card) {
          if (map) { nearbyMarkers.push(window.TanggapMap.dot(map, Number(card.dataset.lat), Number(card.dataset.lon), "yellow")); }
        });
      }).catch(function () { /* nothing nearby is said */ });
  }

  nearby.addEventListener("click", function (event) {
    var button = event.target.closest(".me-too");
    if (!button) { return; }
    button.disabled = true;
    var code = button.dataset.code;
    fetch("/api/v1/reports/" + encodeURIComponent(code) + "/supporters", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ language: lang })
    }).then(function (r) {
      if (r.ok) { window.location.assign("/t/" + encodeURIComponent(code)); return; }
      button.disabled = false;
      return problem(r).then(showError, function (e) { showError(e.message); });
    }).catch(function () { button.disabled = false; showError(t("report.offline")); });
  });

  /* A category whose catalogue entry asks for a photo says so as soon as it is chosen. */
  var photoNote = document.getElementById("photo-required");
  function photoRequired() {
    var checked = form.querySelector("input[name=category]:checked");
    return Boolean(checked && checked.dataset.photo === "required");
  }
  function markPhoto() {
    var required = photoRequired();
    photoNote.hidden = !required;
    ["photo-camera", "photo-gallery"].forEach(function (id) {
      var input = document.getElementById(id);
      if (required) { input.setAttribute("aria-describedby", "photo-required"); } else { input.removeAttribute("aria-describedby"); }
    });
  }
  /* The chosen category's questions only: the others hidden and disabled (a disabled box is
     not sent). Without this script every category's questions show, each under its name. */
  var questions = document.getElementById("questions");
  function group() {
    return questions ? questions.querySelector('.question-group[data-category="' + category() + '"]') : null;
  }
  function showQuestions() {
    if (!questions) { return; }
    var chosen = group();
    questions.querySelectorAll(".question-group").forEach(function (g) {
      g.hidden = g !== chosen;
      g.disabled = g !== chosen;
    });
    questions.hidden = !chosen;
  }
  form.querySelectorAll("input[name=category]").forEach(function (input) {
    input.addEventListener("change", loadNearby);
    input.addEventListener("change", markPhoto);
    input.addEventListener("change", showQuestions);
  });
  markPhoto();
  showQuestions();
  /* The chosen category's answers as the API takes them: answers[code], once per value; a
     date-and-time box's wall clock is the city's (its data-offset). */
  function appendAnswers(body) {
    var chosen = group();
    if (!chosen) { return; }
    chosen.querySelectorAll(".question").forEach(function (q) {
      var code = q.dataset.question, name = "answers[" + code + "]";
      if (q.dataset.datatype === "multivaluelist") {
        q.querySelectorAll("input:checked").forEach(function (box) { body.append(name, box.value); });
        return;
      }
      var box = q.querySelector("input, select, textarea");
      var value = box.value.trim();
      if (!value) { return; }
      if (q.dataset.datatype === "datetime" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
        value += box.dataset.offset || "";
      }
      body.append(name, value);
    });
  }
  function bound(value) {
    return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(value);
  }
  /* A refusal of one answer, in the words said under its question (as report_form.py does). */
  function answerWords(body, datatype) {
    var params = body.params || {};
    if (body.code === "answer_required") { return t("report.answer_required"); }
    if (body.code === "invalid_answer" && datatype === "number" && params.min !== undefined) {
      return t("report.answer_number", { min: bound(params.min), max: bound(params.max) });
    }
    if (body.code === "invalid_answer" && /valuelist$/.test(datatype)) { return t("report.answer_choice"); }
    if (datatype === "datetime" && body.code !== "answer_in_future") { return t("report.answer_datetime"); }
    return window.tanggapProblem(body);
  }
  if (map) { map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, "report.point_set"); }); }
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = t("report.no_position"); return; }
    status.textContent = t("report.locating");
    var mine = ++placed;
    navigator.geolocation.getCurrentPosition(function (p) {
      if (mine === placed) { setPoint(p.coords.latitude, p.coords.longitude, "report.located"); }
    }, function () {
      if (mine === placed) { status.textContent = t("report.no_position"); }
    }, { enableHighAccuracy: true, timeout: 15000 });
  });
  function readCoords() {
    var parts = coords.value.split(/[,;\s]+/).filter(Boolean).map(Number);
    if (parts.length === 2 && parts.every(isFinite) && Math.abs(parts[0]) <= 90 && Math.abs(parts[1]) <= 180) {
      setPoint(parts[0], parts[1], "report.point_set");
    } else { placed += 1; point = null; status.textContent = t("report.bad_coords"); loadNearby(); }
  }
  coords.addEventListener("change", readCoords);
  /* Enter (a phone keyboard's "Go") in a one-line box never sends the report: in the
     coordinates it places the pin, in the address it looks the place up (below), elsewhere it
     does nothing. Only the send button sends. */
  form.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || box.tagName !== "INPUT") { return; }
    if (["submit", "button", "reset", "file"].indexOf(box.type) !== -1) { return; }
    event.preventDefault();
    if (box === coords) { readCoords(); }
  });

  /* Typing an address: the kelurahan, kecamatan and cities whose official names match, from the
     app's own boundaries (no outside geocoder). Choosing one puts the pin inside it; the
     citizen then taps the map to put it exactly. The server reads the address as it does a
     form sent without this script (engine.queries.places.search_address): the whole text,
     then what follows each comma, then each part from the last. */
  var address = document.getElementById("address");
  var results = document.getElementById("place-results");
  var searchTimer = null, searched = "";
  function findPlaces() {
    var text = address.value.trim();
    if (text === searched) { return; }
    searched = text;
    if (text.length < 3) { results.replaceChildren(); return; }
    fetch("/api/v1/places?" + new URLSearchParams({ q: text, limit: 5 }).toString())
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) {
        if (text !== searched) { return; }
        showPlaces(found);
      }).catch(function () {
        /* a search overtaken by another (the citizen typed on) leaves the newer one's places */
        if (text === searched) { results.replaceChildren(); }
      });
  }
  function showPlaces(found) {
    var said = document.createElement("p");
    said.className = "hint";
    said.textContent = found.length ? t("report.places_found", { n: found.length }) : t("report.places_none");
    var list = document.createElement("ul");
    list.className = "places";
    found.forEach(function (place) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "place";
      button.textContent = "📍 " + place.label;
      button.addEventListener("click", function () {
        results.replaceChildren();
        setPoint(place.lat, place.lon, "report.place_set", { label: place.label },
          place.level === "kota" ? 12 : place.level === "kecamatan" ? 13 : 14);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    results.replaceChildren(said, list);
  }
  /* The places the server offered when the form came back without this script (radio buttons):
     the one chosen puts the pin there, as a place found above does. */
  function offeredPlace(radio) {
    setPoint(Number(radio.dataset.lat), Number(radio.dataset.lon), "report.place_set", { label: radio.dataset.label });
  }
  results.addEventListener("change", function (event) {
    if (event.target.name === "place" && event.target.checked) { offeredPlace(event.target); }
  });
  var offered = results.querySelector("input[name=place]:checked");
  if (offered && !coords.value.trim()) { offeredPlace(offered); }
  address.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(findPlaces, 400); });
  address.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(searchTimer); findPlaces(); }
  });

  /* The optional name, e-mail and phone: a refusal of any is said under its box. */
  var contact = {
    name: { input: document.getElementById("reporter-name"), error: document.getElementById("name-error") },
    email: { input: document.getElementById("reporter-email"), error: document.getElementById("email-error") },
    phone: { input: document.getElementById("reporter-phone"), error: document.getElementById("phone-error") }
  };
  var contactFields = {
    name: "name", reporter_name: "name", email: "email", reporter_email: "email",
    phone: "phone", reporter_phone: "phone"
  };
  function clearFieldErrors() {
    Object.keys(contact).forEach(function (k) {
      contact[k].error.hidden = true; contact[k].error.textContent = "";
      contact[k].input.removeAttribute("aria-invalid");
    });
    form.querySelectorAll(".question").forEach(function (q) {
      var said = q.querySelector("p.error");
      said.hidden = true; said.textContent = "";
      q.querySelectorAll("[aria-invalid]").forEach(function (box) { box.removeAttribute("aria-invalid"); });
    });
  }
  function showAnswerError(q, message) {
    var said = q.querySelector("p.error");
    said.textContent = message; said.hidden = false;
    var boxes = q.querySelectorAll("input, select, textarea");
    boxes.forEach(function (box) { box.setAttribute("aria-invalid", "true"); });
    boxes[0].scrollIntoView({ block: "center" });
    boxes[0].focus();
  }
  function showFieldError(which, message) {
    var box = contact[which];
    box.error.textContent = message; box.error.hidden = false;
    box.input.setAttribute("aria-invalid", "true");
    box.input.scrollIntoView({ block: "center" });
    box.input.focus();
  }
  function showError(message) { error.textContent = message; error.hidden = false; error.focus && error.scrollIntoView({ block: "center" }); }
  function problem(response) {
    if (response.status === 429) { return Promise.resolve(t("report.too_many")); }
    return response.json().then(function (body) {
      var asked = body && body.params && body.params.question;
      var chosen = group();
      var q = asked && chosen ? chosen.querySelector('.question[data-question="' + asked + '"]') : null;
      if (q) {
        var refused = new Error(answerWords(body, q.dataset.datatype));
        refused.question = q;
        throw refused;
      }
      var field = contactFields[(body && body.params && body.params.field) || ""];
      if (field) {
        var error = new Error(window.tanggapProblem(body));
        error.field = field;
        throw error;
      }
      return t("report.failed", { detail: window.tanggapProblem(body) });
    }, function () { return t("report.failed", { detail: window.tanggapProblem({}) }); });
  }

  /* Phone photos are often 3–8 MB: send a JPEG at most 1600 px wide (falls back to the file). */
  function shrink(file) {
    if (!window.createImageBitmap || !file.type.startsWith("image/")) { return Promise.resolve(file); }
    return createImageBitmap(file).then(function (image) {
      var scale = Math.min(1, 1600 / Math.max(image.width, image.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale); canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.8);
      });
    }).catch(function () { return file; });
  }
  function photos() {
    var files = [];
    ["photo-camera", "photo-gallery"].forEach(function (id) {
      Array.prototype.forEach.call(document.getElementById(id).files, function (f) { if (f.size) { files.push(f); } });
    });
    /* each shrunk photo keeps the name the person chose, so a refusal names their file */
    return Promise.all(files.slice(0, 5).map(function (f) {
      return shrink(f).then(function (blob) { return { blob: blob, name: f.name || "photo.jpg" }; });
    }));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    clearFieldErrors();
    var description = document.getElementById("description").value.trim();
    if (!category()) { showError(t("report.need_category")); return; }
    if (!point) { showError(t("report.need_location")); return; }
    if (!description) { showError(t("report.need_description")); return; }
    var chosenPhotos = ["photo-camera", "photo-gallery"].some(function (id) { return document.getElementById(id).files.length > 0; });
    if (photoRequired() && !chosenPhotos) { showError(t("report.photo_required")); return; }
    var send = document.getElementById("send");
    send.disabled = true; send.textContent = t("report.sending");
    /* The report is the form as it was when "Send" was pressed (and checked above): a choice
       changed while the photos are made smaller is not sent. */
    var body = new FormData();
    body.append("category", category());
    body.append("description", description);
    body.append("lat", point.lat); body.append("lon", point.lon);
    var typed = address.value.trim();
    if (typed) { body.append("address", typed); }
    var name = contact.name.input.value.trim(), email = contact.email.input.value.trim();
    if (name) { body.append("name", name); }
    if (email) { body.append("email", email); }
    var phone = contact.phone.input.value.trim();
    if (phone) { body.append("phone", phone); }
    if (document.getElementById("private").checked) { body.append("private", "true"); }
    appendAnswers(body);
    body.append("language", lang);
    body.append("channel", "web");
    photos().then(function (files) {
      files.forEach(function (f) { body.append("photos", f.blob, f.name); });
      return fetch("/api/v1/reports", { method: "POST", body: body });
    }).then(function (response) {
      if (!response.ok) { return problem(response).then(function (m) { throw new Error(m); }); }
      return response.json().then(done);
    }).catch(function (e) {
      if (e.question) { showAnswerError(e.question, e.message); return; }
      if (e.field) { showFieldError(e.field, e.message); return; }
      showError(e instanceof TypeError ? t("report.offline") : e.message);
    }).finally(function () { send.disabled = false; send.textContent = send.dataset.label || send.textContent; });
  });
  document.getElementById("send").dataset.label = document.getElementById("send").textContent;

  function done(created) {
    var link = window.location.origin + "/t/" + encodeURIComponent(created.code) + "#token=" + encodeURIComponent(created.reporter_token);
    form.hidden = true;
    var receipt = document.getElementById("receipt");
    document.getElementById("receipt-code").textContent = created.code;
    document.getElementById("receipt-not-public").hidden = created.public !== false;
    document.getElementById("receipt-private").hidden = created.private !== true;
    document.getElementById("receipt-link").value = link;
    document.getElementById("receipt-open").href = link;
    offerRemember(created.code, created.reporter_token);
    receipt.hidden = false;
    receipt.focus();
  }
  /* "Remember this report on this device", off until ticked; unticking forgets it again. */
  function offerRemember(code, token) {
    var box = document.getElementById("remember");
    var said = document.getElementById("remember-status");
    var key = "tanggap.token." + code;
    box.checked = false;
    box.onchange = function () {
      try {
        if (box.checked) { localStorage.setItem(key, token); } else { localStorage.removeItem(key); }
        said.textContent = t(box.checked ? "report.remembered" : "report.forgotten");
      } catch (e) { box.checked = false; said.textContent = t("report.forgotten"); }
    };
    document.getElementById("remember-choice").hidden = false;
  }
  /* A receipt the server wrote (the form was posted before this script ran): its link holds
     the code and the token. */
  (function () {
    var receipt = document.getElementById("receipt");
    var match = /\/t\/([^#?]+)#token=([^&]+)/.exec(document.getElementById("receipt-link").value);
    if (!receipt.hidden && match) { offerRemember(decodeURIComponent(match[1]), decodeURIComponent(match[2])); }
  })();
  document.getElementById("copy-link").addEventListener("click", function () {
    var input = document.getElementById("receipt-link");
    input.select();
    var copied = navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject();
    copied.catch(function () { document.execCommand && document.execCommand("copy"); })
      .finally(function () { document.getElementById("copy-status").textContent = t("report.copied"); });
  });
})();
