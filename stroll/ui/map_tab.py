"""Map tab: the chosen neighborhood's planned routes and merchants on flet-map.

Offline the map shows the basemap the device serves itself (an MBTiles layer file and
the tiles cached while online: stroll/tiles.py); routes and businesses are drawn from the
device's own data. The tile address and the layer file are settings (More tab)."""
from __future__ import annotations

import math

import flet as ft
import flet_map as fm

from stroll.domain.labels import MapLabel
from stroll.state import AppState
from stroll.ui.map_layers import place_markers, tile_layers, use_names
from stroll.ui.theme import MIN_TOUCH

ROUTE_COLORS = ("#C62828", "#1565C0", "#6A1B9A", "#EF6C00", "#2E7D32", "#00838F")


# The map area on a phone in portrait, in logical pixels, less a margin: the camera is
# fitted to it here rather than by flet-map's CameraFit, which fitted to whatever size
# the map had while it was first laid out (sometimes zoomed in far too much).
FIT_WIDTH, FIT_HEIGHT, MAX_FIT_ZOOM = 320, 380, 17.0


def _mercator_y(lat: float) -> float:
    s = math.sin(math.radians(max(-85.0, min(85.0, lat))))
    return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)


def fit_camera(points: list[tuple[float, float]], width: float = FIT_WIDTH,
               height: float = FIT_HEIGHT) -> tuple[tuple[float, float], float]:
    """Center and zoom (web mercator, 256 px tiles) that show every point."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    center = ((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)
    dx = (max(lons) - min(lons)) / 360
    dy = abs(_mercator_y(min(lats)) - _mercator_y(max(lats)))
    zooms = [MAX_FIT_ZOOM]
    if dx > 0:
        zooms.append(math.log2(width / (256 * dx)))
    if dy > 0:
        zooms.append(math.log2(height / (256 * dy)))
    return center, math.floor(min(zooms) * 4) / 4


def route_color(i: int) -> str:
    return ROUTE_COLORS[i % len(ROUTE_COLORS)]


def neighborhood_chips(state: AppState) -> ft.Control:
    chips = [
        ft.Semantics(identifier=f"map-hood-{n['id']}", content=ft.Chip(
            label=ft.Text(state.tr.place(n)), selected=n["id"] == state.map_neighborhood_id,
            show_checkmark=False, height=MIN_TOUCH,
            on_select=lambda _, nid=n["id"]: state.select_map_neighborhood(nid)))
        for n in state.neighborhoods]
    return ft.Row(chips, wrap=True, spacing=8, run_spacing=0)


MERCHANT_COLOR = "#1F6F5C"
MERCHANT_PX = 28.0


def _storefront(_label) -> ft.Control:
    return ft.Container(ft.Icon(ft.Icons.STOREFRONT, size=16, color=ft.Colors.WHITE),
                        width=MERCHANT_PX, height=MERCHANT_PX, bgcolor=MERCHANT_COLOR,
                        border_radius=MERCHANT_PX / 2, border=ft.Border.all(2, ft.Colors.WHITE),
                        alignment=ft.Alignment.CENTER)


@ft.component
def RouteMap(state: AppState):
    """The neighborhood's routes and businesses, each business named where its name
    covers no other name, no business and no route (at every zoom)."""
    hood = state.neighborhood(state.map_neighborhood_id)
    layers: list = tile_layers(state)
    layers.append(fm.PolylineLayer(polylines=[
        fm.PolylineMarker(coordinates=[fm.MapLatitudeLongitude(lat, lon) for lat, lon in r["path"]],
                          color=route_color(i), stroke_width=5, border_color=ft.Colors.WHITE,
                          border_stroke_width=1.5)
        for i, r in enumerate(state.routes)]))
    points = [(lat, lon) for r in state.routes for lat, lon in r["path"]]
    points += [(m["lat"], m["lon"]) for m in state.merchants]
    (lat, lon), zoom = fit_camera(points) if points else (
        (hood["center_lat"], hood["center_lon"]), 16)
    labels = [MapLabel(m["id"], m["lat"], m["lon"], state.tr.place(m)) for m in state.merchants]
    shown, moved = use_names(labels, f"map-{hood['id']}", zoom, dot_px=MERCHANT_PX,
                             avoid_lines=[(r["path"], 5) for r in state.routes])
    layers.append(place_markers(labels, shown, color=MERCHANT_COLOR, dot=_storefront,
                                dot_px=MERCHANT_PX, identifier="map-name"))
    return fm.Map(
        key=f"map-{hood['id']}",  # a new camera for each neighborhood
        layers=layers, initial_center=fm.MapLatitudeLongitude(lat, lon), initial_zoom=zoom,
        min_zoom=12, max_zoom=19, on_position_change=moved,
        bgcolor=ft.Colors.GREY_200, expand=True,
    )


def legend(state: AppState) -> ft.Control:
    tr = state.tr
    items = [ft.Row([ft.Container(width=18, height=5, bgcolor=route_color(i), border_radius=2),
                     ft.Text(tr.place(r), size=13)], spacing=6, tight=True)
             for i, r in enumerate(state.routes)]
    if not items:
        items.append(ft.Text(tr.t("map.no_routes"), size=13))
    items.append(ft.Row([ft.Icon(ft.Icons.STOREFRONT, size=16, color="#1F6F5C"),
                         ft.Text(tr.t("map.merchant_count", count=len(state.merchants)), size=13)],
                        spacing=6, tight=True))
    return ft.Semantics(identifier="map-legend", container=True, content=ft.Container(
        ft.Row(items, wrap=True, spacing=12, run_spacing=4),
        padding=ft.Padding.symmetric(horizontal=16, vertical=8)))


@ft.component
def MapTab(state: AppState):
    tr = state.tr
    if not state.neighborhoods:
        return ft.Semantics(identifier="map-tab", container=True, content=ft.Container(
            ft.Text(tr.t("map.no_neighborhoods")), padding=16))
    return ft.Semantics(identifier="map-tab", container=True, expand=True, content=ft.Column([
        ft.Container(neighborhood_chips(state), padding=ft.Padding.only(left=16, right=16, top=8)),
        ft.Semantics(identifier="map-view", container=True, expand=True,
                     content=RouteMap(state)),
        legend(state),
    ], expand=True, spacing=0))
