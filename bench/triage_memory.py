"""Triage's resident memory with its classifier and segmentation dictionary loaded.

    python bench/triage_memory.py [--base-port 8140 --broker-port 9104] [--tickets 300]

Starts the system as `sopdesk up` does (SQLite, a data directory in a temporary
folder), posts held-out corpus tickets through intake, waits until triage has decided
them all, and prints the resident (VmRSS) and peak (VmHWM) memory of this system's
triage process (found among `up`'s own children, not another system's).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx

from services.triage.classifier.training import load_corpus
from sopdesk.up_process import up_process


def _children(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _triage_memory(up_pid: int) -> dict[str, float]:
    for child in _children(up_pid):
        args = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"serve" in args and b"triage" in args:
            status = Path(f"/proc/{child}/status").read_text().splitlines()
            values = {
                line.split(":")[0]: int(line.split()[1]) / 1024
                for line in status
                if line.startswith(("VmRSS:", "VmHWM:"))
            }
            return {"rss_mib": values["VmRSS"], "peak_mib": values["VmHWM"]}
    raise SystemExit("no triage process under sopdesk up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-port", type=int, default=8140)
    parser.add_argument("--broker-port", type=int, default=9104)
    parser.add_argument("--tickets", type=int, default=300)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="sopdesk-triage-memory-"))
    with up_process(
        data_dir,
        ("intake", "triage", "dispatch", "followup", "analytics"),
        base_port=args.base_port,
        broker_port=args.broker_port,
    ) as up:
        gateway, supervisor = up.keys["gateway"], up.keys["admin"]
        rows = [r for r in load_corpus() if r["split"] == "test"][: args.tickets]
        intake, triage = up.urls["intake"], up.urls["triage"]
        with httpx.Client(timeout=30) as client:
            ids = []
            for i, row in enumerate(rows):
                posted = client.post(
                    f"{intake}/v1/tickets",
                    headers={"Authorization": f"Bearer {gateway}"},
                    json={
                        "channel": "web_chat",
                        "customer": {"phone": f"1380000{i:04d}"},
                        "subject": row["subject"] or row["description"][:20],
                        "description": row["description"],
                    },
                )
                posted.raise_for_status()
                ids.append(posted.json()["ticket_id"])
            deadline = time.monotonic() + 120
            pending = list(ids)
            while pending and time.monotonic() < deadline:
                answer = client.get(
                    f"{triage}/v1/decisions/{pending[-1]}",
                    headers={"Authorization": f"Bearer {supervisor}"},
                )
                if answer.status_code == 200:
                    pending.pop()
                else:
                    time.sleep(0.2)
        memory = _triage_memory(up.process.pid)
        print(
            f"triage after deciding {len(ids) - len(pending)} tickets: resident "
            f"{memory['rss_mib']:.0f} MiB, peak {memory['peak_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
