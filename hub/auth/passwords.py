"""argon2id password hashes. Verifying an unknown phone number against a dummy hash makes it cost the
same as a wrong password, so timing does not tell which accounts exist."""

from __future__ import annotations

import secrets
import threading
from functools import cached_property

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id floor (19 MiB, t=2, p=1): ~70 ms on the 2-core hub machines, where argon2-cffi's
# default (64 MiB, t=3, p=4) takes ~1 s per login. Tests swap in argon2's CHEAPEST profile.
PARAMETERS = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=2, memory_cost=19 * 1024, parallelism=1
)
MIN_LENGTH = 8
MAX_LENGTH = 128  # bounds the hashing work one request can ask for
CONCURRENT_HASHES = 2  # each takes 19 MiB and a core: a login flood queues instead of exhausting RAM

_WORDS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a screen by older eyes


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher.from_parameters(PARAMETERS)
        self._slots = threading.BoundedSemaphore(CONCURRENT_HASHES)

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._slots:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    def verify_dummy(self, password: str) -> None:
        """Spend the time a real verification would, for an account that does not exist."""
        self.verify(self._dummy, password)

    @cached_property
    def _dummy(self) -> str:
        # Made on first use: the CLI never needs it. (Two first logins at once may both make one: harmless.)
        return self.hash(secrets.token_hex(16))

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def random_password(groups: int = 3, size: int = 4) -> str:
    """Like `k7m2-p9x4-t3q8`: ~59 bits, easy to type on a phone keyboard."""
    return "-".join("".join(secrets.choice(_WORDS) for _ in range(size)) for _ in range(groups))
