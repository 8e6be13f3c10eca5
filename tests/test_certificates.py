"""Signed certificates: round trip, offline verification with the public key alone, tampering, keys, QR."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import stat
import textwrap
import xml.etree.ElementTree as ET
from datetime import date

import pytest
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from epicommand.vaccination import certificates
from epicommand.vaccination.certificates import InvalidCertificate
from epicommand.vaccination.management.commands.certificate_keys import Command

DOSES = [(date(2021, 11, 2), "AZ", 2), (date(2021, 9, 1), "AZ", 1), (date(2022, 5, 20), "PF", 3)]


def make_payload(**overrides) -> dict:
    fields = dict(certificate_id="C12-000123", full_name="Giàng A Dế", birth_year=1990, doses=DOSES,
                  issued=date(2022, 6, 1), valid_until=date(2023, 6, 1))
    fields.update(overrides)
    return certificates.payload_for(**fields)


def decoded_body(token: str) -> bytes:
    return certificates.b32decode(token.split(".")[1])


def test_round_trip(key_file):
    payload = make_payload()
    token = certificates.sign(payload)
    assert re.fullmatch(r"EC1\.[A-Z2-7]+\.[A-Z2-7]+", token)
    result = certificates.verify(token, today=date(2022, 6, 2))
    assert result == {**payload, "kid": result["kid"]}
    assert result["n"] == "G.A.D."
    assert result["iss"] == "VN-12"
    assert result["by"] == 1990
    assert result["d"] == [["2021-09-01", "AZ", 1], ["2021-11-02", "AZ", 2], ["2022-05-20", "PF", 3]]
    # Deterministic: the same certificate always gives the same token.
    assert certificates.sign(payload) == token


def test_verifies_with_the_public_key_alone(key_file, settings):
    token = certificates.sign(make_payload())
    public = load_pem_public_key(certificates.public_key_pem().encode())
    kid = certificates.kid_of(public)
    # The server's key files are gone: only the published PEM remains.
    settings.EPICOMMAND_CERTIFICATE_KEY = key_file.parent / "absent.pem"
    assert certificates.public_keys() == {}
    assert certificates.verify(token, {kid: public}, today=date(2022, 6, 2))["id"] == "C12-000123"


def test_the_docstring_snippet_verifies_without_the_server(key_file):
    """The module docstring's verifier runs with the standard library and cryptography only."""
    doc = certificates.__doc__
    start = doc.rindex("\n", 0, doc.index("# --- offline verifier ---")) + 1
    snippet = textwrap.dedent(doc[start:doc.index("# --- end ---")])
    namespace: dict = {}
    exec(compile(snippet, "snippet", "exec"), namespace)  # our own docstring
    check = namespace["verify_certificate"]
    pem = certificates.public_key_pem().encode()
    payload = make_payload(valid_until=None)
    token = certificates.sign(payload)
    assert check(token, pem) == {**payload, "kid": certificates.kid_of(load_pem_public_key(pem))}
    forged = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises((InvalidSignature, ValueError)):
        check(forged, pem)


def test_every_changed_character_fails(key_file):
    token = certificates.sign(make_payload())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for position, char in enumerate(token):
        # A different character of the same alphabet (the hardest case: still decodes) ...
        other = alphabet[(alphabet.index(char) + 1) % 32] if char in alphabet else "A"
        # ... and one bit flipped in the byte, whatever character that makes.
        flipped = chr(ord(char) ^ 0x01)
        for replacement in (other, flipped):
            changed = token[:position] + replacement + token[position + 1:]
            with pytest.raises(InvalidCertificate):
                certificates.verify(changed, today=date(2022, 6, 2))


def test_a_payload_with_one_changed_byte_fails(key_file):
    token = certificates.sign(make_payload())
    version, body, signature = token.split(".")
    raw = bytearray(certificates.b32decode(body))
    raw[raw.index(b"1990") + 3] = ord("1")  # birth year 1990 → 1991, still valid JSON
    tampered = f"{version}.{certificates.b32encode(bytes(raw))}.{signature}"
    with pytest.raises(InvalidCertificate) as caught:
        certificates.verify(tampered, today=date(2022, 6, 2))
    assert caught.value.code == "bad_signature"


def test_non_canonical_base32_is_refused(key_file):
    token = certificates.sign(make_payload())
    version, body, signature = token.split(".")
    # 64 bytes take 103 characters whose last one has 3 unused bits: the standard decoder ignores them, we do not.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    sibling = alphabet[alphabet.index(signature[-1]) ^ 1]
    assert base64.b32decode(signature[:-1] + sibling + "=") == base64.b32decode(signature + "=")
    with pytest.raises(InvalidCertificate) as caught:
        certificates.verify(f"{version}.{body}.{signature[:-1]}{sibling}", today=date(2022, 6, 2))
    assert caught.value.code == "malformed"


def test_another_key_is_unknown(key_file, settings, tmp_path):
    settings.EPICOMMAND_CERTIFICATE_KEY = tmp_path / "other.pem"
    certificates.ensure_key(create=True)
    foreign = certificates.sign(make_payload())
    settings.EPICOMMAND_CERTIFICATE_KEY = key_file
    with pytest.raises(InvalidCertificate) as caught:
        certificates.verify(foreign, today=date(2022, 6, 2))
    assert caught.value.code == "unknown_key"
    # The code is stable for programs; the message is an English msgid, translated to Vietnamese later.
    with translation.override("en"):
        with pytest.raises(InvalidCertificate, match="unknown key"):
            certificates.verify(foreign, today=date(2022, 6, 2))


def test_rotated_keys_still_verify_once_published(key_file, settings, tmp_path):
    old_token = certificates.sign(make_payload())
    published = tmp_path / "old_public.pem"
    published.write_text(certificates.public_key_pem())
    settings.EPICOMMAND_CERTIFICATE_KEY = tmp_path / "new.pem"
    certificates.ensure_key(create=True)
    new_token = certificates.sign(make_payload())
    with pytest.raises(InvalidCertificate):
        certificates.verify(old_token, today=date(2022, 6, 2))
    settings.EPICOMMAND_CERTIFICATE_PUBLIC_KEYS = [published]
    assert len(certificates.public_keys()) == 2
    for token in (old_token, new_token):
        assert certificates.verify(token, today=date(2022, 6, 2))["id"] == "C12-000123"


def test_expired(key_file):
    token = certificates.sign(make_payload(valid_until=date(2023, 6, 1)))
    assert certificates.verify(token, today=date(2023, 6, 1))  # valid through its last day
    with pytest.raises(InvalidCertificate) as caught:
        certificates.verify(token, today=date(2023, 6, 2))
    assert caught.value.code == "expired"
    assert caught.value.payload["n"] == "G.A.D."  # genuine, so the page can still say whose and until when
    open_ended = certificates.sign(make_payload(valid_until=None))
    assert "exp" not in certificates.verify(open_ended, today=date(2099, 1, 1))


def test_unsupported_version_and_malformed(key_file):
    token = certificates.sign(make_payload())
    cases = {
        "EC2" + token[3:]: "unsupported_version",
        "": "malformed",
        "hello": "malformed",
        token + ".AAAA": "malformed",
        token.lower(): "malformed",
        token.replace(".", "..", 1): "malformed",
        "EC1." + certificates.b32encode(b"not json") + "." + token.split(".")[2]: "malformed",
        "EC1.A" * 1000: "malformed",
        "EC1." + certificates.b32encode(b"[" * 1200) + "." + token.split(".")[2]: "malformed",
    }
    for bad, code in cases.items():
        with pytest.raises(InvalidCertificate) as caught:
            certificates.verify(bad, today=date(2022, 6, 2))
        assert caught.value.code == code, bad


def test_payload_carries_no_personal_identifiers(key_file):
    payload = make_payload(full_name="Đặng Thị Ánh Nguyệt", birth_year=1987)
    token = certificates.sign(payload)
    raw = decoded_body(token).decode("ascii")
    decoded = json.loads(raw)
    assert set(decoded) <= {"id", "iss", "kid", "n", "by", "d", "iat", "exp"}
    assert decoded["n"] == "D.T.A.N."
    assert decoded["by"] == 1987
    for fragment in ("Đặng", "Dang", "dang", "Nguy", "nguy", "Ánh", "Anh"):
        assert fragment not in raw
    assert not re.search(r"\d{9,}", raw)  # no CCCD (12 digits) or old CMND (9)
    assert "1987-" not in raw  # no exact birth date
    with pytest.raises(ValueError):
        certificates.sign({**payload, "cccd": "012345678901"})
    with pytest.raises(ValueError):
        certificates.sign({**payload, "birth_date": "1987-03-04"})


@pytest.mark.parametrize("name, expected", [
    ("Giàng A Dế", "G.A.D."),
    ("  lò   văn  mạnh ", "L.V.M."),
    ("Đinh Ưng Ông", "D.U.O."),
    ("Hoàng-Anh Tuấn", "H.A.T."),
    ("", ""),
])
def test_initials(name, expected):
    assert certificates.initials(name) == expected


def test_qr_svg_draws_the_token(key_file):
    token = certificates.sign(make_payload())
    svg = certificates.qr_svg(token)
    root = ET.fromstring(svg)  # well-formed, inline (no XML declaration)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "href" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    reference = segno.make(token, error="m", micro=False)
    assert reference.mode == "alphanumeric"  # the token is QR-alphanumeric all through
    size = len(reference.matrix)
    assert root.get("viewBox") == f"0 0 {size + 8} {size + 8}"
    # Redraw the modules from the SVG path and compare them with segno's matrix of the token.
    path = next(p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("stroke"))
    drawn: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            drawn.update((int(y - 0.5), col) for col in range(int(x), int(x + float(a))))
            x += float(a)
    expected = {(r + 4, c + 4) for r, row in enumerate(reference.matrix) for c, dark in enumerate(row) if dark}
    assert drawn == expected


def test_key_file_is_private(key_file):
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert not [p for p in key_file.parent.iterdir() if p != key_file]  # no temporary file left behind


def test_production_never_writes_a_key_unasked(settings, tmp_path):
    settings.EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE = False  # production: EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE unset
    settings.EPICOMMAND_CERTIFICATE_KEY = tmp_path / "certificate_key.pem"
    with pytest.raises(certificates.CertificateKeyMissing):
        certificates.sign(make_payload())
    assert not (tmp_path / "certificate_key.pem").exists()
    settings.EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE = True  # development: created on first use
    token = certificates.sign(make_payload())
    assert (tmp_path / "certificate_key.pem").exists()
    assert certificates.verify(token, today=date(2022, 6, 2))


def test_default_key_path_is_under_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    del settings.EPICOMMAND_CERTIFICATE_KEY
    assert certificates.key_path() == tmp_path / "certificate_key.pem"


def test_command_creates_prints_and_refuses_to_overwrite(settings, tmp_path):
    path = tmp_path / "certificate_key.pem"
    settings.EPICOMMAND_CERTIFICATE_KEY = path
    with pytest.raises(CommandError):
        Command(stdout=io.StringIO(), stderr=io.StringIO()).handle()
    out = io.StringIO()
    Command(stdout=out, stderr=io.StringIO()).handle(create=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    original = path.read_bytes()
    printed = out.getvalue()
    kid = re.search(r"kid: ([A-Z2-7]{13})", printed).group(1)
    public = load_pem_public_key(printed[printed.index("-----BEGIN"):].encode())
    assert certificates.kid_of(public) == kid
    assert certificates.pem_of(public) == certificates.public_key_pem()
    with pytest.raises(CommandError, match="refusing to overwrite"):
        Command(stdout=io.StringIO(), stderr=io.StringIO()).handle(create=True)
    assert path.read_bytes() == original
    again = io.StringIO()
    Command(stdout=again, stderr=io.StringIO()).handle()
    assert again.getvalue() == printed


def test_make_run_creates_the_key_once_and_keeps_it(settings, tmp_path):
    # `make run` asks for a key on every start: the first creates it, the next ones keep it as it is.
    path = tmp_path / "certificate_key.pem"
    settings.EPICOMMAND_CERTIFICATE_KEY = path
    first = io.StringIO()
    call_command("certificate_keys", "--create", "--if-missing", stdout=first, stderr=io.StringIO())
    original = path.read_bytes()
    second, said = io.StringIO(), io.StringIO()
    call_command("certificate_keys", "--create", "--if-missing", stdout=second, stderr=said)
    assert path.read_bytes() == original
    assert second.getvalue() == first.getvalue() and said.getvalue() == ""
