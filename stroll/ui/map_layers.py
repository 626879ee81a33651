"""What the maps share: the tile layers and the places' names, laid out at every zoom.

``tile_layers(state)``: the offline basemap the device serves itself
(``state.local_tile_url``, stroll/tiles.py: the MBTiles layer file and the tile cache)
under the online tiles (``state.tile_url``), which cover it while the network is there.

``use_names(labels, key, zoom, ...)`` lays the places' names out at the map's zoom
(``stroll.domain.labels.declutter``: no name over another, over a dot, the position
marker or the route) and gives the handler of the map's position changes: after
``SETTLE_S`` with no change it lays the names out again at the new zoom and
re-renders only when the names shown (or where) differ. ``place_markers`` draws the
dots, each with its name where the layout put it (dots always stay).
"""
from __future__ import annotations

import asyncio
from typing import Callable, Hashable, Optional, Sequence

import flet as ft
import flet_map as fm

from stroll.domain.labels import FONT_PX, LINE_PX, MAX_LABEL_PX, MapLabel, declutter
from stroll.state import AppState

SETTLE_S = 0.25          # a pinch sends a change every frame: lay out when it settles
STREET_ZOOM = 16.0       # "show where we are" zooms in at least this far
_GAP = 1.0
DOT = 8.0                # a place's dot, unless the map draws its own mark


def tile_layers(state: AppState) -> list:
    layers: list = []
    if getattr(state, "local_tile_url", ""):
        layers.append(fm.TileLayer(url_template=state.local_tile_url,
                                   user_agent_package_name="stroll", min_native_zoom=13,
                                   max_native_zoom=18, max_zoom=19,
                                   evict_error_tile_strategy=fm.TileLayerEvictErrorTileStrategy.DISPOSE))
    if state.tile_url:
        layers.append(fm.TileLayer(url_template=state.tile_url, user_agent_package_name="stroll",
                                   max_zoom=19))
    return layers


def use_names(labels: Sequence[MapLabel], key: str, zoom: float, *,
              avoid_points=(), avoid_lines=(), dot_px: float = 8.0
              ) -> tuple[dict[Hashable, str], Callable]:
    """({place key: placement} at the map's zoom, the map's ``on_position_change``).

    ``key`` names the map (a new stroll, another neighborhood): a new key starts again
    from ``zoom``, its first zoom."""
    settled, set_settled = ft.use_state((key, zoom))  # re-renders when the names change
    reported = ft.use_ref(None)   # (key, zoom) the map last settled at
    latest = ft.use_ref(None)     # the newest change, waiting to settle
    now = next((k_z[1] for k_z in (reported.current, settled) if k_z and k_z[0] == key), zoom)

    def layout(z: float) -> dict[Hashable, str]:
        return declutter(labels, z, avoid_points=avoid_points, avoid_lines=avoid_lines,
                         dot_px=dot_px)

    shown = layout(now)

    async def moved(e: fm.MapPositionChangeEvent):
        z = float(e.camera.zoom) if e.camera is not None else now
        stamp = object()
        latest.current = stamp
        await asyncio.sleep(SETTLE_S)
        if latest.current is not stamp:
            return  # a later change lays out once the map settles
        reported.current = (key, z)  # the next render (a GPS fix) lays out at this zoom
        if z != now and layout(z) != shown:
            set_settled((key, z))

    return shown, moved


def _name_box(text: str, placement: str, width: float, height: float, color, dot_px: float,
              identifier: str) -> ft.Control:
    """The name, in a box placed beside the dot in the middle of a marker of
    ``width`` x ``height``."""
    cx, cy = width / 2, height / 2
    r = dot_px / 2 + _GAP
    align = {"below": ft.TextAlign.CENTER, "above": ft.TextAlign.CENTER,
             "right": ft.TextAlign.LEFT, "left": ft.TextAlign.RIGHT}[placement]
    left = {"below": cx - MAX_LABEL_PX / 2, "above": cx - MAX_LABEL_PX / 2,
            "right": cx + r, "left": cx - r - MAX_LABEL_PX}[placement]
    top = {"below": cy + r, "above": cy - r - LINE_PX, "right": cy - LINE_PX / 2,
           "left": cy - LINE_PX / 2}[placement]
    return ft.Container(ft.Semantics(identifier=identifier, label=text, content=ft.Text(
        text, size=FONT_PX, color=color, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS,
        text_align=align, width=MAX_LABEL_PX)),
        left=left, top=top, width=MAX_LABEL_PX, height=LINE_PX)


def place_markers(labels: Sequence[MapLabel], shown: dict[Hashable, str], *, color,
                  dot: Optional[Callable[[MapLabel], ft.Control]] = None,
                  dot_px: float = DOT, identifier: str = "map-name") -> fm.MarkerLayer:
    """Each place's dot, and its name where ``shown`` places it."""
    width = 2 * (MAX_LABEL_PX + dot_px / 2 + 4)
    height = 2 * (LINE_PX + dot_px / 2 + 4)

    def marker(lab: MapLabel) -> fm.Marker:
        mark = dot(lab) if dot else ft.Container(width=dot_px, height=dot_px,
                                                 border_radius=dot_px / 2, bgcolor=color)
        children: list[ft.Control] = [ft.Container(mark, left=width / 2 - dot_px / 2,
                                                   top=height / 2 - dot_px / 2)]
        if lab.key in shown:
            children.append(_name_box(lab.text, shown[lab.key], width, height, color, dot_px,
                                      identifier))
        return fm.Marker(coordinates=fm.MapLatitudeLongitude(lab.lat, lab.lon), width=width,
                         height=height, content=ft.Stack(children, width=width, height=height))

    return fm.MarkerLayer(markers=[marker(lab) for lab in labels])


async def recentre(the_map: Optional[fm.Map], point, zoom: Optional[float]) -> None:
    """Move ``the_map`` to ``point`` at ``zoom`` (None: keep the zoom)."""
    if the_map is None:
        return
    await the_map.center_on(fm.MapLatitudeLongitude(point[0], point[1]), zoom=zoom)


__all__ = ["SETTLE_S", "STREET_ZOOM", "place_markers", "recentre", "tile_layers", "use_names"]
