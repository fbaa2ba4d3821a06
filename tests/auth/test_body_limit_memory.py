"""The hub as a real process (uvicorn) under four concurrent 32 MB bodies: each refused with 413, memory flat.

Before the body limit the hub read each body whole and answered 422: four at once took it from 154 to
524 MB. Bodies are sent over raw sockets, declared (Content-Length) and streamed (chunked), and the
client stops sending as soon as the answer arrives, like a browser or curl would.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub.sites import small_site
from tests.support.hubproc import HubProcess
from tests.support.mosquitto import Mosquitto
from tests.support.sitefile import write_site

BODY = 32 * 1024 * 1024
PIECE = 64 * 1024
FLAT_MB = 20


@pytest.fixture
def hub_process(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[HubProcess]:
    proc = HubProcess(tmp_path / "hub", write_site(small_site(), tmp_path / "site.toml"), mosquitto.url)
    proc.start()
    yield proc
    proc.stop()


def send_big_body(port: int, chunked: bool) -> str:
    """POST 32 MB to /api/session; the answer's status line, or how the connection ended without one."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}"
    head = f"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    piece = (f"{PIECE:x}\r\n".encode() + b" " * PIECE + b"\r\n") if chunked else b" " * PIECE
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        sent = 0
        try:
            while sent < BODY:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # the hub has answered: stop sending
                sock.sendall(piece)
                sent += PIECE
            answer = sock.recv(4096)
        except (BrokenPipeError, ConnectionResetError) as exc:
            try:
                answer = sock.recv(4096)
            except OSError:
                return f"closed after {sent:,} B ({type(exc).__name__})"
    return answer.split(b"\r\n", 1)[0].decode() if answer else f"closed after {sent:,} B"


def rss_mb(pid: int) -> float:
    """The process's resident memory now (Linux: VmRSS in /proc, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@pytest.mark.integration
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_four_concurrent_32_mb_bodies_are_refused_and_memory_stays_flat(
    hub_process: HubProcess, chunked: bool
) -> None:
    assert hub_process.proc is not None
    pid = hub_process.proc.pid
    send_big_body(hub_process.port, chunked)  # warm up the request path once
    before = rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    answers: list[str] = []
    senders = [threading.Thread(target=lambda: answers.append(send_big_body(hub_process.port, chunked)))
               for _ in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(120)
    done.set()
    sampler.join(5)
    grown = peak[0] - before
    print(f"hub RSS {before:.0f} MB before, peak {peak[0]:.0f} MB (+{grown:.1f} MB); answers {answers}")
    assert len(answers) == 4
    assert all(a.startswith("HTTP/1.1 413") for a in answers), answers
    assert grown < FLAT_MB, f"the hub grew by {grown:.0f} MB under four 32 MB bodies"
    assert hub_process.health() is not None  # and it still answers
