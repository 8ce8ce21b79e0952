"""Signing and offline verification of e-tickets: every refusal has its named reason."""

from __future__ import annotations

import pytest
from ticketdata import DAY, NOW, fixed_key

from dispatcher.errors import InvalidInput
from dispatcher.fares import fare_for
from dispatcher.services import load_service
from dispatcher.tickets import (
    MESSAGES,
    SCHEME,
    Reason,
    Ticket,
    b45decode,
    b45encode,
    decode_text,
    encode_payload,
    generate_signing_key,
    issue_ticket,
    keyring_from_json,
    keyring_to_json,
    private_key_from_b64,
    private_key_from_pem,
    private_key_to_b64,
    private_key_to_pem,
    public_key_from_pem,
    public_key_to_b64,
    public_key_to_pem,
    sign_ticket,
    split_signed,
    verify,
    verify_code,
)


@pytest.fixture(scope="module")
def keys(key):
    """The keyring of the driver's app: the current key only."""
    return {key.key_id: key.info()}


@pytest.fixture(scope="module")
def text(key, base_ticket):
    """The base ticket signed with the current key."""
    return sign_ticket(base_ticket, key, now_s=NOW - DAY)


def test_valid_ticket_verifies_and_round_trips(text, keys, base_ticket):
    """A genuine ticket is accepted with its decoded content equal to what was signed."""
    v = verify(text, keys=keys, now_s=NOW + 60, vehicle_id="v1", service_id="mitsugi")
    assert v.ok and v.reason is Reason.OK
    assert v.ticket == base_ticket and v.booking_id == "B7K3M9Q2XZ"
    assert v.message_ja == "有効な乗車券です" and v.message("en") == "Valid ticket"
    assert text.startswith(SCHEME)
    ticket, payload, sig = decode_text(text)
    assert ticket == base_ticket
    assert payload == encode_payload(base_ticket) and len(sig) == 64


def test_base45_rfc9285_vectors():
    """Base45 matches the RFC 9285 examples and refuses non-canonical text."""
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"
    for bad in ("GGW", "ZZZ", "A", "ab", "::"):
        with pytest.raises(InvalidInput):
            b45decode(bad)


def test_every_single_byte_tamper_is_refused(text, keys, key):
    """Changing any one byte of payload or signature (three ways each) never verifies."""
    signed = b45decode(text[len(SCHEME) :])
    reasons = set()
    for i in range(len(signed)):
        for flip in (0x01, 0x80, 0xFF):
            mutated = bytearray(signed)
            mutated[i] ^= flip
            v = verify(SCHEME + b45encode(bytes(mutated)), keys=keys, now_s=NOW)
            assert not v.ok, (i, flip)
            assert v.reason in {Reason.BAD_FORMAT, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY}
            assert v.ticket is None
            reasons.add(v.reason)
            if i >= len(signed) - 64:
                assert v.reason is Reason.BAD_SIGNATURE
    assert reasons == {Reason.BAD_FORMAT, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY}


def test_other_key_and_unknown_key(keys, key, base_ticket):
    """A ticket signed by another key under our key id is a bad signature; under another
    key id not in the keyring it is an unknown key."""
    impostor = fixed_key(key.key_id + "x", valid_from=key.valid_from, valid_until=key.valid_until)
    same_id = type(key)(key.key_id, impostor.private_key, key.valid_from, key.valid_until)
    assert verify(sign_ticket(base_ticket, same_id, now_s=NOW), keys=keys, now_s=NOW).reason is (
        Reason.BAD_SIGNATURE
    )
    v = verify(sign_ticket(base_ticket, impostor, now_s=NOW), keys=keys, now_s=NOW)
    assert v.reason is Reason.UNKNOWN_KEY and not v.ok


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (NOW - 3600 - 1, Reason.NOT_YET_VALID),
        (NOW - 3600, Reason.OK),
        (NOW + 4 * 3600 - 1, Reason.OK),
        (NOW + 4 * 3600, Reason.EXPIRED),
        (NOW + 20 * DAY, Reason.EXPIRED),
    ],
)
def test_validity_window(text, keys, now, reason):
    """A ticket verifies only within [not_before, not_after) of its validity."""
    assert verify(text, keys=keys, now_s=now).reason is reason


def test_replayed_cancelled_superseded(text, keys):
    """Synced lists refuse a used ticket, a cancelled booking and an older issue."""
    b = "B7K3M9Q2XZ"
    assert verify(text, keys=keys, now_s=NOW, used={b}).reason is Reason.ALREADY_USED
    assert verify(text, keys=keys, now_s=NOW, cancelled={b}).reason is Reason.CANCELLED
    assert verify(text, keys=keys, now_s=NOW, latest_issue={b: 1}).reason is Reason.SUPERSEDED
    assert verify(text, keys=keys, now_s=NOW, latest_issue={b: 0}).ok
    assert verify(text, keys=keys, now_s=NOW, used={"other"}, cancelled={"x"}).ok
    refused = verify(text, keys=keys, now_s=NOW, used={b})
    assert refused.ticket is not None and refused.booking_id == b  # the driver sees whose


def test_reissue_supersedes_once_synced(key, keys, make_ticket):
    """A reissued ticket (issue+1) verifies; the old one verifies until the newer issue
    counter reaches the driver's app, then is refused as superseded."""
    old = sign_ticket(make_ticket(issue=3), key, now_s=NOW)
    new = sign_ticket(make_ticket(issue=4, vehicle_id="v2"), key, now_s=NOW)
    assert verify(old, keys=keys, now_s=NOW).ok  # not synced yet
    synced = {"B7K3M9Q2XZ": 4}
    assert verify(old, keys=keys, now_s=NOW, latest_issue=synced).reason is Reason.SUPERSEDED
    assert verify(new, keys=keys, now_s=NOW, latest_issue=synced, vehicle_id="v2").ok


def test_wrong_vehicle_and_moved_booking(text, keys, make_ticket, key):
    """A ticket bound to v1 is refused in v2 unless v2's synced manifest lists the booking;
    a ticket without a vehicle is good in any vehicle; another service is refused."""
    assert verify(text, keys=keys, now_s=NOW, vehicle_id="v2").reason is Reason.WRONG_VEHICLE
    assert verify(text, keys=keys, now_s=NOW, vehicle_id="v2", on_manifest={"B7K3M9Q2XZ"}).ok
    unbound = sign_ticket(make_ticket(vehicle_id=""), key, now_s=NOW)
    assert verify(unbound, keys=keys, now_s=NOW, vehicle_id="v9").ok
    assert verify(text, keys=keys, now_s=NOW, service_id="other").reason is Reason.WRONG_SERVICE


def test_where_the_booking_is_now_decides(text, keys):
    """The synced vehicle of a booking overrides the vehicle its ticket names (a booking moved
    away from v1 is refused there even though its ticket says v1); a booking of another day is
    wrong_day, one on board already_onboard, and with the next stop's pickups given any other
    booking is other_stop — after the checks of the ticket itself."""
    b = "B7K3M9Q2XZ"
    assert verify(text, keys=keys, now_s=NOW, vehicle_id="v1").ok
    moved = verify(text, keys=keys, now_s=NOW, vehicle_id="v1", vehicle_of={b: "v2"})
    assert moved.reason is Reason.WRONG_VEHICLE
    assert verify(text, keys=keys, now_s=NOW, vehicle_id="v2", vehicle_of={b: "v2"}).ok
    day = {"service_day": "2027-01-15", "day_of": {b: "2027-01-16"}}
    assert verify(text, keys=keys, now_s=NOW, **day).reason is Reason.WRONG_DAY
    assert verify(text, keys=keys, now_s=NOW, onboard={b}, used={b}).reason is Reason.ALREADY_ONBOARD
    assert verify(text, keys=keys, now_s=NOW, boarding_here=set()).reason is Reason.OTHER_STOP
    assert verify(text, keys=keys, now_s=NOW, boarding_here={b}).ok
    assert verify(text, keys=keys, now_s=NOW, boarding_here=set(),
                  cancelled={b}).reason is Reason.CANCELLED


def test_key_rotation(base_ticket):
    """After rotation the old key still verifies its tickets until its end, new tickets use
    the new key, and once the old key's validity ends its tickets are refused."""
    old = fixed_key("k-old", valid_from=NOW - 60 * DAY, valid_until=NOW + 2 * DAY)
    new = fixed_key("k-new", valid_from=NOW - DAY, valid_until=NOW + 90 * DAY)
    ring = {"k-old": old.info(), "k-new": new.info()}
    t_old = sign_ticket(base_ticket, old, now_s=NOW - 2 * DAY)
    t_new = sign_ticket(base_ticket, new, now_s=NOW)
    assert decode_text(t_old)[0].key_id == "k-old" and decode_text(t_new)[0].key_id == "k-new"
    assert verify(t_old, keys=ring, now_s=NOW).ok
    assert verify(t_new, keys=ring, now_s=NOW).ok
    assert verify(t_old, keys=ring, now_s=NOW + 2 * DAY).reason is Reason.KEY_EXPIRED
    assert verify(t_old, keys={"k-new": new.info()}, now_s=NOW).reason is Reason.UNKNOWN_KEY
    assert verify(t_new, keys=ring, now_s=NOW - DAY - 1).reason is Reason.KEY_NOT_YET_VALID


def test_signing_refuses_keys_outside_validity(key, make_ticket):
    """Tickets are not signed with a key outside its validity, nor made to outlive it."""
    with pytest.raises(InvalidInput):
        sign_ticket(make_ticket(), key, now_s=key.valid_until)
    with pytest.raises(InvalidInput):
        sign_ticket(make_ticket(not_after_s=key.valid_until + 1), key, now_s=NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"booking_id": ""},
        {"booking_id": "has space"},
        {"issue": 70_000},
        {"passengers": ()},
        {"passengers": (("adult", 0),)},
        {"passengers": (("adult", 1), ("adult", 1))},
        {"pickup_to_s": 0},
        {"not_after_s": 0},
        {"currency": "yen"},
        {"fare": -1},
        {"rider_initial": "x" * 17},
        {"rider_initial": "\ud800"},
        {"version": 2},
    ],
)
def test_ticket_fields_checked(make_ticket, changes):
    """A ticket that version 1 cannot carry is refused when built, not when signed."""
    with pytest.raises(InvalidInput):
        make_ticket(**changes)


def test_japanese_initial_and_single_rider(key, keys, make_ticket):
    """A kana/kanji initial (multi-byte UTF-8) survives signing and decoding."""
    text = sign_ticket(make_ticket(rider_initial="山", passengers=(("child", 1),)), key, now_s=NOW)
    v = verify(text, keys=keys, now_s=NOW)
    assert v.ok and v.ticket.rider_initial == "山" and v.ticket.riders == 1


def test_trailing_and_truncated_bytes_are_bad_format(text, keys):
    """The signed bytes must be exactly payload + 64-byte signature."""
    signed = b45decode(text[len(SCHEME) :])
    for data in (signed + b"\x00", signed[:-1], signed[:10], b""):
        assert verify(SCHEME + b45encode(data), keys=keys, now_s=NOW).reason is Reason.BAD_FORMAT
        with pytest.raises(InvalidInput):
            split_signed(data)


def test_every_reason_has_two_messages():
    """Each reason has a distinct Japanese and English message for the driver's screen."""
    assert set(MESSAGES) == set(Reason)
    for ja, en in MESSAGES.values():
        assert ja and en and ja != en


def test_key_serialisation_round_trips(key, base_ticket):
    """PEM and raw base64url forms give back keys that verify what the original signed."""
    text = sign_ticket(base_ticket, key, now_s=NOW)
    priv = private_key_from_pem(private_key_to_pem(key.private_key))
    priv2 = private_key_from_pem(private_key_to_pem(key.private_key, b"pw"), b"pw")
    priv3 = private_key_from_b64(private_key_to_b64(key.private_key))
    for p in (priv, priv2, priv3):
        assert public_key_to_b64(p.public_key()) == public_key_to_b64(key.info().public_key)
    pub = public_key_from_pem(public_key_to_pem(key.info().public_key))
    ring = keyring_from_json(keyring_to_json("mitsugi", {key.key_id: key.info()}))
    assert verify(text, keys=ring, now_s=NOW).ok
    assert public_key_to_b64(pub) == public_key_to_b64(ring[key.key_id].public_key)
    with pytest.raises(InvalidInput):
        keyring_from_json({"keys": [{"kid": "a", "alg": "RS256"}]})
    with pytest.raises(InvalidInput):
        private_key_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_generated_keys_are_distinct():
    """Freshly generated keys differ and carry their validity."""
    a = generate_signing_key("a", valid_from=0, valid_until=10)
    b = generate_signing_key("b", valid_from=0, valid_until=10)
    assert private_key_to_b64(a.private_key) != private_key_to_b64(b.private_key)
    assert (a.info().valid_from, a.info().valid_until) == (0, 10)
    with pytest.raises(InvalidInput):
        generate_signing_key("c", valid_from=10, valid_until=10)


def test_ticket_is_a_dataclass_of_the_payload(base_ticket):
    """Decoding the canonical payload bytes gives back an equal Ticket."""
    payload = encode_payload(base_ticket)
    ticket, again, _ = split_signed(payload + bytes(64))
    assert ticket == base_ticket and again == payload and isinstance(ticket, Ticket)


def test_issue_at_confirmation_and_reissue(key):
    """Issuing from a booking's fare gives a QR text that verifies, a short code found in the
    manifest entry, and a reissue whose old ticket and code stop working once synced."""
    svc = load_service("mitsugi")
    fare = fare_for(svc.fares, {"adult": 1, "infant": 1, "elderly_pass": 1})
    args = {
        "now_s": NOW - DAY,
        "service_id": svc.id,
        "booking_id": "BK42",
        "rider_name": " yamada hanako",
        "fare": fare,
        "pickup_stop_id": "ichi_office",
        "pickup_from_s": NOW,
        "pickup_to_s": NOW + 600,
    }
    first = issue_ticket(key, b"c" * 32, **args)
    keys = {key.key_id: key.info()}
    v = verify(first.text, keys=keys, now_s=NOW)
    assert v.ok and v.ticket == first.ticket
    assert v.ticket.rider_initial == "Y" and v.ticket.fare == fare.total == 500
    assert dict(v.ticket.passengers) == {"adult": 1, "infant": 1, "elderly_pass": 1}
    assert (v.ticket.not_before_s, v.ticket.not_after_s) == (NOW - 3600, NOW + 600 + 3 * 3600)
    assert verify_code(first.code, manifest=[first.manifest], service_id=svc.id).ok
    second = issue_ticket(key, b"c" * 32, **args, issue=1, vehicle_id="v2")
    assert second.code != first.code
    synced = {"BK42": second.ticket.issue}
    assert verify(first.text, keys=keys, now_s=NOW, latest_issue=synced).reason is (
        Reason.SUPERSEDED
    )
    assert verify(second.text, keys=keys, now_s=NOW, latest_issue=synced, vehicle_id="v2").ok
    stale = verify_code(first.code, manifest=[second.manifest], service_id=svc.id)
    assert stale.reason is Reason.UNKNOWN_CODE
