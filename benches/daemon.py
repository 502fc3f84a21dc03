#!/usr/bin/env python3
"""Daemon measurements for `numkeep run`:

  * READY=1 latency: a tiny systemd-notify listener (AF_UNIX, SOCK_DGRAM) is bound to
    NOTIFY_SOCKET; the time runs from just before the spawn to the datagram carrying READY=1;
  * idle RSS: VmRSS and VmHWM from /proc/PID/status once the catch-up check (a first start
    has no last check, so it checks at once) is done and the daemon sleeps;
  * idle wake-ups: context switches (voluntary + non-voluntary) summed over every thread in
    /proc/PID/task/*/status, read before and after an idle window (10 s by default). A thread
    that exits inside the window takes its count with it, so thread ids are compared too.

The config must set a far-away check_at (e.g. "0 9 29 2 *") so that no scheduled check
falls in the window; the state directory is a fresh temp dir (STATE_DIRECTORY). The config
sits in its own directory: the daemon watches that directory with inotify, and any other
file written there would wake it.

Usage: daemon.py NUMKEEP CONFIG [--starts K] [--idle SECONDS] [--json OUT]
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def read_status(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def kib(value: str) -> int:
    return int(value.split()[0])


def switches(pid: int) -> tuple[int, dict]:
    """Total context switches over all threads, and per thread id."""
    per_thread = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                v = n = 0
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        v = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        n = int(line.split()[1])
                per_thread[int(tid)] = v + n
        except FileNotFoundError:
            pass  # the thread exited while we looked
    return sum(per_thread.values()), per_thread


def recv_until(sock: socket.socket, want: str, deadline: float) -> tuple[float | None, list]:
    """Receives notify datagrams until one has a line `want`; returns its arrival time."""
    messages = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, messages
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return None, messages
        at = time.monotonic()
        text = data.decode(errors="replace")
        messages.append(text)
        if any(line == want or line.startswith(want) for line in text.splitlines()):
            return at, messages


def one_start(numkeep: str, config: str, idle: float | None, log_path: str) -> dict:
    result = {}
    with tempfile.TemporaryDirectory(prefix="numkeep-daemon-") as tmp:
        sock_path = os.path.join(tmp, "notify.sock")
        state = os.path.join(tmp, "state")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        env = dict(os.environ)
        env.update(NOTIFY_SOCKET=sock_path, STATE_DIRECTORY=state, RUST_LOG="info")
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        with open(log_path, "ab") as log:
            start = time.monotonic()
            proc = subprocess.Popen(
                [numkeep, "--config", config, "run"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
            try:
                ready_at, messages = recv_until(sock, "READY=1", start + 30)
                if ready_at is None:
                    raise RuntimeError(f"no READY=1 within 30 s; got {messages!r}")
                result["ready_ms"] = (ready_at - start) * 1000
                # The catch-up check runs right after READY and ends with a STATUS update.
                done_at, more = recv_until(sock, "STATUS=", time.monotonic() + 60)
                result["catch_up_ms"] = None if done_at is None else (done_at - start) * 1000
                if idle is not None:
                    time.sleep(1.0)  # let it settle into its sleep
                    before = read_status(proc.pid)
                    total0, threads0 = switches(proc.pid)
                    time.sleep(idle)
                    after = read_status(proc.pid)
                    total1, threads1 = switches(proc.pid)
                    result.update(
                        idle_seconds=idle,
                        vm_rss_kib=kib(after["VmRSS"]),
                        vm_hwm_kib=kib(after["VmHWM"]),
                        threads_before=int(before["Threads"]),
                        threads_after=int(after["Threads"]),
                        thread_ids_changed=sorted(threads0) != sorted(threads1),
                        ctxt_switches_idle=total1 - total0,
                        ctxt_switches_per_thread={
                            tid: threads1.get(tid, 0) - threads0.get(tid, 0)
                            for tid in sorted(set(threads0) | set(threads1))
                        },
                    )
            finally:
                proc.send_signal(signal.SIGTERM)
                stop_start = time.monotonic()
                try:
                    result["exit_code"] = proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    result["exit_code"] = "killed after 10 s"
                result["stop_ms"] = (time.monotonic() - stop_start) * 1000
                sock.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("numkeep")
    parser.add_argument("config")
    parser.add_argument("--starts", type=int, default=5, help="starts timed for READY")
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--log", default=os.devnull)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    readies = []
    for _ in range(args.starts):
        readies.append(one_start(args.numkeep, args.config, None, args.log)["ready_ms"])
    idle = one_start(args.numkeep, args.config, args.idle, args.log)
    readies.append(idle["ready_ms"])
    summary = {
        "config": args.config,
        "ready_ms_all": [round(r, 2) for r in readies],
        "ready_ms_median": round(statistics.median(readies), 2),
        "ready_ms_max": round(max(readies), 2),
        **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in idle.items() if k != "ready_ms"},
    }
    text = json.dumps(summary, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
