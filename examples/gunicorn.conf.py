"""Production gunicorn settings for Handyman: `gunicorn -c examples/gunicorn.conf.py`.

Configure through the environment: HANDYMAN_DATABASE_URL (postgresql://...), HANDYMAN_API_TOKEN,
HANDYMAN_ADMIN_TOKEN, HANDYMAN_ADMIN_NETWORKS, HANDYMAN_RUNNER (local | remote | none),
HANDYMAN_WATCHMAN_URLS, and
PROMETHEUS_MULTIPROC_DIR (an empty directory, so /metrics sums all workers). Run
`handyman db upgrade` and `handyman import-courses DIR` before starting, or use `handyman serve`.
"""

import multiprocessing
import os

from prometheus_client import multiprocess

from handyman_http.settings import admin_networks_from

# The workers read HANDYMAN_ADMIN_NETWORKS after the fork; a bad entry stops the start here, once,
# with the entry named, instead of failing every worker. REMOTE_ADDR is the TCP peer (behind a
# reverse proxy: the proxy), unless proxy_protocol is on and the proxy is in proxy_allow_ips.
admin_networks_from(os.environ)

wsgi_app = "handyman_cli.wsgi:application"
bind = os.environ.get("HANDYMAN_BIND", "0.0.0.0:8080")

# Runs wait on the sandbox for seconds; threads keep a worker answering other requests meanwhile.
# Threads that never block on a read: each request is read whole (with head and body deadlines)
# before it is answered, so slow or silent clients cannot occupy the threads.
worker_class = "handyman_http.buffering_worker.BufferingThreadWorker"
workers = int(os.environ.get("HANDYMAN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("HANDYMAN_THREADS", "8"))

# Longer than the sandbox's wall-clock maximum, so a run is never cut off by gunicorn itself.
timeout = 120
# SIGTERM: stop accepting, let in-flight requests (and their single-transaction writes) finish.
graceful_timeout = 30
keepalive = 15  # well past any Retry-After the service hands out (5 s), as `handyman serve`

# Each worker opens its own connection pool after the fork; never preload the application.
preload_app = False
max_requests = 10000
max_requests_jitter = 1000

accesslog = "-"
errorlog = "-"
proc_name = "handyman"


def child_exit(server, worker):
    """Drop the dead worker's live gauges from the shared metrics directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
