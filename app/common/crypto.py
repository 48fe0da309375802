"""Personal data at rest: AES-GCM encryption under versioned keys, and keyed lookup hashes.

The keys (settings in app/config.py; the rotation is in docs/OPERATIONS.md):
- DATA_KEY is key version 1; DATA_KEYS adds newer versions as "2:<base64>,3:<base64>";
- DATA_KEY_VERSION names the version every new encryption uses (default 1); every configured
  version still decrypts, and a ciphertext's first byte says which one it needs;
- DATA_HASH_KEY keys the lookup hashes; unset, DATA_KEY does. It never rotates (below).
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

MAX_KEY_VERSION = 255  # the version is the ciphertext's first byte


class KeyConfigError(RuntimeError):
    """Raised when DATA_KEY, DATA_KEYS, DATA_KEY_VERSION or DATA_HASH_KEY cannot be used."""


class UnknownKeyVersion(ValueError):
    """Raised when a ciphertext was sealed under a key version this deployment does not hold."""


@dataclass(frozen=True)
class Keyring:
    """The derived keys: AES-GCM key per version, the version new values use, the lookup-hash key."""

    current: int
    encryption: Mapping[int, bytes]
    hash_key: bytes


def _derive(master: bytes, info: bytes) -> bytes:
    """Derive a 32-byte key from a master key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _master(value: str, name: str, problems: list[str]) -> bytes | None:
    """Decode one base64 master key, or note why it cannot be used."""
    try:
        master = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        problems.append(f"{name} is not base64")
        return None
    if len(master) < 32:
        problems.append(f"{name} must be at least 32 bytes, base64-encoded")
        return None
    return master


def _parse(
    data_key: str | None, data_keys: str | None, version: str | int | None, hash_key: str | None
) -> tuple[Keyring | None, list[str]]:
    """Build the keyring from the four settings, or say everything wrong with them."""
    problems: list[str] = []
    masters: dict[int, bytes] = {}
    if data_key:
        master = _master(data_key, "DATA_KEY", problems)
        if master:
            masters[1] = master
    for entry in (data_keys or "").split(","):
        if not entry.strip():
            continue
        number, sep, value = entry.strip().partition(":")
        if not sep or not number.strip().isdigit() or not value.strip():
            problems.append('DATA_KEYS must be a list of "version:base64-key" separated by commas')
            continue
        n = int(number)
        if not 2 <= n <= MAX_KEY_VERSION:
            problems.append(f"DATA_KEYS versions run from 2 to {MAX_KEY_VERSION} (version 1 is DATA_KEY)")
        elif n in masters:
            problems.append(f"DATA_KEYS names version {n} twice")
        else:
            master = _master(value, f"DATA_KEYS version {n}", problems)
            if master:
                masters[n] = master
    try:
        current = int(str(version if version is not None else 1).strip())
    except ValueError:
        current = None
        problems.append("DATA_KEY_VERSION must be a whole number")
    if current is not None and current not in masters and not problems:
        problems.append(f"DATA_KEY_VERSION is {current}, but no key of that version is configured")
    # Lookup hashes find a person by ID number or phone (a WHERE on *_hmac): a hash key that
    # changed would make every stored hash unfindable until each row was re-hashed from its
    # decrypted value. So the hash key never rotates: DATA_HASH_KEY, else DATA_KEY (version 1)
    # forever; rotation re-encrypts values and leaves every hash as it is. To drop version 1,
    # move DATA_KEY's value to DATA_HASH_KEY.
    hash_master = _master(hash_key, "DATA_HASH_KEY", problems) if hash_key else masters.get(1)
    if not hash_key and not data_key:
        problems.append("DATA_HASH_KEY must be set when DATA_KEY (version 1) is not")
    if problems or current is None or hash_master is None:
        return None, problems
    encryption = {n: _derive(master, f"employment-circle/enc/v{n}".encode()) for n, master in masters.items()}
    return Keyring(current, encryption, _derive(hash_master, b"employment-circle/hmac/v1")), []


def key_problems(config: Mapping) -> list[str]:
    """Say what is wrong with a config's data keys (empty when they can be used)."""
    _, problems = _parse(
        config.get("DATA_KEY"),
        config.get("DATA_KEYS"),
        config.get("DATA_KEY_VERSION"),
        config.get("DATA_HASH_KEY"),
    )
    return list(dict.fromkeys(problems))


@lru_cache(maxsize=8)
def _cached_keyring(
    data_key: str | None, data_keys: str | None, version: str | int | None, hash_key: str | None
) -> Keyring:
    """Return the keyring of these settings (derived once), or raise KeyConfigError."""
    keyring, problems = _parse(data_key, data_keys, version, hash_key)
    if keyring is None:
        raise KeyConfigError("personal-data keys unusable: " + "; ".join(dict.fromkeys(problems)))
    return keyring


def keyring() -> Keyring:
    """Return the current app's keyring."""
    config = current_app.config
    return _cached_keyring(
        config.get("DATA_KEY"),
        config.get("DATA_KEYS"),
        config.get("DATA_KEY_VERSION"),
        config.get("DATA_HASH_KEY"),
    )


def key_version(blob: bytes) -> int:
    """Return the key version a ciphertext was sealed under."""
    if not blob:
        raise ValueError("empty ciphertext: no key version")
    return blob[0]


def encrypt(value: str, field: str) -> bytes:
    """Encrypt `value` under the current key; `field` is bound in so ciphertexts cannot be swapped."""
    keys = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(keys.encryption[keys.current]).encrypt(nonce, value.encode(), field.encode())
    return bytes([keys.current]) + nonce + sealed


def decrypt(blob: bytes, field: str) -> str:
    """Decrypt a value written by encrypt(), under whichever configured key version sealed it."""
    version = key_version(blob)
    key = keyring().encryption.get(version)
    if key is None:
        raise UnknownKeyVersion(
            f"personal data sealed under key version {version}, which is not configured "
            "(DATA_KEY is version 1, DATA_KEYS the others)"
        )
    return AESGCM(key).decrypt(blob[1:13], blob[13:], field.encode()).decode()


def lookup_hash(value: str, field: str) -> str:
    """Return the keyed hash used to find a record by its exact value (the same under every key version)."""
    return hmac.new(keyring().hash_key, f"{field}:{value}".encode(), hashlib.sha256).hexdigest()
