/* noriai rider app: standing orders (定期予約) and their notices. Uses app.js's helpers (plain JS). */
"use strict";

// Days a standing order could not book, shown at the top of the booking list until dismissed.
function noticesHtml(notices) {
  if (!notices.length) return "";
  const line = (n) => t("noticeLine", dayLabel(n.day), n.time, placeName(n.origin_stop_id, null), placeName(n.destination_stop_id, null));
  return `<section class="notices" aria-labelledby="nt-h"><h3 id="nt-h">${esc(t("notices"))}</h3><ul class="list">
    ${notices.map((n) => `<li class="card alert-card" id="notice-${n.id}"><p><strong>${esc(line(n))}</strong></p>
      <p>${esc(S.lang === "en" ? n.message_en : n.message_ja)}</p>
      <a class="button primary" href="#/rebook/${encodeURIComponent(n.order_id)}/${esc(n.day)}">${esc(t("bookOther"))}</a>
      <button type="button" data-dismiss="${n.id}">${esc(t("dismiss"))}</button></li>`).join("")}</ul></section>`;
}
function wireNotices(again) {
  main().querySelectorAll("[data-dismiss]").forEach((b) => b.addEventListener("click", async () => {
    try { await api("POST", `/standing-orders/notices/${b.dataset.dismiss}/dismiss`); await again(); }
    catch (err) { say(err.message); }
  }));
}

function runLine(r) {
  const day = esc(dayLabel(r.day));
  if (r.status === "booked") {
    const when = r.pickup_window ? `${hm(r.pickup_window[0])}〜${hm(r.pickup_window[1])}` : "";
    const cancelled = r.booking_status === "cancelled" ? ` <span class="status-badge cancelled">${esc(t("st").cancelled)}</span>` : "";
    return `<li><a href="#/trip/${esc(r.booking_id)}">${day} ${esc(when)}</a>${cancelled}</li>`;
  }
  if (r.status === "failed") return `<li class="failed">${day}${esc(t("colon"))}${esc(S.lang === "en" ? r.message_en : r.message_ja)}</li>`;
  return `<li>${day}</li>`;
}
function orderCard(o) {
  const from = placeName(o.origin_stop_id, o.origin); const to = placeName(o.destination_stop_id, o.destination);
  const people = t("persons", partySize(o.party)) + (o.family_names.length ? `（${o.family_names.join("、")}）` : "");
  const booked = o.runs.filter((r) => r.status === "booked"); const failed = o.runs.filter((r) => r.status === "failed");
  const list = (title, items, cls) => (items.length ? `<h4>${esc(title)}</h4><ul class="${cls}">${items.join("")}</ul>` : "");
  return `<li class="card standing${o.active ? "" : " stopped"}" id="order-${esc(o.id)}" aria-labelledby="oh-${esc(o.id)}">
    <h3 id="oh-${esc(o.id)}">${esc(t("everyWeek", weekdaysText(o.weekdays)))} ${esc(ruleText(o.rule, o.time))}${o.active ? "" : ` <span class="status-badge cancelled">${esc(t("inactive"))}</span>`}</h3>
    <p>${esc(from)} → ${esc(to)}</p><p class="hint">${esc(people)}</p>
    ${list(t("bookedDays"), booked.map(runLine), "days")}
    ${list(t("failedDays"), failed.map(runLine), "days")}
    ${list(t("pendingDays"), o.pending.map((d) => `<li>${esc(dayLabel(d))}</li>`), "days")}
    ${list(t("skippedDays"), o.skipped.map((k) => `<li>${esc(dayLabel(k.day))}${esc(t("colon"))}${esc(S.lang === "en" ? k.message_en : k.message_ja)}</li>`), "days")}
    ${o.active ? `<div id="stop-box-${esc(o.id)}"><button type="button" class="danger" data-stop-order="${esc(o.id)}">${esc(t("stopStanding"))}</button></div>` : ""}</li>`;
}
async function standing() {
  await ensureMe();
  const list = await api("GET", "/standing-orders");
  const flash = S.flash ? `<p class="notice" role="status" id="flash">${esc(S.flash)}</p>` : "";
  S.flash = "";
  render(`<h2>${esc(t("standingTitle"))}</h2>${flash}<p class="hint">${esc(t("standingHint"))}</p>
    ${list.length ? `<ul class="list" id="orders">${list.map(orderCard).join("")}</ul>` : `<p>${esc(t("standingNone"))}</p>`}
    <div id="err"></div>
    <a class="button primary" href="#/standing/new" id="new-order">${esc(t("standingNew"))}</a>
    <a class="button" href="#/home">${esc(t("back"))}</a>${phoneLine()}`, t("standingTitle"));
  main().querySelectorAll("[data-stop-order]").forEach((b) => b.addEventListener("click", () => {
    const id = b.dataset.stopOrder; const box = document.getElementById(`stop-box-${id}`);
    box.innerHTML = `<p class="error" role="alert">${esc(t("stopSure"))}</p>
      <button type="button" class="danger primary" id="stop-yes">${esc(t("stopYes"))}</button>
      <button type="button" id="stop-no">${esc(t("stopNo"))}</button>`;
    $("#stop-no").focus();
    $("#stop-no").addEventListener("click", () => standing());
    $("#stop-yes").addEventListener("click", async () => {
      try { await api("DELETE", `/standing-orders/${encodeURIComponent(id)}`); S.flash = t("stopped"); await standing(); }
      catch (err) { showError("err", err); }
    });
  }));
}
