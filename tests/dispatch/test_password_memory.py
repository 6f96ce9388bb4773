"""Hashing passwords leaves no argon2 buffers resident: each hash takes 19 MiB, and
glibc's default would keep one such block in every thread that hashed (dispatch held
tens of MiB more than the other services for it)."""

from __future__ import annotations

import subprocess
import sys

# In a fresh interpreter: the RSS before and after eight hashes in parallel threads.
_SCRIPT = """
import asyncio

def resident_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")

from services.dispatch.people import passwords

async def main() -> None:
    before = resident_mib()
    await asyncio.gather(*(passwords.hash_password(f"password {i}") for i in range(8)))
    await asyncio.gather(*(passwords.verify_password(None, "x") for _ in range(8)))
    print(resident_mib() - before)

asyncio.run(main())
"""


def test_parallel_hashes_leave_no_buffers_resident() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    grown_mib = float(done.stdout.strip())
    # Without the fixed threshold this grew by about 114 MiB (8 threads x 19 MiB, less reuse).
    assert grown_mib < 19, f"resident memory grew by {grown_mib:.1f} MiB"
