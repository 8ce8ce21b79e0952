// noriai e-ticket verifier for the driver app: offline, in the browser.
//
// The same checks, in the same order and with the same reasons and messages, as
// dispatcher/tickets.py (read its docstring for the ticket format and the short-code design).
// Plain ES module, no build step, no outside URLs. Signatures are checked with WebCrypto's
// Ed25519, which needs a secure context (HTTPS, or http://127.0.0.1 / localhost in tests).
// Times are epoch seconds; "now" is passed in, never read here.

export const SCHEME = "NR1:";
export const VERSION = 1;
export const SIGNATURE_BYTES = 64;
export const MAX_ID_BYTES = 64;
export const MAX_INITIAL_BYTES = 16;
export const MAX_CATEGORIES = 8;
export const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const CODE_HASH_ITERATIONS = 2000;
const CODE_DATA_CHARS = 9;
const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const ID_RE = /^[A-Za-z0-9_.:-]+$/;
const CURRENCY_RE = /^[A-Z]{3}$/;
const enc = new TextEncoder();
const SIGNATURE_CONTEXT = enc.encode("noriai-ticket-v1\u0000");
const CODE_HASH_CONTEXT = enc.encode("noriai-code-hash-v1\u0000");
const CODE_ALIASES = { O: "0", I: "1", L: "1" };

/** Japanese and English message of each reason (identical to dispatcher.tickets.MESSAGES). */
export const MESSAGES = Object.freeze({
  ok: { ja: "有効な乗車券です", en: "Valid ticket" },
  bad_format: { ja: "乗車券として読み取れません", en: "Not a readable ticket" },
  unknown_key: {
    ja: "不明な鍵で署名されています（鍵の同期が必要かもしれません）",
    en: "Signed with an unknown key (the keys may need syncing)",
  },
  bad_signature: { ja: "署名が正しくありません（改ざんの疑い）", en: "Bad signature (tampered?)" },
  key_not_yet_valid: { ja: "署名鍵がまだ有効ではありません", en: "Signing key not yet valid" },
  key_expired: { ja: "署名鍵の有効期限が切れています", en: "Signing key has expired" },
  wrong_service: { ja: "別の運行の乗車券です", en: "Ticket for another service" },
  cancelled: { ja: "この予約は取り消されています", en: "This booking was cancelled" },
  superseded: {
    ja: "再発行された古い乗車券です（新しい乗車券をご提示ください）",
    en: "Replaced by a reissued ticket (show the new one)",
  },
  already_used: { ja: "この乗車券は使用済みです", en: "Ticket already used" },
  not_yet_valid: { ja: "乗車券の有効時間前です", en: "Ticket not valid yet" },
  expired: { ja: "乗車券の有効期限が切れています", en: "Ticket has expired" },
  wrong_vehicle: { ja: "この車両の便の乗車券ではありません", en: "Not for this vehicle's trip" },
  bad_code: {
    ja: "番号が正しくありません（入力間違いの可能性）",
    en: "Invalid code (probably mistyped)",
  },
  unknown_code: {
    ja: "この便の予約に該当する番号がありません",
    en: "No booking on this trip has this code",
  },
  wrong_day: { ja: "別の日の予約の乗車券です", en: "Ticket of a booking on another day" },
  already_onboard: { ja: "この方はすでに乗車中です", en: "This rider is already on board" },
  other_stop: {
    ja: "この乗り場で乗る予約ではありません",
    en: "This booking does not board at this stop",
  },
});

export class TicketFormatError extends Error {}

function bad(what) {
  return new TicketFormatError(`malformed ticket: ${what}`);
}

/** Bytes of canonical RFC 9285 base45 text; throws TicketFormatError otherwise. */
export function b45decode(text) {
  if (text.length % 3 === 1) throw bad("base45 length");
  const vals = [];
  for (const ch of text) {
    const v = BASE45.indexOf(ch);
    if (v < 0 || ch.length !== 1) throw bad("base45 alphabet");
    vals.push(v);
  }
  const out = [];
  for (let i = 0; i < vals.length; i += 3) {
    if (i + 2 < vals.length) {
      const n = vals[i] + vals[i + 1] * 45 + vals[i + 2] * 2025;
      if (n > 0xffff) throw bad("base45 value");
      out.push(n >> 8, n & 0xff);
    } else {
      const n = vals[i] + vals[i + 1] * 45;
      if (n > 0xff) throw bad("base45 value");
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  }
  need(n) {
    if (this.pos + n > this.bytes.length) throw bad("truncated");
  }
  take(n) {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u8() {
    this.need(1);
    return this.bytes[this.pos++];
  }
  u16() {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32() {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  text() {
    const raw = this.take(this.u8());
    try {
      return { value: this.utf8.decode(raw), bytes: raw.length };
    } catch {
      throw bad("text is not UTF-8");
    }
  }
}

function checkId(name, value, allowEmpty = false) {
  if (value === "" && allowEmpty) return;
  if (!ID_RE.test(value) || value.length > MAX_ID_BYTES) throw bad(`${name} is not an id`);
}

/** Check a decoded ticket exactly as dispatcher.tickets.Ticket does when it is built. */
function checkTicket(t, initialBytes) {
  for (const name of ["key_id", "service_id", "booking_id", "pickup_stop_id"]) {
    checkId(name, t[name]);
  }
  checkId("vehicle_id", t.vehicle_id, true);
  if (initialBytes > MAX_INITIAL_BYTES) throw bad("rider_initial too long");
  if (t.pickup_from_s > t.pickup_to_s) throw bad("pickup window ends before it starts");
  if (t.not_before_s >= t.not_after_s) throw bad("validity ends before it starts");
  if (!CURRENCY_RE.test(t.currency)) throw bad("currency");
  if (t.passengers.length < 1 || t.passengers.length > MAX_CATEGORIES) throw bad("categories");
  const seen = new Set();
  for (const [category, count] of t.passengers) {
    checkId("category", category);
    if (count < 1) throw bad("rider count");
    if (seen.has(category)) throw bad(`category ${category} twice`);
    seen.add(category);
  }
}

/**
 * Parse a ticket's QR text without verifying it.
 * @returns {{ticket: object, payload: Uint8Array, signature: Uint8Array}}
 * @throws {TicketFormatError} unless the text is the canonical text of a well-formed ticket
 */
export function parseTicket(text) {
  if (typeof text !== "string" || !text.startsWith(SCHEME)) throw bad("missing NR1: prefix");
  const data = b45decode(text.slice(SCHEME.length));
  const r = new Reader(data);
  const version = r.u8();
  if (version !== VERSION) throw bad(`unsupported version ${version}`);
  const key_id = r.text().value;
  const service_id = r.text().value;
  const booking_id = r.text().value;
  const issue = r.u16();
  const initial = r.text();
  const n = r.u8();
  const passengers = [];
  for (let i = 0; i < n; i++) passengers.push([r.text().value, r.u8()]);
  const pickup_stop_id = r.text().value;
  const pickup_from_s = r.u32();
  const pickup_to_s = r.u32();
  const currency = String.fromCharCode(...r.take(3));
  const fare = r.u32();
  const not_before_s = r.u32();
  const not_after_s = r.u32();
  const vehicle_id = r.text().value;
  const payloadLength = r.pos;
  const signature = r.take(SIGNATURE_BYTES);
  if (r.pos !== data.length) throw bad("trailing bytes");
  const ticket = {
    version, key_id, service_id, booking_id, issue, rider_initial: initial.value, passengers,
    pickup_stop_id, pickup_from_s, pickup_to_s, currency, fare, not_before_s, not_after_s,
    vehicle_id,
  };
  checkTicket(ticket, initial.bytes);
  return { ticket, payload: data.subarray(0, payloadLength), signature };
}

function b64urlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function b64urlEncode(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Import the service's public keyring (the JSON of dispatcher.tickets.keyring_to_json).
 * @returns {Promise<Map<string, {key: CryptoKey, validFrom: number, validUntil: number}>>}
 */
export async function importKeyring(json) {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error("WebCrypto is unavailable: serve the driver app over HTTPS");
  }
  const ring = new Map();
  for (const k of json.keys) {
    if (k.alg !== "Ed25519") throw new Error(`unsupported key algorithm ${k.alg}`);
    const raw = b64urlDecode(k.public_key);
    if (raw.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    ring.set(String(k.kid), { key, validFrom: k.valid_from, validUntil: k.valid_until });
  }
  return ring;
}

function has(collection, id) {
  if (!collection) return false;
  if (typeof collection.has === "function") return collection.has(id);
  if (Array.isArray(collection)) return collection.includes(id);
  return Object.prototype.hasOwnProperty.call(collection, id);
}

function lookup(mapping, id) {
  if (!mapping) return undefined;
  if (mapping instanceof Map) return mapping.get(id);
  return Object.prototype.hasOwnProperty.call(mapping, id) ? mapping[id] : undefined;
}

function verdict(ok, reason, ticket = null, bookingId = null, detail = "") {
  return { ok, reason, ticket, bookingId, detail, message: MESSAGES[reason] };
}

/**
 * Verify a ticket's QR text offline; never throws.
 * @param {string} text the scanned text (NR1:...)
 * @param {object} o
 * @param {Map} o.keys keyring from importKeyring
 * @param {number} o.nowS the device's time, epoch seconds
 * @param {string|null} [o.vehicleId] this vehicle (a ticket bound to another one is wrong_vehicle
 *   unless its booking is in o.onManifest)
 * @param {string|null} [o.serviceId] this service
 * @param {Set|Array} [o.used] booking ids checked in (synced, plus this device's check-ins)
 * @param {Set|Array} [o.cancelled] booking ids cancelled (synced)
 * @param {Map|object} [o.latestIssue] booking id -> newest issue counter known
 * @param {Set|Array} [o.onManifest] booking ids on this vehicle's synced manifest
 * @param {Map|object} [o.vehicleOf] booking id -> the vehicle it is on now (where known it
 *   decides wrong_vehicle, whatever vehicle the ticket names)
 * @param {string|null} [o.serviceDay] this service day (ISO date)
 * @param {Map|object} [o.dayOf] booking id -> its service day (ISO date)
 * @param {Set|Array} [o.onboard] booking ids on board now
 * @param {Set|Array|null} [o.boardingHere] booking ids that board at this vehicle's current
 *   stop now; any other booking is other_stop (null/undefined: not checked)
 * @returns {Promise<{ok: boolean, reason: string, ticket: object|null, bookingId: string|null,
 *   message: {ja: string, en: string}}>}
 */
export async function verifyTicket(text, o) {
  let parsed;
  try {
    parsed = parseTicket(text);
  } catch (e) {
    return verdict(false, "bad_format", null, null, String(e && e.message));
  }
  const { ticket, payload, signature } = parsed;
  const info = o.keys.get(ticket.key_id);
  if (!info) return verdict(false, "unknown_key", null, null, ticket.key_id);
  const signed = new Uint8Array(SIGNATURE_CONTEXT.length + payload.length);
  signed.set(SIGNATURE_CONTEXT);
  signed.set(payload, SIGNATURE_CONTEXT.length);
  let good = false;
  try {
    good = await crypto.subtle.verify({ name: "Ed25519" }, info.key, signature, signed);
  } catch {
    good = false;
  }
  if (!good) return verdict(false, "bad_signature");
  const b = ticket.booking_id;
  const refuse = (reason) => verdict(false, reason, ticket, b);
  if (o.nowS < info.validFrom) return refuse("key_not_yet_valid");
  if (o.nowS >= info.validUntil) return refuse("key_expired");
  if (o.serviceId != null && ticket.service_id !== o.serviceId) return refuse("wrong_service");
  if (has(o.cancelled, b)) return refuse("cancelled");
  const latest = lookup(o.latestIssue, b);
  if (latest !== undefined && latest > ticket.issue) return refuse("superseded");
  const seen = checkSeen(b, o);
  if (seen) return refuse(seen);
  if (o.nowS < ticket.not_before_s) return refuse("not_yet_valid");
  if (o.nowS >= ticket.not_after_s) return refuse("expired");
  if (o.vehicleId != null) {
    const where = lookup(o.vehicleOf, b);
    const elsewhere = where !== undefined ? where !== o.vehicleId
      : Boolean(ticket.vehicle_id) && ticket.vehicle_id !== o.vehicleId && !has(o.onManifest, b);
    if (elsewhere) return refuse("wrong_vehicle");
  }
  if (o.boardingHere != null && !has(o.boardingHere, b)) return refuse("other_stop");
  return verdict(true, "ok", ticket, b);
}

/** The refusals a ticket and a short code share after cancellation (as _check_seen in Python). */
function checkSeen(b, o) {
  if (has(o.onboard, b)) return "already_onboard";
  if (has(o.used, b)) return "already_used";
  if (o.serviceDay != null) {
    const day = lookup(o.dayOf, b);
    if (day !== undefined && day !== o.serviceDay) return "wrong_day";
  }
  return null;
}

function luhn32Ok(symbols) {
  let total = 0;
  let factor = 1;
  for (let i = symbols.length - 1; i >= 0; i--) {
    const addend = factor * CODE_ALPHABET.indexOf(symbols[i]);
    total += Math.floor(addend / 32) + (addend % 32);
    factor = factor === 2 ? 1 : 2;
  }
  return total % 32 === 0;
}

/** The 10 canonical characters of a typed short code, or null (wrong form or check character). */
export function normalizeCode(text) {
  if (typeof text !== "string" || text.length > 40) return null;
  let code = "";
  for (const c of text) {
    const up = c >= "a" && c <= "z" ? c.toUpperCase() : c;
    if (up === " " || up === "-") continue;
    code += CODE_ALIASES[up] || up;
  }
  if (code.length !== CODE_DATA_CHARS + 1) return null;
  for (const c of code) if (!CODE_ALPHABET.includes(c)) return null;
  return luhn32Ok(code) ? code : null;
}

/** The manifest's hash of a normalised short code (PBKDF2-HMAC-SHA256, 16 bytes, base64url). */
export async function codeHash(code, serviceId, bookingId) {
  const ids = enc.encode(`${serviceId}\u0000${bookingId}`);
  const salt = new Uint8Array(CODE_HASH_CONTEXT.length + ids.length);
  salt.set(CODE_HASH_CONTEXT);
  salt.set(ids, CODE_HASH_CONTEXT.length);
  const base = await crypto.subtle.importKey("raw", enc.encode(code), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: CODE_HASH_ITERATIONS }, base, 128);
  return b64urlEncode(new Uint8Array(bits));
}

/**
 * Verify a typed short code against the synced manifest, offline; never throws.
 * @param {string} text what the driver typed
 * @param {object} o
 * @param {Array<{booking_id: string, issue: number, code_hash: string}>} o.manifest
 * @param {string} o.serviceId
 * @param {Set|Array} [o.used]
 * @param {Set|Array} [o.cancelled]
 * @param {string|null} [o.vehicleId] and o.vehicleOf, o.serviceDay, o.dayOf, o.onboard,
 *   o.boardingHere as for verifyTicket
 */
export async function verifyCode(text, o) {
  const code = normalizeCode(text);
  if (code === null) return verdict(false, "bad_code");
  for (const entry of o.manifest) {
    if ((await codeHash(code, o.serviceId, entry.booking_id)) === entry.code_hash) {
      const b = entry.booking_id;
      if (has(o.cancelled, b)) return verdict(false, "cancelled", null, b);
      const seen = checkSeen(b, o);
      if (seen) return verdict(false, seen, null, b);
      const where = lookup(o.vehicleOf, b);
      if (o.vehicleId != null && where !== undefined && where !== o.vehicleId) {
        return verdict(false, "wrong_vehicle", null, b);
      }
      if (o.boardingHere != null && !has(o.boardingHere, b)) return verdict(false, "other_stop", null, b);
      return verdict(true, "ok", null, b);
    }
  }
  return verdict(false, "unknown_code");
}
