"""The live fleet map as a pydeck Deck (pure: API records in, a Deck out; no Streamlit).

Layers, bottom to top: the road network (grey paths, our own base map: no outside tiles), the
vehicles' planned routes, stops, pickups (waiting: window open; upcoming), and the vehicles with
their occupancy.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydeck as pdk

from ops_console.tables import hm, persons_on_board

#: One colour per vehicle (RGB), cycled: each far (L1 distance > 120) from the pickups' red
#: and orange, the stops' dark grey and the roads' grey, so that a vehicle is never read as a
#: waiting rider or a stop.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (117, 56, 171), (0, 150, 170), (166, 86, 40), (44, 160, 44),
    (227, 119, 194), (190, 0, 160), (188, 189, 34))
ROAD = (150, 150, 150)
STOP = (60, 60, 60)
WAITING = (230, 30, 30)
UPCOMING = (255, 165, 0)
#: A map style with only a background, inline as a data: URL. Without a style Streamlit fetches
#: a CARTO basemap from the web; it does not accept a style given as an object.
BLANK_STYLE = "data:application/json," + urllib.parse.quote(json.dumps({
    "version": 8, "sources": {},
    "layers": [{"id": "background", "type": "background",
                "paint": {"background-color": "#f6f6f2"}}]}))


def vehicle_colour(index: int) -> list[int]:
    """RGB of the ``index``-th vehicle."""
    return list(PALETTE[index % len(PALETTE)])


def hex_colour(rgb: Sequence[int]) -> str:
    """``#rrggbb`` of an RGB colour."""
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


def legend_items(vehicles: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(colour, vehicle name) of each vehicle, in the order and colours the map uses."""
    ordered = sorted(vehicles, key=lambda v: v["id"])
    return [(hex_colour(vehicle_colour(i)), str(v["name"])) for i, v in enumerate(ordered)]


@dataclass(frozen=True, slots=True)
class MapData:
    """Rows of each layer (coordinates as [lon, lat], as deck.gl wants them)."""

    roads: list[dict[str, Any]]
    routes: list[dict[str, Any]]
    stops: list[dict[str, Any]]
    pickups: list[dict[str, Any]]
    vehicles: list[dict[str, Any]]
    bounds: tuple[float, float, float, float]

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) in the middle of the bounds."""
        return (self.bounds[0] + self.bounds[1]) / 2, (self.bounds[2] + self.bounds[3]) / 2


def fit_zoom(bounds: tuple[float, float, float, float], width_px: int = 700,
             height_px: int = 600, margin: float = 0.85) -> float:
    """Web-Mercator zoom at which ``bounds`` (lat_min, lat_max, lon_min, lon_max) fills a
    ``width_px`` × ``height_px`` view (with a margin)."""
    lat_min, lat_max, lon_min, lon_max = bounds
    span_lon = max(lon_max - lon_min, 1e-4)
    span_lat = max(lat_max - lat_min, 1e-4)
    cos_lat = math.cos(math.radians((lat_min + lat_max) / 2))
    # deck.gl's world is 512 px wide at zoom 0.
    z_lon = math.log2(width_px * margin * 360 / (512 * span_lon))
    z_lat = math.log2(height_px * margin * 360 * cos_lat / (512 * span_lat))
    return round(min(z_lon, z_lat), 2)


def map_data(roads: Sequence[Sequence[Sequence[float]]], stops: Sequence[Mapping[str, Any]],
             vehicles: Sequence[Mapping[str, Any]], routes: Sequence[Mapping[str, Any]],
             plans: Sequence[Mapping[str, Any]], bookings: Mapping[str, Mapping[str, Any]],
             now_s: int, lang: str = "ja") -> MapData:
    """Prepare the rows of every layer.

    Parameters
    ----------
    roads
        Road polylines ``[[lat, lon], ...]``.
    stops
        The service's stops (``/api/v1/stops``).
    vehicles
        ``/api/v1/operator/vehicles`` (reported positions, who is on board).
    routes
        ``/api/v1/operator/map/routes`` (planned paths and plan positions).
    plans
        ``/api/v1/operator/plans`` (pending stops with promised windows).
    bookings
        Bookings by id (party sizes for occupancy).
    now_s
        The service's clock (epoch s): pickups whose window has opened are "waiting".
    lang
        ``ja`` or ``en``.
    """
    order = {v["id"]: i for i, v in enumerate(sorted(vehicles, key=lambda v: v["id"]))}
    road_rows = [{"path": [[p[1], p[0]] for p in line]} for line in roads if len(line) >= 2]
    route_by = {r["vehicle_id"]: r for r in routes}
    route_rows = [{"vehicle": r["vehicle_id"], "path": [[p[1], p[0]] for p in r["path"]],
                   "colour": vehicle_colour(order.get(r["vehicle_id"], 0)), "tip": r["vehicle_id"]}
                  for r in routes if len(r["path"]) >= 2]
    name_key = "name_ja" if lang == "ja" else "name_en"
    stop_rows = [{"position": [s["lon"], s["lat"]], "name": s[name_key], "id": s["id"],
                  "tip": s[name_key]}
                 for s in stops]
    pickup_rows = []
    for plan in plans:
        for st in plan["stops"]:
            if st["kind"] != "pickup" or st.get("lat") is None or not st.get("window"):
                continue
            opened = datetime.fromisoformat(st["window"][0]).timestamp() <= now_s
            pickup_rows.append({
                "position": [st["lon"], st["lat"]], "vehicle": plan["vehicle_id"],
                "rider": st.get("rider_name", ""), "stop": st[name_key],
                "window": f"{hm(st['window'][0])}–{hm(st['window'][1])}",
                "eta": hm(st.get("eta")), "waiting": opened,
                "colour": list(WAITING if opened else UPCOMING),
                "tip": f"{st.get('rider_name', '')} {st[name_key]} {hm(st['window'][0])}–"
                       f"{hm(st['window'][1])} ({plan['vehicle_id']})"})
    vehicle_rows = []
    for v in vehicles:
        r = route_by.get(v["id"])
        if v.get("lat") is not None and v.get("lon") is not None:
            lat, lon, source = v["lat"], v["lon"], "reported"
        elif r is not None:
            lat, lon, source = r["at"][0], r["at"][1], "planned"
        else:
            continue
        persons = persons_on_board(v, bookings)
        vehicle_rows.append({
            "position": [lon, lat], "id": v["id"], "name": v["name"], "persons": persons,
            "seats": v["seats"], "label": f"{v['name']} {persons}/{v['seats']}",
            "source": source, "colour": vehicle_colour(order[v["id"]]),
            "tip": f"{v['name']} {persons}/{v['seats']}"})
    # Fit the view to where the service happens (stops, vehicles, pickups), not to every road.
    pts = [[r["position"][1], r["position"][0]] for r in (*stop_rows, *vehicle_rows, *pickup_rows)]
    pts = pts or [p for line in roads for p in line] or [[s["lat"], s["lon"]] for s in stops]
    if pts:
        bounds = (min(p[0] for p in pts), max(p[0] for p in pts),
                  min(p[1] for p in pts), max(p[1] for p in pts))
    else:
        bounds = (0.0, 0.0, 0.0, 0.0)
    return MapData(road_rows, route_rows, stop_rows, pickup_rows, vehicle_rows, bounds)


def stack_labels(rows: Sequence[Mapping[str, Any]], near_deg: float) -> list[dict[str, Any]]:
    """Copies of the vehicle rows with label anchors: vehicles closer than ``near_deg`` to an
    earlier one share its anchor and get the next line of a stacked label column, so labels
    never overlap."""
    anchors: list[list[Any]] = []  # [lon, lat, labels so far]
    out = []
    for row in rows:
        lon, lat = row["position"]
        anchor = next((a for a in anchors if abs(a[0] - lon) < near_deg
                       and abs(a[1] - lat) < near_deg), None)
        if anchor is None:
            anchor = [lon, lat, 0]
            anchors.append(anchor)
        out.append({**row, "label_position": [anchor[0], anchor[1]],
                    "offset": [18, -22 * anchor[2]]})
        anchor[2] += 1
    return out


def fleet_deck(data: MapData, *, width_px: int = 700, height_px: int = 600) -> pdk.Deck:
    """The map: layers over our own road network, without a base map, fitted to the roads."""
    zoom = fit_zoom(data.bounds, width_px, height_px)
    # Labels are about 130 px wide: vehicles closer than that on screen share a label column.
    labels = stack_labels(data.vehicles, near_deg=130 * 360 / (512 * 2**zoom))
    layers = [
        pdk.Layer("PathLayer", data.roads, id="roads", get_path="path", get_color=list(ROAD),
                  width_min_pixels=1, width_scale=1, get_width=2, pickable=False),
        pdk.Layer("PathLayer", data.routes, id="routes", get_path="path", get_color="colour",
                  width_min_pixels=4, get_width=6, pickable=True, opacity=0.8),
        pdk.Layer("ScatterplotLayer", data.stops, id="stops", get_position="position",
                  get_fill_color=list(STOP), get_radius=60, radius_min_pixels=3,
                  radius_max_pixels=7, pickable=True),
        pdk.Layer("ScatterplotLayer", data.pickups, id="pickups", get_position="position",
                  get_fill_color="colour", get_line_color=[255, 255, 255], stroked=True,
                  line_width_min_pixels=2, get_radius=120, radius_min_pixels=7,
                  radius_max_pixels=14, pickable=True),
        pdk.Layer("ScatterplotLayer", data.vehicles, id="vehicles", get_position="position",
                  get_fill_color="colour", get_line_color=[0, 0, 0], stroked=True,
                  line_width_min_pixels=2, get_radius=200, radius_min_pixels=11,
                  radius_max_pixels=22, pickable=True),
        pdk.Layer("TextLayer", labels, id="vehicle-labels", get_position="label_position",
                  get_text_anchor='"start"', get_alignment_baseline='"center"',
                  get_text="label", get_size=15, get_color="colour",
                  get_pixel_offset="offset", background=True,
                  get_background_color=[255, 255, 255, 230],
                  # vehicle names are Japanese: glyphs of every character, not ASCII only
                  # (pydeck reads unquoted strings as expressions: quote the constants)
                  character_set='"auto"',
                  font_family='`"Noto Sans CJK JP", "Noto Sans JP", sans-serif`',
                  font_weight=700),
    ]
    tooltip = {"html": "{tip}",
               "style": {"fontFamily": '"Noto Sans CJK JP", sans-serif', "fontSize": "13px"}}
    return pdk.Deck(layers=layers, map_style=BLANK_STYLE,
                    tooltip=tooltip,  # type: ignore[arg-type]
                    initial_view_state=pdk.ViewState(latitude=data.centre[0],
                                                     longitude=data.centre[1], zoom=zoom))
