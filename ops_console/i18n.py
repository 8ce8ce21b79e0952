"""Texts of the operations console: Japanese first, English available."""

from __future__ import annotations

LANGS = ("ja", "en")

#: key -> (Japanese, English)
TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("運行管理コンソール", "Operations console"),
    "language": ("言語 / Language", "言語 / Language"),
    "page_map": ("運行マップ", "Live map"),
    "page_bookings": ("予約", "Bookings"),
    "page_fleet": ("車両・勤務", "Fleet"),
    "page_kpis": ("運行実績 (KPI)", "KPIs"),
    "page_publishing": ("データ公開 (GTFS)", "Publishing (GTFS)"),
    "api_error": ("APIエラー", "API error"),
    "now": ("現在時刻", "Now"),
    "day": ("運行日", "Service day"),
    "refresh_every": ("自動更新（秒）", "Auto-refresh (s)"),
    "vehicle": ("車両", "Vehicle"),
    "vehicles": ("車両", "Vehicles"),
    "status": ("状態", "Status"),
    "rider": ("利用者", "Rider"),
    "all": ("すべて", "All"),
    "legend_roads": ("道路", "Roads"),
    "legend_route": ("予定経路", "Planned route"),
    "legend_stop": ("乗り場", "Stop"),
    "legend_waiting": ("お迎え待ち（時間帯開始済み）", "Waiting for pickup (window open)"),
    "legend_upcoming": ("お迎え予定", "Upcoming pickup"),
    "legend_vehicle": ("車両（乗車人数/定員）", "Vehicle (on board/seats)"),
    "approximate_roads": ("道路網は近似データです（OSM抽出の取り込み前）。",
                          "The road network is the shipped approximation (no OSM extract imported)."),
    "onboard": ("乗車中", "On board"),
    "next_stop": ("次の停車", "Next stop"),
    "eta": ("到着予定", "ETA"),
    "position": ("位置", "Position"),
    "reported": ("報告位置", "reported"),
    "planned": ("計画位置", "planned"),
    "pending_stops": ("残り停車数", "Pending stops"),
    "filters": ("絞り込み", "Filters"),
    "rider_search": ("利用者（氏名・電話）", "Rider (name or phone)"),
    "tab_list": ("予約一覧", "Bookings"),
    "tab_phone": ("電話予約", "Phone booking"),
    "no_bookings": ("該当する予約はありません。", "No bookings match."),
    "select_booking": ("予約を選択", "Choose a booking"),
    "details": ("詳細", "Details"),
    "history": ("履歴", "History"),
    "cancel": ("取消", "Cancel booking"),
    "no_show": ("無断不在（ノーショー）を記録", "Record a no-show"),
    "move_to": ("移動先の車両", "Move to vehicle"),
    "move": ("車両を変更", "Move"),
    "done_cancel": ("予約を取り消しました。", "The booking was cancelled."),
    "done_no_show": ("ノーショーを記録しました。", "The no-show was recorded."),
    "done_move": ("車両を変更しました。", "The booking was moved."),
    "caller_name": ("お名前", "Caller's name"),
    "caller_kana": ("フリガナ", "Name (kana)"),
    "caller_phone": ("電話番号", "Phone number"),
    "origin": ("乗車地", "From"),
    "destination": ("降車地", "To"),
    "date": ("日付", "Date"),
    "time": ("時刻", "Time"),
    "rule": ("時刻の指定", "Time rule"),
    "pickup_after": ("この時刻以降に出発", "Leave at or after"),
    "dropoff_before": ("この時刻までに到着", "Arrive by"),
    "adults": ("大人", "Adults"),
    "children": ("小児", "Children"),
    "infants": ("乳幼児", "Infants"),
    "wheelchairs": ("車いす", "Wheelchairs"),
    "notes": ("備考", "Notes"),
    "find_offers": ("空き状況を検索", "Find offers"),
    "offers": ("ご案内できる便", "Offers"),
    "alternatives": ("別の時刻の候補", "Alternatives at other times"),
    "no_offers": ("ご希望の時刻には空きがありません。", "Nothing available at the asked time."),
    "choose_offer": ("便を選択", "Choose an offer"),
    "confirm_booking": ("この内容で予約する", "Confirm the booking"),
    "booked": ("予約しました", "Booked"),
    "pickup_window": ("お迎え時間帯", "Pickup window"),
    "dropoff_latest": ("到着（遅くとも）", "Arrive at the latest"),
    "fare": ("運賃", "Fare"),
    "fleet_vehicles": ("車両一覧", "Vehicles"),
    "shifts": ("勤務（シフト・休憩）", "Shifts and breaks"),
    "drivers": ("運転手", "Drivers"),
    "gantt": ("運行日の実績と計画（お迎え時間帯つき）", "The day: driven and planned, with promised windows"),
    "gantt_empty": ("この日の計画はまだありません。", "No plans for this day yet."),
    "seats": ("定員", "Seats"),
    "wheelchair_spaces": ("車いす席", "Wheelchair spaces"),
    "depot": ("車庫", "Depot"),
    "active": ("稼働", "Active"),
    "shift_start": ("始業", "Start"),
    "shift_end": ("終業", "End"),
    "break_window": ("休憩可能時間帯", "Break window"),
    "break_minutes": ("休憩（分）", "Break (min)"),
    "driver": ("運転手", "Driver"),
    "name": ("名称", "Name"),
    "login": ("ログインID", "Login"),
    "range_start": ("開始日", "From"),
    "range_end": ("終了日", "To"),
    "kpi_numbers": ("主な指標", "Indicators"),
    "kpi_table": ("指標一覧", "All indicators"),
    "refused_reasons": ("お断り理由", "Refusal reasons"),
    "by_channel": ("予約経路", "Booking channel"),
    "daily": ("日別の推移", "Day by day"),
    "download_csv": ("CSVをダウンロード", "Download CSV"),
    "monthly_report": ("市議会向け月次報告", "Monthly report for the city council"),
    "month": ("対象月", "Month"),
    "make_report": ("報告書を作成", "Build the report"),
    "download_html": ("報告書（HTML・印刷用）", "Report (HTML, printable)"),
    "download_pdf": ("報告書（PDF）", "Report (PDF)"),
    "feed_state": ("GTFSフィードの状態", "State of the GTFS feed"),
    "not_connected": ("未接続：このAPIにはフィード状態の機能がありません。",
                      "Not available: this API has no feed status yet."),
    "last_export": ("最終出力", "Last export"),
    "validation": ("検証結果", "Validation"),
    "valid": ("問題なし", "Valid"),
    "invalid": ("エラーあり", "Errors found"),
    "errors": ("エラー", "Errors"),
    "warnings": ("警告", "Warnings"),
    "reexport": ("フィードを再出力", "Re-export the feed"),
    "exported": ("フィードを再出力しました。", "The feed was exported again."),
    "combined_feed": ("統合フィード（全地域）", "Combined feed (all areas)"),
    "combined_note": ("このデプロイの全地域を1つにまとめたGTFSフィードです（IDは「地域:ID」）。"
                      "地域ごとの設定が変わると自動で作り直されます。",
                      "One GTFS feed of every area of this deployment (ids “area:id”). It is "
                      "rebuilt by itself when any area's configuration changes."),
    "combined_areas": ("含まれる地域", "Areas included"),
    "feed_size": ("サイズ", "Size"),
    "feed_window": ("有効期間", "Valid dates"),
    "combined_link": ("統合フィードをダウンロード", "Download the combined feed"),
    "combined_missing": ("未接続：このAPIには統合フィードがありません。",
                         "Not available: this API has no combined feed."),
    "service_summary": ("公開中のサービス", "Published service"),
    "stops_count": ("乗り場数", "Stops"),
    "hours": ("運行時間", "Hours"),
    # KPIs and the monthly report
    "kpi_bad_range": ("期間が不正です（開始日は終了日以前、最長1年）。",
                      "The range is not valid (the start on or before the end, at most a year)."),
    "kpi_basis": ("すべて運行日（乗車する日）ベースで数えます。依頼数＝予約数＋お断り＋検索のみ。"
                  "各指標の定義は「?」にあります。",
                  "Everything is counted on the service day (the day of the trip). Requests = "
                  "bookings + refused + searched, not booked. Each figure's definition is under "
                  "its “?”."),
    "daily_operating": ("運行日と、記録のある日だけを表示しています。",
                        "Operating days, and any day with records, are shown."),
    "use_district": ("地区別の利用（人）", "Use per district (persons)"),
    "use_stop": ("乗り場別の利用（人）", "Use per stop (persons)"),
    "report_contents": ("運行日ごとの実績、運賃収入、お断り理由、地区別・乗り場別の利用と指標の定義を載せます。",
                        "Each operating day, fare revenue, refusals by reason, use per district "
                        "and per stop, and how each figure is defined."),
    # navigation
    "page_whatif": ("もしもシミュレーション", "What-if simulation"),
    # what-if
    "whatif_intro": ("車両数・勤務・運行時間・お迎え時間幅・最大乗車時間を変えて運行日を模擬し、"
                     "いまの設定（基準）と指標を比べます（1日あたり約15秒）。",
                     "Simulates service days with another fleet, shifts, hours, pickup window or "
                     "ride limit and compares the indicators with today's settings (the base; "
                     "about 15 s per day)."),
    "wi_fleet": ("車両数", "Vehicles"),
    "wi_shifts": ("勤務の組み方", "Shifts"),
    "wi_hours": ("運行時間（例 08:00-17:00）", "Service hours (e.g. 08:00-17:00)"),
    "wi_window": ("お迎え時間幅（分）", "Pickup window (min)"),
    "wi_ride_factor": ("最大乗車時間の倍率（直行比）", "Ride limit (× direct time)"),
    "wi_seeds": ("模擬する日数", "Days to simulate"),
    "wi_run": ("模擬を実行", "Run the simulation"),
    "wi_running": ("模擬中", "Simulating"),
    "wi_base": ("基準（いまの設定）", "Base (current settings)"),
    "wi_variant": ("変更案", "Variant"),
    "wi_indicator": ("指標", "Indicator"),
    "wi_bad_hours": ("運行時間は「08:00-17:00」の形で、開始を終了より前にしてください。",
                     "Give the hours as 08:00-17:00, the start before the end."),
    "wi_failed": ("模擬を実行できませんでした", "The simulation could not run"),
    "shift_as_configured": ("設定どおり", "as configured"),
    "shift_all_day": ("全員が終日", "all vehicles all day"),
    "shift_staggered": ("早番・遅番の交互", "early and late shifts in turn"),
    # phone booking: caller lookup, stop search, messages
    "lookup": ("お客様を検索（電話番号・お名前のかな）", "Find the caller (phone or name in kana)"),
    "lookup_button": ("検索", "Search"),
    "lookup_none": ("該当するお客様はいません。新しいお客様として入力してください。",
                    "No rider matches; enter the caller as a new rider."),
    "lookup_found": ("件見つかりました", "found"),
    "use_caller": ("このお客様で予約", "Book for this caller"),
    "usual_trip": ("いつもの便", "Usual trip"),
    "no_usual_trip": ("いつもの便はまだありません", "No usual trip yet"),
    "usual_times": ("直近{recent}回中{trips}回", "{trips} of the last {recent} trips"),
    "prefilled": ("{name} 様のいつもの便を入力しました。日付と内容をご確認ください。",
                  "Filled in {name}'s usual trip; check the date and details."),
    "caller_set": ("{name} 様の情報を入力しました。", "Filled in {name}'s details."),
    "stop_search": ("乗り場をかなで絞り込み", "Filter stops (kana)"),
    "stop_none": ("「{q}」に合う乗り場がありません。すべての乗り場を表示しています。",
                  "No stop matches “{q}”; all stops are shown."),
    "need_name": ("お名前を入力してください。", "Enter the caller's name."),
    "need_phone": ("電話番号を数字で入力してください（ハイフン可、6桁以上）。",
                   "Enter the phone number in digits (hyphens allowed, at least 6 digits)."),
    "same_stops": ("乗車地と降車地が同じです。", "The pickup and drop-off stops are the same."),
    "need_person": ("乗車する人数を1人以上にしてください。", "At least one person must travel."),
    "booked_line": ("予約しました：{rider} 様　{day} お迎え {a}〜{b}　{origin} → {dest}　{vehicle}",
                    "Booked: {rider}, {day}, pickup {a}–{b}, {origin} → {dest}, {vehicle}"),
    # confirmations
    "confirm_cancel": ("この予約を取り消しますか？", "Cancel this booking?"),
    "confirm_no_show": ("この予約を無断不在（ノーショー）として記録しますか？",
                        "Record this booking as a no-show?"),
    "confirm_yes_cancel": ("はい、取り消します", "Yes, cancel it"),
    "confirm_yes_no_show": ("はい、記録します", "Yes, record it"),
    "confirm_back": ("やめる", "Go back"),
    "confirm_note": ("取り消すと元に戻せません。お客様にもお伝えください。",
                     "This cannot be undone; please tell the rider."),
    "event_other": ("その他の記録", "Other record"),
    # fleet
    "gantt_now": ("現在", "now"),
    "gantt_legend_note": ("薄い色は実績（乗車・走行）、濃い色はこれからの予定。赤い線が現在時刻です。",
                          "Pale marks are what was driven; strong ones are the plan. The red line "
                          "is now."),
    # map and alerts
    "alerts": ("アラート", "Alerts"),
    "alerts_none": ("現在アラートはありません。", "No alerts now."),
    "alert_late": ("遅れ", "Late"),
    "alert_at_risk": ("遅れのおそれ", "At risk"),
    "alert_vehicle_late": ("車両の遅れ", "Vehicle late"),
    "alert_no_show": ("無断不在", "No-show"),
    "alert_pickup": ("お迎え", "pickup"),
    "alert_dropoff": ("到着", "drop-off"),
    "alert_ride": ("乗車時間", "ride time"),
    "alert_minutes": ("{m}分", "{m} min"),
    "legend_vehicles": ("車両（名前・乗車人数/定員）", "Vehicles (name, on board/seats)"),
    # sign-in and accounts
    "sign_in_title": ("運行管理コンソール　ログイン", "Operations console — sign in"),
    "area": ("サービス地域", "Service area"),
    "area_example": ("例示用の地域・実際の運行ではありません", "example area, not a running service"),
    "area_signed_in": ("ログイン済み", "signed in"),
    "sign_in_area": ("アカウントは地域ごとです。選んだ地域のアカウントでログインしてください。",
                     "Accounts belong to a service area: sign in with your account of the area "
                     "chosen."),
    "sign_in_intro": ("ご自分のアカウントでログインしてください。",
                      "Sign in with your own account."),
    "password": ("パスワード", "Password"),
    "sign_in": ("ログイン", "Sign in"),
    "sign_out": ("ログアウト", "Sign out"),
    "signed_in_as": ("ログイン中", "Signed in"),
    "signed_out": ("ログアウトしました。", "You have signed out."),
    "sign_in_missing": ("ログインIDとパスワードを入力してください。",
                        "Enter your login and password."),
    "sign_in_wrong": ("ログインIDまたはパスワードが違います。",
                      "The login or password is wrong."),
    "sign_in_throttled": ("ログインの試行が多すぎます。しばらく待ってからもう一度お試しください。",
                          "Too many sign-in attempts; wait a little and try again."),
    "retry_after": ("約{n}秒後に", "in about {n} s"),
    "session_ended": ("もう一度ログインしてください。", "Please sign in again."),
    "role_operator": ("オペレーター", "Operator"),
    "role_supervisor": ("スーパーバイザー", "Supervisor"),
    "page_accounts": ("アカウント", "Accounts"),
    "page_password": ("パスワード変更", "Change password"),
    "account_role": ("役割", "Role"),
    "account_state": ("状態", "State"),
    "account_created": ("作成日", "Created"),
    "account_enabled": ("有効", "Active"),
    "account_disabled": ("無効", "Disabled"),
    "account_new": ("アカウントを作成", "Create an account"),
    "account_name": ("氏名", "Name"),
    "initial_password": ("初期パスワード（12文字以上）", "Initial password (12+ characters)"),
    "create": ("作成", "Create"),
    "done_create": ("アカウント「{login}」を作成しました。", "The account '{login}' was created."),
    "account_pick": ("アカウントを選択", "Choose an account"),
    "account_change": ("役割・氏名の変更", "Change role or name"),
    "save": ("変更を保存", "Save changes"),
    "done_save": ("変更を保存しました。", "The changes were saved."),
    "account_disable": ("このアカウントを無効にする", "Disable this account"),
    "account_enable": ("このアカウントを有効に戻す", "Enable this account again"),
    "done_disable": ("アカウントを無効にしました。", "The account was disabled."),
    "done_enable": ("アカウントを有効に戻しました。", "The account is active again."),
    "account_reset": ("パスワードの再設定", "Reset the password"),
    "new_password": ("新しいパスワード（12文字以上）", "New password (12+ characters)"),
    "reset": ("再設定", "Reset"),
    "done_reset": ("パスワードを再設定しました。本人に伝えてください。",
                   "The password was reset; tell the person."),
    "own_account": ("ご自分のパスワードは「パスワード変更」で変えてください。",
                    "Change your own password on 'Change password'."),
    "current_password": ("現在のパスワード", "Current password"),
    "new_password_again": ("新しいパスワード（確認）", "New password (again)"),
    "change": ("変更", "Change"),
    "password_mismatch": ("新しいパスワードが確認用と一致しません。",
                          "The new password and its confirmation differ."),
    "password_fields": ("すべての欄を入力してください。", "Fill in every field."),
    "done_password": ("パスワードを変更しました。新しいパスワードでログインしてください。",
                      "Your password was changed. Sign in with the new password."),
    "password_unavailable": ("この API ではまだパスワードを変更できません。",
                             "This API cannot change passwords yet."),
}

STATUS: dict[str, tuple[str, str]] = {
    "confirmed": ("予約済", "confirmed"),
    "onboard": ("乗車中", "on board"),
    "completed": ("完了", "completed"),
    "cancelled": ("取消", "cancelled"),
    "no_show": ("不在", "no-show"),
}

#: Refusal reasons (engine rule names and error codes) and booking channels.
CODES: dict[str, tuple[str, str]] = {
    "service_hours": ("運行時間外", "outside service hours"),
    "operating_day": ("運行日以外", "not an operating day"),
    "min_notice": ("予約締切後", "too little notice"),
    "max_days_ahead": ("予約受付期間外", "too far ahead"),
    "prior_day_deadline": ("前日締切後", "after the prior-day deadline"),
    "max_group": ("人数超過", "group too large"),
    "capacity": ("定員超過", "over capacity"),
    "infeasible": ("空車なし", "no vehicle available"),
    "outside_zone": ("区域外", "outside the zone"),
    "no_longer_feasible": ("予約確定時に満席", "taken before booking"),
    "booking_rule": ("予約の条件外", "against a booking rule"),
    "unknown": ("理由不明", "unknown reason"),
    "phone": ("電話", "phone"),
    "app": ("アプリ", "app"),
    "line": ("LINE", "LINE"),
    "standing": ("定期予約", "standing order"),
}


#: Event types of a booking's history as people read them.
EVENTS: dict[str, tuple[str, str]] = {
    "booked": ("予約", "Booked"),
    "cancelled": ("取消", "Cancelled"),
    "no_show": ("無断不在", "No-show"),
    "moved": ("車両の変更", "Moved to another vehicle"),
    "arrived": ("乗り場に到着", "Arrived at the stop"),
    "departed": ("乗り場へ出発", "Set off for the stop"),
    "boarded": ("乗車", "Boarded"),
    "alighted": ("降車", "Alighted"),
    "ticket_issued": ("乗車券の発行", "Ticket issued"),
    "ticket_reissued": ("乗車券の再発行", "Ticket reissued"),
    "ticket_checked_in": ("乗車券の確認", "Ticket checked"),
    "payment": ("運賃の支払い", "Fare payment"),
    "promise_at_risk": ("約束時刻に遅れるおそれ", "Promise at risk"),
    "promise_recovered": ("約束時刻に間に合う見込み", "Promise back on time"),
    "no_show_undone": ("無断不在の取り消し", "No-show undone"),
}

#: Payment states and ticket check methods.
PAYMENT: dict[str, tuple[str, str]] = {
    "unpaid": ("未払い", "unpaid"),
    "paid_cash_onboard": ("車内で現金", "cash on board"),
    "prepaid": ("前払い", "prepaid"),
}


def pair_label(table: dict[str, tuple[str, str]], key: str, lang: str = "ja") -> str:
    """``key`` looked up in a (ja, en) table; unknown keys read with spaces for underscores."""
    pair = table.get(key)
    if pair is None:
        return key.replace("_", " ")
    return pair[0] if lang == "ja" else pair[1]


def code_label(code: str, lang: str = "ja") -> str:
    """A refusal reason or channel code as people read it (the code itself when unknown)."""
    pair = CODES.get(code)
    if pair is None:
        return code
    return pair[0] if lang == "ja" else pair[1]


def tr(key: str, lang: str = "ja") -> str:
    """The text ``key`` in ``lang`` (the key itself when unknown)."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "ja" else pair[1]


def status_label(status: str, lang: str = "ja") -> str:
    """A booking status as people read it."""
    pair = STATUS.get(status)
    if pair is None:
        return status
    return pair[0] if lang == "ja" else pair[1]
