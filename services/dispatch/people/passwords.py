"""Password hashing with argon2id (argon2-cffi), at OWASP's recommended cost."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# glibc's M_MMAP_THRESHOLD (malloc.h).
_M_MMAP_THRESHOLD = -3


def _return_large_buffers_to_the_system() -> None:
    """Have glibc map every allocation of 1 MiB or more on its own and unmap it when freed.

    By default glibc raises that threshold to the size of a large block once one is freed,
    so after the first hash each thread that hashes keeps argon2's 19 MiB in its own heap
    for good: dispatch held about 20–40 MiB more than the other services after hashing the
    demo people and a few sign-ins (8 hashes in parallel left 114 MiB resident; with a
    fixed threshold, none). Not glibc (musl, macOS): nothing to do.
    """
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    try:
        mallopt = ctypes.CDLL(libc_name).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 1 << 20)


_return_large_buffers_to_the_system()

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
