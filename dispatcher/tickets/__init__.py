"""Signed e-tickets (Ed25519) a driver verifies offline, and short codes for riders without phones.

Pure: keys, "now" (epoch seconds) and the synced lists are parameters; no clock, files or
network. Key generation draws from the operating system's randomness, like any key maker.

The package, one concern a module, everything re-exported here:

- :mod:`~dispatcher.tickets.codec`: the version-1 ticket, its payload, base45 text and the
  one base64url helper;
- :mod:`~dispatcher.tickets.keys`: signing keys, the public keyring, key encodings, key ids
  and the deployment's key texts;
- :mod:`~dispatcher.tickets.issue`: signing and issuing at confirmation;
- :mod:`~dispatcher.tickets.verdicts`: reasons, verdicts and the offline check of a ticket;
- :mod:`~dispatcher.tickets.codes`: short codes, their manifest hashes and their check;
- :mod:`~dispatcher.tickets.qr`: the one QR renderer (SVG and PNG).

The service around it (keys from the environment, the database, check-in, the driver's
sync) is :mod:`dispatcher.ticket_service`.

How the shells use this
-----------------------
- Confirmation (API): :func:`issue_ticket` with the current signing key, the code key and
  the booking's :class:`~dispatcher.fares.Fare`; store the booking's ``issue`` counter and
  show :func:`qr_svg` / :func:`qr_png` of ``text`` and the short ``code`` to the rider.
- Reissue (operator): the same call with ``issue + 1``; the new counter reaches drivers with
  the next sync (``latest_issue``), after which the old ticket is ``superseded``.
- Sync (driver app, whenever online): the keyring (:func:`keyring_to_json`), the vehicle's
  manifest with :class:`ManifestCode` entries, and the service's cancelled, used and on-board
  booking ids, latest issue counters, and each booking's vehicle and service day.
- Boarding: a ticket boards only its own booking, and only at its own stop: with
  ``boarding_here`` (the pickups of the vehicle's next visit, from the live manifest) a
  valid ticket of any other booking is ``other_stop``; ``vehicle_of`` and ``day_of`` make a
  booking moved to another vehicle ``wrong_vehicle`` and one of another day ``wrong_day``.
- At the door, offline: :func:`verify` (or ``verifyTicket`` in ticket-verify.js) and
  :func:`verify_code`; an accepted booking is added to the device's local ``used`` set and
  checked in online once a connection exists (the server's check-in is the single truth:
  a second check-in of the same booking is a conflict there).
- Key rotation: add the next key to the keyring before it signs; sign with it from its
  ``valid_from``; keep the old key in the keyring until its ``valid_until``, which must lie
  after the end of every ticket it signed (:func:`sign_ticket` refuses otherwise).
"""

from __future__ import annotations

from dispatcher.tickets.codec import (
    BASE45,
    ID_RE,
    MAX_CATEGORIES,
    MAX_ID_BYTES,
    MAX_INITIAL_BYTES,
    SCHEME,
    SIGNATURE_BYTES,
    SIGNATURE_CONTEXT,
    U32_MAX,
    VERSION,
    Ticket,
    TicketFormatError,
    b45decode,
    b45encode,
    b64url_decode,
    b64url_encode,
    decode_text,
    encode_payload,
    split_signed,
)
from dispatcher.tickets.codes import (
    CODE_ALPHABET,
    CODE_CONTEXT,
    CODE_DATA_CHARS,
    CODE_HASH_CONTEXT,
    CODE_HASH_ITERATIONS,
    ManifestCode,
    code_hash,
    manifest_code,
    normalize_code,
    short_code,
    verify_code,
)
from dispatcher.tickets.issue import (
    IssuedTicket,
    default_validity,
    issue_ticket,
    passengers_tuple,
    rider_initial,
    sign_ticket,
)
from dispatcher.tickets.keys import (
    KeyInfo,
    SigningKey,
    generate_signing_key,
    key_id_of,
    keyring_from_json,
    keyring_to_json,
    new_code_key,
    parse_code_key,
    parse_private_keys,
    private_key_from_b64,
    private_key_from_pem,
    private_key_to_b64,
    private_key_to_pem,
    public_key_from_b64,
    public_key_from_pem,
    public_key_to_b64,
    public_key_to_pem,
)
from dispatcher.tickets.qr import qr_code, qr_png, qr_svg
from dispatcher.tickets.verdicts import MESSAGES, Reason, Verdict, verify

__all__ = [
    "BASE45",
    "CODE_ALPHABET",
    "CODE_CONTEXT",
    "CODE_DATA_CHARS",
    "CODE_HASH_CONTEXT",
    "CODE_HASH_ITERATIONS",
    "ID_RE",
    "MAX_CATEGORIES",
    "MAX_ID_BYTES",
    "MAX_INITIAL_BYTES",
    "MESSAGES",
    "SCHEME",
    "SIGNATURE_BYTES",
    "SIGNATURE_CONTEXT",
    "U32_MAX",
    "VERSION",
    "IssuedTicket",
    "KeyInfo",
    "ManifestCode",
    "Reason",
    "SigningKey",
    "Ticket",
    "TicketFormatError",
    "Verdict",
    "b45decode",
    "b45encode",
    "b64url_decode",
    "b64url_encode",
    "code_hash",
    "decode_text",
    "default_validity",
    "encode_payload",
    "generate_signing_key",
    "issue_ticket",
    "key_id_of",
    "keyring_from_json",
    "keyring_to_json",
    "manifest_code",
    "new_code_key",
    "normalize_code",
    "parse_code_key",
    "parse_private_keys",
    "passengers_tuple",
    "private_key_from_b64",
    "private_key_from_pem",
    "private_key_to_b64",
    "private_key_to_pem",
    "public_key_from_b64",
    "public_key_from_pem",
    "public_key_to_b64",
    "public_key_to_pem",
    "qr_code",
    "qr_png",
    "qr_svg",
    "rider_initial",
    "short_code",
    "sign_ticket",
    "split_signed",
    "verify",
    "verify_code",
]
