// Tickets on the road: the synced ticket data kept on the device, offline verification with
// ticket-verify.js, and camera scanning where the browser can read QR codes.

import { importKeyring, verifyCode, verifyTicket } from "./ticket-verify.js";

const KEY = "noriai.driver.sync";
const USED = "noriai.driver.used";

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
   * Verify a scanned ticket text (NR1:...) or a typed short code, offline.
   * @param {string} text
   * @param {number} nowS the service's time now (epoch s)
   * @returns {Promise<object|null>} the verdict of ticket-verify.js, or null without synced data
   */
  async verify(text, nowS) {
    const d = this.data;
    if (!d) return null;
    const used = new Set([...(d.used || []), ...this.localUsed]);
    const cancelled = new Set(d.cancelled || []);
    const value = text.trim();
    if (value.toUpperCase().startsWith("NR1:")) {
      if (!this.keys) this.keys = await importKeyring(d.keyring);
      return verifyTicket(value, {
        keys: this.keys, nowS, vehicleId: d.vehicle_id, serviceId: d.service_id, used, cancelled,
        latestIssue: d.latest_issue || {}, onManifest: new Set(d.on_manifest || []),
      });
    }
    return verifyCode(value, { manifest: d.manifest_codes || [], serviceId: d.service_id, used, cancelled });
  }
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
