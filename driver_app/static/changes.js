// What changed in the vehicle's manifest that the driver did not do, as lines to announce.
// Pure: manifests in, lines out (texts from i18n.js in the app's language).

import { t, lang, pick } from "./i18n.js";

/** HH:MM of an ISO time in the service's zone (the server writes local ISO times). */
export function hhmm(iso) {
  return iso ? iso.slice(11, 16) : "--:--";
}

/** The place of a stop: its stop id, or the chosen point. */
export function placeKey(s) {
  return s.stop_id || `${s.lat},${s.lon}`;
}

/** One planned stop of a booking. */
export function stopKey(s) {
  return `${s.booking_id}:${s.kind}`;
}

/** The rider's name as the driver reads it (様 in Japanese). */
export function riderName(s) {
  const name = s.rider_name || s.booking_id;
  return lang() === "ja" ? `${name} ${t("sama")}`.trim() : name;
}

/**
 * What changed between two manifests that the driver did not do: new stops, stops that left
 * (returned as ``gone`` for the app to explain: cancelled, or moved to another vehicle),
 * and real changes: a new pickup window, a new next stop, or a stop moved in the order whose
 * time changed. ETAs drifting as the day goes on are shown in place, not announced, and a line
 * never says "09:31 → 09:31".
 * @param {object} before the manifest shown until now
 * @param {object} after the new manifest
 * @param {object} acted booking id -> the driver's own action (not announced)
 * @returns {{kind: string, kinds: string[], lines: string[], gone: object[]}|null}
 */
export function diff(before, after, acted = {}) {
  const old = new Map(before.stops.map((s) => [stopKey(s), s]));
  const now = new Map(after.stops.map((s) => [stopKey(s), s]));
  const lines = [];
  const kinds = new Set();
  const gone = [];
  const where = (s) => pick(s.name_ja, s.name_en);
  for (const [k, s] of now) {
    if (!old.has(k)) {
      kinds.add("new");
      lines.push(`${t("new_stop")}: ${hhmm(s.eta)} ${where(s)} ${t(`kind_${s.kind}`)} ${riderName(s)}`);
    }
  }
  for (const [k, s] of old) {
    if (!now.has(k) && !acted[s.booking_id] && !(after.onboard || []).includes(s.booking_id)) {
      if (s.kind === "dropoff" && old.has(`${s.booking_id}:pickup`)) continue; // one line a booking
      gone.push(s);
    }
  }
  const oldOrder = before.stops.map(stopKey).filter((k) => now.has(k));
  const newOrder = after.stops.map(stopKey).filter((k) => old.has(k));
  // The next stop changed by a re-plan (not because the driver served or left the old one):
  // the old next stop is still to come, and another place comes first now.
  const firstBefore = before.stops[0];
  const firstAfter = after.stops.length ? after.stops[0] : null;
  let nextAnnounced = false;
  if (firstAfter && firstBefore && now.has(stopKey(firstBefore))
      && placeKey(firstAfter) !== placeKey(firstBefore) && old.has(stopKey(firstAfter))) {
    kinds.add("changed");
    nextAnnounced = true;
    lines.push(`${t("next_changed")}: ${where(firstAfter)} ${hhmm(firstAfter.eta)}`);
  }
  for (const [k, s] of now) {
    const o = old.get(k);
    if (!o) continue;
    const moved = oldOrder.indexOf(k) !== newOrder.indexOf(k);
    const windowChanged = JSON.stringify(o.window || null) !== JSON.stringify(s.window || null);
    if (windowChanged) {
      kinds.add("changed");
      const span = (w) => (w ? `${hhmm(w[0])}–${hhmm(w[1])}` : "--:--");
      lines.push(`${t("window_changed")}: ${where(s)} ${riderName(s)} ${span(o.window)} → ${span(s.window)}`);
    } else if (moved && hhmm(o.eta) !== hhmm(s.eta)) {
      if (nextAnnounced && s === firstAfter) continue;
      kinds.add("changed");
      lines.push(`${t("changed_stop")}: ${where(s)} ${riderName(s)} ${hhmm(o.eta)} → ${hhmm(s.eta)}`);
    }
  }
  const kind = kinds.has("new") ? "new" : "changed";
  return lines.length || gone.length ? { kind, kinds: [...kinds], lines, gone } : null;
}
