"""Password hashing with argon2id (argon2-cffi), at OWASP's recommended cost."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane. About
# 30 ms of CPU each on the development machine; run off the event loop.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)

# Checked for unknown logins too, so a sign-in takes as long whether the login exists or not.
_DUMMY_HASH = _hasher.hash("sopdesk: no such login")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash or _DUMMY_HASH, password) and (
        password_hash is not None
    )


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
