/* A Leaflet map from a container's data attributes. Without a tile URL (the default) the map is
   a plain grid with markers: nothing is fetched from outside the app. */
"use strict";
window.TanggapMap = (function () {
  var COLOURS = { red: "#b3261e", yellow: "#b8860b", green: "#1e6b2f", grey: "#595959", blue: "#0b5394" };
  function make(element) {
    if (!element || !window.L) { return null; }
    var centre = JSON.parse(element.dataset.centre);
    var map = L.map(element, { scrollWheelZoom: false }).setView(centre, Number(element.dataset.zoom));
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
    } else {
      element.classList.add("plain");
      map.attributionControl.setPrefix(false);
    }
    var points = JSON.parse(element.dataset.points || "[]");
    points.forEach(function (p) { dot(map, p[0], p[1], p[2]); });
    return map;
  }
  function dot(map, lat, lon, colour) {
    var c = COLOURS[colour] || COLOURS.blue;
    return L.circleMarker([lat, lon], { radius: 10, color: "#fff", weight: 3, fillColor: c, fillOpacity: 1 }).addTo(map);
  }
  return { make: make, dot: dot, colours: COLOURS };
})();

/* The page's messages, embedded by the server in its language. */
window.tanggapMessages = function () {
  var node = document.getElementById("messages");
  var all = node ? JSON.parse(node.textContent) : {};
  return function (key, params) {
    var text = all[key] || key;
    Object.keys(params || {}).forEach(function (name) { text = text.split("{" + name + "}").join(params[name]); });
    return text;
  };
};
