"""Secrets Adline must send on later (a pixel's access token), encrypted at rest.

`TokenCipher` seals a string with Fernet (AES-128-CBC with an HMAC-SHA256 tag, from
`cryptography`) under the deployment's key: `ADLINE_SECRET_KEY` when set, else a key file
generated on first use (`./var/secret.key` for the embedded default). A sealed value read
from the database is useless without the key, so a leaked dump does not leak tokens.
docs/security.md#secrets-at-rest.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyError(RuntimeError):
    """The configured key is not a Fernet key, or a sealed value was sealed under another."""


class TokenCipher:
    def __init__(self, key: str = "", key_file: str = "") -> None:
        """`key` (a urlsafe base64 Fernet key) wins; else `key_file` is read, or created
        with a new key when missing. The file is only touched on first use, so an app that
        never stores a secret never writes one."""
        self._key = key
        self._key_file = key_file
        self._fernet: Fernet | None = None
        if key:
            self._fernet = _fernet(key, "ADLINE_SECRET_KEY")

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            if not self._key_file:
                raise SecretKeyError("No secret key: set ADLINE_SECRET_KEY.")
            self._key = _read_or_create(Path(self._key_file))
            self._fernet = _fernet(self._key, self._key_file)
        return self._fernet

    def derived_key(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` (e.g. signing the web session cookie, adline.web),
        derived from the same deployment key by HMAC-SHA256: one secret to keep, and a
        signature made for one purpose is worth nothing for another or for sealing."""
        self._cipher()
        return hmac.new(self._key.strip().encode(), purpose.encode(), hashlib.sha256).digest()

    def seal(self, plaintext: str) -> str:
        return self._cipher().encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._cipher().decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise SecretKeyError("A stored secret was sealed under another key.") from error


def _fernet(key: str, source: str) -> Fernet:
    try:
        return Fernet(key.strip().encode())
    except ValueError as error:
        raise SecretKeyError(
            f"{source} is not a Fernet key (32 bytes, urlsafe base64); "
            "make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        ) from error


def _read_or_create(path: Path) -> str:
    """The key in `path`; a new one written there (owner-only) when the file is missing.
    Two processes starting together: the exclusive create lets one write it and the other
    read what it wrote."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(Fernet.generate_key().decode())
    for _ in range(100):  # the other process may still be writing its 44 characters
        key = path.read_text().strip()
        if key:
            return key
    raise SecretKeyError(f"{path} is empty.")
