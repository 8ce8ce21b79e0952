// Tickets on the road: the synced ticket data kept on the device, offline verification with
// ticket-verify.js, and camera scanning where the browser can read QR codes.

import { stored } from "./area.js";
import { importKeyring, verifyCode, verifyTicket } from "./ticket-verify.js";

// Per service area: each area signs its tickets with keys of its own.
const KEY = stored("noriai.driver.sync");
const USED = stored("noriai.driver.used");

export class Tickets {
  /** @param {import('./api.js').Api} api */
  constructor(api) {
    this.api = api;
    this.data = JSON.parse(localStorage.getItem(KEY) || "null");
    this.localUsed = new Set(JSON.parse(localStorage.getItem(USED) || "[]"));
    this.keys = null;
    this.available = true; // false when the service has no sync endpoint
  }

  /** Fetch the ticket data of my vehicle (keys, codes, used, cancelled); keep it offline. */
  async sync() {
    let answer;
    try {
      answer = await this.api.get("/api/v1/driver/sync");
    } catch {
      return false;
    }
    if (answer.status === 404 || answer.status === 405) {
      this.available = false;
      return false;
    }
    if (answer.status !== 200) return false;
    this.available = true;
    this.data = answer.data;
    this.keys = null;
    localStorage.setItem(KEY, JSON.stringify(this.data));
    return true;
  }

  /** Remember a check-in made on this device (until the next sync shows it). */
  markUsed(bookingId) {
    this.localUsed.add(bookingId);
    localStorage.setItem(USED, JSON.stringify([...this.localUsed]));
  }

  clear() {
    this.data = null;
    this.keys = null;
    this.localUsed.clear();
    localStorage.removeItem(KEY);
    localStorage.removeItem(USED);
  }

  /**
   * Verify a scanned ticket text (NR1:...) or a typed short code, offline, with the same
   * rules as the service's check-in: a ticket boards only its own booking, only at its own
   * stop (the pickups of the manifest's next visit), on this vehicle and service day.
   * @param {string} text
   * @param {number} nowS the service's time now (epoch s)
   * @param {object|null} manifest the vehicle's live manifest (fresher than the sync): which
   *   bookings board at the next stop, who is on board, which bookings are on this vehicle
   * @returns {Promise<object|null>} the verdict of ticket-verify.js, or null without synced data
   */
  async verify(text, nowS, manifest = null) {
    const d = this.data;
    if (!d) return null;
    const o = boardingContext(d, manifest, this.localUsed);
    const value = text.trim();
    if (value.toUpperCase().startsWith("NR1:")) {
      if (!this.keys) this.keys = await importKeyring(d.keyring);
      return verifyTicket(value, { keys: this.keys, nowS, ...o });
    }
    return verifyCode(value, { manifest: d.manifest_codes || [], ...o });
  }
}

/**
 * The options of ticket-verify.js from the synced data and the live manifest: the synced
 * vehicle of each booking, corrected by the manifest (its bookings are on this vehicle; a
 * booking the sync put here that the manifest no longer holds has left it), the service day,
 * who is on board, and who boards at the next stop now.
 */
export function boardingContext(d, manifest, localUsed = new Set()) {
  const vehicleOf = { ...(d.vehicle_of || {}) };
  const onboard = new Set(d.onboard || []);
  let boardingHere = null;
  if (manifest && manifest.vehicle_id === d.vehicle_id) {
    const listed = new Set(manifest.stops.map((s) => s.booking_id));
    for (const [b, v] of Object.entries(vehicleOf)) {
      if (v === d.vehicle_id && !listed.has(b) && (d.day_of || {})[b] === manifest.day
          && !(d.cancelled || []).includes(b) && !(d.used || []).includes(b)) vehicleOf[b] = "";
    }
    for (const b of listed) vehicleOf[b] = d.vehicle_id;
    for (const b of manifest.onboard || []) onboard.add(b);
    boardingHere = new Set(nextVisit(manifest.stops)
      .filter((s) => s.kind === "pickup" && (s.status ?? "confirmed") === "confirmed")
      .map((s) => s.booking_id));
  }
  return {
    vehicleId: d.vehicle_id, serviceId: d.service_id,
    used: new Set([...(d.used || []), ...localUsed]), cancelled: new Set(d.cancelled || []),
    latestIssue: d.latest_issue || {}, onManifest: new Set(d.on_manifest || []),
    vehicleOf, serviceDay: manifest?.day ?? d.service_day ?? null, dayOf: d.day_of || {},
    onboard, boardingHere,
  };
}

/** The manifest's stops of the next visit (the place the vehicle is at or drives to). */
export function nextVisit(stops) {
  if (!stops.length) return [];
  const first = stops[0];
  const same = (s) => (first.visit !== undefined ? s.visit === first.visit
    : (s.stop_id || `${s.lat},${s.lon}`) === (first.stop_id || `${first.lat},${first.lon}`));
  const out = [];
  for (const s of stops) {
    if (!same(s)) break;
    out.push(s);
  }
  return out;
}

/** True when this browser can read QR codes from the camera (BarcodeDetector). */
export async function canScan() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return false;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code");
  } catch {
    return false;
  }
}

/**
 * Read QR codes from the rear camera into ``video`` until one is found or stop() is called.
 * @returns {{stop: () => void}}
 */
export function scan(video, onText) {
  let stream = null;
  let stopped = false;
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const stop = () => {
    stopped = true;
    if (stream) for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  (async () => {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    if (stopped) { stop(); return; }
    video.srcObject = stream;
    await video.play();
    while (!stopped) {
      try {
        const codes = await detector.detect(video);
        if (codes.length) {
          const text = codes[0].rawValue;
          stop();
          onText(text);
          return;
        }
      } catch {
        /* frame not ready */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })().catch(stop);
  return { stop };
}
