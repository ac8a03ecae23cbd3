"""Personal data at rest: AES-256-GCM with a key ring (rotation), and a keyed hash for matching complainants."""

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DEV_KEY = base64.b64encode(hashlib.sha256(b"tousu-dev-personal-data-key").digest()).decode()


class PersonalDataVault:
    """Encrypts with the first key of the ring; decrypts with whichever key id a record names."""

    def __init__(self, keys: dict[str, str], hash_key: str) -> None:
        if not keys:
            raise ValueError("at least one personal-data key is required")
        self._keys = {kid: AESGCM(base64.b64decode(k)) for kid, k in keys.items()}
        self.current = next(iter(keys))
        self._hash_key = hash_key.encode()

    def seal(self, values: Mapping[str, object], aad: str) -> tuple[bytes, str]:
        nonce = os.urandom(12)
        sealed = self._keys[self.current].encrypt(nonce, orjson.dumps(dict(values)), aad.encode())
        return nonce + sealed, self.current

    def open(self, blob: bytes, key_id: str, aad: str) -> dict[str, object]:
        data: dict[str, object] = orjson.loads(self._keys[key_id].decrypt(blob[:12], blob[12:], aad.encode()))
        return data

    def complainant_ref(self, *identifiers: str | None) -> str | None:
        """A pseudonymous reference: the same person (by ID number, else phone) gives the same ref."""
        basis = next((i.strip().upper() for i in identifiers if i and i.strip()), None)
        if basis is None:
            return None
        return hmac.new(self._hash_key, basis.encode(), hashlib.sha256).hexdigest()[:32]
