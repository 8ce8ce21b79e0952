// noriai driver app: sign in, today's manifest with the next stop first, the route map,
// actions (arrived, boarded, no-show, alighted, departed, cash fares) that survive losses of
// connection, live plan changes with a visible and audible notice, and the phone's position.
// A ticket boards only its own booking at its own stop; a no-show needs arrival at the stop,
// the grace time and a confirmation, and can be undone for a short time. The next stop says
// when to leave (with a countdown), a late vehicle says by how much and which stops' promises
// are late or at risk (times stay shown), and the driver reports 帰庫 / 終業 after confirming.

import { Api } from "./api.js";
import { apiUrl, stored } from "./area.js";
import { diff, hhmm, placeKey, riderName } from "./changes.js";
import { t, lang, setLang, pick } from "./i18n.js";
import { RouteMap } from "./map.js";
import { Outbox, newClientId } from "./outbox.js";
import { Tickets, canScan, nextVisit, scan } from "./tickets.js";

const $ = (id) => document.getElementById(id);
// Kept on the phone per service area (see area.js).
const MANIFEST = stored("noriai.driver.manifest");
const ROADS = stored("noriai.driver.roads");
const ACTED = stored("noriai.driver.acted");
const ARRIVED = stored("noriai.driver.arrived");
const PAID = stored("noriai.driver.paid");
const LOGIN_EXAMPLE = stored("noriai.driver.login_example");
const POSITION_EVERY_MS = 10000;

/** Build an element: h("div", {class: "x", onclick: f}, child, "text", ...). */
function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

const api = new Api();
const tickets = new Tickets(api);
const outbox = new Outbox(api, answered);
const state = {
  manifest: JSON.parse(localStorage.getItem(MANIFEST) || "null"),
  offset: 0, // service clock minus this device's clock (s)
  reachable: true,
  acted: JSON.parse(localStorage.getItem(ACTED) || "{}"), // booking -> action
  // place key -> {state: "arrived" | "departed", at: epoch s}: only the latest place is kept
  arrived: JSON.parse(localStorage.getItem(ARRIVED) || "{}"),
  paid: JSON.parse(localStorage.getItem(PAID) || "{}"), // booking -> true (sent)
  undo: null, // {booking, id, who, until}: the no-show that can still be undone
  notice: null, // {kind, lines: []}
  message: null, // transient message {text, bad}
  position: null,
  routeRevision: -1,
  renderSig: "",
  onBreakUntil: 0, // end of the break started on this device (epoch s)
  refusal: null, // {what: "depot" | "shift_end", text}: the service's refusal, shown until closed
  // a vehicle id of this area, the sign-in form's example (the service names it)
  loginExample: localStorage.getItem(LOGIN_EXAMPLE) || "",
  reporting: false, // a 帰庫 / 終業 report is on its way
};
const hooks = { beeps: 0, notices: 0, state, outbox, tickets };
window.noriaiDriver = hooks;
let map = null;
let live = null;
let audio = null;
let watchId = null;
let lastPositionSent = 0;
let boardingFor = null; // booking id the boarding dialog is open for
let verdict = null;
let scanner = null;
let confirmAction = null; // what the confirm dialog's main button does

// ---------------------------------------------------------------- time

function serverNow() {
  return Date.now() / 1000 + state.offset;
}

function tzOffsetS() {
  const iso = state.manifest?.shift?.[0] || "";
  const m = /([+-])(\d\d):(\d\d)$/.exec(iso);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 9 * 3600;
}

function hhmmOfEpoch(s) {
  const d = new Date((s + tzOffsetS()) * 1000);
  return d.toISOString().slice(11, 16);
}

function epoch(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}

// ---------------------------------------------------------------- audio

function unlockAudio() {
  try {
    if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null;
  }
}

/** Two or three short tones: the audible part of a notice. */
function beep(kind) {
  hooks.beeps += 1;
  if (!audio) unlockAudio();
  if (!audio) return;
  const tones = kind === "cancelled" ? [660, 440, 330] : [880, 1175];
  let at = audio.currentTime + 0.02;
  for (const f of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = f;
    osc.type = "square";
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + 0.2);
    at += 0.24;
  }
}

// ---------------------------------------------------------------- manifest model

/** Consecutive stops at one place (the service numbers them in ``visit``). */
function visitsOf(stops) {
  const out = [];
  for (const s of stops) {
    const key = placeKey(s);
    const last = out[out.length - 1];
    const same = last && (s.visit !== undefined ? last.first.visit === s.visit : last.key === key);
    if (same) last.stops.push(s);
    else out.push({ key, stops: [s], first: s });
  }
  return out;
}

/** Whether the driver reported arrival at ``key`` (and has not left it since). */
function arrivedAt(key) {
  return state.arrived[key]?.state === "arrived";
}

function yen(n) {
  return t("yen", { n: Number(n).toLocaleString("ja-JP") });
}

/** "tel:" link of a phone number as stored (digits and a leading + only). */
function telHref(phone) {
  const digits = String(phone || "").replace(/[^0-9+]/g, "");
  return digits.length >= 3 ? `tel:${digits}` : null;
}

function party(s) {
  const parts = [];
  if (s.adults) parts.push(t("adults", { n: s.adults }));
  if (s.children) parts.push(t("children", { n: s.children }));
  if (s.infants) parts.push(t("infants", { n: s.infants }));
  return parts.join(" ");
}

function persons(s) {
  return (s.adults || 0) + (s.children || 0) + (s.infants || 0);
}

function noShowFrom(s) {
  if (!s.window) return null;
  return epoch(s.window[0]) + (state.manifest?.no_show_grace_s ?? 180);
}

function payment(s) {
  return state.paid[s.booking_id] ? "paid_cash_onboard" : s.payment_status || "unpaid";
}

/**
 * Announce a change; stops that left the manifest are first explained from a fresh ticket sync
 * (which knows each booking's vehicle now): moved to another vehicle (not a cancellation),
 * cancelled, or, if that cannot be known now, "no longer on this run".
 */
async function announce(change) {
  if (change.gone.length) {
    await tickets.sync();
    const d = tickets.data || {};
    const me = state.manifest?.vehicle_id;
    for (const s of change.gone) {
      const where = `${pick(s.name_ja, s.name_en)} ${riderName(s)}`;
      const cancelled = (d.cancelled || []).includes(s.booking_id);
      const vehicle = (d.vehicle_of || {})[s.booking_id];
      if (cancelled) {
        change.kinds.push("cancelled");
        change.lines.push(`${t("cancelled_stop")}: ${where}`);
      } else if (vehicle && vehicle !== me) {
        change.kinds.push("moved");
        change.lines.push(`${t("moved_stop")}: ${where}`);
      } else {
        change.kinds.push("removed");
        change.lines.push(`${t("removed_stop")}: ${where}`);
      }
    }
    change.kinds = [...new Set(change.kinds)];
    if (change.kinds.includes("cancelled")) change.kind = "cancelled";
    else if (!change.kinds.includes("new")) change.kind = change.kinds.includes("moved") ? "moved" : "changed";
  }
  if (change.lines.length) notify(change);
}

function notify(change) {
  if (state.notice) {
    state.notice.lines.push(...change.lines);
    state.notice.kinds = [...new Set([...state.notice.kinds, ...change.kinds])];
    if (change.kind === "cancelled") state.notice.kind = "cancelled";
  } else {
    state.notice = change;
  }
  hooks.notices += 1;
  renderNotice();
  beep(change.kind);
}

function setManifest(data) {
  if (typeof data.now === "number") state.offset = data.now - Date.now() / 1000;
  const before = state.manifest;
  if (before && before.vehicle_id === data.vehicle_id && before.day === data.day) {
    const change = diff(before, data, state.acted);
    if (change) announce(change);
  }
  state.manifest = data;
  localStorage.setItem(MANIFEST, JSON.stringify(data));
  // forget local marks the service has caught up with
  const present = new Set(data.stops.map((s) => s.booking_id));
  for (const [b, a] of Object.entries(state.acted)) {
    if (a.sent && !present.has(b)) delete state.acted[b];
    if (a.sent && a.type === "boarded" && data.onboard.includes(b)) delete state.acted[b];
  }
  for (const s of data.stops) {
    if (state.paid[s.booking_id] && (s.payment_status || "unpaid") !== "unpaid") delete state.paid[s.booking_id];
  }
  for (const b of Object.keys(state.paid)) if (!present.has(b)) delete state.paid[b];
  saveMarks();
  render(true);
  if (data.revision !== state.routeRevision) {
    loadRoute();
    tickets.sync();
  }
}

function saveMarks() {
  localStorage.setItem(ACTED, JSON.stringify(state.acted));
  localStorage.setItem(ARRIVED, JSON.stringify(state.arrived));
  localStorage.setItem(PAID, JSON.stringify(state.paid));
}

// ---------------------------------------------------------------- leave-by and lateness

/**
 * The leave-by time that matters now. Each stop's ``leave_by`` is when to leave the place
 * before it: before arrival at the next place that is the next stop's; once arrived there,
 * the stop after it (leave here by). ``moving``: the driver reported leaving, so no countdown.
 */
function leaveInfo(visits) {
  if (!visits.length) return null;
  const [key, mark] = Object.entries(state.arrived)[0] || [];
  if (mark?.state === "arrived" && key === visits[0].key) {
    const s = visits[1]?.first;
    return s?.leave_by ? { stop: s, moving: false } : null;
  }
  const s = visits[0].first;
  return s.leave_by ? { stop: s, moving: mark?.state === "departed" } : null;
}

/** "あとN分" / "あとH時間M分" for ``left`` seconds (rounded up to the minute). */
function countdown(left) {
  const n = Math.ceil(left / 60);
  return n < 60 ? t("left_min", { n }) : t("left_hm", { h: Math.floor(n / 60), m: n % 60 });
}

/**
 * The countdown's state and text: "ok" while there is time, "passed" (amber) once the time
 * has passed but within the stop's slack, "late" (red) past the slack or when the stop's
 * promise is already late or at risk, "moving" once the driver has left.
 */
function leaveState(info) {
  if (info.moving) return { state: "moving", text: t("on_the_way") };
  const left = epoch(info.stop.leave_by) - serverNow();
  if (left > 0) return { state: "ok", text: countdown(left) };
  const slack = info.stop.slack_s ?? 0;
  const bad = -left > slack || info.stop.late_s > 0 || info.stop.at_risk;
  return { state: bad ? "late" : "passed", text: t("leave_passed") };
}

/** The leave-by line of the next-stop card (updated in place as the clock runs). */
function leaveLine(info) {
  if (!info) return null;
  const now = leaveState(info);
  return h("span", { class: "leave", id: "leave", dataset: { state: now.state, index: String(info.stop.index) } },
    `${t("leave_by")} `, h("b", {}, hhmm(info.stop.leave_by)), " ",
    h("span", { class: "left", id: "leave-left" }, now.text));
}

function renderLeave() {
  const el = $("leave");
  const m = state.manifest;
  if (!el || !m) return;
  const info = leaveInfo(visitsOf(m.stops));
  if (!info || String(info.stop.index) !== el.dataset.index) return;
  const now = leaveState(info);
  el.dataset.state = now.state;
  if ($("leave-left").textContent !== now.text) $("leave-left").textContent = now.text;
}

/** Whole minutes of a lateness (at least 1 once late at all). */
function lateMinutes(seconds) {
  return Math.max(1, Math.round(seconds / 60));
}

/** A stop's badge when its promise is expected late (red) or at risk (amber); else nothing. */
function lateBadge(s) {
  if (s.late_s > 0) {
    return h("span", { class: "badge late", dataset: { late: String(s.late_s) } },
      t("late_badge", { n: lateMinutes(s.late_s) }));
  }
  if (s.at_risk) return h("span", { class: "badge risk", dataset: { late: "risk" } }, t("risk_badge"));
  return null;
}

/** The banner of a late vehicle (how late, how many bookings) or one that overruns its shift. */
function renderLate() {
  const m = state.manifest;
  const box = $("late");
  const late = m && !m.shift_ended ? m.late_s || 0 : 0;
  const overrun = m && !m.shift_ended ? m.shift_overrun_s || 0 : 0;
  box.hidden = !(late > 0 || overrun > 0);
  if (box.hidden) return;
  const count = (xs) => new Set((xs || []).map((x) => x.booking_id)).size;
  const lines = [];
  if (late > 0) lines.push(t("late_count", { n: count(m.promises_late) }));
  if (late > 0 && count(m.promises_at_risk)) lines.push(t("risk_count", { n: count(m.promises_at_risk) }));
  if (overrun > 0) lines.push(t("overrun", { n: lateMinutes(overrun) }));
  const head = late > 0 ? t("late_banner", { n: lateMinutes(late) }) : lines.shift();
  const sig = [head, ...lines].join("|");
  if (box.dataset.sig === sig) return; // unchanged: not announced again
  box.dataset.sig = sig;
  box.dataset.level = late > 0 ? "late" : "overrun";
  box.replaceChildren(h("b", { class: "head" }, "⚠ ", head),
    ...lines.map((l) => h("span", { class: "line" }, l)));
}

// ---------------------------------------------------------------- actions

function answered(item, answer) {
  const d = answer.data || {};
  const repeated = item.attempts > 1 && (
    (item.kind === "checkin" && ["already_used", "already_onboard"].includes(d.reason))
    || (item.kind === "payment" && answer.status === 409));
  if (answer.status === 200 || repeated) {
    if (state.acted[item.booking_id]) state.acted[item.booking_id].sent = true;
    if (item.kind === "checkin" && d.booking_id) tickets.markUsed(d.booking_id);
    if (item.kind === "checkin") flash(pick(d.message_ja, d.message_en) || t("checked_in"));
    if (item.kind === "payment") flash(t("cash_recorded"));
  } else {
    if (state.acted[item.booking_id]?.id === item.id) delete state.acted[item.booking_id];
    if (item.kind === "payment") delete state.paid[item.booking_id];
    if (item.visit && answer.status >= 400) delete state.arrived[item.visit];
    if (state.undo?.id === item.id) state.undo = null;
    const why = [pick(d.message_ja || d.message, d.message_en), pick(d.detail_ja, d.detail_en)]
      .filter(Boolean).join(" — ") || `HTTP ${answer.status}`;
    flash(t("failed", { m: why }), true);
  }
  saveMarks();
  refresh();
  render(true);
}

function here() {
  return state.position ? { lat: state.position[0], lon: state.position[1] } : {};
}

/** Queue a driver event (sent now if online) with its own client_id; returns that id. */
function act(type, bookingId, visit = null) {
  const id = newClientId();
  if (bookingId && type !== "arrived" && type !== "departed") {
    state.acted[bookingId] = { type, id, sent: false };
  }
  if (visit) state.arrived = { [visit]: { state: type, at: Math.floor(serverNow()) } };
  saveMarks();
  render(true);
  unlockAudio();
  const body = { type, booking_id: bookingId, client_id: id, ...here() };
  outbox.add({ id, path: "/api/v1/driver/events", body, kind: "event", type,
               booking_id: bookingId, visit });
  return id;
}

function flash(text, bad = false) {
  state.message = { text, bad };
  render(true);
  setTimeout(() => {
    if (state.message?.text === text) {
      state.message = null;
      render(true);
    }
  }, 6000);
}

// ---------------------------------------------------------------- break

/** The planned break card: shown from 15 minutes before the planned start with nobody on board. */
function breakCard(m) {
  if (state.onBreakUntil && serverNow() < state.onBreakUntil) {
    return h("section", { class: "card", id: "break-card" },
      h("div", { class: "label" }, t("break_on", { t: hhmmOfEpoch(state.onBreakUntil) })));
  }
  const start = m.breaks?.length ? Date.parse(m.breaks[0]) / 1000 : null;
  if (start === null || m.onboard.length || serverNow() < start - 900) return null;
  return h("section", { class: "card", id: "break-card" },
    h("div", { class: "label" }, t("break_planned", { t: hhmm(m.breaks[0]) })),
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", dataset: { action: "break" },
                    onclick: startBreak }, t("break_start"))));
}

async function startBreak() {
  if (!online()) return flash(t("break_online"), true);
  try {
    const r = await api.post("/api/v1/driver/break", {});
    if (r.status === 200) {
      state.onBreakUntil = r.data.end_s;
      render(true);
      refresh();
    } else {
      flash(t("failed", { m: pick(r.data?.message_ja, r.data?.message_en) || r.status }), true);
    }
  } catch {
    flash(t("break_online"), true);
  }
}

// ---------------------------------------------------------------- back at depot, end of shift

/**
 * 帰庫 and 終業 are sent at once, not queued in the outbox: ending the shift is the service's
 * decision (refused while riders are on board or bookings are left), and a driver who went
 * home on a queued 終業 that the service later refused would leave riders waiting. So both
 * need a connection; whatever the outbox holds is sent first, so that the service hears of
 * the last drop-off before the depot.
 */
async function reportDepot(what) {
  state.refusal = null;
  state.reporting = true;
  render(true);
  try {
    if (outbox.size && online()) await outbox.flush();
    if (!online()) return refuse(what, t("needs_online"));
    if (outbox.size) return refuse(what, t("outbox_first"));
    let r;
    try {
      r = await api.post(what === "shift_end" ? "/api/v1/driver/shift/end" : "/api/v1/driver/depot", {});
    } catch {
      return refuse(what, t("needs_online"));
    }
    if (r.status !== 200) {
      const d = r.data || {};
      return refuse(what, pick(d.message_ja || d.message, d.message_en) || `HTTP ${r.status}`);
    }
    state.arrived = {}; // at the depot: the next leave-by counts from here
    saveMarks();
    if (what === "shift_end" && state.manifest) state.manifest = { ...state.manifest, shift_ended: true };
    if (what === "depot") flash(t("depot_done"));
    refresh();
  } finally {
    state.reporting = false;
    render(true);
  }
}

function refuse(what, text) {
  state.refusal = { what, text };
  render(true);
  $("refusal")?.scrollIntoView({ block: "center" }); // the menu's buttons are further down
}

function askDepot() {
  askConfirm({
    title: t("confirm_depot_title"), text: t("confirm_depot"), go: t("record_depot"), goClass: "primary",
    onGo: () => reportDepot("depot"),
  });
}

function askShiftEnd() {
  askConfirm({
    title: t("confirm_shift_end_title"), text: t("confirm_shift_end"), extra: t("confirm_shift_end_extra"),
    go: t("record_shift_end"), goClass: "warn", onGo: () => reportDepot("shift_end"),
  });
}

/** The service's refusal of 帰庫 / 終業, in words, until the driver closes it. */
function refusalBox() {
  const r = state.refusal;
  if (!r) return null;
  return h("div", { class: "refusal", id: "refusal", role: "alert", dataset: { what: r.what } },
    h("b", {}, t(`refused_${r.what}`)), h("p", {}, r.text),
    h("button", { type: "button", class: "small", onclick: () => { state.refusal = null; render(true); } },
      t("close")));
}

/** Nothing left today: say so, with 帰庫 and 終業; after 終業, that the shift is over. */
function endCard(m) {
  if (m.shift_ended) {
    return h("section", { class: "card done", id: "shift-over" }, h("p", { class: "empty" }, t("shift_over")));
  }
  return h("section", { class: "card", id: "end-card" },
    h("p", { class: "empty" }, t("all_done")),
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", dataset: { action: "depot" },
                    disabled: state.reporting, onclick: askDepot }, t("depot")),
      h("button", { type: "button", class: "warn", dataset: { action: "shift_end" },
                    disabled: state.reporting, onclick: askShiftEnd }, t("shift_end"))));
}

// ---------------------------------------------------------------- confirm, no-show, undo, fares

/** Open the confirm dialog: title, text, an extra line, a phone to call, the main action. */
function askConfirm({ title, text, extra = "", phone = null, who = "", go, goClass = "warn", onGo }) {
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-extra").textContent = extra;
  $("confirm-extra").hidden = !extra;
  const href = telHref(phone);
  $("confirm-call-row").hidden = !href;
  if (href) {
    $("confirm-call").href = href;
    $("confirm-call").textContent = `☎ ${t("call_who", { who })}`;
  }
  $("confirm-go").textContent = go;
  $("confirm-go").className = goClass;
  $("confirm-back").textContent = t("back");
  confirmAction = onGo;
  $("confirm").showModal();
  $("confirm-back").focus();
}

function closeConfirm() {
  confirmAction = null;
  if ($("confirm").open) $("confirm").close();
}

/** A no-show needs arrival at the stop and the grace time, then the driver's confirmation. */
function askNoShow(s, visitKey) {
  if (!arrivedAt(visitKey)) return flash(t("arrive_first"), true);
  const arrival = state.arrived[visitKey];
  const waited = Math.max(0, Math.floor((serverNow() - arrival.at) / 60));
  const when = s.window ? `${t("window")} ${hhmm(s.window[0])}–${hhmm(s.window[1])}` : "";
  askConfirm({
    title: t("confirm_no_show_title"),
    text: t("confirm_no_show", { who: riderName(s), party: party(s) }),
    extra: [when, t("waited", { t: hhmmOfEpoch(arrival.at), m: waited })].filter(Boolean).join(" ・ "),
    phone: s.rider_phone, who: riderName(s), go: t("record_no_show"),
    onGo: () => {
      const id = act("no_show", s.booking_id);
      const seconds = state.manifest?.no_show_undo_s ?? 120;
      state.undo = { booking: s.booking_id, id, who: riderName(s), until: serverNow() + seconds, seconds };
      renderUndo();
    },
  });
}

/** Take a no-show back: still queued here, or undone by the service within its undo time. */
async function undoNoShow() {
  const u = state.undo;
  if (!u) return;
  if (outbox.remove(u.id)) {
    delete state.acted[u.booking];
  } else {
    if (!online()) return flash(t("undo_online"), true);
    let r;
    try {
      r = await api.post(`/api/v1/driver/bookings/${encodeURIComponent(u.booking)}/no-show/undo`, {});
    } catch {
      return flash(t("undo_online"), true);
    }
    if (r.status !== 200) {
      state.undo = null;
      renderUndo();
      return flash(t("failed", { m: pick(r.data?.message_ja, r.data?.message_en) || r.status }), true);
    }
    delete state.acted[u.booking];
  }
  state.undo = null;
  saveMarks();
  renderUndo();
  flash(t("undo_done"));
  refresh();
}

function renderUndo() {
  const u = state.undo;
  const left = u ? Math.min(u.seconds ?? 120, Math.ceil(u.until - serverNow())) : 0;
  if (u && left <= 0) state.undo = null;
  $("undo").hidden = !state.undo;
  if (!state.undo) return;
  $("undo").dataset.booking = u.booking;
  $("undo-text").textContent = t("no_show_done", { who: u.who });
  $("undo-go").textContent = t("undo_left", { s: left });
}

/** Record a cash fare received on board (after the driver confirms the amount). */
function askCash(s) {
  askConfirm({
    title: t("confirm_cash_title"),
    text: t("confirm_cash", { who: riderName(s), f: yen(s.fare) }),
    go: t("record_cash"), goClass: "go",
    onGo: () => {
      const id = newClientId();
      state.paid[s.booking_id] = true;
      saveMarks();
      render(true);
      outbox.add({ id, path: "/api/v1/driver/payment", kind: "payment", booking_id: s.booking_id,
                   body: { booking_id: s.booking_id, status: "paid_cash_onboard" } });
    },
  });
}

/** A rider's fare: the amount and whether it is paid (to collect, paid in cash, prepaid). */
function fareLine(s) {
  if (s.fare === undefined || s.fare === null) return null;
  if (!s.fare) return h("span", { class: "fare", dataset: { pay: "free" } }, t("fare_free"));
  const status = payment(s);
  return h("span", { class: `fare ${status === "unpaid" ? "due" : "paid"}`, dataset: { pay: status } },
    h("span", {}, t("fare", { f: yen(s.fare) })), " ", h("b", { class: "pay" }, t(status)));
}

/** The button recording a cash fare, while one is due. */
function cashButton(s) {
  if (!s.fare || payment(s) !== "unpaid") return null;
  return h("button", { type: "button", class: "cash", dataset: { action: "cash", booking: s.booking_id },
                       onclick: () => askCash(s) }, t("collect_cash"));
}

// ---------------------------------------------------------------- boarding dialog

async function openBoarding(stop) {
  boardingFor = stop.booking_id;
  verdict = null;
  $("board-who").textContent = `${pick(stop.name_ja, stop.name_en)} — ${riderName(stop)} ${party(stop)}`;
  $("code").value = "";
  $("verdict").hidden = true;
  $("board-confirm").hidden = true;
  const scanning = await canScan();
  $("scan-box").hidden = !scanning;
  $("scan-none").hidden = scanning;
  $("board").showModal();
  $("code").focus();
  if (!tickets.data) tickets.sync();
}

function closeBoarding() {
  if (scanner) scanner.stop();
  scanner = null;
  boardingFor = null;
  if ($("board").open) $("board").close();
}

/** Why a refused ticket was refused, in detail the driver can tell the rider (or nothing). */
function refusalDetail(v) {
  const stop = state.manifest?.stops.find((s) => s.booking_id === v.bookingId && s.kind === "pickup");
  if (v.reason === "other_stop" && stop) {
    const [a, b] = stop.window || [stop.eta, stop.eta];
    return t("boards_at", { stop: pick(stop.name_ja, stop.name_en), a: hhmm(a), b: hhmm(b) });
  }
  const day = (tickets.data?.day_of || {})[v.bookingId];
  if (v.reason === "wrong_day" && day) {
    const d = new Date(`${day}T12:00:00+09:00`);
    const text = lang() === "ja" ? `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`
      : d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
    return t("booked_for", { d: text });
  }
  return "";
}

async function checkCode(text) {
  const box = $("verdict");
  const v = await tickets.verify(text, Math.floor(serverNow()), state.manifest);
  verdict = v ? { ...v, text: text.trim() } : null;
  box.hidden = false;
  if (!v) {
    box.className = "verdict ng";
    box.dataset.reason = "no_sync";
    box.replaceChildren(t("no_sync"));
    $("board-confirm").hidden = true;
    return;
  }
  // One language at a time: the app's.
  const main = pick(v.message.ja, v.message.en);
  const stop = state.manifest?.stops.find((s) => s.booking_id === v.bookingId && s.kind === "pickup");
  const lines = [];
  if (v.ok && stop) {
    lines.push(v.bookingId === boardingFor ? t("ticket_of", { who: riderName(stop) })
      : t("other_rider_here", { who: riderName(stop) }));
    const fare = fareLine(stop);
    if (fare) lines.push(fare);
  } else if (!v.ok) {
    const detail = refusalDetail(v);
    if (detail) lines.push(detail);
  }
  box.className = v.ok ? "verdict ok" : "verdict ng";
  box.dataset.reason = v.reason;
  box.dataset.booking = v.bookingId || "";
  box.replaceChildren(h("span", { class: "main" }, v.ok ? "✓ " : "✕ ", main),
    ...lines.map((l) => h("small", {}, l)));
  $("board-confirm").hidden = !v.ok;
}

function confirmBoarding() {
  if (!verdict?.ok) return;
  const bookingId = verdict.bookingId;
  const body = verdict.text.toUpperCase().startsWith("NR1:") ? { ticket: verdict.text } : { code: verdict.text };
  const id = newClientId();
  state.acted[bookingId] = { type: "boarded", id, sent: false };
  tickets.markUsed(bookingId);
  saveMarks();
  closeBoarding();
  render(true);
  outbox.add({ id, path: "/api/v1/driver/checkin", body, kind: "checkin", booking_id: bookingId });
}

// ---------------------------------------------------------------- rendering

function online() {
  return navigator.onLine && state.reachable;
}

function renderChrome() {
  document.title = t("title");
  $("lang").textContent = lang() === "ja" ? "EN" : "日本語";
  // the accessible name starts with the visible text (WCAG 2.5.3)
  $("lang").setAttribute("aria-label", lang() === "ja" ? "EN: English" : "日本語: Japanese");
  $("signout").textContent = t("sign_out");
  $("signout").hidden = !api.signedIn();
  const m = state.manifest;
  const load = m ? m.stops.filter((s) => s.kind === "dropoff" && m.onboard.includes(s.booking_id))
    .reduce((n, s) => n + persons(s), 0) : 0;
  $("vehicle").textContent = api.signedIn() && m ? m.vehicle_id : t("title");
  $("load").textContent = api.signedIn() && m ? t("onboard", { n: load }) : "";
  const net = $("net");
  net.dataset.state = online() ? "online" : "offline";
  net.textContent = online() ? t("online") : t("offline");
  const box = $("outbox");
  box.hidden = outbox.size === 0 && online();
  box.textContent = outbox.size === 0 ? t("offline")
    : t(online() ? "outbox_online" : "outbox_offline", { n: outbox.size });
  box.dataset.count = String(outbox.size);
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("login-title").textContent = t("title");
  $("login-id").placeholder = state.loginExample ? t("login_example", { id: state.loginExample }) : "";
  $("login-go").textContent = t("sign_in");
  $("map-next").textContent = t("map_next");
  $("map-all").textContent = t("map_all");
  $("later-title").textContent = t("later");
  $("notice-ok").textContent = t("notice_ok");
  $("board-title").textContent = t("board_title");
  $("code-check").textContent = t("check");
  $("board-confirm").textContent = t("confirm_board");
  $("board-noticket").textContent = t("board_without");
  $("board-close").textContent = t("close");
  $("scan-go").textContent = scanner ? t("scan_stop") : t("scan");
  $("scan-none").textContent = t("scan_none");
  $("menu-depot").textContent = t("depot");
  $("menu-shift-end").textContent = t("shift_end");
  renderUndo();
}

function renderNotice() {
  const n = state.notice;
  $("notice").hidden = !n;
  if (!n) return;
  $("notice").dataset.kind = n.kind;
  $("notice").dataset.kinds = n.kinds.join(" ");
  $("notice-text").replaceChildren(...n.lines.slice(-4).map((l) => h("span", { class: "line" }, l)));
}

function riderRow(s, visitKey) {
  const mark = state.acted[s.booking_id];
  const needs = [];
  if (s.wheelchairs) needs.push(h("span", { class: "need" }, `♿ ${t("wheelchair", { n: s.wheelchairs })}`));
  const when = s.kind === "pickup" && s.window
    ? `${t("window")} ${hhmm(s.window[0])}–${hhmm(s.window[1])}`
    : s.latest ? `${t("latest")} ${hhmm(s.latest)}` : "";
  const buttons = [];
  if (!mark) {
    if (s.kind === "pickup") {
      const from = noShowFrom(s);
      const arrived = arrivedAt(visitKey);
      const allowed = arrived && (from === null || serverNow() >= from);
      const why = !arrived ? t("no_show_after_arrival")
        : allowed ? null : t("no_show_at", { t: hhmmOfEpoch(from) });
      buttons.push(h("button", { class: "go", type: "button", dataset: { action: "board", booking: s.booking_id },
                                 onclick: () => openBoarding(s) }, t("board")));
      buttons.push(h("button", { class: "warn", type: "button", disabled: !allowed,
                                 dataset: { action: "no_show", booking: s.booking_id, from: from ?? "",
                                            arrived: arrived ? "1" : "" },
                                 onclick: () => askNoShow(s, visitKey) },
                     t("no_show"), why ? h("small", { class: "from" }, why) : null));
      const tel = telHref(s.rider_phone);
      if (tel) {
        buttons.push(h("a", { class: "button call", href: tel, dataset: { action: "call", booking: s.booking_id },
                              "aria-label": t("call_who", { who: riderName(s) }) }, `☎ ${t("call")}`));
      }
    } else {
      buttons.push(h("button", { class: "go", type: "button", dataset: { action: "alight", booking: s.booking_id },
                                 onclick: () => act("alighted", s.booking_id) }, t("alight")));
    }
  }
  if (!mark || mark.type !== "no_show") buttons.push(cashButton(s));
  const fare = fareLine(s);
  return h("li", { class: "rider", dataset: { booking: s.booking_id, kind: s.kind } },
    h("div", { class: "who" },
      h("span", { class: `kind ${s.kind}` }, t(`kind_${s.kind}`)),
      h("b", {}, riderName(s)),
      h("span", { class: "party" }, party(s)), ...needs, lateBadge(s),
      mark ? h("span", { class: "pending" }, mark.sent ? t("sent") : t("pending")) : null),
    when || fare ? h("div", { class: "info" }, when ? h("span", { class: "when" }, when) : null, fare) : null,
    s.notes ? h("div", { class: "note" }, `${t("notes")}: ${s.notes}`) : null,
    buttons.some(Boolean) ? h("div", { class: "row" }, ...buttons) : null);
}

function nextCard(v, leave) {
  const s = v.first;
  const name = pick(s.name_ja, s.name_en);
  const mark = state.arrived[v.key];
  const arrived = mark?.state === "arrived";
  const geo = s.lat != null ? `geo:${s.lat},${s.lon}?q=${s.lat},${s.lon}(${encodeURIComponent(name)})` : null;
  // .head keeps the stop and its actions in view (sticky in landscape); the arrival mark
  // stands beside the name so that .times (arrival, when to leave) keeps to one line.
  return h("section", { class: "card", id: "next-card", dataset: { stop: s.stop_id || "" } },
    h("div", { class: "head" },
      h("div", { class: "label" }, t("next_stop")),
      h("div", { class: "stop" }, h("span", {}, name),
        mark ? h("span", { class: "arrived" }, arrived ? t("arrived_mark") : t("departed")) : null),
      h("div", { class: "times", id: "next-times" },
        h("span", {}, `${t("eta")} `, h("b", {}, hhmm(s.eta))),
        leaveLine(leave)),
      h("div", { class: "row actions" },
        arrived
          ? h("button", { type: "button", class: "primary", dataset: { action: "departed" },
                          onclick: () => act("departed", s.booking_id, v.key) }, t("departed"))
          : h("button", { type: "button", class: "primary", dataset: { action: "arrived" },
                          onclick: () => act("arrived", s.booking_id, v.key) }, t("arrived")),
        geo ? h("a", { class: "button", href: geo, id: "navigate" }, t("navigate")) : null)),
    h("ul", { class: "riders" }, ...v.stops.map((x) => riderRow(x, v.key))));
}

function laterItem(v, i) {
  const s = v.first;
  return h("li", { dataset: { stop: s.stop_id || "", index: String(i + 2) } },
    h("span", { class: "t" }, hhmm(s.eta)),
    h("span", { class: "n" }, `${i + 2}. ${pick(s.name_ja, s.name_en)}`),
    s.leave_by ? h("span", { class: "lb" }, `${t("leave_by")} `, h("b", {}, hhmm(s.leave_by))) : null,
    ...v.stops.map((x) => h("span", { class: "p", dataset: { booking: x.booking_id, kind: x.kind } },
      h("span", { class: `kind ${x.kind}` }, t(x.kind)), " ", riderName(x), " ", party(x),
      x.wheelchairs ? h("span", { class: "need" }, " ♿") : null,
      x.kind === "pickup" && x.window ? ` (${hhmm(x.window[0])}–${hhmm(x.window[1])})` : "",
      state.acted[x.booking_id] ? h("span", { class: "pending" }, t("pending")) : null,
      lateBadge(x))));
}

/** Draw everything; skipped when nothing visible changed (unless forced). */
function render(force = false) {
  const signedIn = api.signedIn();
  $("login").hidden = signedIn;
  $("run").hidden = !signedIn;
  const m = state.manifest;
  const allowedSig = m ? m.stops.map((s) => (noShowFrom(s) ?? 0) <= serverNow()).join() : "";
  const breakSig = m?.breaks?.length ? serverNow() >= Date.parse(m.breaks[0]) / 1000 - 900 : false;
  const sig = `${lang()}|${online()}|${outbox.size}|${allowedSig}|${breakSig}|${state.onBreakUntil > serverNow()}`;
  renderUndo();
  renderLeave();
  if (!force && sig === state.renderSig) return;
  state.renderSig = sig;
  renderChrome();
  renderNotice();
  if (!signedIn) return;
  const visits = m ? visitsOf(m.stops) : [];
  const msg = state.message
    ? h("p", { class: state.message.bad ? "error" : "hint", role: "status", id: "message" }, state.message.text) : null;
  const brk = m && !m.off_shift && !m.shift_ended ? breakCard(m) : null;
  const refusal = refusalBox();
  renderLate();
  if (!m) $("next").replaceChildren(msg || "");
  else if (m.off_shift) $("next").replaceChildren(msg || "", h("p", { class: "empty" }, t("off_shift")));
  else if (!visits.length) $("next").replaceChildren(msg || "", refusal || "", brk || "", endCard(m));
  else $("next").replaceChildren(msg || "", refusal || "", brk || "", nextCard(visits[0], leaveInfo(visits)));
  // 帰庫 / 終業 in the menu while stops remain (the end card has them once nothing is left)
  $("menu").hidden = !m || m.off_shift || m.shift_ended || !visits.length;
  for (const b of [$("menu-depot"), $("menu-shift-end")]) b.disabled = state.reporting;
  $("later").replaceChildren(...visits.slice(1).map(laterItem));
  $("later-title").hidden = visits.length < 2;
  if (map) {
    map.setStops(visits.map((v) => ({
      lat: v.first.lat, lon: v.first.lon,
      kind: v.stops.some((s) => s.kind === "pickup") ? "pickup" : "dropoff",
    })));
  }
}

// ---------------------------------------------------------------- loading

async function refresh() {
  try {
    const r = await api.get("/api/v1/driver/manifest");
    if (r.status === 200) setManifest(r.data);
  } catch {
    render(true);
  }
}

async function loadRoute() {
  try {
    const r = await api.get("/api/v1/driver/route");
    if (r.status === 200 && map) {
      state.routeRevision = r.data.revision;
      map.setRoute(r.data);
    }
  } catch {
    /* offline: keep the last route */
  }
}

async function loadRoads() {
  const cached = localStorage.getItem(ROADS);
  if (cached && map) map.setRoads(JSON.parse(cached));
  try {
    const res = await fetch(apiUrl("/api/v1/map/roads"));
    if (!res.ok) return;
    const text = await res.text();
    try { localStorage.setItem(ROADS, text); } catch { /* storage full: draw without keeping */ }
    if (map) map.setRoads(JSON.parse(text));
  } catch {
    /* offline */
  }
}

function sendPosition(force = false) {
  const p = state.position;
  if (!p || !api.signedIn() || !online() || state.manifest?.shift_ended) return;
  if (!force && Date.now() - lastPositionSent < POSITION_EVERY_MS) return;
  lastPositionSent = Date.now();
  const body = { lat: p[0], lon: p[1] };
  if (p[2] != null && !Number.isNaN(p[2])) body.heading = p[2];
  api.post("/api/v1/driver/position", body).catch(() => {});
}

function startPosition() {
  if (!navigator.geolocation || watchId !== null) return;
  watchId = navigator.geolocation.watchPosition((pos) => {
    const c = pos.coords;
    state.position = [c.latitude, c.longitude, c.heading];
    if (map) map.setPosition(c.latitude, c.longitude);
    sendPosition();
  }, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
}

function startLive() {
  if (live) live.stop();
  live = api.follow("/api/v1/driver/stream", (name, data) => {
    if (name === "manifest") setManifest(data);
    else if (name === "clock" && typeof data.now === "number") {
      state.offset = data.now - Date.now() / 1000;
      render();
    }
  }, () => render());
}

function start() {
  render(true);
  if (!map) {
    map = new RouteMap($("map"));
    loadRoads();
  }
  refresh();
  startLive();
  tickets.sync();
  startPosition();
  outbox.flush();
}

/** The sign-in form's example login: one of this area's vehicles, as the service names it
 * (kept for a start without a connection; none until it is known). */
async function loadLoginExample() {
  try {
    const r = await api.get("/api/v1/service");
    const id = r.status === 200 && typeof r.data?.login_example === "string" ? r.data.login_example : "";
    if (id && id !== state.loginExample) {
      state.loginExample = id;
      localStorage.setItem(LOGIN_EXAMPLE, id);
      render(true);
    }
  } catch {
    // offline: the example kept from before, if any
  }
}

function signOut() {
  if (live) live.stop();
  live = null;
  api.setToken(null);
  outbox.clear();
  tickets.clear();
  state.manifest = null;
  state.acted = {};
  state.arrived = {};
  state.paid = {};
  state.undo = null;
  state.notice = null;
  state.refusal = null;
  localStorage.removeItem(MANIFEST);
  saveMarks();
  render(true);
}

async function signIn(ev) {
  ev.preventDefault();
  unlockAudio();
  const err = $("login-error");
  err.textContent = "";
  try {
    const r = await api.post("/api/v1/auth/login", { login: $("login-id").value.trim(), password: $("login-pw").value });
    if (r.status !== 200) {
      err.textContent = t("login_failed", { m: pick(r.data?.message_ja, r.data?.message_en) || r.status });
      return;
    }
    if (r.data.role !== "driver") {
      err.textContent = t("login_failed", { m: pick("運転手のアカウントではありません", "not a driver account") });
      return;
    }
    api.setToken(r.data.access_token);
    $("login-pw").value = "";
    start();
  } catch {
    err.textContent = t("login_failed", { m: t("offline") });
  }
}

function wire() {
  api.onUnauthorized = () => signOut();
  api.onReachable = (ok) => {
    if (ok !== state.reachable) {
      state.reachable = ok;
      render(true);
    }
  };
  outbox.onChange = () => render(true);
  $("login-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("lang").addEventListener("click", () => {
    setLang(lang() === "ja" ? "en" : "ja");
    render(true);
  });
  $("notice-ok").addEventListener("click", () => {
    state.notice = null;
    renderNotice();
  });
  $("map-next").addEventListener("click", () => {
    map?.setMode("next");
    $("map-next").classList.add("on");
    $("map-all").classList.remove("on");
  });
  $("map-all").addEventListener("click", () => {
    map?.setMode("all");
    $("map-all").classList.add("on");
    $("map-next").classList.remove("on");
  });
  $("code-check").addEventListener("click", () => checkCode($("code").value));
  $("code").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      checkCode($("code").value);
    }
  });
  $("board-confirm").addEventListener("click", confirmBoarding);
  $("board-noticket").addEventListener("click", () => {
    const b = boardingFor;
    closeBoarding();
    if (b) act("boarded", b);
  });
  $("board-close").addEventListener("click", closeBoarding);
  $("confirm-go").addEventListener("click", () => {
    const go = confirmAction;
    closeConfirm();
    if (go) go();
  });
  $("confirm-back").addEventListener("click", closeConfirm);
  $("menu-depot").addEventListener("click", askDepot);
  $("menu-shift-end").addEventListener("click", askShiftEnd);
  $("undo-go").addEventListener("click", undoNoShow);
  $("board").addEventListener("close", () => {
    if (scanner) scanner.stop();
    scanner = null;
  });
  $("scan-go").addEventListener("click", () => {
    if (scanner) {
      scanner.stop();
      scanner = null;
    } else {
      scanner = scan($("scan-video"), (text) => {
        scanner = null;
        $("code").value = text;
        checkCode(text);
        renderChrome();
      });
    }
    renderChrome();
  });
  document.addEventListener("pointerdown", unlockAudio);
  window.addEventListener("online", () => {
    state.reachable = true;
    render(true);
    outbox.flush();
    live?.kick();
    refresh();
  });
  window.addEventListener("offline", () => render(true));
  setInterval(() => {
    if (outbox.size) outbox.flush();
    sendPosition(true);
  }, 15000);
  setInterval(() => render(), 5000);
  setInterval(() => { if (state.undo) renderUndo(); }, 1000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").catch((e) => console.warn("service worker", e));
  }
}

setLang(lang());
wire();
if (api.signedIn()) start();
else render(true);
loadLoginExample();
