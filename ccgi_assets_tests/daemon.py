"""What the tests that start Dagster's webserver and daemon share: a free port, waiting, stopping."""

from __future__ import annotations

import os
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, log=None):
    """The first true value of ``predicate()`` within ``timeout`` seconds; else fail naming ``what`` (with the
    end of ``log``, a file, when given)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    tail = log.read_text(errors="replace")[-4000:] if log else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started."""
    os.killpg(proc.pid, 15)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
