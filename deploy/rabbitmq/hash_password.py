"""Compute a RabbitMQ `password_hash` for definitions.json (algorithm `rabbit_password_hashing_sha256`).

RabbitMQ's scheme: a random 4-byte salt, SHA-256 over salt + the UTF-8 password, then base64 of
salt + digest. The node recomputes it from the salt at login, so the same password hashes differently
each run and every result is valid.

    python deploy/rabbitmq/hash_password.py 'new-password'          # prints the hash
    python deploy/rabbitmq/hash_password.py --check HASH 'password'  # exit 0 when they match

Standard library only: runs with any Python 3, inside or outside the workspace.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import secrets
import sys

ALGORITHM = "rabbit_password_hashing_sha256"
SALT_BYTES = 4


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if len(salt) != SALT_BYTES:
        raise ValueError(f"the salt is {SALT_BYTES} bytes")
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def check_password(password_hash: str, password: str) -> bool:
    raw = base64.b64decode(password_hash, validate=True)
    if len(raw) != SALT_BYTES + hashlib.sha256().digest_size:
        return False
    return hmac.compare_digest(hash_password(password, raw[:SALT_BYTES]), password_hash)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("password")
    parser.add_argument("--check", metavar="HASH", help="verify PASSWORD against HASH instead of hashing")
    args = parser.parse_args(argv)
    if args.check is not None:
        ok = check_password(args.check, args.password)
        print("match" if ok else "no match")
        return 0 if ok else 1
    print(hash_password(args.password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
