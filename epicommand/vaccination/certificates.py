"""Signed vaccination certificates: a compact token for a QR code that anyone can verify offline.

The province keeps one Ed25519 signing key (private, on the server) and publishes its public key. A
certificate is a small JSON payload signed with that key and written as one token:

    EC1.<payload>.<signature>

- ``EC1`` is the token format's version.
- ``<payload>`` is the canonical JSON of the payload (sorted keys, no spaces, ASCII), in unpadded
  RFC 4648 base32.
- ``<signature>`` is the Ed25519 signature of the ASCII text ``EC1.<payload>`` (the version is signed
  too, as in JWS), in unpadded base32.

Why base32 rather than base45 or base64url: the same token is printed in the QR code and used in the
public URL ``/verify/<token>``. Upper-case base32 and the dots are all in the QR alphanumeric set
(5.5 bits a character), so the QR costs 8.8 bits per payload byte: about 7% more than base45 (8.25)
but 17% less than base64url, which forces byte mode (10.7). Base45's alphabet has space, ``%`` and
``/``, which do not survive a URL path, and ``.``, which would clash with the separator. Base32 is also
in every standard library, so a third-party verifier needs nothing special.

The payload carries only what checking a certificate against an identity card needs (DOMAIN privacy:
no full name, no CCCD, no exact birth date)::

    {"id": certificate id, "iss": "VN-12", "kid": key id,
     "n": "G.A.D." (initials), "by": 1990 (birth year, absent if unknown),
     "d": [["2021-08-01", "AZ", 1], ...] (date, product short code, dose number),
     "iat": "2021-09-01" (issued), "exp": "2022-09-01" (valid until, inclusive; absent if open-ended)}

``sign`` refuses any other key, so no caller can slip a CCCD into a public QR code.

Keys. The private key is a PKCS#8 PEM file at ``settings.EPICOMMAND_CERTIFICATE_KEY`` (default
``VAR_DIR / "certificate_key.pem"``). The module only writes it when its caller says so
(``ensure_key(create=True)``); ``sign`` and ``public_key_pem`` create it on first use only when
``EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE`` is true, which defaults to ``DEBUG``: in production the
operator creates it (``manage.py certificate_keys --create``) or points the setting at a managed file.
Each key has a key id (``kid``: the first 8 bytes of the SHA-256 of the raw public key, base32, 13
characters) written into every payload, so keys can be rotated: move the old private key away, create a
new one, and list the old public PEM in ``EPICOMMAND_CERTIFICATE_PUBLIC_KEYS`` (a list of file paths) so
that certificates already printed keep verifying.

Offline verification needs only the public key, the Python standard library and ``cryptography``
(the tests run this very snippet)::

    # --- offline verifier ---
    import base64
    import datetime
    import json

    from cryptography.hazmat.primitives.serialization import load_pem_public_key


    def b32(text: str) -> bytes:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
        if base64.b32encode(data).decode().rstrip("=") != text:  # unused trailing bits must be zero
            raise ValueError("not canonical base32")
        return data


    def verify_certificate(token: str, public_key_pem: bytes) -> dict:
        version, body, signature = token.split(".")
        if version != "EC1":
            raise ValueError("unsupported version")
        # Raises cryptography.exceptions.InvalidSignature when a single byte differs.
        load_pem_public_key(public_key_pem).verify(b32(signature), f"{version}.{body}".encode("ascii"))
        payload = json.loads(b32(body))  # with several published keys, pick the one whose kid is payload["kid"]
        if "exp" in payload and datetime.date.fromisoformat(payload["exp"]) < datetime.date.today():
            raise ValueError("expired")
        return payload
    # --- end ---
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import stat
import tempfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core.text import fold

logger = logging.getLogger(__name__)

VERSION = "EC1"
# A QR code holds at most 4,296 alphanumeric characters; real tokens are a few hundred. The bound keeps
# the public /verify/ page from parsing arbitrarily large input.
MAX_TOKEN_LENGTH = 2048
SIGNATURE_LENGTH = 64  # Ed25519

_REQUIRED_KEYS = frozenset({"id", "iss", "kid", "n", "d", "iat"})
_OPTIONAL_KEYS = frozenset({"by", "exp"})
_ALLOWED_KEYS = _REQUIRED_KEYS | _OPTIONAL_KEYS
_BASE32 = re.compile(r"[A-Z2-7]*")
_VERSION_LIKE = re.compile(r"EC[0-9]+")
# Lengths of unpadded base32 that are whole bytes (1, 2, 3, 4 or 5 bytes in the last group).
_BASE32_TAILS = frozenset({0, 2, 4, 5, 7})


class InvalidCertificate(Exception):
    """A token that does not verify. ``code`` is stable for programs, the message is for people.

    ``payload`` is set only when the signature was good but the certificate is no longer valid
    (expired), so the verification page can still say whose certificate it was and until when."""

    def __init__(self, code: str, message: str, payload: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.payload = payload


class CertificateKeyMissing(ImproperlyConfigured):
    """No private key where the settings say, and the caller did not allow creating one."""


# ---- encoding ---------------------------------------------------------------------------------------


def b32encode(data: bytes) -> str:
    """Unpadded upper-case RFC 4648 base32: QR-alphanumeric and URL-safe."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def b32decode(text: str) -> bytes:
    """Strict inverse of ``b32encode``: one text for each byte string, or ValueError.

    The standard decoder ignores the unused bits of the last character, so two different tokens would
    carry the same bytes; refusing non-canonical text is what makes every changed character fail."""
    if not _BASE32.fullmatch(text) or len(text) % 8 not in _BASE32_TAILS:
        raise ValueError("not base32")
    data = base64.b32decode(text + "=" * (-len(text) % 8))
    if b32encode(data) != text:
        raise ValueError("not canonical base32")
    return data


def _canonical_json(payload: dict) -> bytes:
    # Deterministic bytes: with Ed25519 (deterministic too) the same certificate always gives the same token.
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


# ---- keys -------------------------------------------------------------------------------------------


def key_path() -> Path:
    return Path(getattr(settings, "EPICOMMAND_CERTIFICATE_KEY", None) or Path(settings.VAR_DIR) / "certificate_key.pem")


def kid_of(public_key: Ed25519PublicKey) -> str:
    """The key id: short enough for every QR code, long enough that two keys never collide by chance."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b32encode(hashlib.sha256(raw).digest()[:8])


def pem_of(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _stamp(path: Path) -> tuple[int, int, int]:
    # Part of the cache key: replacing the file (rotation) is seen without restarting the server.
    st = path.stat()
    return st.st_mtime_ns, st.st_size, st.st_ino


@lru_cache(maxsize=32)
def _load_private(path: str, stamp: tuple[int, int, int]) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        logger.warning("Certificate signing key %s is readable by others (mode %o); it should be 0600.", path, mode)
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 private key.")
    return key


@lru_cache(maxsize=64)
def _load_public(path: str, stamp: tuple[int, int, int]) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 public key.")
    return key


def create_key(path: Path | None = None) -> Ed25519PrivateKey:
    """Write a new private key (mode 0600); FileExistsError if there is one already: never overwrites.

    The key is written to a temporary file, then hard-linked into place: the link appears complete or
    not at all, and fails if the file exists, so two processes starting together cannot leave a torn
    file or replace each other's key."""
    path = Path(path or key_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".certificate_key.", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return key


def ensure_key(create: bool) -> Ed25519PrivateKey:
    """The signing key; if it is missing, create it when ``create`` is true, else CertificateKeyMissing."""
    path = key_path()
    if not path.exists():
        if not create:
            raise CertificateKeyMissing(
                f"No certificate signing key at {path}. Create one with `manage.py certificate_keys --create`, "
                "or set EPICOMMAND_CERTIFICATE_KEY to the key file."
            )
        try:
            create_key(path)
        except FileExistsError:
            pass  # another process created it a moment ago: use theirs
    return _load_private(str(path), _stamp(path))


def _may_create_key() -> bool:
    # Development creates the key on first use; production never writes one unless told to.
    return bool(getattr(settings, "EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE", settings.DEBUG))


def _published_keys() -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in getattr(settings, "EPICOMMAND_CERTIFICATE_PUBLIC_KEYS", None) or []:
        path = Path(entry)
        try:
            key = _load_public(str(path), _stamp(path))
        except (OSError, ValueError) as exc:
            # Loud on purpose: a lost published key would silently invalidate every certificate it signed.
            raise ImproperlyConfigured(f"Cannot read published certificate key {path}: {exc}") from exc
        keys[kid_of(key)] = key
    path = key_path()
    if path.exists():  # verification never creates a key; a verify-only server may have none
        current = _load_private(str(path), _stamp(path)).public_key()
        keys[kid_of(current)] = current
    return keys


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a certificate may have been signed with, by kid: the published ones and the current one."""
    return _published_keys()


def public_key_pem() -> str:
    """The current public key, to publish."""
    return pem_of(ensure_key(create=_may_create_key()).public_key())


# ---- payload ----------------------------------------------------------------------------------------


def initials(full_name: str) -> str:
    """"Giàng A Dế" → "G.A.D.": folded capitals, a dot after each.

    Folded (Đ → D, Ấ → A) like the name line of Vietnamese passports and other machine-read travel
    documents, so a verifier abroad reads them the same way, and a checker compares them to the card
    without caring about tone marks, which initials rarely carry anyway."""
    words = re.findall(r"[^\W_]+", fold(full_name))
    return "".join(f"{word[0].upper()}." for word in words)


def _iso(day: date) -> str:
    return (day.date() if isinstance(day, datetime) else day).isoformat()


def payload_for(*, certificate_id: str, full_name: str, birth_year: int | None, doses: list[tuple[date, str, int]],
                issued: date, valid_until: date | None = None) -> dict:
    """The payload of a certificate: the full name is reduced to initials here and never leaves."""
    payload: dict[str, Any] = {
        "id": str(certificate_id),
        "iss": f"VN-{settings.PROVINCE_CODE}",
        "n": initials(full_name),
        "d": [[_iso(day), str(product), int(number)]
              for day, product, number in sorted(doses, key=lambda dose: (_iso(dose[0]), dose[2]))],
        "iat": _iso(issued),
    }
    if birth_year is not None:
        payload["by"] = int(birth_year)
    if valid_until is not None:
        payload["exp"] = _iso(valid_until)
    return payload


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _shape_problem(payload: Any) -> str | None:
    """What is wrong with a payload's shape, or None. Both sides check: what is signed is what is read."""
    if not isinstance(payload, dict):
        return "not an object"
    keys = set(payload)
    if not _REQUIRED_KEYS <= keys:
        return f"missing {sorted(_REQUIRED_KEYS - keys)}"
    if not keys <= _ALLOWED_KEYS:
        return f"unexpected {sorted(keys - _ALLOWED_KEYS)}"
    if not all(isinstance(payload[k], str) for k in ("id", "iss", "kid", "n")) or not payload["id"]:
        return "id, iss, kid and n must be text"
    if "by" in payload and (type(payload["by"]) is not int or not 1850 <= payload["by"] <= 2200):
        return "by must be a year"
    if not _is_iso_date(payload["iat"]) or ("exp" in payload and not _is_iso_date(payload["exp"])):
        return "iat and exp must be dates"
    doses = payload["d"]
    if not isinstance(doses, list) or not all(
        isinstance(dose, list) and len(dose) == 3 and _is_iso_date(dose[0]) and isinstance(dose[1], str)
        and dose[1] and type(dose[2]) is int and dose[2] > 0
        for dose in doses
    ):
        return "d must be a list of [date, product, dose number]"
    return None


def sign(payload: dict) -> str:
    """The token for the QR code and for /verify/<token>; the current key's kid is written into the payload."""
    key = ensure_key(create=_may_create_key())
    payload = {**payload, "kid": kid_of(key.public_key())}
    problem = _shape_problem(payload)
    if problem:
        raise ValueError(f"Not a certificate payload: {problem}")
    signed = f"{VERSION}.{b32encode(_canonical_json(payload))}"
    return f"{signed}.{b32encode(key.sign(signed.encode('ascii')))}"


def _malformed() -> InvalidCertificate:
    return InvalidCertificate("malformed", _("The certificate code is malformed."))


def verify(token: str, public_keys: dict[str, Ed25519PublicKey] | None = None, *,
           today: date | None = None) -> dict:
    """The payload of a genuine, valid certificate, or InvalidCertificate with the reason.

    ``public_keys`` (kid → key) defaults to the province's published and current keys; pass a key loaded
    from the published PEM alone to verify without any server secret. ``today`` defaults to the local date."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise _malformed()
    version = token.split(".", 1)[0]
    if version != VERSION:
        if _VERSION_LIKE.fullmatch(version):
            raise InvalidCertificate("unsupported_version", _("This certificate version is not supported."))
        raise _malformed()
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed()
    try:
        body = b32decode(parts[1])
        signature = b32decode(parts[2])
        # Read before the signature is checked only to find the key; nothing is trusted until it is.
        payload = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError; "[[[[…" nested too deep
        raise _malformed() from None
    if len(signature) != SIGNATURE_LENGTH or not isinstance(payload, dict) or not isinstance(payload.get("kid"), str):
        raise _malformed()
    keys = _published_keys() if public_keys is None else public_keys
    key = keys.get(payload["kid"])
    if key is None:
        raise InvalidCertificate("unknown_key", _("The certificate was signed with an unknown key."))
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise InvalidCertificate("bad_signature", _("The certificate's signature is not valid.")) from None
    if _shape_problem(payload):
        raise _malformed()
    if "exp" in payload:
        today = today or timezone.localdate()
        if date.fromisoformat(payload["exp"]) < today:
            raise InvalidCertificate("expired", _("The certificate has expired."), payload=payload)
    return payload


# ---- QR code ----------------------------------------------------------------------------------------


def qr_svg(token: str) -> str:
    """An inline SVG QR code of the token, with no external resources, sized by the page's CSS.

    Error correction M (raised by segno when it fits in the same size): a printed certificate gets
    folded and worn, and is also scanned from phone screens. The quiet zone (4 modules) is part of the
    image and the background is drawn white, so the code scans on coloured paper or a dark screen."""
    qr = segno.make(token, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", xmldecl=False, svgns=True, omitsize=True, border=4, dark="#000", light="#fff",
            svgclass="certificate-qr", nl=False)
    return out.getvalue().decode("utf-8")
