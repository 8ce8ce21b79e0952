// Texts of the driver app: Japanese first, English on the toggle. t(key, vars) fills {name}s.

const TEXTS = {
  ja: {
    title: "乗合 ドライバー", vehicle_id: "車両ID", password: "パスワード", sign_in: "ログイン",
    login_example: "例: {id}",
    sign_out: "ログアウト", online: "オンライン", offline: "オフライン",
    outbox_offline: "オフライン — {n}件の操作を送信待ち", outbox_online: "送信中 — {n}件の操作を送信待ち",
    next_stop: "次の乗り場", eta: "到着予定", window: "迎え", latest: "降車期限",
    board: "乗車", alight: "降車", no_show: "不乗車", no_show_at: "{t}から",
    arrived: "到着", departed: "出発", arrived_mark: "到着済み", navigate: "ナビで開く",
    map_next: "次まで", map_all: "全体", later: "この後の予定", none: "今日の予定はありません",
    off_shift: "今日の勤務はありません", adults: "大人{n}", children: "子ども{n}", infants: "乳幼児{n}",
    wheelchair: "車いす{n}", persons: "{n}名", onboard: "乗車中 {n}名", notes: "メモ",
    sama: "様", pending: "送信待ち", sent: "送信済み",
    new_stop: "新しい予定", changed_stop: "予定の変更", cancelled_stop: "取り消し",
    notice_ok: "確認", board_title: "乗車の確認", code_label: "乗車券の番号（またはQRの文字列）",
    check: "確認する", confirm_board: "乗車を記録", board_without: "乗車券なしで乗車",
    close: "閉じる", scan: "カメラで読み取る", scan_stop: "読み取りを止める",
    scan_none: "この端末ではカメラ読み取りが使えません。番号を入力してください。",
    checked_in: "乗車を記録しました",
    queued: "オフラインのため送信待ちにしました", failed: "送信できませんでした：{m}",
    login_failed: "ログインできません：{m}", pickup: "乗", dropoff: "降", kind_pickup: "乗車",
    kind_dropoff: "降車", at_stop: "{name}", no_sync: "乗車券の情報がまだありません（オンラインで同期してください）",
    break_planned: "休憩 {t}から", break_start: "休憩を開始", break_on: "休憩中（{t}まで）",
    break_online: "休憩の開始にはオンライン接続が必要です",
    moved_stop: "他の車両へ移動", removed_stop: "予定から外れました",
    window_changed: "迎えの時間帯の変更", next_changed: "次の乗り場の変更",
    no_show_after_arrival: "到着後", arrive_first: "不乗車は、乗り場への到着を記録してからです",
    confirm_no_show_title: "不乗車の確認", confirm_no_show: "{who}（{party}）を不乗車として記録しますか？",
    waited: "到着 {t}（{m}分待機）", record_no_show: "不乗車を記録", back: "戻る",
    call: "電話", call_who: "{who}に電話する", no_phone: "電話番号の登録がありません",
    no_show_done: "{who}を不乗車にしました", undo: "元に戻す", undo_left: "元に戻す（{s}秒）",
    undo_done: "不乗車を取り消しました", undo_online: "取り消しにはオンライン接続が必要です",
    fare: "運賃 {f}", fare_free: "運賃なし", unpaid: "未収", paid_cash_onboard: "現金受領済み",
    prepaid: "支払済み（事前）", collect_cash: "現金受領", confirm_cash_title: "運賃の受領",
    confirm_cash: "{who}から現金 {f} を受け取りましたか？", record_cash: "受領を記録",
    cash_recorded: "受領を記録しました", yen: "{n}円", ticket_of: "{who}の乗車券です",
    other_rider_here: "この乗り場の別の方（{who}）の乗車券です。その方の乗車を記録します。",
    boards_at: "乗車: {stop} {a}–{b}", booked_for: "予約日: {d}",
    leave_by: "出発目安", left_min: "あと{n}分", left_hm: "あと{h}時間{m}分",
    leave_passed: "出発時刻を過ぎています", on_the_way: "出発済み",
    late_banner: "約{n}分遅れ", late_count: "約束の時刻に遅れる見込みの予約 {n}件",
    risk_count: "遅れる恐れのある予約 {n}件", overrun: "勤務終了を約{n}分超える見込み",
    late_badge: "約{n}分遅れ", risk_badge: "遅れの恐れ",
    depot: "帰庫", shift_end: "終業", all_done: "今日の予定はすべて終わりました",
    confirm_depot_title: "帰庫の確認", confirm_depot: "車庫に戻ったことを記録しますか？",
    record_depot: "帰庫を記録", depot_done: "帰庫を記録しました",
    confirm_shift_end_title: "終業の確認", confirm_shift_end: "今日の勤務を終えますか？",
    confirm_shift_end_extra: "終業すると、この車両には今日の予約が入らなくなります。",
    record_shift_end: "終業する", shift_over: "本日の勤務は終了しました。お疲れさまでした。",
    refused_depot: "帰庫を記録できません", refused_shift_end: "終業できません",
    needs_online: "帰庫・終業の記録にはオンライン接続が必要です",
    outbox_first: "送信待ちの操作があります。送信できてからもう一度押してください。",
  },
  en: {
    title: "noriai driver", vehicle_id: "Vehicle ID", password: "Password", sign_in: "Sign in",
    login_example: "e.g. {id}",
    sign_out: "Sign out", online: "Online", offline: "Offline",
    outbox_offline: "Offline — {n} action(s) waiting to be sent",
    outbox_online: "Sending — {n} action(s) waiting", next_stop: "Next stop", eta: "ETA",
    window: "Window", latest: "Drop-off by", board: "Board", alight: "Alight", no_show: "No-show",
    no_show_at: "from {t}", arrived: "Arrived", departed: "Depart",
    arrived_mark: "Arrived", navigate: "Navigate", map_next: "Next", map_all: "Whole run",
    later: "Later stops", none: "No stops today", off_shift: "No shift today", adults: "{n} adult(s)",
    children: "{n} child(ren)", infants: "{n} infant(s)", wheelchair: "{n} wheelchair(s)",
    persons: "{n} pax", onboard: "On board: {n}", notes: "Note", sama: "", pending: "waiting to send",
    sent: "sent", new_stop: "New stop", changed_stop: "Changed", cancelled_stop: "Cancelled",
    notice_ok: "OK", board_title: "Boarding", code_label: "Ticket code (or the QR text)",
    check: "Check", confirm_board: "Record boarding", board_without: "Board without ticket",
    close: "Close", scan: "Scan with camera", scan_stop: "Stop scanning",
    scan_none: "Camera scanning is not available on this device: type the code.",
    checked_in: "Boarding recorded",
    queued: "Offline: queued to send", failed: "Could not send: {m}",
    login_failed: "Cannot sign in: {m}", pickup: "P", dropoff: "D", kind_pickup: "Pickup",
    kind_dropoff: "Drop-off", at_stop: "{name}", no_sync: "No ticket data yet (sync online first)",
    break_planned: "Break from {t}", break_start: "Start break", break_on: "On break (until {t})",
    break_online: "Starting a break needs a connection",
    moved_stop: "Moved to another vehicle", removed_stop: "No longer on this run",
    window_changed: "Pickup window changed", next_changed: "Next stop changed",
    no_show_after_arrival: "after arrival", arrive_first: "Report arrival at the stop before a no-show",
    confirm_no_show_title: "Record a no-show?", confirm_no_show: "Record {who} ({party}) as a no-show?",
    waited: "Arrived {t} (waited {m} min)", record_no_show: "Record no-show", back: "Back",
    call: "Call", call_who: "Call {who}", no_phone: "No phone number on file",
    no_show_done: "{who} recorded as a no-show", undo: "Undo", undo_left: "Undo ({s} s left)",
    undo_done: "No-show undone", undo_online: "Undoing needs a connection",
    fare: "Fare {f}", fare_free: "No fare", unpaid: "to collect", paid_cash_onboard: "paid in cash",
    prepaid: "prepaid", collect_cash: "Cash paid", confirm_cash_title: "Fare received",
    confirm_cash: "Did you receive {f} in cash from {who}?", record_cash: "Record payment",
    cash_recorded: "Payment recorded", yen: "¥{n}", ticket_of: "Ticket of {who}",
    other_rider_here: "Ticket of another rider at this stop ({who}): boarding is recorded for them.",
    boards_at: "Boards at {stop} {a}–{b}", booked_for: "Booked for {d}",
    leave_by: "Leave by", left_min: "{n} min left", left_hm: "{h} h {m} min left",
    leave_passed: "Departure time passed", on_the_way: "On the way",
    late_banner: "About {n} min late", late_count: "Bookings expected late: {n}",
    risk_count: "Bookings at risk of being late: {n}", overrun: "Shift expected to run about {n} min over",
    late_badge: "~{n} min late", risk_badge: "May be late",
    depot: "Back at depot", shift_end: "End shift", all_done: "All of today's stops are done",
    confirm_depot_title: "Back at the depot?", confirm_depot: "Record that the vehicle is back at its depot?",
    record_depot: "Record back at depot", depot_done: "Back at depot recorded",
    confirm_shift_end_title: "End your shift?", confirm_shift_end: "End today's shift?",
    confirm_shift_end_extra: "Once ended, this vehicle takes no more bookings today.",
    record_shift_end: "End shift", shift_over: "Your shift is over for today. Thank you.",
    refused_depot: "Cannot record back at depot", refused_shift_end: "Cannot end the shift",
    needs_online: "Recording back at depot or the end of the shift needs a connection",
    outbox_first: "Some actions are still waiting to be sent: press again once they are sent.",
  },
};

let current = localStorage.getItem("noriai.driver.lang") === "en" ? "en" : "ja";

/** The language in use: "ja" or "en". */
export function lang() {
  return current;
}

/** Switch language (remembered on this device). */
export function setLang(value) {
  current = value === "en" ? "en" : "ja";
  localStorage.setItem("noriai.driver.lang", current);
  document.documentElement.lang = current;
}

/** The text of ``key`` in the current language with {name} placeholders filled. */
export function t(key, vars = {}) {
  const text = TEXTS[current][key] ?? TEXTS.ja[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

/** The Japanese or English one of a pair, e.g. a server message or a stop name. */
export function pick(ja, en) {
  return current === "en" ? en || ja : ja || en;
}
