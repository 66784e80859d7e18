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
    outlines(map);
    return map;
  }

  /* The official outlines of the areas in view (kota, kecamatan or kelurahan by zoom) with their
     names, from the app's own boundaries: a sense of place without tiles. Views are widened to a
     0.02° grid so panning a little asks the same (browser-cached) URL again. */
  function outlines(map) {
    map.createPane("areas").style.zIndex = 350;
    map.createPane("area-names").style.zIndex = 360;
    var layer = L.layerGroup().addTo(map), asked = "", timer = null;
    function grid(x, up) { return (up ? Math.ceil(x * 50) : Math.floor(x * 50)) / 50; }
    function load() {
      var b = map.getBounds(), zoom = map.getZoom();
      var query = new URLSearchParams({
        min_lon: grid(b.getWest(), false), min_lat: grid(b.getSouth(), false),
        max_lon: grid(b.getEast(), true), max_lat: grid(b.getNorth(), true), zoom: zoom
      }).toString();
      if (query === asked) { return; }
      asked = query;
      fetch("/api/v1/areas/outlines?" + query).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) {
          if (!found || query !== asked) { return; }
          layer.clearLayers();
          var fine = found.level === "kelurahan";
          L.geoJSON(found.features, {
            pane: "areas", interactive: false,
            style: { color: "#2f4b6e", weight: fine ? 2 : 3, opacity: 0.8, fill: false, dashArray: fine ? "6 4" : null }
          }).addTo(layer);
          found.features.forEach(function (f) {
            var name = document.createElement("span");
            name.textContent = f.properties.name;
            L.marker([f.properties.label_lat, f.properties.label_lon], {
              pane: "area-names", interactive: false, keyboard: false,
              icon: L.divIcon({ className: "area-name", html: name, iconSize: null })
            }).addTo(layer);
          });
        }).catch(function () {
          /* asked again on the next move; a failure overtaken by a newer view changes nothing
             (the newer answer is still awaited) */
          if (query === asked) { asked = ""; }
        });
    }
    map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(load, 200); });
    map.whenReady(load);
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
window.tanggapMessageKeys = function () {
  var node = document.getElementById("messages");
  return node ? Object.keys(JSON.parse(node.textContent)) : [];
};
