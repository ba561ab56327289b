"""Report text encryption (AES-256-GCM, authenticated) and follow-up code hashing.

The key comes from SMPOLICY_REPORT_KEY (urlsafe base64 of 32 bytes) or from `report.key` in the
data folder, created on first start with mode 0600. Back the key up with the database: without
it the reports cannot be read.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class KeyError_(ValueError):
    """The configured report key is not usable."""


class TamperedError(ValueError):
    """A stored report failed authentication: it was changed or the key is wrong."""


def _decode(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise KeyError_("SMPOLICY_REPORT_KEY: not base64") from exc
    if len(key) != 32:
        raise KeyError_("SMPOLICY_REPORT_KEY: each key must be 32 bytes, urlsafe base64 encoded")
    return key


def new_key() -> str:
    """A fresh key, urlsafe base64, as SMPOLICY_REPORT_KEY and the key file hold it."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _parse(text: str, where: str) -> list[bytes]:
    parts = [part.strip() for part in text.split(",")]
    if not parts or any(not part for part in parts):
        raise KeyError_(f"{where}: expected one key, or NEW,OLD during a rotation, each urlsafe base64 of 32 bytes")
    return [_decode(part) for part in parts]


def load_keys(configured: str, data_dir: Path, may_create: bool = True) -> list[bytes]:
    """The report keys, newest first: SMPOLICY_REPORT_KEY ("new,old,..." during a rotation), else the
    key file `report.key` in the data folder, created with mode 0600 on first start. With `may_create` False
    (the database already holds reports, or a command that only reads) a missing key is an error, never a new key:
    a new key would make every stored report unreadable."""
    if configured:
        return _parse(configured, "SMPOLICY_REPORT_KEY")
    path = data_dir / "report.key"
    if not path.exists():
        if not may_create:
            raise KeyError_(f"no report key: SMPOLICY_REPORT_KEY is unset and {path} does not exist, but the database holds "
                            "reports; restore report.key or set SMPOLICY_REPORT_KEY (a new key could not read them)")
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: two processes starting together never
        # read a half-written key, and the second one keeps the first one's key.
        temporary = data_dir / f".report.key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return _parse(path.read_text(), str(path))


class Sealer:
    """Encrypts report text bound to its case reference with the newest key; decrypts with any key."""

    def __init__(self, keys: bytes | list[bytes]):
        keys = [keys] if isinstance(keys, bytes) else keys
        self._aeads = [AESGCM(k) for k in keys]
        self._first = keys[0]

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for another purpose (form tokens, rate-limit buckets), derived from the newest report key
        with HKDF, so that every replica holding the key derives the same one and the database alone holds none."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"smpolicy:" + purpose.encode()).derive(self._first)

    def seal(self, ref: str, plaintext: str) -> tuple[str, str]:
        nonce = secrets.token_bytes(12)
        ct = self._aeads[0].encrypt(nonce, plaintext.encode(), ref.encode())
        return base64.b64encode(nonce).decode(), base64.b64encode(ct).decode()

    def open(self, ref: str, nonce: str, ciphertext: str) -> str:
        try:
            raw_nonce, raw_ct = base64.b64decode(nonce), base64.b64decode(ciphertext)
        except ValueError as exc:
            raise TamperedError(f"report {ref} failed authentication") from exc
        for aead in self._aeads:
            try:
                return aead.decrypt(raw_nonce, raw_ct, ref.encode()).decode()
            except (InvalidTag, ValueError):
                continue
        raise TamperedError(f"report {ref} failed authentication")


class Hasher:
    """Runs the deliberately slow scrypt off the event loop, one at a time: each call needs 16 MB,
    and a thread pool of them would keep that memory once per thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrypt")

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)


CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DUMMY_SALT = bytes(16)


def new_code() -> str:
    """A follow-up code: 12 letters of a 31-letter alphabet (59 bits), grouped by four."""
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))


class CodePool:
    """Follow-up codes with their scrypt hashes, made ahead on the hasher thread, so that filing a report takes
    no longer than any other action (its timing must not tell a report from a quiz answer)."""

    def __init__(self, hasher: Hasher, size: int = 4):
        self.hasher, self.size = hasher, size
        self.ready: list[tuple[str, bytes, str]] = []
        self._filling: asyncio.Task | None = None

    async def _make(self) -> tuple[str, bytes, str]:
        code, salt = new_code(), secrets.token_bytes(16)
        return code, salt, await self.hasher.run(hash_code, code, salt)

    async def fill(self) -> None:
        """Make codes until `size` are ready."""
        while len(self.ready) < self.size:
            self.ready.append(await self._make())

    def _refill(self) -> None:
        if self._filling is None or self._filling.done():
            self._filling = asyncio.get_running_loop().create_task(self.fill())

    async def take(self) -> tuple[str, bytes, str]:
        """A fresh (code, salt, hash); made now only when a burst has emptied the pool."""
        item = self.ready.pop() if self.ready else await self._make()
        self._refill()
        return item


def hash_code(code: str, salt: bytes) -> str:
    """A slow hash of a follow-up code (scrypt)."""
    return hashlib.scrypt(code.strip().upper().encode(), salt=salt, n=2**14, r=8, p=1).hex()


def check_code(code: str, salt_hex: str, expected: str) -> bool:
    return hmac.compare_digest(hash_code(code, bytes.fromhex(salt_hex)), expected)
