"""Build assets/tiles/demo.mbtiles: an offline basemap of the three demo neighborhoods.

    .venv/bin/python scripts/make_demo_tiles.py [--out PATH] [--zooms 13-18]

Drawn from the demo geometry (assets/demo/*.json) and a short list of the streets it
runs along, below: each street is a line through intersections taken from the demo
routes' vertices (real street-centerline points) and, where the street grid is
regular (SF and Oakland Chinatown), extended across the neighborhood. Streets are white
with a grey casing, the routes' own blocks too; parks green (the ones the routes name);
the neighborhood's bounding box outlined; street names along the streets from zoom 16
(the main ones from 15, in English and in the established Chinese form); the
neighborhood's name at zooms 13-15. Each neighborhood and zoom is drawn as one picture
at twice the size (so lines and letters are smooth and names never break at a tile's
edge), halved, cut into 256 px tiles and stored as 32-colour PNGs (TMS rows).
Outside the drawn area the tiles are transparent. Needs Pillow (the test extra).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stroll.domain.labels import boxes_overlap, world_px  # noqa: E402
from stroll.store.mbtiles import MBTiles  # noqa: E402
from stroll.tiles import tile_xy  # noqa: E402

DEMO = ROOT / "assets" / "demo"
FONTS = ROOT / "assets" / "fonts"
OUT = ROOT / "assets" / "tiles" / "demo.mbtiles"
MARGIN_DEG = 0.006          # drawn around each neighborhood's bbox (~650 m)
SCALE = 2                   # drawn at twice the size, then halved

LAND, AREA_LINE, PARK, PARK_TEXT = "#F3EFE8", "#9C7FC4", "#CDE8C4", "#3C7A3A"
STREET, CASING, TEXT, HALO = "#FFFFFF", "#C9C2B8", "#4A4A4A", "#FFFFFF"
HIGHWAY, HIGHWAY_CASING = "#F6C48F", "#D89A5B"

# A street: (name, Chinese name or "", points it passes through, extend across the area,
# main: named from zoom 15). SF and Oakland sit on regular grids: a street there is the
# line through one intersection in the grid's direction.
SF_EW = ((37.794453, -122.404796), (37.79406, -122.407903))      # along Clay St
SF_NS = ((37.797628, -122.408619), (37.793178, -122.407727))     # along Stockton St
OAK_EW = ((37.80019, -122.273773), (37.797421, -122.266745))     # along 8th St
OAK_NS = ((37.799256, -122.271403), (37.801323, -122.27011))     # along Webster St


def grid(point, direction):
    (a, b), (c, d) = direction
    return [point, (point[0] + (c - a), point[1] + (d - b))]


STREETS = {
    "sf-chinatown": [
        ("Broadway", "百老匯", grid((37.797822, -122.407016), SF_EW), True, True),
        ("Pacific Ave", "", grid((37.796902, -122.406828), SF_EW), True, False),
        ("Jackson St", "", grid((37.796025, -122.406652), SF_EW), True, False),
        ("Washington St", "", grid((37.795144, -122.406476), SF_EW), True, False),
        ("Clay St", "企李街", grid((37.794264, -122.406305), SF_EW), True, True),
        ("Sacramento St", "", grid((37.79338, -122.406129), SF_EW), True, False),
        ("California St", "", grid((37.792451, -122.405938), SF_EW), True, True),
        ("Pine St", "", grid((37.791498, -122.405742), SF_EW), True, False),
        ("Bush St", "", grid((37.790565, -122.405574), SF_EW), True, False),
        ("Stockton St", "市德頓街", grid((37.794941, -122.408079), SF_NS), True, True),
        ("Grant Ave", "都板街", grid((37.794264, -122.406305), SF_NS), True, True),
        ("Kearny St", "", grid((37.794453, -122.404796), SF_NS), True, True),
    ],
    "oakland-chinatown": [
        ("7th St", "第七街", grid((37.799034, -122.273007), OAK_EW), True, False),
        ("8th St", "第八街", grid((37.799719, -122.272578), OAK_EW), True, True),
        ("9th St", "第九街", grid((37.800411, -122.272145), OAK_EW), True, True),
        ("10th St", "", grid((37.80108, -122.271727), OAK_EW), True, False),
        ("11th St", "", grid((37.801786, -122.271285), OAK_EW), True, False),
        ("12th St", "", grid((37.801539, -122.268517), OAK_EW), True, False),
        ("Broadway", "百老匯", grid((37.80019, -122.273773), OAK_NS), True, True),
        ("Franklin St", "", grid((37.799719, -122.272578), OAK_NS), True, False),
        ("Webster St", "威獅打街", grid((37.799256, -122.271403), OAK_NS), True, True),
        ("Harrison St", "", grid((37.798796, -122.270234), OAK_NS), True, False),
        ("Alice St", "", grid((37.798335, -122.269064), OAK_NS), True, False),
        ("Jackson St", "", grid((37.79786, -122.267859), OAK_NS), True, False),
        ("Madison St", "", grid((37.797421, -122.266745), OAK_NS), True, False),
        ("Oak St", "", grid((37.796917, -122.265464), OAK_NS), True, True),
    ],
    "seattle-little-saigon": [
        ("S Jackson St", "", [(47.5992, -122.3265), (47.5992, -122.310)], False, True),
        ("S King St", "", [(47.5983, -122.3200), (47.5983, -122.3130)], False, False),
        ("S Weller St", "", [(47.59737, -122.3200), (47.59737, -122.3123)], False, False),
        ("S Lane St", "", [(47.5965, -122.3200), (47.5965, -122.3116)], False, False),
        ("S Dearborn St", "", [(47.59583, -122.3265), (47.59583, -122.3100)], False, True),
        ("12th Ave S", "", [(47.6010, -122.31725), (47.5945, -122.31725)], False, True),
        ("Maynard Ave S", "", [(47.6010, -122.32506), (47.5985, -122.32506)], False, False),
        ("Rainier Ave S", "", [(47.59921, -122.314078), (47.59583, -122.311494),
                               (47.5945, -122.31048)], False, True),
    ],
}
HIGHWAYS = {"seattle-little-saigon": [("I-5", [(47.6010, -122.3212), (47.5945, -122.3206)])]}

PARKS = {  # (name, Chinese name, corners) of the parks the demo routes pass
    "sf-chinatown": [("Portsmouth Square", "花園角", [
        (37.795223, -122.405846), (37.795327, -122.404957), (37.794453, -122.404796),
        (37.794345, -122.405663)])],
    "oakland-chinatown": [
        ("Lincoln Square Park", "", [(37.800156, -122.269383), (37.800862, -122.268941),
                                     (37.800402, -122.267772), (37.799696, -122.268214)]),
        ("Madison Square Park", "", [(37.79786, -122.267859), (37.798552, -122.267426),
                                     (37.798113, -122.266313), (37.797421, -122.266745)])],
}


def street_width(z: int, main: bool) -> float:
    """Street width in (halved) pixels at zoom ``z``."""
    base = {13: 1.2, 14: 1.8, 15: 3.0, 16: 5.0, 17: 9.0, 18: 16.0}.get(z, 16.0)
    return base * (1.25 if main else 1.0)


def font(size: int, chinese: bool) -> ImageFont.FreeTypeFont:
    name = "StrollTC-Regular.otf" if chinese else "StrollSans-Regular.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def extended(points, box):
    """The line through the first two points, reaching past the box on both sides."""
    (a, b), (c, d) = points[0], points[1]
    span = max(box[1][0] - box[0][0], box[1][1] - box[0][1]) * 4
    length = math.hypot(c - a, d - b)
    ua, ub = (c - a) / length, (d - b) / length
    return [(a - ua * span, b - ub * span), (a + ua * span, b + ub * span)]


class Canvas:
    """One neighborhood at one zoom, drawn at SCALE times the size."""

    def __init__(self, box, z: int):
        self.z = z
        (south, west), (north, east) = box
        self.x0, self.y0 = tile_xy(north, west, z)
        self.x1, self.y1 = tile_xy(south, east, z)
        w, h = (self.x1 - self.x0 + 1) * 256 * SCALE, (self.y1 - self.y0 + 1) * 256 * SCALE
        self.image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)
        self.area = [self.px(north, west), self.px(south, east)]
        self.placed: list[tuple[float, float, float, float]] = []  # names drawn

    def px(self, lat, lon):
        x, y = world_px(lat, lon, self.z)
        return (x - self.x0 * 256) * SCALE, (y - self.y0 * 256) * SCALE

    def line(self, points, width, fill):
        self.draw.line([self.px(*p) for p in points], fill=fill, width=max(1, round(width)),
                       joint="curve")

    def text_along(self, text, points, size, fill=TEXT, chinese=False):
        """``text`` centred on the longest segment of ``points`` within the area,
        turned to run along it and never upside down."""
        (ax, ay), (bx, by) = self.area
        pts = [self.px(*p) for p in points]
        best = None
        for p, q in zip(pts, pts[1:]):
            p, q = clip(p, q, (ax + 40, ay + 40, bx - 40, by - 40))
            if p is not None and (best is None or seg_len(p, q) > seg_len(*best)):
                best = (p, q)
        if best is None:
            return
        (px_, py_), (qx, qy) = best
        angle = math.degrees(math.atan2(-(qy - py_), qx - px_))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        f = font(size * SCALE, chinese)
        left, top, right, bottom = f.getbbox(text)
        if right - left > seg_len(*best) * 0.9:
            return
        pad = 3 * SCALE
        stamp = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
        ImageDraw.Draw(stamp).text((pad - left, pad - top), text, font=f, fill=fill,
                                   stroke_width=2 * SCALE, stroke_fill=HALO)
        stamp = stamp.rotate(angle, resample=Image.BICUBIC, expand=True)
        for t in (0.5, 0.3, 0.7, 0.15, 0.85):  # the first spot clear of the names drawn
            cx, cy = px_ + (qx - px_) * t, py_ + (qy - py_) * t
            box = (cx - stamp.width / 2, cy - stamp.height / 2, cx + stamp.width / 2,
                   cy + stamp.height / 2)
            if not any(boxes_overlap(box, b) for b in self.placed):
                break
        else:
            return
        self.placed.append(box)
        self.image.alpha_composite(stamp, (int(box[0]), int(box[1])))

    def text_at(self, text, lat, lon, size, fill, chinese=False):
        f = font(size * SCALE, chinese)
        x, y = self.px(lat, lon)
        self.draw.text((x, y), text, font=f, fill=fill, anchor="mm", stroke_width=2 * SCALE,
                       stroke_fill=HALO)


def seg_len(p, q):
    return math.hypot(q[0] - p[0], q[1] - p[1])


def clip(p, q, box):
    """The part of segment p-q inside box (Liang-Barsky), or (None, None)."""
    x0, y0, x1, y1 = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for ep, eq in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if ep == 0:
            if eq < 0:
                return None, None
            continue
        t = eq / ep
        if ep < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None, None
    return (p[0] + t0 * dx, p[1] + t0 * dy), (p[0] + t1 * dx, p[1] + t1 * dy)


def render(hood: dict, routes: list[dict], z: int) -> dict[tuple[int, int], bytes]:
    (s, w), (n, e) = hood["bbox"]
    box = [[s - MARGIN_DEG, w - MARGIN_DEG * 1.3], [n + MARGIN_DEG, e + MARGIN_DEG * 1.3]]
    c = Canvas(box, z)
    mask = Image.new("L", c.image.size, 0)
    ImageDraw.Draw(mask).rectangle(c.area, fill=255)
    c.draw.rectangle(c.area, fill=LAND)
    for name, zh, corners in PARKS.get(hood["id"], []):
        c.draw.polygon([c.px(*p) for p in corners], fill=PARK)
    streets = STREETS.get(hood["id"], [])
    lines = [(extended(pts, box) if ext else pts, main) for _, _, pts, ext, main in streets]
    lines += [(r["path"], False) for r in routes]
    for pts, main in lines:  # casings first, then the white, so crossings join
        c.line(pts, street_width(z, main) * SCALE + 2 * SCALE, CASING)
    for name, pts in HIGHWAYS.get(hood["id"], []):
        c.line(pts, street_width(z, True) * SCALE * 1.6 + 2 * SCALE, HIGHWAY_CASING)
        c.line(pts, street_width(z, True) * SCALE * 1.6, HIGHWAY)
    for pts, main in lines:
        c.line(pts, street_width(z, main) * SCALE, STREET)
    sw, ne = c.px(s, w), c.px(n, e)
    c.draw.rectangle([sw[0], ne[1], ne[0], sw[1]], outline=AREA_LINE, width=2 * SCALE)
    if z >= 15:
        for name, zh, pts, ext, main in streets:
            if main or z >= 16:
                label = f"{name} {zh}" if zh and z >= 16 else name
                c.text_along(label, extended(pts, box) if ext else pts,
                             11 if z >= 17 else 10, chinese=bool(zh) and z >= 16)
        for name, pts in HIGHWAYS.get(hood["id"], []):
            c.text_along(name, pts, 11)
        for name, zh, corners in PARKS.get(hood["id"], []):
            if z >= 17 or (z == 16 and len(name) < 20):
                lat = sum(p[0] for p in corners) / len(corners)
                lon = sum(p[1] for p in corners) / len(corners)
                c.text_at(f"{name} {zh}".strip() if z >= 17 else name, lat, lon, 10,
                          PARK_TEXT, chinese=bool(zh) and z >= 17)
    if z <= 15:
        lat, lon = hood["center"]
        c.text_at(hood["name"], lat + (0.0012 if z == 15 else 0), lon, 13 if z <= 14 else 12,
                  AREA_LINE)
    c.image.putalpha(Image.composite(c.image.getchannel("A"), mask, mask))
    image = c.image.resize((c.image.width // SCALE, c.image.height // SCALE), Image.LANCZOS)
    tiles = {}
    for x in range(c.x0, c.x1 + 1):
        for y in range(c.y0, c.y1 + 1):
            left, top = (x - c.x0) * 256, (y - c.y0) * 256
            tile = image.crop((left, top, left + 256, top + 256))
            if tile.getchannel("A").getextrema()[1] == 0:
                continue  # nothing drawn here
            tiles[(x, y)] = png(tile)
    return tiles


def png(tile: Image.Image) -> bytes:
    out = io.BytesIO()
    tile.quantize(colors=32, method=Image.FASTOCTREE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def build(out: Path, zooms: range) -> tuple[int, int]:
    hoods = json.loads((DEMO / "neighborhoods.json").read_text(encoding="utf-8"))
    routes = json.loads((DEMO / "routes.json").read_text(encoding="utf-8"))
    if out.exists():
        out.unlink()
    with MBTiles(out, writable=True) as mb:
        for z in zooms:
            for hood in hoods:
                tiles = render(hood, [r for r in routes if r["neighborhood_id"] == hood["id"]], z)
                mb.put_many([(z, x, y, data) for (x, y), data in tiles.items()])
        west = min(h["bbox"][0][1] for h in hoods)
        east = max(h["bbox"][1][1] for h in hoods)
        south = min(h["bbox"][0][0] for h in hoods)
        north = max(h["bbox"][1][0] for h in hoods)
        mb.set_metadata({
            "name": "stroll demo neighborhoods", "format": "png", "type": "baselayer",
            "version": "1", "minzoom": str(zooms.start), "maxzoom": str(zooms.stop - 1),
            "bounds": f"{west},{south},{east},{north}",
            "description": "Streets, parks and names of the three demo patrol areas, "
                           "drawn by scripts/make_demo_tiles.py from assets/demo.",
            "attribution": "stroll demo data"})
        count, size = mb.stats()
        mb.vacuum()
    return count, size


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--zooms", default="13-18", help="first-last zoom (default 13-18)")
    args = p.parse_args(argv)
    first, last = (int(v) for v in args.zooms.split("-"))
    count, size = build(args.out, range(first, last + 1))
    print(f"{args.out}: {count} tiles, {size / 1024:.0f} KiB of images, "
          f"file {args.out.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
