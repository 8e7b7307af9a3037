"""gunicorn settings for `make run` and production; environment variables adjust them.

The embedded mode keeps one worker: its cache and rate-limit counters live in the
process. With REDIS_URL set they are shared, so raise WEB_CONCURRENCY freely.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "webapp.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
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
