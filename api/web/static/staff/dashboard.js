/* The supervisor dashboard's map: one marker per open ticket, filled with the state's colour
   and ringed by its SLA status; a click opens the ticket's SLA timeline. Uses the shared
   TanggapMap (plain background without a tile URL: nothing is fetched from outside). */
"use strict";
(function () {
  var element = document.getElementById("dashboard-map");
  if (!element || !window.TanggapMap) { return; }
  var map = window.TanggapMap.make(element);
  if (!map) { return; }
  var RING = {
    breached: { color: "#3b0000", weight: 5, radius: 11 },
    at_risk: { color: "#e07b00", weight: 4, radius: 10 },
    on_time: { color: "#ffffff", weight: 2, radius: 9 },
    none: { color: "#ffffff", weight: 2, radius: 8 }
  };
  var tickets = JSON.parse(element.dataset.tickets || "[]");
  var bounds = [];
  tickets.forEach(function (t) {
    var ring = RING[t.sla] || RING.none;
    var marker = L.circleMarker([t.lat, t.lon], {
      radius: ring.radius, color: ring.color, weight: ring.weight,
      fillColor: window.TanggapMap.colours[t.colour] || window.TanggapMap.colours.blue,
      fillOpacity: 1,
      className: "ticket-marker sla-" + t.sla + " code-" + t.code
    }).addTo(map);
    marker.bindTooltip(t.label);
    marker.on("click", function () { window.location.href = "/dashboard/t/" + encodeURIComponent(t.code); });
    bounds.push([t.lat, t.lon]);
  });
  if (bounds.length > 1) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 }); }
  else if (bounds.length === 1) { map.setView(bounds[0], 15); }
})();
