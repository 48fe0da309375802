"""Personal data at rest: AES-GCM encryption and keyed lookup hashes, both keyed from DATA_KEY."""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

KEY_VERSION = 1  # first byte of every ciphertext, so keys can be rotated later


@lru_cache(maxsize=4)
def _keys(data_key: str) -> tuple[bytes, bytes]:
    """Derive the encryption key and the lookup-hash key from DATA_KEY (HKDF-SHA256)."""
    master = base64.b64decode(data_key)
    if len(master) < 32:
        raise RuntimeError("DATA_KEY must be at least 32 bytes, base64-encoded")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"employment-circle/enc/v1"), derive(b"employment-circle/hmac/v1")


def encrypt(value: str, field: str) -> bytes:
    """Encrypt `value` with AES-GCM; `field` is bound in so ciphertexts cannot be swapped."""
    enc_key, _ = _keys(current_app.config["DATA_KEY"])
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, value.encode(), field.encode())
    return bytes([KEY_VERSION]) + nonce + sealed


def decrypt(blob: bytes, field: str) -> str:
    """Decrypt a value written by encrypt()."""
    if not blob or blob[0] != KEY_VERSION:
        raise ValueError("unknown personal-data key version")
    enc_key, _ = _keys(current_app.config["DATA_KEY"])
    return AESGCM(enc_key).decrypt(blob[1:13], blob[13:], field.encode()).decode()


def lookup_hash(value: str, field: str) -> str:
    """Return the keyed hash used to find a record by its exact value."""
    _, mac_key = _keys(current_app.config["DATA_KEY"])
    return hmac.new(mac_key, f"{field}:{value}".encode(), hashlib.sha256).hexdigest()
