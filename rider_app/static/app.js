/* noriai rider app: sign in, book, ticket, live ETA, cancel, history, family (plain JS). */
"use strict";

// The service area of this page: the path above the app's folder ("" at the root, "/a/<area>"
// under an area). The API, /health and the token kept on the phone all belong to it, so a rider
// signed in to two areas keeps both sign-ins and a token never goes to another area.
const BASE = new URL("..", location.href).pathname.replace(/\/$/, "");
const API = `${BASE}/api/v1`;
const TOKEN = BASE ? `token@${BASE}` : "token";
const S = {
  lang: localStorage.getItem("lang") || "ja",
  token: localStorage.getItem(TOKEN) || "",
  me: null,
  service: null,
  stops: [],
  stopById: {},
  family: [],
  skew: 0, // server clock minus browser clock (ms): the service may run on a simulated clock
  roads: null,
  book: null,
  timers: [],
};
const POLL_MS = Number(new URLSearchParams(location.search).get("poll")) || 5000;

// ---------------------------------------------------------------- words (Japanese first)
const W = {
  ja: {
    title: "乗合タクシー", switchLang: "English", switchLabel: "English に切り替え",
    welcomeText: "電話番号と暗証番号で、スマートフォンから予約できます。",
    signin: "ログイン", signup: "はじめて使う（登録）", phone: "電話番号", pin: "暗証番号（数字4けた以上）",
    name: "お名前", homeStop: "自宅に近い乗り場（なくても可）", none: "選ばない", register: "登録する",
    back: "もどる", next: "次へ", signout: "ログアウト",
    hello: (n) => `${n} さん、こんにちは`, bookTrip: "予約する", myTrips: "予約の確認・履歴", family: "いっしょに乗る家族",
    from: "どこから乗りますか？", to: "どこまで行きますか？", search: "乗り場の名前で探す（ひらがなでも）",
    home: "自宅", noStops: "見つかりませんでした。短い名前やひらがなで探してください。",
    pickMap: "地図で場所を選ぶ", mapTitle: "地図をタップして場所を選んでください", mapLabel: "道路の地図。タップした場所が選ばれます。",
    usePoint: "この場所にする", pointName: "地図で選んだ場所", pickList: "乗り場の一覧から選ぶ",
    chosenFrom: "乗る場所", chosenTo: "降りる場所",
    when: "いつ乗りますか？", leaveAt: "この時刻以降に出発", arriveBy: "この時刻までに到着", day: "日にち", time: "時刻",
    today: "今日", tomorrow: "明日",
    who: "何人で乗りますか？", me: "ご本人", meWheel: "ご本人は車いすを使う", adults: "ほかの大人", children: "子ども（小学生）",
    infants: "幼児", more: (x) => `${x}を1人ふやす`, less: (x) => `${x}を1人へらす`, familyPick: "いっしょに乗る家族",
    seeOffers: "空いている便を探す", searching: "探しています…",
    offersTitle: "ご提案", altTitle: "ご希望の時間は満席です。近い時間の便です。", noOffers: "空いている便がありません。",
    pickup: "お迎え", arrive: "到着予定", latest: "遅くとも", fare: "運賃", yen: (n) => `${n}円`, connection: "乗り継ぎ",
    chooseOffer: "この便にする", confirmTitle: "この内容で予約しますか？", confirm: "予約を確定する", changeTime: "時間を変える",
    booked: "予約しました", ticket: "乗車券", ticketHint: "乗るときに運転手にこの画面を見せてください。",
    code: "番号", noTicket: "乗車券を表示できません。", window: "お迎えの時間", status: "状態",
    st: { confirmed: "予約済み", onboard: "乗車中", completed: "乗車済み", cancelled: "取り消し", no_show: "乗車なし" },
    live: "車の位置と到着予定", eta: "車の到着予定", etaDrop: "目的地の到着予定", minutes: (m) => m <= 0 ? "まもなく" : `あと約${m}分`,
    stopsBefore: (n) => n === 0 ? "次はあなたの乗り場です" : `あなたの前に ${n} か所に寄ります`,
    noEta: "当日になると、車の位置と到着予定が出ます。", vehicleMap: "車（黄色の丸）と乗り場（青い四角）の地図",
    cancel: "予約を取り消す", cancelRule: (m) => `お迎えの${m}分前までは無料で取り消せます。それより後はお電話ください。`,
    cancelSure: "本当に取り消しますか？", cancelYes: "はい、取り消します", cancelNo: "いいえ、取り消しません",
    cancelled: "予約を取り消しました", upcoming: "これからの予約", past: "これまでの利用", noTrips: "予約はありません。",
    familyTitle: "いっしょに乗る家族", addFamily: "家族を登録する", category: "区分", adult: "大人", child: "子ども", infant: "幼児",
    wheel: "車いすを使う", remove: (n) => `${n} さんを削除`, noFamily: "まだ登録していません。",
    phoneHelp: "わからないときはお電話ください", call: (p) => `${p} に電話する`, loading: "読み込み中…",
    searchHint: "例：「びょういん」「やくば」「みちのえき」", aliasOf: (w) => `「${w}」：`,
    usual: "いつもの便", usualHint: "押すと、次に予約できる日の便をすぐにお見せします。", usualTimes: (n) => `これまで${n}回`,
    usualNext: (d) => `次は ${d}`, usualNone: "予約できる日がありません",
    repeatTitle: "いつもの便を予約しますか？", otherDay: "別の日・時刻にする", otherOffers: "ほかの便を見る",
    returnAsk: "帰りの便も予約しますか？", returnBtn: "帰りも予約する", returnTitle: "帰りは何時に乗りますか？",
    returnOf: (from, to) => `帰り：${from} → ${to}`, sameParty: (n) => `行きと同じ ${n}人`,
    afterArrival: (h) => `行きの到着（遅くとも${h}）より後の時刻にしてください。`, useTime: (l) => `${l} にする`,
    tooSoon: (m) => `その時刻はもう予約できません（乗車の${m}分前までにご予約ください）。`,
    earliestIs: (l) => `いちばん早く予約できるのは ${l} です。`, noEarliest: "予約できる時間がありません。お電話ください。",
    outsideHours: (h) => `その時刻は運行時間外です（運行時間 ${h}）。`,
    recommended: "おすすめ", persons: (n) => `${n}人`,
    standing: "定期予約（毎週の予約）", standingTitle: "定期予約", standingNew: "新しい定期予約をつくる", standingNone: "定期予約はありません。",
    standingHint: "決まった曜日と時刻の便を、予約できるようになった日に自動で予約します。予約できなかった日は「予約の確認・履歴」でお知らせします。",
    weekdaysQ: "何曜日に乗りますか？", everyWeek: (d) => `毎週 ${d}`, wdShort: { mon: "月", tue: "火", wed: "水", thu: "木", fri: "金", sat: "土", sun: "日" },
    wdLong: { mon: "月曜日", tue: "火曜日", wed: "水曜日", thu: "木曜日", fri: "金曜日", sat: "土曜日", sun: "日曜日" }, daySep: "・", colon: "：",
    createStanding: "定期予約を登録する", standingMade: (n, f) => `定期予約を登録しました。${n}回分を予約しました${f ? `（${f}回は予約できませんでした）` : ""}。`,
    bookedDays: "予約した日", failedDays: "予約できなかった日", skippedDays: "運休のため予約しない日", pendingDays: "これから予約する日",
    stopStanding: "この定期予約をやめる", stopSure: "やめますか？すでに予約した便はそのまま残ります（1便ずつ取り消せます）。",
    stopYes: "はい、やめる", stopNo: "いいえ、続ける", stopped: "定期予約をやめました", inactive: "停止中",
    notices: "お知らせ", noticeLine: (d, tm, a, b) => `${d} ${tm} ${a} → ${b} の定期予約を入れられませんでした。`,
    bookOther: "この日を別の時間で予約する", dismiss: "確認した（閉じる）", noticeHome: (n) => `定期予約のお知らせが ${n} 件あります`,
    makeStanding: "毎週この便を予約する（定期予約）", withFamily: "いっしょに乗る家族", pickWeekday: "曜日を1つ以上選んでください。",
    leaveAtShort: (tm) => `${tm} 以降に出発`, arriveByShort: (tm) => `${tm} までに到着`,
    needSignin: "もう一度ログインしてください。", error: "うまくいきませんでした。",
  },
  en: {
    title: "Shared taxi", switchLang: "日本語", switchLabel: "日本語に切り替え",
    welcomeText: "Book from your phone with your phone number and PIN.",
    signin: "Sign in", signup: "First time? Register", phone: "Phone number", pin: "PIN (4 or more digits)",
    name: "Your name", homeStop: "Stop near your home (optional)", none: "None", register: "Register",
    back: "Back", next: "Next", signout: "Sign out",
    hello: (n) => `Hello, ${n}`, bookTrip: "Book a trip", myTrips: "My trips", family: "Family who ride with me",
    from: "Where do you get on?", to: "Where are you going?", search: "Search stops by name (kana works too)",
    home: "Home", noStops: "Nothing found. Try a shorter name.",
    pickMap: "Choose a place on the map", mapTitle: "Tap the map to choose a place", mapLabel: "Road map. Tapping chooses a place.",
    usePoint: "Use this place", pointName: "Place chosen on the map", pickList: "Choose from the list of stops",
    chosenFrom: "From", chosenTo: "To",
    when: "When?", leaveAt: "Leave at or after", arriveBy: "Arrive by", day: "Day", time: "Time",
    today: "Today", tomorrow: "Tomorrow",
    who: "Who is travelling?", me: "You", meWheel: "I use a wheelchair", adults: "Other adults", children: "Children",
    infants: "Infants", more: (x) => `One more: ${x}`, less: (x) => `One fewer: ${x}`, familyPick: "Family travelling with you",
    seeOffers: "Find a ride", searching: "Searching…",
    offersTitle: "Offers", altTitle: "The asked time is full. Rides near it:", noOffers: "No ride is free.",
    pickup: "Pickup", arrive: "Arrival", latest: "at the latest", fare: "Fare", yen: (n) => `¥${n}`, connection: "Connection",
    chooseOffer: "Choose this ride", confirmTitle: "Book this ride?", confirm: "Confirm booking", changeTime: "Change the time",
    booked: "Booked", ticket: "Ticket", ticketHint: "Show this screen to the driver when you get on.",
    code: "Code", noTicket: "The ticket cannot be shown.", window: "Pickup time", status: "Status",
    st: { confirmed: "Booked", onboard: "On board", completed: "Completed", cancelled: "Cancelled", no_show: "No-show" },
    live: "Vehicle and arrival", eta: "Vehicle arrives", etaDrop: "You arrive", minutes: (m) => m <= 0 ? "very soon" : `in about ${m} min`,
    stopsBefore: (n) => n === 0 ? "Your stop is next" : `${n} stop(s) before yours`,
    noEta: "On the day, the vehicle's position and arrival show here.", vehicleMap: "Map of the vehicle (yellow circle) and your stop (blue square)",
    cancel: "Cancel this booking", cancelRule: (m) => `Free cancellation up to ${m} minutes before pickup; after that please call.`,
    cancelSure: "Really cancel?", cancelYes: "Yes, cancel", cancelNo: "No, keep it",
    cancelled: "Booking cancelled", upcoming: "Upcoming", past: "Past trips", noTrips: "No bookings.",
    familyTitle: "Family who ride with me", addFamily: "Add family member", category: "Type", adult: "Adult", child: "Child", infant: "Infant",
    wheel: "Uses a wheelchair", remove: (n) => `Remove ${n}`, noFamily: "No one yet.",
    phoneHelp: "If in doubt, call us", call: (p) => `Call ${p}`, loading: "Loading…",
    searchHint: "e.g. “hospital”, “やくば” (town office), “みちのえき” (roadside station)", aliasOf: (w) => `“${w}”: `,
    usual: "Your usual trips", usualHint: "Tap one to see the ride on the next day it can be booked.", usualTimes: (n) => `${n} time${n === 1 ? "" : "s"} so far`,
    usualNext: (d) => `next: ${d}`, usualNone: "no day free to book",
    repeatTitle: "Book your usual trip?", otherDay: "Another day or time", otherOffers: "See other rides",
    returnAsk: "Book the way back too?", returnBtn: "Book the return trip", returnTitle: "When do you go back?",
    returnOf: (from, to) => `Return: ${from} → ${to}`, sameParty: (n) => `the same ${n} ${n === 1 ? "person" : "people"} as on the way out`,
    afterArrival: (h) => `Choose a time after you arrive (at the latest ${h}).`, useTime: (l) => `Use ${l}`,
    tooSoon: (m) => `That time can no longer be booked (book at least ${m} minutes ahead).`,
    earliestIs: (l) => `The earliest you can book is ${l}.`, noEarliest: "Nothing can be booked now; please call us.",
    outsideHours: (h) => `That time is outside the service hours (${h}).`,
    recommended: "Recommended", persons: (n) => `${n} ${n === 1 ? "person" : "people"}`,
    standing: "Standing orders (every week)", standingTitle: "Standing orders", standingNew: "New standing order", standingNone: "No standing orders.",
    standingHint: "We book the same trip on the days you choose, as soon as each day can be booked. Days we cannot book are shown under “My trips”.",
    weekdaysQ: "Which days of the week?", everyWeek: (d) => `Every ${d}`, wdShort: { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" },
    wdLong: { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" }, daySep: ", ", colon: ": ",
    createStanding: "Create the standing order", standingMade: (n, f) => `Standing order created. ${n} trip${n === 1 ? "" : "s"} booked${f ? ` (${f} could not be booked)` : ""}.`,
    bookedDays: "Booked", failedDays: "Could not be booked", skippedDays: "No service (not booked)", pendingDays: "To be booked",
    stopStanding: "Stop this standing order", stopSure: "Stop it? Trips already booked stay booked (you can cancel them one by one).",
    stopYes: "Yes, stop it", stopNo: "No, keep it", stopped: "Standing order stopped", inactive: "Stopped",
    notices: "Notices", noticeLine: (d, tm, a, b) => `Your standing order ${a} → ${b} on ${d} at ${tm} could not be booked.`,
    bookOther: "Book this day at another time", dismiss: "OK, hide this", noticeHome: (n) => `${n} notice${n === 1 ? "" : "s"} about your standing orders`,
    makeStanding: "Book this trip every week (standing order)", withFamily: "Family travelling with you", pickWeekday: "Choose at least one day.",
    leaveAtShort: (tm) => `leave at ${tm} or later`, arriveByShort: (tm) => `arrive by ${tm}`,
    needSignin: "Please sign in again.", error: "That did not work.",
  },
};
const t = (k, ...a) => { const v = W[S.lang][k]; return typeof v === "function" ? v(...a) : v; };
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const $ = (sel) => document.querySelector(sel);
const main = () => $("#main");

// ---------------------------------------------------------------- time in the service's zone
const tz = () => (S.service && S.service.timezone) || "Asia/Tokyo";
const now = () => new Date(Date.now() + S.skew);
function hm(iso) {
  return new Intl.DateTimeFormat("ja-JP", { timeZone: tz(), hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
}
function ymd(d) {
  const p = new Intl.DateTimeFormat("en-CA", { timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  return p; // YYYY-MM-DD
}
function dayLabel(isoDay, relative = true) {
  // "1月14日（木）" / "Thu 14 Jan"; today and tomorrow say so ("明日 1月14日（木）", "Tomorrow, Thu 14 Jan").
  const [y, m, d] = isoDay.split("-").map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d, 12));
  const ja = S.lang === "ja";
  const wd = new Intl.DateTimeFormat(ja ? "ja-JP" : "en-GB", { weekday: "short", timeZone: "UTC" }).format(dt);
  const mon = new Intl.DateTimeFormat("en-GB", { month: "short", timeZone: "UTC" }).format(dt);
  const base = ja ? `${m}月${d}日（${wd}）` : `${wd} ${d} ${mon}`;
  if (!relative) return base;
  const [ty, tm, td] = ymd(now()).split("-").map(Number);
  const ahead = Math.round((Date.UTC(y, m - 1, d) - Date.UTC(ty, tm - 1, td)) / 86400000);
  if (ahead === 0) return ja ? `今日 ${base}` : `Today, ${base}`;
  if (ahead === 1) return ja ? `明日 ${base}` : `Tomorrow, ${base}`;
  return base;
}
function whenLabel(day, time) { return S.lang === "ja" ? `${dayLabel(day)} ${time}` : `${dayLabel(day)}, ${time}`; }
function clockOf(seconds) { return `${String(Math.floor(seconds / 3600)).padStart(2, "0")}:${String(Math.floor(seconds % 3600 / 60)).padStart(2, "0")}`; }
function hoursText() { return S.service.periods.map((p) => `${clockOf(p.start_s)}〜${clockOf(p.end_s)}`).join(S.lang === "ja" ? "、" : ", "); }
function inHours(time) {
  const [h, m] = time.split(":").map(Number); const s = h * 3600 + m * 60;
  return S.service.periods.some((p) => p.start_s <= s && s <= p.end_s);
}
function weekdaysText(codes) { const w = t("wdShort"); return codes.map((c) => w[c]).join(t("daySep")); }
function ruleText(rule, time) { return rule === "dropoff_before" ? t("arriveByShort", time) : t("leaveAtShort", time); }
function dayOf(iso) { return ymd(new Date(iso)); }
function offsetOf(day) {
  const f = new Intl.DateTimeFormat("en-US", { timeZone: tz(), timeZoneName: "longOffset" });
  const part = f.formatToParts(new Date(`${day}T12:00:00Z`)).find((p) => p.type === "timeZoneName");
  const m = part && part.value.match(/GMT([+-]\d{2}:\d{2})/);
  return m ? m[1] : "+09:00";
}

// ---------------------------------------------------------------- API
async function api(method, path, body, headers = {}) {
  const h = { ...headers };
  if (S.token) h.Authorization = `Bearer ${S.token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const r = await fetch(API + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 204) return null;
  const data = await r.json().catch(() => ({}));
  if (r.status === 401 && path !== "/auth/login") { signOut(); say(t("needSignin")); throw new Error(t("needSignin")); }
  if (!r.ok) {
    const msg = (S.lang === "en" ? data.message_en : data.message_ja) || data.message || t("error");
    const err = new Error(msg); err.status = r.status; err.code = data.code; err.details = data.details || {}; throw err;
  }
  return data;
}
function say(text) {
  const el = $("#status"); el.textContent = text;
  clearTimeout(say.timer); say.timer = setTimeout(() => { el.textContent = ""; }, 4000);
}
function showError(where, err) {
  const box = document.getElementById(where);
  if (box) { box.innerHTML = `<p class="error" role="alert">${esc(err.message || err)}</p>`; box.scrollIntoView({ block: "nearest" }); }
}
function signOut() { S.token = ""; S.me = null; localStorage.removeItem(TOKEN); location.hash = "#/welcome"; }

async function loadBasics() {
  const [health, service, stops] = await Promise.all([
    fetch(`${BASE}/health`).then((r) => r.json()), api("GET", "/service"), api("GET", "/stops")]);
  S.skew = health.now * 1000 - Date.now();
  S.service = service; S.stops = stops;
  S.stopById = Object.fromEntries(stops.map((s) => [s.id, s]));
}
const stopName = (s) => (S.lang === "en" ? s.name_en : s.name_ja);
function placeName(stopId, point) {
  if (stopId && S.stopById[stopId]) return stopName(S.stopById[stopId]);
  return t("pointName") + (point ? ` (${point[0].toFixed(4)}, ${point[1].toFixed(4)})` : "");
}

// ---------------------------------------------------------------- screens
function render(html, title) {
  S.timers.forEach(clearInterval); S.timers = [];
  main().innerHTML = html;
  document.title = `${title} | ${t("title")}`;
  main().focus();
}
const telHref = (p) => `tel:${String(p).replace(/[^0-9+]/g, "")}`;
// The help line: one tap calls the service (a tel: link, large enough to hit).
const phoneLine = () => (S.service && S.service.booking.phone ? `<p class="help-line">${esc(t("phoneHelp"))}<br>
  <a class="tel" id="help-call" href="${esc(telHref(S.service.booking.phone))}">${esc(t("call", S.service.booking.phone))}</a></p>` : "");

// The service's own name (each area has its own): 御調町 予約型乗合タクシー, …
const serviceName = () => (S.lang === "en" ? S.service.name_en : S.service.name_ja);
function welcome() {
  render(`<h2 id="service-name">${esc(serviceName())}</h2><p>${esc(t("welcomeText"))}</p>
    <a class="button primary big" href="#/signin">${esc(t("signin"))}</a>
    <a class="button big" href="#/signup">${esc(t("signup"))}</a>${phoneLine()}`, serviceName());
}

function signin() {
  render(`<h2>${esc(t("signin"))}</h2><form id="f" novalidate>
    <label for="phone">${esc(t("phone"))}</label><input id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" required>
    <label for="pin">${esc(t("pin"))}</label><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="current-password" required>
    <div id="err"></div>
    <button class="primary big" type="submit">${esc(t("signin"))}</button></form>
    <a class="button" href="#/welcome">${esc(t("back"))}</a>${phoneLine()}`, t("signin"));
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const tok = await api("POST", "/auth/login", { phone: $("#phone").value, password: $("#pin").value });
      await signedIn(tok);
    } catch (err) { showError("err", err); }
  });
}

function signup() {
  const opts = S.stops.map((s) => `<option value="${esc(s.id)}">${esc(stopName(s))}</option>`).join("");
  render(`<h2>${esc(t("signup"))}</h2><form id="f" novalidate>
    <label for="name">${esc(t("name"))}</label><input id="name" type="text" autocomplete="name" required>
    <label for="phone">${esc(t("phone"))}</label><input id="phone" type="tel" autocomplete="tel" inputmode="tel" required>
    <label for="pin">${esc(t("pin"))}</label><input id="pin" type="password" inputmode="numeric" autocomplete="new-password" required>
    <label for="home">${esc(t("homeStop"))}</label><select id="home"><option value="">${esc(t("none"))}</option>${opts}</select>
    <div id="err"></div>
    <button class="primary big" type="submit">${esc(t("register"))}</button></form>
    <a class="button" href="#/welcome">${esc(t("back"))}</a>`, t("signup"));
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body = { name: $("#name").value.trim(), phone: $("#phone").value.trim(), pin: $("#pin").value.trim(), lang: S.lang };
      if ($("#home").value) body.home_stop_id = $("#home").value;
      await signedIn(await api("POST", "/auth/register", body));
    } catch (err) { showError("err", err); }
  });
}

async function signedIn(tok) {
  S.token = tok.access_token; localStorage.setItem(TOKEN, S.token);
  S.me = null; location.hash = "#/home";
}
async function ensureMe() {
  if (!S.me) S.me = await api("GET", "/auth/me");
  return S.me;
}

async function home() {
  const me = await ensureMe();
  const [usual, notices] = await Promise.all([api("GET", "/usual-trips").catch(() => []),
    api("GET", "/standing-orders/notices").catch(() => [])]);
  const alert = notices.length ? `<p class="alert" role="status"><a href="#/trips" id="notice-link">${esc(t("noticeHome", notices.length))}</a></p>` : "";
  const usualHtml = usual.length ? `<section aria-labelledby="usual-h"><h3 id="usual-h">${esc(t("usual"))}</h3>
    <p class="hint">${esc(t("usualHint"))}</p><ul class="list" id="usual">${usual.map(usualItem).join("")}</ul></section>` : "";
  render(`<h2>${esc(t("hello", me.name))}</h2>${alert}
    <a class="button primary big" href="#/book">${esc(t("bookTrip"))}</a>${usualHtml}
    <a class="button big" href="#/trips">${esc(t("myTrips"))}</a>
    <a class="button" href="#/standing">${esc(t("standing"))}</a>
    <a class="button" href="#/family">${esc(t("family"))}</a>
    <button type="button" id="out">${esc(t("signout"))}</button>${phoneLine()}`, t("title"));
  $("#out").addEventListener("click", signOut);
}
function partySize(p) { return p.adults + p.children + p.infants + p.wheelchairs; }
function usualItem(u) {
  const what = `<span>${esc(placeName(u.origin_stop_id, u.origin))} → ${esc(placeName(u.destination_stop_id, u.destination))}</span>
    <span class="sub">${esc(ruleText(u.rule, u.time))}・${esc(t("persons", partySize(u.party)))}・${esc(t("usualTimes", u.count))}</span>`;
  if (!u.next_day) return `<li class="card">${what}<span class="sub">${esc(t("usualNone"))}</span></li>`;
  return `<li><a class="button usual" href="#/repeat/${esc(u.booking_id)}" data-usual="${esc(u.booking_id)}">${what}
    <span class="sub">${esc(t("usualNext", dayLabel(u.next_day)))}</span></a></li>`;
}

// ---------------------------------------------------------------- booking wizard
// One wizard for every way of booking: a new trip (mode "new"), the way back of a booking
// ("return"), a usual trip again ("repeat") and a standing order ("standing").
function defaultWhen() {
  const lead = ((S.service && S.service.booking.min_notice_min) || 60) + 30;
  return roundedAt(new Date(now().getTime() + lead * 60000), 10);
}
function roundedAt(d, step) {
  // The local day and HH:MM of a moment, rounded up onto a grid of ``step`` minutes.
  const ms = step * 60000;
  const up = new Date(Math.ceil(d.getTime() / ms) * ms);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone: tz(), hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(up);
  return { day: ymd(up), time };
}
function newBook(extra) {
  const w = defaultWhen();
  return { mode: "new", step: "from", origin: null, destination: null, rule: "pickup_after", day: w.day, time: w.time,
           adults: 0, children: 0, infants: 0, meWheel: false, fam: new Set(), fixedParty: null, weekdays: [],
           result: null, chosen: null, outbound: null, ...extra };
}
const placeOf = (stopId, point) => (stopId ? { stop_id: stopId } : { point });
const partyOf = (b) => ({ adults: b.adults, children: b.children, infants: b.infants, wheelchairs: b.wheelchairs });
async function book() {
  await ensureMe();
  S.family = await api("GET", "/family");
  S.book = newBook({});
  bookStep();
}
function bookStep() {
  const B = S.book;
  ({ from: () => pickPlace("origin"), to: () => pickPlace("destination"), when: pickWhen, who: pickWho,
     offers: showOffers, confirm: confirmOffer })[B.step]();
}
function goStep(step) { S.book.step = step; bookStep(); }

function stopButtons(list) {
  if (!list.length) return `<p>${esc(t("noStops"))}</p>`;
  const homeId = S.me && S.me.home_stop_id;
  return `<ul class="list">${list.map((s) => {
    const note = s.matched ? `<span class="kana">${esc(t("aliasOf", s.matched))}${esc(S.lang === "en" ? s.note_en : s.note_ja)}</span>` : "";
    return `<li><button type="button" class="stop-btn" data-stop="${esc(s.id)}">
    <span>${s.id === homeId ? `<span class="tag">${esc(t("home"))}</span>` : ""}${esc(stopName(s))}</span>
    <span class="kana" lang="ja">${esc(s.name_kana)}</span>${note}</button></li>`;
  }).join("")}</ul>`;
}
function ordered(list) {
  const homeId = S.me && S.me.home_stop_id;
  return [...list].sort((a, b) => (b.id === homeId) - (a.id === homeId));
}
function pickPlace(which) {
  const B = S.book;
  const q = which === "origin" ? t("from") : t("to");
  const chosen = which === "destination" && B.origin ? `<p class="notice">${esc(t("chosenFrom"))}：${esc(placeName(B.origin.stop_id, B.origin.point))}</p>` : "";
  render(`<h2 id="q">${esc(q)}</h2>${chosen}
    <label for="search">${esc(t("search"))}</label>
    <input id="search" type="search" autocomplete="off" aria-describedby="search-hint" aria-controls="results">
    <p id="search-hint" class="hint">${esc(t("searchHint"))}</p>
    <div id="results" aria-live="polite">${stopButtons(ordered(S.stops).slice(0, 8))}</div>
    <button type="button" id="map-btn">${esc(t("pickMap"))}</button>
    <button type="button" id="back">${esc(t("back"))}</button>`, q);
  const choose = (place) => {
    B[which] = place;
    goStep(which === "origin" ? "to" : "when");
  };
  const wire = () => main().querySelectorAll("[data-stop]").forEach((b) => b.addEventListener("click", () => choose({ stop_id: b.dataset.stop })));
  wire();
  let timer; let asked = 0;
  $("#search").addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = e.target.value.trim(); const mine = ++asked;
      // The server finds stops by name, reading or the words people say (「やくば」), best first.
      const list = await api("GET", `/stops?q=${encodeURIComponent(text)}`);
      if (mine !== asked || !$("#results")) return;
      $("#results").innerHTML = stopButtons((text ? list : ordered(list)).slice(0, 12));
      $("#results").dataset.q = e.target.value; wire();
    }, 250);
  });
  $("#map-btn").addEventListener("click", () => mapPicker(which, choose));
  $("#back").addEventListener("click", () => (which === "origin" ? (location.hash = B.mode === "standing" ? "#/standing" : "#/home") : goStep("from")));
}

// ---------------------------------------------------------------- maps (drawn from the road network)
async function roads() {
  if (!S.roads) S.roads = await fetch(`${API}/map/roads`).then((r) => r.json());
  return S.roads;
}
function projection(width) {
  const zone = S.service.zone; // [[lat, lon], ...]
  const lats = zone.map((p) => p[0]); const lons = zone.map((p) => p[1]);
  const pad = 0.003;
  const minLat = Math.min(...lats) - pad, maxLat = Math.max(...lats) + pad;
  const minLon = Math.min(...lons) - pad, maxLon = Math.max(...lons) + pad;
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const height = Math.round(width * (maxLat - minLat) / ((maxLon - minLon) * kx));
  return {
    width, height,
    xy: (lat, lon) => [((lon - minLon) / (maxLon - minLon)) * width, ((maxLat - lat) / (maxLat - minLat)) * height],
    latlon: (x, y) => [maxLat - (y / height) * (maxLat - minLat), minLon + (x / width) * (maxLon - minLon)],
  };
}
function roadLines(geo) {
  // Either a MultiLineString feature or a FeatureCollection of LineStrings (both are served).
  if (geo.type === "FeatureCollection") return geo.features.map((f) => f.geometry.coordinates);
  return geo.geometry.coordinates;
}
function roadsPath(geo, P) {
  return roadLines(geo).map((seg) => seg.map(([lon, lat], i) => {
    const [x, y] = P.xy(lat, lon); return `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
  }).join("")).join("");
}
function mapSvg(P, geo, label, extra) {
  const stops = S.stops.map((s) => { const [x, y] = P.xy(s.lat, s.lon); return `<rect x="${(x - 5).toFixed(1)}" y="${(y - 5).toFixed(1)}" width="10" height="10" fill="#0b3d91"/>`; }).join("");
  const zone = S.service.zone.map(([lat, lon], i) => { const [x, y] = P.xy(lat, lon); return `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`; }).join("") + "Z";
  return `<svg class="map" id="map" viewBox="0 0 ${P.width} ${P.height}" role="img" aria-label="${esc(label)}">
    <path d="${zone}" fill="#eaf1fb" stroke="#0b3d91" stroke-width="3" stroke-dasharray="8 6"/>
    <path d="${roadsPath(geo, P)}" stroke="#6b6b6b" stroke-width="2" fill="none"/>${stops}${extra || ""}</svg>`;
}
async function mapPicker(which, choose) {
  const geo = await roads();
  const P = projection(600);
  render(`<h2>${esc(t("mapTitle"))}</h2>${mapSvg(P, geo, t("mapLabel"), '<g id="marker"></g>')}
    <p id="picked" class="notice" aria-live="polite"></p>
    <div id="err"></div>
    <button type="button" class="primary big" id="use" disabled>${esc(t("usePoint"))}</button>
    <button type="button" id="list">${esc(t("pickList"))}</button>`, t("mapTitle"));
  let point = null;
  $("#map").addEventListener("click", (e) => {
    const svg = $("#map"); const r = svg.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * P.width; const y = ((e.clientY - r.top) / r.height) * P.height;
    point = P.latlon(x, y);
    $("#marker").innerHTML = `<circle cx="${x}" cy="${y}" r="14" fill="#ffd23f" stroke="#111" stroke-width="4"/>`;
    $("#picked").textContent = `${t("pointName")}: ${point[0].toFixed(5)}, ${point[1].toFixed(5)}`;
    $("#use").disabled = false;
  });
  $("#use").addEventListener("click", () => point && choose({ point }));
  $("#list").addEventListener("click", () => bookStep());
}

function tripLine(B) {
  const from = placeName(B.origin.stop_id, B.origin.point); const to = placeName(B.destination.stop_id, B.destination.point);
  return B.mode === "return" ? t("returnOf", from, to) : `${from} → ${to}`;
}
function pickWhen() {
  const B = S.book;
  if (B.mode === "standing") return pickSchedule();
  const days = [];
  const start = now();
  for (let k = 0; k <= ((S.service && S.service.booking.max_days_ahead) || 7); k++) {
    const d = ymd(new Date(start.getTime() + k * 86400000));
    const wd = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", weekday: "short" }).format(new Date(`${d}T12:00:00Z`)).toLowerCase();
    if (!S.service.days.length || S.service.days.includes(wd)) days.push(d);
  }
  if (!days.includes(B.day)) days.unshift(B.day);
  const dayOpts = days.map((d) => `<option value="${d}" ${d === B.day ? "selected" : ""}>${esc(dayLabel(d))}</option>`).join("");
  const back = B.mode === "return";
  const head = back ? t("returnTitle") : t("when");
  const who = B.fixedParty ? `<p>${esc(back ? t("sameParty", partySize(B.fixedParty)) : t("persons", partySize(B.fixedParty)))}</p>` : "";
  render(`<h2>${esc(head)}</h2>
    <p class="notice">${esc(tripLine(B))}</p>${who}
    <fieldset><legend>${esc(t("when"))}</legend>
      <label class="check"><input type="radio" name="rule" value="pickup_after" ${B.rule === "pickup_after" ? "checked" : ""}> ${esc(t("leaveAt"))}</label>
      <label class="check"><input type="radio" name="rule" value="dropoff_before" ${B.rule === "dropoff_before" ? "checked" : ""}> ${esc(t("arriveBy"))}</label>
    </fieldset>
    <label for="day">${esc(t("day"))}</label><select id="day">${dayOpts}</select>
    <label for="time">${esc(t("time"))}</label><input id="time" type="time" step="300" value="${esc(B.time)}" aria-describedby="when-err">
    <div id="when-err" aria-live="polite"></div><div id="err"></div>
    <button type="button" class="primary big" id="next">${esc(B.fixedParty ? t("seeOffers") : t("next"))}</button>
    <button type="button" id="back">${esc(t("back"))}</button>`, head);
  clearOnChange();
  $("#next").addEventListener("click", async () => {
    B.rule = main().querySelector("input[name=rule]:checked").value;
    B.day = $("#day").value; B.time = $("#time").value || B.time;
    $("#next").disabled = true;
    const problem = await timeProblem();
    $("#next").disabled = false;
    if (!problem) afterWhen();
  });
  $("#back").addEventListener("click", () => {
    if (back) location.hash = `#/trip/${B.outbound.id}`;
    else if (B.mode === "repeat") goStep("confirm");
    else goStep("to");
  });
}
// A message about the last try goes as soon as the rider changes something on the step.
function clearOnChange() {
  main().querySelectorAll("input, select").forEach((el) => el.addEventListener("change", () => { $("#when-err").innerHTML = ""; }));
}
function afterWhen() {
  if (S.book.fixedParty) searchOffers($("#next")); else goStep("who");
}
// A time the service cannot take is caught here, before searching: too soon (inside the minimum
// notice), outside the hours, or (for the way back) before the outward trip arrives. The earliest
// time that works is offered as one tap.
async function timeProblem() {
  const B = S.book; const box = $("#when-err");
  box.innerHTML = "";
  if (!inHours(B.time)) {
    box.innerHTML = `<p class="error" role="alert" id="when-msg">${esc(t("outsideHours", hoursText()))}</p>`;
    return true;
  }
  const chosen = new Date(`${B.day}T${B.time}:00${offsetOf(B.day)}`);
  let e;
  try { e = await api("GET", "/service/earliest"); } catch { return false; } // the search will say
  let msg = ""; let fix = null;
  if (!e.earliest) msg = t("noEarliest");
  else if (chosen < new Date(e.earliest)) {
    fix = { day: e.day, time: e.time, at: new Date(e.earliest) };
    msg = t("tooSoon", e.min_notice_min) + (S.lang === "ja" ? "" : " ") + t("earliestIs", whenLabel(e.day, e.time));
  }
  if (B.mode === "return" && !msg) {
    const arrive = new Date(B.outbound.dropoff_latest);
    if (chosen < arrive) {
      const after = roundedAt(arrive, 5);
      fix = { ...after, at: new Date(`${after.day}T${after.time}:00${offsetOf(after.day)}`) };
      if (e.earliest && fix.at < new Date(e.earliest)) fix = { day: e.day, time: e.time, at: new Date(e.earliest) };
      msg = t("afterArrival", hm(B.outbound.dropoff_latest));
    }
  }
  if (!msg) return false;
  box.innerHTML = `<p class="error" role="alert" id="when-msg">${esc(msg)}</p>${fix ? `<button type="button" class="primary big" id="use-earliest">${esc(t("useTime", whenLabel(fix.day, fix.time)))}</button>` : ""}`;
  if (fix) $("#use-earliest").addEventListener("click", () => { B.day = fix.day; B.time = fix.time; afterWhen(); });
  return true;
}
function pickSchedule() {
  const B = S.book;
  const order = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const days = order.filter((d) => !S.service.days.length || S.service.days.includes(d));
  render(`<h2>${esc(t("weekdaysQ"))}</h2><p class="notice">${esc(tripLine(B))}</p>
    <fieldset><legend>${esc(t("weekdaysQ"))}</legend>${days.map((d) => `<label class="check"><input type="checkbox" name="wd" value="${d}" ${B.weekdays.includes(d) ? "checked" : ""}> ${esc(t("wdLong")[d])}</label>`).join("")}</fieldset>
    <fieldset><legend>${esc(t("when"))}</legend>
      <label class="check"><input type="radio" name="rule" value="pickup_after" ${B.rule === "pickup_after" ? "checked" : ""}> ${esc(t("leaveAt"))}</label>
      <label class="check"><input type="radio" name="rule" value="dropoff_before" ${B.rule === "dropoff_before" ? "checked" : ""}> ${esc(t("arriveBy"))}</label>
    </fieldset>
    <label for="time">${esc(t("time"))}</label><input id="time" type="time" step="300" value="${esc(B.time)}" aria-describedby="when-err">
    <div id="when-err" aria-live="polite"></div><div id="err"></div>
    <button type="button" class="primary big" id="next">${esc(B.fixedParty ? t("createStanding") : t("next"))}</button>
    <button type="button" id="back">${esc(t("back"))}</button>`, t("weekdaysQ"));
  clearOnChange();
  $("#next").addEventListener("click", () => {
    B.weekdays = [...main().querySelectorAll("input[name=wd]:checked")].map((c) => c.value);
    B.rule = main().querySelector("input[name=rule]:checked").value;
    B.time = $("#time").value || B.time;
    const box = $("#when-err");
    if (!B.weekdays.length) { box.innerHTML = `<p class="error" role="alert" id="when-msg">${esc(t("pickWeekday"))}</p>`; return; }
    if (!inHours(B.time)) { box.innerHTML = `<p class="error" role="alert" id="when-msg">${esc(t("outsideHours", hoursText()))}</p>`; return; }
    if (B.fixedParty) createStanding($("#next")); else goStep("who");
  });
  $("#back").addEventListener("click", () => (B.fixedParty ? history.back() : goStep("to")));
}

function party() {
  const B = S.book;
  if (B.fixedParty) return { ...B.fixedParty };
  const p = { adults: B.adults + (B.meWheel ? 0 : 1), children: B.children, infants: B.infants, wheelchairs: B.meWheel ? 1 : 0 };
  for (const m of S.family) {
    if (!B.fam.has(m.id)) continue;
    if (m.wheelchair) p.wheelchairs += 1;
    else if (m.category === "child") p.children += 1;
    else if (m.category === "infant") p.infants += 1;
    else p.adults += 1;
  }
  return p;
}
function stepper(key, label) {
  return `<div class="stepper" role="group" aria-labelledby="lbl-${key}"><span class="name" id="lbl-${key}">${esc(label)}</span>
    <button type="button" data-less="${key}" aria-label="${esc(t("less", label))}">−</button>
    <output id="n-${key}" aria-live="polite" aria-labelledby="lbl-${key}">${S.book[key]}</output>
    <button type="button" data-more="${key}" aria-label="${esc(t("more", label))}">＋</button></div>`;
}
function pickWho() {
  const B = S.book;
  const fam = S.family.length ? `<fieldset><legend>${esc(t("familyPick"))}</legend>${S.family.map((m) => `<label class="check"><input type="checkbox" data-fam="${m.id}" ${B.fam.has(m.id) ? "checked" : ""}> ${esc(m.name)}（${esc(t(m.category))}${m.wheelchair ? "・" + esc(t("wheel")) : ""}）</label>`).join("")}</fieldset>` : "";
  const standing = B.mode === "standing";
  render(`<h2>${esc(t("who"))}</h2>
    <p><strong>${esc(t("me"))}</strong>: ${esc(S.me.name)}</p>
    <label class="check"><input type="checkbox" id="mewheel" ${B.meWheel ? "checked" : ""}> ${esc(t("meWheel"))}</label>
    ${fam}${stepper("adults", t("adults"))}${stepper("children", t("children"))}${stepper("infants", t("infants"))}
    <div id="err"></div>
    <button type="button" class="primary big" id="go">${esc(standing ? t("createStanding") : t("seeOffers"))}</button>
    <button type="button" id="back">${esc(t("back"))}</button>`, t("who"));
  main().querySelectorAll("[data-more],[data-less]").forEach((b) => b.addEventListener("click", () => {
    const k = b.dataset.more || b.dataset.less;
    B[k] = Math.max(0, Math.min(9, B[k] + (b.dataset.more ? 1 : -1)));
    $(`#n-${k}`).textContent = B[k];
  }));
  main().querySelectorAll("[data-fam]").forEach((c) => c.addEventListener("change", () => {
    const id = Number(c.dataset.fam); if (c.checked) B.fam.add(id); else B.fam.delete(id);
  }));
  $("#mewheel").addEventListener("change", (e) => { B.meWheel = e.target.checked; });
  $("#back").addEventListener("click", () => goStep("when"));
  $("#go").addEventListener("click", () => (standing ? createStanding($("#go")) : searchOffers($("#go"))));
}
const placeBody = (p) => (p.stop_id ? { stop_id: p.stop_id } : { lat: p.point[0], lon: p.point[1] });
async function searchOffers(btn) {
  const B = S.book; const text = btn.textContent;
  btn.disabled = true; btn.textContent = t("searching");
  try {
    const time = `${B.day}T${B.time}:00${offsetOf(B.day)}`;
    B.result = B.mode === "return"
      ? await api("POST", `/bookings/${encodeURIComponent(B.outbound.id)}/return-offers`, { time, rule: B.rule })
      : await api("POST", "/offers", { origin: placeBody(B.origin), destination: placeBody(B.destination), party: party(), rule: B.rule, time });
    goStep("offers");
  } catch (err) {
    btn.disabled = false; btn.textContent = text; showError("err", err);
  }
}
async function createStanding(btn) {
  const B = S.book; const text = btn.textContent;
  btn.disabled = true;
  try {
    const o = await api("POST", "/standing-orders", { origin: placeBody(B.origin), destination: placeBody(B.destination),
      party: party(), family_member_ids: [...B.fam], rule: B.rule, time: B.time, weekdays: B.weekdays });
    const booked = o.runs.filter((r) => r.status === "booked").length;
    const failed = o.runs.filter((r) => r.status === "failed").length;
    S.flash = t("standingMade", booked, failed); S.book = null; location.hash = "#/standing";
  } catch (err) { btn.disabled = false; btn.textContent = text; showError("err", err); }
}

// Offers in the rider's order (the server ranks them), each shown once; the best says why.
const labelText = (l) => (S.lang === "en" ? l.text_en : l.text_ja);
function rankedOffers(result) {
  const seen = new Set();
  return [...result.offers, ...result.alternatives].sort((a, b) => a.rank - b.rank).filter((o) => {
    const k = [o.pickup_window[0], o.pickup_window[1], o.dropoff_expected, o.fare].join("|");
    if (seen.has(k)) return false; seen.add(k); return true;
  });
}
function offerLabels(o) {
  const reasons = o.labels.filter((l) => l.code !== "recommended").map(labelText);
  const sep = S.lang === "ja" ? "・" : "; ";
  if (S.lang === "en" && reasons.length) reasons[0] = reasons[0].charAt(0).toUpperCase() + reasons[0].slice(1);
  if (o.recommended) {
    return `<p class="rec" id="rec-${esc(o.id)}"><span class="tag rec-tag">${esc(t("recommended"))}</span><span class="why">${esc(reasons.join(sep))}</span></p>`;
  }
  return reasons.length ? `<p class="labels">${esc(reasons.join(sep))}</p>` : "";
}
function offerCard(o, i) {
  const conn = o.connection ? `<dt>${esc(t("connection"))}</dt><dd>${esc(o.connection.route_name || o.connection.name || JSON.stringify(o.connection))}</dd>` : "";
  return `<li class="card offer${o.recommended ? " recommended" : ""}" data-rank="${o.rank}">${offerLabels(o)}
    <h3 id="o-${i}">${esc(t("pickup"))} <span class="big-time">${hm(o.pickup_window[0])}〜${hm(o.pickup_window[1])}</span></h3>
    <dl class="kv"><dt>${esc(t("day"))}</dt><dd>${esc(dayLabel(dayOf(o.pickup_window[0])))}</dd>
    <dt>${esc(t("arrive"))}</dt><dd>${hm(o.dropoff_expected)}${S.lang === "ja" ? "（" : " ("}${esc(t("latest"))} ${hm(o.dropoff_latest)}${S.lang === "ja" ? "）" : ")"}</dd>
    <dt>${esc(t("fare"))}</dt><dd>${esc(t("yen", o.fare))}</dd>${conn}</dl>
    <button type="button" class="${o.recommended ? "primary" : ""}" data-offer="${i}" aria-describedby="o-${i}">${esc(t("chooseOffer"))}</button></li>`;
}
function showOffers() {
  const B = S.book;
  const all = rankedOffers(B.result);
  const head = B.result.offers.length ? t("offersTitle") : all.length ? t("altTitle") : t("noOffers");
  render(`<h2>${esc(head)}</h2><p class="notice">${esc(tripLine(B))}</p><ul class="list">${all.map(offerCard).join("")}</ul>
    <button type="button" id="back">${esc(t("changeTime"))}</button>`, head);
  main().querySelectorAll("[data-offer]").forEach((b) => b.addEventListener("click", () => { B.chosen = all[Number(b.dataset.offer)]; goStep("confirm"); }));
  $("#back").addEventListener("click", () => goStep("when"));
}
function confirmOffer() {
  const B = S.book; const o = B.chosen; const p = party();
  const repeat = B.mode === "repeat";
  const head = repeat ? t("repeatTitle") : t("confirmTitle");
  render(`<h2>${esc(head)}</h2><div class="card${o.recommended ? " recommended" : ""}">${offerLabels(o)}<dl class="kv">
    <dt>${esc(t("chosenFrom"))}</dt><dd>${esc(placeName(B.origin.stop_id, B.origin.point))}</dd>
    <dt>${esc(t("chosenTo"))}</dt><dd>${esc(placeName(B.destination.stop_id, B.destination.point))}</dd>
    <dt>${esc(t("day"))}</dt><dd id="confirm-day">${esc(dayLabel(dayOf(o.pickup_window[0])))}</dd>
    <dt>${esc(t("pickup"))}</dt><dd class="big-time" id="confirm-window">${hm(o.pickup_window[0])}〜${hm(o.pickup_window[1])}</dd>
    <dt>${esc(t("arrive"))}</dt><dd>${hm(o.dropoff_expected)}</dd>
    <dt>${esc(t("who"))}</dt><dd>${esc(t("persons", partySize(p)))}</dd>
    <dt>${esc(t("fare"))}</dt><dd>${esc(t("yen", o.fare))}</dd></dl></div>
    <div id="err"></div>
    <button type="button" class="primary big" id="ok">${esc(t("confirm"))}</button>
    ${repeat ? `<button type="button" id="others">${esc(t("otherOffers"))}</button><button type="button" id="other-day">${esc(t("otherDay"))}</button>` : ""}
    <button type="button" id="back">${esc(t("back"))}</button>`, head);
  const key = `web-${o.id}`;
  $("#ok").addEventListener("click", async () => {
    $("#ok").disabled = true;
    try {
      const b = await api("POST", "/bookings", { offer_id: o.id }, { "Idempotency-Key": key });
      // The booked page says 「予約しました」 in its heading; no toast over its 帰りも予約 button.
      S.book = null; location.hash = `#/trip/${b.id}`;
    } catch (err) { $("#ok").disabled = false; showError("err", err); }
  });
  if (repeat) {
    $("#others").addEventListener("click", () => goStep("offers"));
    $("#other-day").addEventListener("click", () => goStep("when"));
  }
  $("#back").addEventListener("click", () => (repeat ? (location.hash = "#/home") : goStep("offers")));
}

// ---------------------------------------------------------------- いつもの便, 帰りも予約, from a booking
async function bookingBook(id, extra) {
  await ensureMe();
  S.family = await api("GET", "/family");
  const b = await api("GET", `/bookings/${encodeURIComponent(id)}`);
  return [b, newBook({ origin: placeOf(b.origin_stop_id, b.origin), destination: placeOf(b.destination_stop_id, b.destination),
                       rule: b.rule, time: hm(b.requested_time), fixedParty: partyOf(b), ...extra })];
}
// Two taps: the usual trip on the home screen, then 「予約を確定する」 on the best offer of the next free day.
async function repeat(id) {
  const [, B] = await bookingBook(id, { mode: "repeat" });
  S.book = B;
  render(`<h2>${esc(t("repeatTitle"))}</h2><p>${esc(t("searching"))}</p>`, t("repeatTitle"));
  try {
    B.result = await api("POST", `/bookings/${encodeURIComponent(id)}/repeat-offers`, {});
  } catch (err) {
    B.step = "when"; bookStep(); showError("err", err); return;
  }
  B.day = B.result.day;
  const all = rankedOffers(B.result);
  if (!all.length) { goStep("offers"); return; }
  B.chosen = all[0]; goStep("confirm");
}
async function startReturn(id) {
  const [b, B] = await bookingBook(id, { mode: "return", step: "when", rule: "pickup_after" });
  B.origin = placeOf(b.destination_stop_id, b.destination); B.destination = placeOf(b.origin_stop_id, b.origin);
  B.outbound = b;
  // Default: an hour after the outward trip arrives, on the same day.
  const back = roundedAt(new Date(new Date(b.dropoff_latest).getTime() + 3600000), 10);
  B.day = b.service_day; B.time = back.day === b.service_day ? back.time : B.time;
  S.book = B; bookStep();
}
async function startStanding(fromId) {
  await ensureMe();
  if (!fromId) { S.family = await api("GET", "/family"); S.book = newBook({ mode: "standing" }); bookStep(); return; }
  const [b, B] = await bookingBook(fromId, { mode: "standing", step: "when" });
  const wd = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", weekday: "short" }).format(new Date(`${b.service_day}T12:00:00Z`)).toLowerCase();
  B.weekdays = [wd]; S.book = B; bookStep();
}
// A day a standing order could not book: the same trip that day, at a time the rider picks.
async function startRebook(orderId, day) {
  await ensureMe();
  S.family = await api("GET", "/family");
  const o = await api("GET", `/standing-orders/${encodeURIComponent(orderId)}`);
  S.book = newBook({ step: "when", origin: placeOf(o.origin_stop_id, o.origin), destination: placeOf(o.destination_stop_id, o.destination),
                     rule: o.rule, day, time: o.time, fixedParty: { adults: o.party.adults, children: o.party.children, infants: o.party.infants, wheelchairs: o.party.wheelchairs } });
  bookStep();
}

// ---------------------------------------------------------------- a booking: ticket, live ETA, cancel
async function trip(id) {
  await ensureMe();
  const b = await api("GET", `/bookings/${encodeURIComponent(id)}`);
  const from = placeName(b.origin_stop_id, b.origin); const to = placeName(b.destination_stop_id, b.destination);
  const open = b.status === "confirmed" || b.status === "onboard";
  const cancelMin = S.service.booking.cancel_notice_min;
  render(`<h2>${esc(t(b.status === "confirmed" ? "booked" : "myTrips"))}</h2>
    <div class="card"><dl class="kv">
      <dt>${esc(t("status"))}</dt><dd><span class="status-badge ${esc(b.status)}" id="trip-status">${esc(t("st")[b.status] || b.status)}</span></dd>
      <dt>${esc(t("day"))}</dt><dd>${esc(dayLabel(b.service_day))}</dd>
      <dt>${esc(t("chosenFrom"))}</dt><dd>${esc(from)}</dd><dt>${esc(t("chosenTo"))}</dt><dd>${esc(to)}</dd>
      <dt>${esc(t("window"))}</dt><dd class="big-time" id="window">${hm(b.pickup_window[0])}〜${hm(b.pickup_window[1])}</dd>
      <dt>${esc(t("fare"))}</dt><dd>${esc(t("yen", b.fare))}</dd></dl></div>
    <div id="again"></div>
    ${open ? `<section aria-labelledby="live-h"><h3 id="live-h">${esc(t("live"))}</h3><div id="live"><p>${esc(t("noEta"))}</p></div></section>
      <section aria-labelledby="tk-h"><h3 id="tk-h">${esc(t("ticket"))}</h3><div class="ticket" id="ticket"><p>${esc(t("loading"))}</p></div></section>
      <section aria-labelledby="cx-h"><h3 id="cx-h">${esc(t("cancel"))}</h3><p id="cancel-rule">${esc(t("cancelRule", cancelMin))}</p>
      <div id="cancel-box"><button type="button" class="danger" id="cancel">${esc(t("cancel"))}</button></div><div id="err"></div></section>` : ""}
    ${b.status !== "cancelled" ? `<a class="button" id="make-standing" href="#/standing/from/${esc(b.id)}">${esc(t("makeStanding"))}</a>` : ""}
    <a class="button" href="#/trips">${esc(t("myTrips"))}</a><a class="button" href="#/home">${esc(t("back"))}</a>${phoneLine()}`, t("myTrips"));
  if (!open) return;
  offerReturn(b);
  api("GET", `/bookings/${encodeURIComponent(id)}/ticket`).then((tk) => {
    $("#ticket").innerHTML = `<div role="img" aria-label="${esc(t("ticket"))} QR">${tk.svg}</div>
      <p>${esc(t("code"))}: <span class="code" id="short-code">${esc(tk.code)}</span></p><p>${esc(t("ticketHint"))}</p>`;
  }).catch(() => { const el = $("#ticket"); if (el) el.innerHTML = `<p>${esc(t("noTicket"))}</p>`; });
  $("#cancel").addEventListener("click", () => {
    $("#cancel-box").innerHTML = `<p class="error" role="alert">${esc(t("cancelSure"))}</p>
      <button type="button" class="danger primary" id="cancel-yes">${esc(t("cancelYes"))}</button>
      <button type="button" id="cancel-no">${esc(t("cancelNo"))}</button>`;
    $("#cancel-no").focus();
    $("#cancel-no").addEventListener("click", () => trip(id));
    $("#cancel-yes").addEventListener("click", async () => {
      try { await api("POST", `/bookings/${encodeURIComponent(id)}/cancel`); say(t("cancelled")); await trip(id); }
      catch (err) { showError("err", err); }
    });
  });
  const live = async () => {
    let eta;
    try { eta = await api("GET", `/bookings/${encodeURIComponent(id)}/eta`); } catch { return; }
    const el = $("#live"); if (!el) return;
    const today = ymd(now()) === b.service_day;
    if (!today || !eta.eta) { el.innerHTML = `<p>${esc(t("noEta"))}</p>`; return; }
    // The vehicle may reach the stop early, but it waits for the promised window to open.
    let at = eta.eta;
    if (eta.eta_kind !== "dropoff" && new Date(at) < new Date(b.pickup_window[0])) at = b.pickup_window[0];
    const mins = Math.round((new Date(at).getTime() - now().getTime()) / 60000);
    const label = eta.eta_kind === "dropoff" ? t("etaDrop") : t("eta");
    let map = "";
    if (eta.vehicle_position) {
      const geo = await roads(); const P = projection(600);
      const [vx, vy] = P.xy(eta.vehicle_position.lat, eta.vehicle_position.lon);
      const stop = b.origin_stop_id ? S.stopById[b.origin_stop_id] : { lat: b.origin[0], lon: b.origin[1] };
      const [sx, sy] = P.xy(stop.lat, stop.lon);
      map = mapSvg(P, geo, t("vehicleMap"), `<rect x="${sx - 12}" y="${sy - 12}" width="24" height="24" fill="#0b3d91" stroke="#fff" stroke-width="4"/>
        <circle id="vehicle" cx="${vx.toFixed(1)}" cy="${vy.toFixed(1)}" r="16" fill="#ffd23f" stroke="#111" stroke-width="5"/>`);
    }
    // A promise at risk (the engine's timetable): said plainly, in the rider's language.
    const risk = eta.at_risk ? `<p id="at-risk" class="risk ${eta.at_risk.level === "late" ? "late" : "soon"}" role="status">${
      esc(S.lang === "en" ? eta.at_risk.message_en : eta.at_risk.message_ja)}</p>` : "";
    el.innerHTML = `${risk}<p>${esc(label)}</p><p class="eta"><span id="eta-time">${hm(at)}</span>（${esc(t("minutes", mins))}）</p>
      ${eta.stops_before !== undefined ? `<p id="stops-before">${esc(t("stopsBefore", eta.stops_before))}</p>` : ""}${map}`;
    const st = $("#trip-status"); if (st) st.textContent = t("st")[eta.status] || eta.status;
  };
  live();
  S.timers.push(setInterval(live, POLL_MS));
}

// 帰りも予約: a booking with no trip the other way that day offers to book the way back.
function samePlace(stopA, pointA, stopB, pointB) {
  if (stopA || stopB) return stopA === stopB;
  return Math.abs(pointA[0] - pointB[0]) < 1e-4 && Math.abs(pointA[1] - pointB[1]) < 1e-4;
}
async function offerReturn(b) {
  if (b.status !== "confirmed") return;
  let list;
  try { list = await api("GET", "/bookings?limit=100"); } catch { return; }
  const back = list.some((x) => x.id !== b.id && x.service_day === b.service_day && x.status !== "cancelled"
    && samePlace(x.origin_stop_id, x.origin, b.destination_stop_id, b.destination)
    && samePlace(x.destination_stop_id, x.destination, b.origin_stop_id, b.origin));
  const box = $("#again");
  if (back || !box) return;
  box.innerHTML = `<section class="card" aria-labelledby="ret-h"><h3 id="ret-h">${esc(t("returnAsk"))}</h3>
    <p>${esc(t("returnOf", placeName(b.destination_stop_id, b.destination), placeName(b.origin_stop_id, b.origin)))}</p>
    <a class="button primary" id="return-btn" href="#/return/${esc(b.id)}">${esc(t("returnBtn"))}</a></section>`;
}

async function trips() {
  await ensureMe();
  const [list, notices] = await Promise.all([api("GET", "/bookings"), api("GET", "/standing-orders/notices").catch(() => [])]);
  const open = list.filter((b) => b.status === "confirmed" || b.status === "onboard");
  const past = list.filter((b) => !open.includes(b));
  const item = (b) => `<li><a class="button" href="#/trip/${esc(b.id)}">${esc(dayLabel(b.service_day))} ${hm(b.pickup_window[0])}<br>
    ${esc(placeName(b.origin_stop_id, b.origin))} → ${esc(placeName(b.destination_stop_id, b.destination))}<br>
    <span class="status-badge ${esc(b.status)}">${esc(t("st")[b.status] || b.status)}</span>${b.channel === "standing" ? ` <span class="tag">${esc(t("standingTitle"))}</span>` : ""}</a></li>`;
  render(`<h2>${esc(t("myTrips"))}</h2>${noticesHtml(notices)}<h3>${esc(t("upcoming"))}</h3>
    ${open.length ? `<ul class="list">${open.map(item).join("")}</ul>` : `<p>${esc(t("noTrips"))}</p>`}
    <h3>${esc(t("past"))}</h3>${past.length ? `<ul class="list">${past.map(item).join("")}</ul>` : `<p>${esc(t("noTrips"))}</p>`}
    <a class="button primary" href="#/book">${esc(t("bookTrip"))}</a><a class="button" href="#/standing">${esc(t("standing"))}</a>
    <a class="button" href="#/home">${esc(t("back"))}</a>`, t("myTrips"));
  wireNotices(trips);
}

async function family() {
  await ensureMe();
  S.family = await api("GET", "/family");
  render(`<h2>${esc(t("familyTitle"))}</h2>
    ${S.family.length ? `<ul class="list">${S.family.map((m) => `<li class="card"><strong>${esc(m.name)}</strong>（${esc(t(m.category))}${m.wheelchair ? "・" + esc(t("wheel")) : ""}）
      <button type="button" class="danger" data-del="${m.id}">${esc(t("remove", m.name))}</button></li>`).join("")}</ul>` : `<p>${esc(t("noFamily"))}</p>`}
    <h3>${esc(t("addFamily"))}</h3><form id="f" novalidate>
    <label for="fname">${esc(t("name"))}</label><input id="fname" type="text" required>
    <label for="fcat">${esc(t("category"))}</label><select id="fcat"><option value="adult">${esc(t("adult"))}</option><option value="child">${esc(t("child"))}</option><option value="infant">${esc(t("infant"))}</option></select>
    <label class="check"><input type="checkbox" id="fwheel"> ${esc(t("wheel"))}</label>
    <div id="err"></div><button type="submit" class="primary">${esc(t("addFamily"))}</button></form>
    <a class="button" href="#/home">${esc(t("back"))}</a>`, t("familyTitle"));
  main().querySelectorAll("[data-del]").forEach((b) => b.addEventListener("click", async () => {
    await api("DELETE", `/family/${b.dataset.del}`); family();
  }));
  $("#f").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/family", { name: $("#fname").value, category: $("#fcat").value, wheelchair: $("#fwheel").checked });
      family();
    } catch (err) { showError("err", err); }
  });
}

// ---------------------------------------------------------------- routing and start
function applyLang() {
  document.documentElement.lang = S.lang;
  $("#lang").textContent = t("switchLang");
  $("#lang").setAttribute("aria-label", t("switchLabel"));
  $("#home-link").textContent = t("title");
}
async function route() {
  const h = location.hash || "#/";
  const needs = !["#/welcome", "#/signin", "#/signup"].includes(h);
  if (h !== "#/book") S.book = null;
  try {
    if (needs && !S.token) return welcome();
    if (h === "#/welcome") return welcome();
    if (h === "#/signin") return signin();
    if (h === "#/signup") return signup();
    if (h === "#/book") return await book();
    if (h === "#/trips") return await trips();
    if (h === "#/standing") return await standing();
    if (h === "#/standing/new") return await startStanding(null);
    if (h.startsWith("#/standing/from/")) return await startStanding(decodeURIComponent(h.slice(16)));
    if (h.startsWith("#/repeat/")) return await repeat(decodeURIComponent(h.slice(9)));
    if (h.startsWith("#/return/")) return await startReturn(decodeURIComponent(h.slice(9)));
    if (h.startsWith("#/rebook/")) {
      const [orderId, day] = h.slice(9).split("/").map(decodeURIComponent);
      return await startRebook(orderId, day);
    }
    if (h === "#/family") return await family();
    if (h.startsWith("#/trip/")) return await trip(decodeURIComponent(h.slice(7)));
    return await home();
  } catch (err) {
    render(`<p class="error" role="alert">${esc(err.message || err)}</p><a class="button" href="#/home">${esc(t("back"))}</a>`, t("error"));
  }
}
$("#lang").addEventListener("click", () => {
  S.lang = S.lang === "ja" ? "en" : "ja"; localStorage.setItem("lang", S.lang); applyLang();
  if (S.book) bookStep(); else route();
});
window.addEventListener("hashchange", route);
(async () => {
  applyLang();
  try { await loadBasics(); } catch (err) { main().innerHTML = `<p class="error" role="alert">${esc(err.message)}</p>`; return; }
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
  route();
})();
