"""A TCP proxy that tests can cut: a backing service that stops answering mid-request and
comes back, without losing what it holds (the fault tests put it in front of moto's S3)."""

import contextlib
import socket
import threading
from collections.abc import Callable

from devtools.processes import free_loopback_port

BUFFER_SIZE = 64 * 1024


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to `target_port`, each connection in two threads.

    `cut()` drops every open connection and refuses new ones (they are accepted and closed
    at once, as a load balancer with no healthy backend does); `restore()` forwards again.
    `on_upstream(total)` is called with the bytes sent upstream so far, from a forwarding
    thread: a test can cut in the middle of a request.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.on_upstream: Callable[[int], None] | None = None
        self.upstream_bytes = 0
        self._cut = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self._open.clear()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._stopped.set()
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(BUFFER_SIZE):
                target.sendall(data)
                if upstream:
                    with self._lock:
                        self.upstream_bytes += len(data)
                        total = self.upstream_bytes
                    if self.on_upstream is not None:
                        self.on_upstream(total)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._open.discard(source)
                self._open.discard(target)
