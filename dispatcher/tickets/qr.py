"""QR codes of tickets: the one renderer of a ticket's symbol (SVG for web pages and the API,
PNG for printing)."""

from __future__ import annotations

from io import BytesIO

import segno

QUIET_ZONE = 4
"""Modules of light margin around the symbol (the QR standard's minimum)."""


def qr_code(ticket_text: str) -> segno.QRCode:
    """The QR symbol of a ticket text: alphanumeric mode, error correction at least M."""
    return segno.make_qr(ticket_text, error="m", mode="alphanumeric", boost_error=True)


def qr_svg(ticket_text: str, *, scale: int = 4, title: str = "", xmldecl: bool = False) -> str:
    """SVG of a ticket's QR code for web pages: black on an opaque white square (readable on
    dark pages), 4-module quiet zone, and a ``viewBox`` so CSS can resize it
    (``svg { width: 100%; height: auto }``) without cropping; ``xmldecl`` starts it with an
    XML declaration (a standalone ``.svg`` file)."""
    qr = qr_code(ticket_text)
    buf = BytesIO()
    qr.save(buf, kind="svg", scale=scale, border=QUIET_ZONE, title=title or None, dark="#000",
            light="#fff", xmldecl=xmldecl, svgclass="noriai-ticket-qr", lineclass=None)
    svg = buf.getvalue().decode("utf-8")
    side = (qr.symbol_size(scale=1, border=QUIET_ZONE)[0]) * scale
    return svg.replace("<svg ", f'<svg viewBox="0 0 {side} {side}" role="img" ', 1)


def qr_png(ticket_text: str, *, scale: int = 6) -> bytes:
    """PNG image (bytes) of a ticket's QR code with a 4-module quiet zone."""
    buf = BytesIO()
    qr_code(ticket_text).save(buf, kind="png", scale=scale, border=QUIET_ZONE)
    return buf.getvalue()
