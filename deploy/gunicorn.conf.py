"""gunicorn on one application host behind HAProxy (docs/deployment.md, section 8, "Several
application servers"; section 4 for a single host).

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py

The scale test (bench/scale/run.py) starts every host with this file; it sets GUNICORN_BIND
and GUNICORN_CONTROL_SOCKET per host, since its hosts share one machine.
"""

import multiprocessing
import os

wsgi_app = "huiji_review.wsgi:application"

# The host's address on the private network, which only HAProxy may reach (a firewall rule):
# with TRUSTED_PROXY_HEADER set the application believes X-Forwarded-For, so no client may talk
# to gunicorn directly (docs/deployment.md, "Client address behind a proxy").
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# About 2 × cores + 1 processes of 4 threads (docs/deployment.md, section 4; docs/benchmarks.md,
# "Workers and threads"). HAProxy sends each host at most workers × threads requests at once
# (`maxconn 20` in deploy/haproxy.cfg, for the 2-core host's 5 × 4): change both together.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

timeout = 60  # = HAProxy's `timeout server`
graceful_timeout = 30  # `systemctl stop`: requests in flight finish, then the workers go
# Longer than HAProxy keeps an idle connection to a host, so that HAProxy, not gunicorn,
# closes it: a POST sent on a connection gunicorn had just closed would fail after leaving
# HAProxy, which must not send it again (deploy/haproxy.cfg, "Safe retries"), and the tablet
# would see a 502 for nothing.
keepalive = 75

# HAProxy logs the requests that went wrong (deploy/haproxy.cfg, `option dontlog-normal`); a
# line per poll from every tablet is noise. GUNICORN_ACCESS_LOG=- logs every request again.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")

# gunicorn's control socket; one per host.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "/run/huiji-review/gunicorn.ctl")
