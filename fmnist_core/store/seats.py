"""A seat is one learner: a secret token for their link, and a short code to type on another device.

The database keeps no secret in the clear: SHA-256 of the token to find the seat by its link; for
the code, its first CODE_PREFIX characters (to find the few seats that share them) and a scrypt hash
of the whole code salted with the seat's own salt, whose key unlocks the token (XOR), so the code
opens the same link; the code itself is locked with the token's key. A seat's code has 8 characters
of 31 (39.6 bits); with a salt of its own, a leaked database must be searched seat by seat: the
31⁵ codes behind one prefix cost about 13 days of one processor for each seat. Seats made before
codes had 8 characters keep their 6 (one salt for all, `LEGACY_SALT`).
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field, replace

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed without doubt
CODE_LENGTH = 6  # a class's code (and a seat's, before they had SEAT_CODE_LENGTH)
SEAT_CODE_LENGTH, CODE_PREFIX = 8, 3
SALT_BYTES = 16
TOKEN_BYTES = 16  # 128 bits
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # what secrets.token_urlsafe(16) makes
LEGACY_SALT = b"fmnist-classroom seat code"  # the one salt of the 6-character seat codes
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # about 40 ms and 16 MB for each code hashed


@dataclass(frozen=True)
class Seat:
    """One learner; `token` goes in their link, `code` (normalised, e.g. K7P2QX) when it is known."""

    token: str = field(repr=False)  # never shown or logged
    code: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if not isinstance(self.token, str) or not _TOKEN.fullmatch(self.token):
            got = f"{len(self.token)} characters" if isinstance(self.token, str) else repr(self.token)
            raise ValueError(f"A seat token is 22 characters of A-Z, a-z, 0-9, - and _; got {got}.")
        if self.code is not None:
            code = normalise_seat_code(self.code)
            if code is None:
                raise ValueError(f"A seat code is {SEAT_CODE_LENGTH} characters of {CODE_ALPHABET}, like "
                                 f"K7PQ-2QX9; got {self.code!r}.")
            object.__setattr__(self, "code", code)

    @classmethod
    def new(cls) -> "Seat":
        return cls(secrets.token_urlsafe(TOKEN_BYTES), new_code(SEAT_CODE_LENGTH))

    def with_new_code(self) -> "Seat":
        return replace(self, code=new_code(SEAT_CODE_LENGTH))

    @property
    def shown_code(self) -> str | None:
        """The code as the page shows it, in two halves: K7PQ-2QX9 (an older one: K7P-2QX)."""
        return None if self.code is None else shown_code(self.code)


def shown_code(code: str) -> str:
    """A normalised code in two halves, as pages show it: K7PQ2QX9 → K7PQ-2QX9."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_seat_code(text: object) -> str | None:
    """ "k7pq 2qx9", "K7PQ-2QX9" → "K7PQ2QX9"; an older seat's 6 characters too; else None."""
    code = _letters_and_digits(text)
    return code if code is not None and len(code) in (SEAT_CODE_LENGTH, CODE_LENGTH) else None


def normalise_code(text: object) -> str | None:
    """ "k7p 2qx", "K7P-2QX", "k7p2qx" → "K7P2QX"; None unless that is 6 characters of the alphabet."""
    code = _letters_and_digits(text)
    return code if code is not None and len(code) == CODE_LENGTH else None


def _letters_and_digits(text: object) -> str | None:
    """The text's letters and digits in capitals, if all are of the alphabet; else None."""
    if not isinstance(text, str):
        return None
    code = "".join(char for char in text.upper() if char.isalnum())
    return code if all(char in CODE_ALPHABET for char in code) else None


def is_token(text: object) -> bool:
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_key(token: str) -> bytes:
    """The key that locks the seat's code; unrelated to the token's hash, which the database holds."""
    return hashlib.sha256(b"locks the code\0" + token.encode()).digest()


def code_hash_and_key(code: str, salt: bytes = LEGACY_SALT) -> tuple[str, bytes]:
    """The code's hash (to know the seat) and the key that locks the token, from one scrypt."""
    derived = hashlib.scrypt(code.encode(), salt=salt, dklen=64, **_SCRYPT)
    return derived[:32].hex(), derived[32:]


def locked(secret: str, key: bytes) -> bytes:
    """XOR with a 32-byte key that locks this one secret only; `unlocked` undoes it."""
    data = secret.encode()
    if len(data) > len(key):
        raise ValueError(f"Can lock at most {len(key)} bytes; got {len(data)}.")
    return bytes(a ^ b for a, b in zip(data, key))


def unlocked(data: bytes, key: bytes) -> str:
    return bytes(a ^ b for a, b in zip(data, key)).decode()
