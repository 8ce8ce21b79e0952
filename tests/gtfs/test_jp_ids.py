"""GTFS-JP identifiers: the 法人番号 check digit guards agency_id."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.services import load_service
from gtfs import jp
from gtfs.flex import build_feed


@pytest.mark.parametrize(
    "number",
    [
        "8000020130001",  # 東京都
        "7000012050002",  # 国税庁
        "8000020342050",  # 尾道市 (local government code 342050)
    ],
)
def test_known_corporate_numbers_are_valid(number):
    """Published corporate numbers pass the National Tax Agency check-digit formula."""
    assert jp.is_corporate_number(number)
    assert jp.corporate_number_check_digit(number[1:]) == int(number[0])


@pytest.mark.parametrize("number", ["4000020342050", "800002034205", "80000203420x0", ""])
def test_wrong_corporate_numbers_are_refused(number):
    """A wrong check digit, a wrong length or a non-digit is not a corporate number."""
    assert not jp.is_corporate_number(number)
    with pytest.raises(InvalidInput):
        jp.require_corporate_number(number)


def test_shipped_agency_id_is_a_corporate_number():
    """The Mitsugi configuration's agency_id is a valid 法人番号 (GTFS-JP asks for it)."""
    assert jp.is_corporate_number(load_service("mitsugi").agency.id)


def test_feed_refuses_an_agency_id_with_a_bad_check_digit():
    """Exporting with a mistyped 法人番号 fails loudly instead of publishing a wrong id."""
    svc = load_service("mitsugi")
    bad = replace(svc, agency=replace(svc.agency, id="4000020342050"))
    with pytest.raises(InvalidInput, match="corporate number"):
        build_feed(bad, date(2026, 12, 1), 30)


def test_agency_jp_and_office_jp_rows():
    """agency_jp has the 7-digit zip without hyphen; office_jp names the trips' office."""
    svc = load_service("mitsugi")
    hyphen = replace(svc, agency=replace(svc.agency, zip="722-8501"))
    (row,) = jp.agency_jp_rows(hyphen)
    assert row["agency_zip_number"] == "7228501"
    assert row["agency_id"] == svc.agency.id
    (office,) = jp.office_jp_rows(svc)
    assert office["office_id"] == svc.office_id and office["office_name"] == svc.office_name
    with pytest.raises(InvalidInput):
        jp.agency_jp_rows(replace(svc, agency=replace(svc.agency, zip="72285")))
