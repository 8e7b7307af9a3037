"""gunicorn settings for `make run` and production; environment variables adjust them.

The embedded mode keeps one worker: its cache and rate-limit counters live in the
process. With REDIS_URL set they are shared, so raise WEB_CONCURRENCY freely.

Metrics add up over the workers: each keeps its values in a file under
PROMETHEUS_MULTIPROC_DIR (default instance/prometheus-multiproc), a scrape of /metrics
sums them, and the directory is emptied when gunicorn starts, so a count never carries
over from an earlier run. Give each gunicorn on one host its own directory.

`make run` sets TALLY_WITH_WORKER=1: once the server listens it starts one `flask worker`
beside it (the task queue's consumer: mail, the sweep, the purge) and stops it when it
exits, so one command serves everything and Ctrl-C stops both. `make serve` does not:
production runs its workers as their own service (docs/deployment.md).
"""

import glob
import os
import signal
import subprocess
import sys
from pathlib import Path

# Set before anything imports prometheus_client: it picks its storage from this variable
# once, at import, and the workers inherit it.
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
    Path(__file__).resolve().parent / "instance" / "prometheus-multiproc"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = MULTIPROCESS_DIR

from prometheus_client import multiprocess  # noqa: E402

from webapp.infra.logging import LOG_FORMATTERS, JsonFormatter  # noqa: E402
from webapp.infra.settings import BIND_WHEN_UNSET  # noqa: E402

bind = os.environ.get("BIND", BIND_WHEN_UNSET)
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Threaded workers that stop without dropping a queued connection (gunicorn_worker.py);
# with one thread gunicorn's sync worker, which holds one connection at a time.
if threads > 1:
    worker_class = "gunicorn_worker.DrainingThreadWorker"
timeout = 30
# Idle keep-alive connections (from a proxy) are closed after this many seconds; a proxy must
# give up on its idle connections sooner (deploy/nginx.conf: 4 s), or it may send a request
# on one the worker is closing at that moment.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# gunicorn's own lines in the app's format; a bad LOG_FORMAT is refused by name in on_starting.
log_formatter = LOG_FORMATTERS.get(os.environ.get("LOG_FORMAT", "").lower(), JsonFormatter)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"app": {"()": log_formatter}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "app",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # The app writes its own access line (with the request id); gunicorn's would repeat it.
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


def on_starting(server):
    """Before the first worker: refuse to start a server that cannot serve correctly (one
    line on stderr, exit 1: webapp/infra/preflight.py says what is checked), then start every
    count from zero."""
    from webapp.infra.preflight import refusal

    if reason := refusal(server.cfg.workers):
        sys.exit(reason)
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)
    # Only prometheus-client's own files: the directory may be one the operator named.
    for stale in glob.glob(os.path.join(MULTIPROCESS_DIR, "*.db")):
        os.remove(stale)


# `make run`'s worker, while the server runs.
task_worker = []
WORKER_STOP_SECONDS = 10


def when_ready(server):
    """`make run` (development, text logs), once the server listens: the address, the demo
    logins and where mails go, in plain words (webapp/ops/banner.py); and its worker."""
    from webapp.ops.banner import ready_banner

    if banner := ready_banner(server.cfg.bind[0], os.environ):
        print(f"\n{banner}\n", flush=True)
    if os.environ.get("TALLY_WITH_WORKER") == "1" and not task_worker:
        command = [sys.executable, "-m", "flask", "worker"]
        task_worker.append(subprocess.Popen(command, cwd=Path(__file__).resolve().parent))


def on_exit(server):
    """`make run`'s worker stops with the server: Ctrl-C reached it too, else SIGINT now;
    it ends its task first, and is killed if that takes too long."""
    for worker in task_worker:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
        try:
            worker.wait(WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()


def child_exit(server, worker):
    """A dead worker's counts stay in the sums; its live gauges go."""
    multiprocess.mark_process_dead(worker.pid, MULTIPROCESS_DIR)
