"""A seat is one learner: a secret token for their link, and a short code to type on another device.

The database keeps no secret in the clear: SHA-256 of the token and scrypt of the code to find the
seat, the token locked (XOR) with the code's scrypt key so the code opens the same link, and the code
locked with the token's key. A code has only 30 bits: scrypt makes trying all 887 million of them
against a leaked database cost about a year of one processor.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field, replace

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed without doubt
CODE_LENGTH = 6
TOKEN_BYTES = 16  # 128 bits
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # what secrets.token_urlsafe(16) makes
_CODE_SALT = b"fmnist-classroom seat code"  # one salt for all: the code's hash is how a seat is found
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
            code = normalise_code(self.code)
            if code is None:
                raise ValueError(f"A seat code is {CODE_LENGTH} characters of {CODE_ALPHABET}, like "
                                 f"K7P-2QX; got {self.code!r}.")
            object.__setattr__(self, "code", code)

    @classmethod
    def new(cls) -> "Seat":
        return cls(secrets.token_urlsafe(TOKEN_BYTES), new_code())

    def with_new_code(self) -> "Seat":
        return replace(self, code=new_code())

    @property
    def shown_code(self) -> str | None:
        """The code as the page shows it: K7P-2QX."""
        return None if self.code is None else f"{self.code[:3]}-{self.code[3:]}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: object) -> str | None:
    """ "k7p 2qx", "K7P-2QX", "k7p2qx" → "K7P2QX"; None unless that is 6 characters of the alphabet."""
    if not isinstance(text, str):
        return None
    code = "".join(char for char in text.upper() if char.isalnum())
    return code if len(code) == CODE_LENGTH and all(char in CODE_ALPHABET for char in code) else None


def is_token(text: object) -> bool:
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_key(token: str) -> bytes:
    """The key that locks the seat's code; unrelated to the token's hash, which the database holds."""
    return hashlib.sha256(b"locks the code\0" + token.encode()).digest()


def code_hash_and_key(code: str) -> tuple[str, bytes]:
    """The code's hash (to find the seat) and the key that locks the token, from one scrypt."""
    derived = hashlib.scrypt(code.encode(), salt=_CODE_SALT, dklen=64, **_SCRYPT)
    return derived[:32].hex(), derived[32:]


def locked(secret: str, key: bytes) -> bytes:
    """XOR with a 32-byte key that locks this one secret only; `unlocked` undoes it."""
    data = secret.encode()
    if len(data) > len(key):
        raise ValueError(f"Can lock at most {len(key)} bytes; got {len(data)}.")
    return bytes(a ^ b for a, b in zip(data, key))


def unlocked(data: bytes, key: bytes) -> str:
    return bytes(a ^ b for a, b in zip(data, key)).decode()
