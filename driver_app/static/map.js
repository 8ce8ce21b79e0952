// The route map, drawn on a canvas from the service's road geometry (no map tiles).

const ROAD = "#b9c0cc";
const RUN = "#5b7fc4";
const NEXT = "#0b3d91";
const PICKUP = "#0b3d91";
const DROPOFF = "#b34700";
const MIN_SPAN_M = 700;

export class RouteMap {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.roads = null; // [[[lon, lat], ...], ...]: every road line of the GeoJSON layer
    this.roadsBox = null; // [south, west, north, east]
    this.route = null; // {start: [lat, lon], legs: [{coords: [[lat, lon]], kind, index}]}
    this.stops = []; // [{lat, lon, kind, label}] in visiting order (visits)
    this.position = null; // [lat, lon] from the phone
    this.mode = "next";
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** The road layer: any GeoJSON of LineStrings / MultiLineStrings ([lon, lat]). */
  setRoads(geojson) {
    const lines = [];
    const add = (g) => {
      if (!g) return;
      if (g.type === "LineString") lines.push(g.coordinates);
      else if (g.type === "MultiLineString") lines.push(...g.coordinates);
      else if (g.type === "GeometryCollection") g.geometries.forEach(add);
    };
    const walk = (o) => {
      if (o.type === "FeatureCollection") o.features.forEach(walk);
      else if (o.type === "Feature") add(o.geometry);
      else add(o);
    };
    walk(geojson);
    let [s, w, n, e] = [90, 180, -90, -180];
    for (const line of lines) {
      for (const [lo, la] of line) {
        s = Math.min(s, la); n = Math.max(n, la); w = Math.min(w, lo); e = Math.max(e, lo);
      }
    }
    this.roads = lines;
    this.roadsBox = lines.length ? [s, w, n, e] : null;
    this.draw();
  }
  setRoute(route) { this.route = route; this.draw(); }
  setStops(stops) { this.stops = stops; this.draw(); }
  setPosition(lat, lon) { this.position = [lat, lon]; this.draw(); }
  setMode(mode) { this.mode = mode; this.draw(); }

  /** Points the view must show: the way to the next stop, or the whole run. */
  focus() {
    const pts = [];
    const legs = this.route?.legs ?? [];
    if (this.position) pts.push(this.position);
    if (this.route?.start) pts.push(this.route.start);
    const chosen = this.mode === "next" ? legs.slice(0, 1) : legs;
    for (const leg of chosen) for (const p of leg.coords) pts.push(p);
    const visits = this.mode === "next" ? this.stops.slice(0, 1) : this.stops;
    for (const s of visits) if (s.lat != null) pts.push([s.lat, s.lon]);
    if (!pts.length && this.roadsBox) {
      const [s, w, n, e] = this.roadsBox;
      pts.push([s, w], [n, e]);
    }
    return pts;
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (!w || !h) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#f7f8fa";
    g.fillRect(0, 0, w, h);
    const pts = this.focus();
    if (!pts.length) return;
    let [s, n, west, east] = [90, -90, 180, -180];
    for (const [la, lo] of pts) {
      s = Math.min(s, la); n = Math.max(n, la); west = Math.min(west, lo); east = Math.max(east, lo);
    }
    const lat0 = (s + n) / 2;
    const lon0 = (west + east) / 2;
    const kx = 111320 * Math.cos((lat0 * Math.PI) / 180); // metres per degree of longitude
    const ky = 110540;
    const spanX = Math.max((east - west) * kx, MIN_SPAN_M);
    const spanY = Math.max((n - s) * ky, MIN_SPAN_M);
    const pad = 40;
    const scale = Math.min((w - 2 * pad) / spanX, (h - 2 * pad) / spanY); // px per metre
    const xy = (la, lo) => [w / 2 + (lo - lon0) * kx * scale, h / 2 - (la - lat0) * ky * scale];

    g.lineCap = "round";
    g.lineJoin = "round";
    if (this.roads) {
      g.strokeStyle = ROAD;
      g.lineWidth = 2;
      g.beginPath();
      for (const cs of this.roads) {
        for (let i = 0; i < cs.length; i++) {
          const [x, y] = xy(cs[i][1], cs[i][0]);
          if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
        }
      }
      g.stroke();
    }
    const line = (coords, colour, width, dash = []) => {
      if (coords.length < 2) return;
      g.strokeStyle = colour;
      g.lineWidth = width;
      g.setLineDash(dash);
      g.beginPath();
      coords.forEach(([la, lo], i) => {
        const [x, y] = xy(la, lo);
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
      g.setLineDash([]);
    };
    const legs = this.route?.legs ?? [];
    for (const leg of legs.slice(1)) line(leg.coords, RUN, 4, [8, 6]);
    if (legs.length) {
      line(legs[0].coords, "#ffffff", 10);
      line(legs[0].coords, NEXT, 6);
    }
    // stops, last first so the next one is on top
    const visits = this.stops;
    for (let i = visits.length - 1; i >= 0; i--) {
      const v = visits[i];
      if (v.lat == null) continue;
      const [x, y] = xy(v.lat, v.lon);
      const r = i === 0 ? 16 : 12;
      g.fillStyle = v.kind === "dropoff" ? DROPOFF : PICKUP;
      g.strokeStyle = "#ffffff";
      g.lineWidth = 3;
      g.beginPath();
      g.arc(x, y, r, 0, 2 * Math.PI);
      g.fill();
      g.stroke();
      g.fillStyle = "#ffffff";
      g.font = `800 ${i === 0 ? 16 : 13}px "Noto Sans CJK JP", system-ui, sans-serif`;
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillText(String(i + 1), x, y + 1);
    }
    const here = this.position || this.route?.start;
    if (here) {
      const [x, y] = xy(here[0], here[1]);
      g.fillStyle = "#0b1220";
      g.strokeStyle = "#ffd23f";
      g.lineWidth = 4;
      g.beginPath();
      g.arc(x, y, 10, 0, 2 * Math.PI);
      g.fill();
      g.stroke();
    }
    // scale bar
    const metres = [100, 200, 500, 1000, 2000, 5000, 10000].find((m) => m * scale > 60) ?? 10000;
    const px = metres * scale;
    g.fillStyle = "#0b1220";
    g.fillRect(10, h - 14, px, 4);
    g.font = '700 12px "Noto Sans CJK JP", system-ui, sans-serif';
    g.textAlign = "left";
    g.textBaseline = "bottom";
    g.fillText(metres >= 1000 ? `${metres / 1000} km` : `${metres} m`, 10, h - 16);
  }
}
