"""The console's folium maps, drawn with no request off the server.

folium names its JavaScript and CSS on public CDNs; each map here names the copies
stroll-server serves from ``console/static`` instead (Leaflet 1.9.4, jQuery 3.7.1 for
folium's popups, Leaflet.heat 0.2.0 for the heat map, each with its licence beside it).
A map is its own small document, shown in an ``<iframe>`` of its console page: folium
writes its drawing as inline scripts, which the console's pages forbid, so a map's
answer allows exactly its own inline scripts by their SHA-256 hashes (``frame``), its
inline styles, and framing by the console only.

folium puts a tooltip's or popup's text into JavaScript template literals as it is:
every text drawn here goes through ``safe`` first (a name typed on a phone is not code).
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import Iterable, Sequence

import folium
import folium.plugins
from fastapi.responses import HTMLResponse

STATIC = "/console/static"
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet/leaflet.js"),
              ("jquery", f"{STATIC}/jquery/jquery.min.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]
HEAT_JS = [("leaflet-heat.js", f"{STATIC}/leaflet-heat/leaflet-heat.js")]
TILES = "/console/tiles/{z}/{x}/{y}.png"
CENTER = (37.7946, -122.4068)   # SF Chinatown, when there is nothing to frame

# colours: check-ins by status, coverage by how often walked (legends say the same)
STATUS_COLOURS = {"all_good": "#1b7f3b", "concern": "#b86e00", "needs_follow_up": "#b3261e"}
INCIDENT_COLOUR = "#6a1b9a"
ROUTE_COLOUR = "#1565c0"
TRACK_COLOUR = "#00897b"

_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def safe(text: object) -> str:
    """``text`` as HTML inside a JavaScript template literal: escaped for HTML, and the
    literal's own specials (backtick, ``${``, backslash) as entities."""
    return (html.escape(str(text), quote=True).replace("`", "&#96;")
            .replace("$", "&#36;").replace("\\", "&#92;"))


def new_map(points: Iterable[Sequence[float]], *, tiles: bool,
            attribution: str = "") -> folium.Map:
    """A map framing ``points`` ((lat, lon) pairs), its libraries served here; the
    basemap from the server's tiles when ``tiles``, else a plain background on which
    the program's routes are the streets."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    m = folium.Map(location=pts[0] if pts else CENTER, zoom_start=16, tiles=None,
                   control_scale=True, prefer_canvas=True)
    m.default_js = list(LEAFLET_JS)
    m.default_css = list(LEAFLET_CSS)
    if tiles:
        folium.TileLayer(TILES, attr=safe(attribution or "stroll"), max_zoom=19,
                         name="basemap", control=False).add_to(m)
    else:
        m.get_root().header.add_child(folium.Element(
            "<style>html body .leaflet-container{background:#f3f1ec}</style>"))
    if len(pts) > 1:
        lats, lons = [p[0] for p in pts], [p[1] for p in pts]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(12, 12),
                     max_zoom=18)
    return m


def layer(m: folium.Map, name: str, show: bool = True) -> folium.FeatureGroup:
    return folium.FeatureGroup(name=safe(name), show=show).add_to(m)


def line(group, points: Sequence, *, colour: str, tooltip: str,
         weight: int = 4, dash: str | None = None, opacity: float = 0.9,
         popup: str | None = None) -> None:
    """A polyline (``points``: (lat, lon) pairs, or a list of such lists: one line in
    pieces); ``tooltip`` is plain text, ``popup`` HTML made with ``safe``."""
    if not points:
        return
    if isinstance(points[0][0], (int, float)):
        shape = [(p[0], p[1]) for p in points]
    else:
        shape = [[(p[0], p[1]) for p in piece] for piece in points]
    folium.PolyLine(shape, color=colour, weight=weight,
                    opacity=opacity, dash_array=dash, tooltip=safe(tooltip),
                    popup=folium.Popup(popup, max_width=260) if popup else None
                    ).add_to(group)


def dots(group, points: Sequence[tuple[float, float, str]], *, colour: str,
         radius: int = 6) -> None:
    """Circles of one colour at ``points`` ((lat, lon, tooltip text)): one GeoJSON
    layer however many (a month holds thousands of check-ins; a folium element each
    would take seconds to render)."""
    if not points:
        return
    features = [{"type": "Feature", "id": i,
                 "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                 "properties": {"label": safe(label)}}
                for i, (lat, lon, label) in enumerate(points)]
    folium.GeoJson({"type": "FeatureCollection", "features": features},
                   marker=folium.CircleMarker(radius=radius, color="#ffffff", weight=1.5,
                                              fill=True, fill_color=colour,
                                              fill_opacity=0.85),
                   tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
                   control=False).add_to(group)


def heat(m: folium.Map, name: str, points: list[tuple[float, float]]) -> None:
    layer_ = folium.plugins.HeatMap([[lat, lon, 1.0] for lat, lon in points],
                                    name=safe(name), radius=22, blur=18, min_opacity=0.35)
    layer_.default_js = list(HEAT_JS)
    layer_.add_to(m)


def link(href: str, text: str) -> str:
    """A popup's link to a console page (opened in the console, not in the map)."""
    return f'<a href="{safe(href)}" target="_top">{safe(text)}</a>'


def finish(m: folium.Map) -> str:
    """The map's document, with a layer control."""
    folium.LayerControl(collapsed=True).add_to(m)
    return m.get_root().render()


def frame(document: str) -> HTMLResponse:
    """A map's document as the answer to its frame's request: its inline scripts
    allowed by hash and nothing else, nothing from another host, framed only by the
    console's own pages."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in dict.fromkeys(_SCRIPT.findall(document)))
    policy = (f"default-src 'self'; script-src 'self' {hashes}; "
              "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
              "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")
    return HTMLResponse(document, headers={
        "Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
        "X-Frame-Options": "SAMEORIGIN"})
