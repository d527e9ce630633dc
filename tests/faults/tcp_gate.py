"""A TCP forwarder between a service and PostgreSQL that the test can cut (connections reset, new ones
refused) or freeze (new connections accepted and never answered, as a stopped server's would be)."""

from __future__ import annotations

import socket
import threading


class TcpGate:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode = "open"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
            if self.mode == "cut":
                client.close()
            elif self.mode == "open":
                upstream = socket.create_connection(self.target)
                with self._lock:
                    self._sockets.append(upstream)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()
            # "frozen": accepted, never answered

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Every connection through the gate is broken; new ones are closed at once."""
        self.mode = "cut"
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._sockets.clear()

    def freeze(self) -> None:
        """New connections hang unanswered (the ones open are cut first, so the pool must connect anew)."""
        self.cut()
        self.mode = "frozen"

    def open(self) -> None:
        self.mode = "open"

    def close(self) -> None:
        self.cut()
        self.listener.close()
