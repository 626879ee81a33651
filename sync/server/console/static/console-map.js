// The console's drawing maps (Leaflet, served by stroll-server with its basemap tiles).
// The form's own inputs stay the truth and work without this file: a route's points
// are the "latitude, longitude" lines of its text box, a neighborhood's area its four
// edges, a business's place its latitude and longitude. The map shows them and a tap
// on it writes them: a route gets a point at its end, a neighborhood's area takes two
// opposite corners, a business moves to the tap.
(function () {
  "use strict";
  const TILES = "/console/tiles/{z}/{x}/{y}.png";
  const SF = [37.7946, -122.4068];

  function words() {
    const t = document.getElementById("map-words");
    return t ? t.dataset : {};
  }

  function chosenArea(form) {
    const select = form.querySelector("select#neighborhood_id");
    const option = select && select.selectedOptions[0];
    if (option && option.dataset.bbox) {
      try { return JSON.parse(option.dataset.bbox); } catch (e) { /* no area */ }
    }
    return null;
  }

  function mount(before, id) {
    const box = document.createElement("div");
    box.className = "draw";
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = words().hint || "";
    const div = document.createElement("div");
    div.className = "map";
    div.id = id;
    box.append(hint, div);
    before.parentNode.insertBefore(box, before);
    const map = L.map(div, { zoomControl: true, attributionControl: false })
      .setView(SF, 16);
    L.tileLayer(TILES, { minZoom: 12, maxZoom: 19, maxNativeZoom: 18 }).addTo(map);
    return { map: map, box: box };
  }

  function button(box, text, id, act) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.id = id;
    b.textContent = text;
    b.addEventListener("click", act);
    box.append(b);
  }

  function number(v) { return Math.round(v * 1e6) / 1e6; }

  function parsePath(text) {
    const points = [];
    for (const line of text.split("\n")) {
      const parts = line.split(/[,;\t]/).map((p) => p.trim()).filter(Boolean);
      if (parts.length !== 2) continue;
      const lat = Number(parts[0]), lon = Number(parts[1]);
      if (Number.isFinite(lat) && Number.isFinite(lon)) points.push([lat, lon]);
    }
    return points;
  }

  function routeMap(form) {
    const text = form.querySelector("textarea#path_text");
    if (!text) return;
    const { map, box } = mount(text, "route-map");
    const line = L.polyline([], { color: "#0b6e4f", weight: 5 }).addTo(map);
    const redraw = (fit) => {
      const points = parsePath(text.value);
      line.setLatLngs(points);
      if (fit && points.length > 1) map.fitBounds(line.getBounds(), { padding: [20, 20] });
      else if (fit && points.length === 1) map.setView(points[0], 17);
      else if (fit) {
        const area = chosenArea(form);
        if (area) map.fitBounds(area);
      }
    };
    map.on("click", (e) => {
      const sep = text.value && !text.value.endsWith("\n") ? "\n" : "";
      text.value += `${sep}${number(e.latlng.lat)}, ${number(e.latlng.lng)}`;
      redraw(false);
    });
    text.addEventListener("input", () => redraw(false));
    const hood = form.querySelector("select#neighborhood_id");
    if (hood) hood.addEventListener("change", () => { if (!text.value.trim()) redraw(true); });
    button(box, words().undo, "map-undo", () => {
      const lines = text.value.trimEnd().split("\n");
      lines.pop();
      text.value = lines.join("\n");
      redraw(false);
    });
    redraw(true);
  }

  function areaMap(form) {
    const edges = ["south", "west", "north", "east"].map(
      (side) => form.querySelector(`input[name="bbox.${side}"]`));
    if (edges.some((e) => !e)) return;
    const { map, box } = mount(edges[0].closest("fieldset"), "area-map");
    const rect = L.rectangle([[0, 0], [0, 0]], { color: "#0b6e4f", weight: 2 });
    let corner = null;
    const show = (fit) => {
      const v = edges.map((e) => Number(e.value));
      if (edges.every((e) => e.value.trim()) && v.every(Number.isFinite)) {
        rect.setBounds([[v[0], v[1]], [v[2], v[3]]]).addTo(map);
        if (fit) map.fitBounds(rect.getBounds(), { padding: [20, 20] });
      }
    };
    map.on("click", (e) => {
      if (!corner) { corner = e.latlng; return; }
      const s = Math.min(corner.lat, e.latlng.lat), n = Math.max(corner.lat, e.latlng.lat);
      const w = Math.min(corner.lng, e.latlng.lng), east = Math.max(corner.lng, e.latlng.lng);
      [s, w, n, east].forEach((value, i) => { edges[i].value = number(value); });
      corner = null;
      show(false);
    });
    edges.forEach((e) => e.addEventListener("input", () => show(false)));
    button(box, words().clear, "map-clear", () => {
      edges.forEach((e) => { e.value = ""; });
      corner = null;
      rect.remove();
    });
    show(true);
  }

  function pointMap(form, latId, lonId) {
    const lat = form.querySelector(`input#${latId}`), lon = form.querySelector(`input#${lonId}`);
    if (!lat || !lon) return;
    const { map } = mount(lat.closest(".field"), "point-map");
    const marker = L.circleMarker(SF, { radius: 8, color: "#0b6e4f", fillOpacity: 0.8 });
    const show = (fit) => {
      const a = Number(lat.value), b = Number(lon.value);
      if (lat.value.trim() && lon.value.trim() && Number.isFinite(a) && Number.isFinite(b)) {
        marker.setLatLng([a, b]).addTo(map);
        if (fit) map.setView([a, b], 17);
      } else if (fit) {
        const area = chosenArea(form);
        if (area) map.fitBounds(area);
      }
    };
    map.on("click", (e) => {
      lat.value = number(e.latlng.lat);
      lon.value = number(e.latlng.lng);
      show(false);
    });
    [lat, lon].forEach((e) => e.addEventListener("input", () => show(false)));
    const hood = form.querySelector("select#neighborhood_id");
    if (hood) hood.addEventListener("change", () => { if (!lat.value.trim()) show(true); });
    show(true);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof L === "undefined") return;
    for (const form of document.querySelectorAll("form.record")) {
      if (form.id === "form-route") routeMap(form);
      if (form.id === "form-neighborhood") areaMap(form);
      if (form.id === "form-merchant") pointMap(form, "lat", "lon");
      if (form.id === "form-shift") pointMap(form, "meeting_lat", "meeting_lon");
    }
  });
})();
