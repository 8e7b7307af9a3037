"""The gunicorn worker Tally runs (gunicorn.conf.py names it): gunicorn's threaded worker,
stopping without dropping a connection a proxy has already handed over.

On SIGTERM gunicorn's own worker stops accepting but keeps its listening socket open until
it has finished, so the kernel goes on queueing new connections that no one will accept;
they are reset when it exits, and a proxy may not retry a POST it has sent. This worker
takes what is already queued, then closes its listening sockets at once: a later connection
is refused, which nginx retries on another host (a refused request was never sent).
"""

from __future__ import annotations

import contextlib

from gunicorn.workers.gthread import TConn, ThreadWorker


class DrainingThreadWorker(ThreadWorker):
    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled or self.alive:
            super().set_accept_enabled(enabled)
            return
        for listener in self.sockets:
            self._take_queued(listener)
        super().set_accept_enabled(False)
        for listener in self.sockets:
            with contextlib.suppress(OSError):
                listener.close()

    def _take_queued(self, listener) -> None:  # type: ignore[no-untyped-def]
        listener.setblocking(False)
        while True:
            try:
                client, address = listener.accept()
            except OSError:  # nothing left (EAGAIN), or the socket is gone
                return
            self.nr_conns += 1
            client.setblocking(True)
            self.enqueue_req(TConn(self.cfg, client, address, listener.getsockname()))
