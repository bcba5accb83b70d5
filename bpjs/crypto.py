"""What BPJS's web services sign and encrypt: the request signature and the answer's body.

The answer's `response` is base64 of AES-256-CBC (key SHA-256(cons_id + secret + timestamp),
IV the key's first 16 bytes, PKCS#7 padding) over LZ-string's `compressToEncodedURIComponent`
of the JSON. tests/fixtures/bpjs_answers.js makes fixtures with the JavaScript original.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import lzstring
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class Undecodable(ValueError):
    """An answer whose `response` is not what the timestamp's key and LZ-string make of it."""


def signature(cons_id: str, secret: str, timestamp: str) -> str:
    """X-signature: base64(HMAC-SHA256(secret, cons_id + "&" + timestamp))."""
    digest = hmac.new(secret.encode(), f"{cons_id}&{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def _cipher(cons_id: str, secret: str, timestamp: str) -> Cipher[modes.CBC]:
    key = hashlib.sha256(f"{cons_id}{secret}{timestamp}".encode()).digest()
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def decrypt(text: str, cons_id: str, secret: str, timestamp: str) -> str:
    """The LZ-string text inside an answer's `response`."""
    try:
        decryptor = _cipher(cons_id, secret, timestamp).decryptor()
        padded = decryptor.update(base64.b64decode(text, validate=True)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode()
    except ValueError as error:  # binascii.Error, bad padding, not UTF-8: all ValueErrors
        raise Undecodable(f"cannot decrypt the answer ({type(error).__name__})") from error


def encrypt(plain: str, cons_id: str, secret: str, timestamp: str) -> str:
    """The inverse of `decrypt` (for look-alike servers)."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain.encode()) + padder.finalize()
    encryptor = _cipher(cons_id, secret, timestamp).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


# LZ-string works on JavaScript's UTF-16 code units, the Python package on code points: a
# character beyond the BMP (an emoji in a name) is two units in JavaScript. So text goes in as
# code units and comes out with each surrogate pair joined again, as the fixtures check.


def _code_units(text: str) -> str:
    raw = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(raw[i : i + 2], "little")) for i in range(0, len(raw), 2))


def _joined(units: str) -> str:
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def decompress(text: str) -> str:
    found = lzstring.LZString().decompressFromEncodedURIComponent(text)
    if not isinstance(found, str) or (text and not found):
        raise Undecodable("the answer is not LZ-string")
    try:
        return _joined(found)
    except UnicodeDecodeError as error:  # a lone surrogate: not text JavaScript would send
        raise Undecodable("the answer is not LZ-string") from error


def compress(plain: str) -> str:
    return str(lzstring.LZString().compressToEncodedURIComponent(_code_units(plain)))


def open_response(text: str, cons_id: str, secret: str, timestamp: str) -> Any:
    """An answer's `response`, decrypted, decompressed and parsed."""
    try:
        return json.loads(decompress(decrypt(text, cons_id, secret, timestamp)))
    except json.JSONDecodeError as error:
        raise Undecodable("the answer is not JSON") from error


def seal_response(value: Any, cons_id: str, secret: str, timestamp: str) -> str:
    """The inverse of `open_response` (for look-alike servers)."""
    plain = json.dumps(value, separators=(",", ":"), ensure_ascii=False)  # as JSON.stringify
    return encrypt(compress(plain), cons_id, secret, timestamp)
