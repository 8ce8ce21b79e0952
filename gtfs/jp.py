"""GTFS-JP helpers (標準的なバス情報フォーマット): corporate numbers and the JP-only tables.

Pure. GTFS-JP asks that ``agency_id`` be the operator's 法人番号 (corporate number): 13 digits,
the first a check digit over the other 12 (National Tax Agency formula). The JP tables
``agency_jp.txt`` and ``office_jp.txt`` are built here from the service configuration.
"""

from __future__ import annotations

from dispatcher.errors import InvalidInput
from dispatcher.service_area import ServiceArea

AGENCY_JP_COLUMNS = (
    "agency_id",
    "agency_official_name",
    "agency_zip_number",
    "agency_address",
    "agency_president_pos",
    "agency_president_name",
)
OFFICE_JP_COLUMNS = ("office_id", "office_name", "office_url", "office_phone")


def corporate_number_check_digit(base: str) -> int:
    """Check digit (0–9) of a 法人番号 from its 12-digit base (digits 2–13).

    Parameters
    ----------
    base
        The 12 digits after the check digit, e.g. ``"000020342050"``.

    Returns
    -------
    int
        ``9 - (sum(P_n * Q_n) mod 9)`` where ``P_n`` is the n-th digit counted from the right
        and ``Q_n`` is 1 for odd n and 2 for even n.
    """
    if len(base) != 12 or not base.isdigit():
        raise InvalidInput(
            "法人番号の基礎番号は12桁の数字です",
            f"corporate number base must be 12 digits: {base!r}",
        )
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - total % 9


def is_corporate_number(text: str) -> bool:
    """True if ``text`` is 13 digits whose first digit is the correct 法人番号 check digit."""
    if len(text) != 13 or not text.isdigit():
        return False
    return int(text[0]) == corporate_number_check_digit(text[1:])


def require_corporate_number(text: str) -> str:
    """Return ``text`` if it is a valid 法人番号, else raise :class:`InvalidInput`."""
    if not is_corporate_number(text):
        expected = ""
        if len(text) == 13 and text.isdigit():
            expected = f" (check digit should be {corporate_number_check_digit(text[1:])})"
        raise InvalidInput(
            f"agency_id は有効な法人番号ではありません: {text}",
            f"agency_id is not a valid corporate number (法人番号): {text}{expected}",
            agency_id=text,
        )
    return text


def agency_jp_rows(service: ServiceArea) -> list[dict[str, str]]:
    """Rows of ``agency_jp.txt`` (zip code as 7 digits without hyphen)."""
    ag = service.agency
    zip_number = ag.zip.replace("-", "").replace("〒", "").strip()
    if zip_number and (len(zip_number) != 7 or not zip_number.isdigit()):
        raise InvalidInput("郵便番号は7桁の数字です", f"agency zip must be 7 digits: {ag.zip!r}")
    return [
        {
            "agency_id": require_corporate_number(ag.id),
            "agency_official_name": ag.official_name or ag.name,
            "agency_zip_number": zip_number,
            "agency_address": ag.address,
            "agency_president_pos": ag.president_pos,
            "agency_president_name": ag.president_name,
        }
    ]


def office_jp_rows(service: ServiceArea) -> list[dict[str, str]]:
    """Rows of ``office_jp.txt``: the office that runs the service's trips."""
    return [
        {
            "office_id": service.office_id,
            "office_name": service.office_name,
            "office_url": service.url,
            "office_phone": service.office_phone,
        }
    ]
