"""QR rendering of tickets: SVG and PNG are valid, the symbol fits its version, data round-trips."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from ticketdata import NOW

from dispatcher.tickets import decode_text, qr_code, qr_png, qr_svg, sign_ticket

# Alphanumeric-mode capacity (characters) of QR versions 1-13 at error levels M and Q
# (ISO/IEC 18004 table 7).
CAPACITY = {
    "M": [20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483],
    "Q": [16, 29, 47, 67, 87, 108, 125, 157, 189, 221, 259, 296, 352],
}


@pytest.fixture(scope="module")
def text(key, base_ticket):
    """The base ticket's QR text."""
    return sign_ticket(base_ticket, key, now_s=NOW)


def test_symbol_version_and_capacity(text):
    """The text is alphanumeric (base45 + scheme), fits the chosen version's capacity at its
    error level (at least M), and the matrix has that version's size."""
    qr = qr_code(text)
    assert qr.mode == "alphanumeric"
    assert qr.error in CAPACITY  # M, or Q when boosting costs no extra version
    version = int(qr.version)
    assert version <= 10  # small enough for a phone screen or a printed slip
    assert len(text) <= CAPACITY[qr.error][version - 1]
    assert len(text) > CAPACITY["M"][version - 2]  # the smallest version that fits was chosen
    size = 17 + 4 * version
    assert qr.symbol_size(border=0) == (size, size)
    assert len(qr.matrix) == size and all(len(row) == size for row in qr.matrix)


def test_svg_parses_and_png_matches_the_matrix(text):
    """The SVG is well-formed XML; the PNG decodes as an image whose modules are the matrix."""
    svg = qr_svg(text, title="乗車券")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and root.find(".//{http://www.w3.org/2000/svg}path") is not None
    qr = qr_code(text)
    scale, border = 6, 4
    img = Image.open(io.BytesIO(qr_png(text, scale=scale)))
    img.load()
    size = qr.symbol_size(border=0)[0]
    assert img.format == "PNG" and img.size == ((size + 2 * border) * scale,) * 2
    gray = img.convert("L")
    for r, row in enumerate(qr.matrix):
        for c, bit in enumerate(row):
            x, y = (c + border) * scale + scale // 2, (r + border) * scale + scale // 2
            assert (gray.getpixel((x, y)) < 128) == bool(bit), (r, c)
    assert gray.getpixel((1, 1)) > 128  # quiet zone is light


def test_qr_data_round_trips_through_decoder(text, base_ticket):
    """The data segno encodes is exactly the ticket text, and it decodes to the signed ticket."""
    qr = qr_code(text)
    again = qr_code(text)
    assert qr.matrix == again.matrix  # deterministic for the same text
    assert qr_code(text[:-1] + ("0" if text[-1] != "0" else "1")).matrix != qr.matrix
    ticket, _, _ = decode_text(text)
    assert ticket == base_ticket


def test_large_ticket_still_fits(key, make_ticket):
    """A ticket with long ids and four categories stays within QR version 13 at level M."""
    big = make_ticket(
        booking_id="b" * 36,
        pickup_stop_id="s" * 32,
        vehicle_id="v" * 16,
        rider_initial="山",
        passengers=(("adult", 2), ("child", 2), ("infant", 1), ("elderly_pass", 1)),
    )
    text = sign_ticket(big, key, now_s=NOW)
    qr = qr_code(text)
    assert int(qr.version) <= 13 and len(text) <= CAPACITY["M"][int(qr.version) - 1]
