"""The scale test's machinery on 127.0.0.1: application hosts (one gunicorn master each, in its
own process group and CPU cgroup), HAProxy with deploy/haproxy.cfg, the Redis check, and the
CPU each part takes (docs/deployment.md, section 8; docs/benchmarks.md, "Several application
servers")."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench_ballots import CSRF_FIELD_RE, HOST, PG, cpu_seconds, free_port, machine_busy

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
CGROUP_PREFIX = "huiji-scale-app"


# ---------------------------------------------------------------- CPU shares


class CpuLimit:
    """A fixed CPU share per application host, so that each host stands for a machine of that
    size although all of them share this one. cgroup v2 (cpu.max) where the cpu controller is
    on the unified hierarchy, else cgroup v1 (cpu.cfs_quota_us, the same CFS bandwidth limit);
    without either, no limit, and the report says so."""

    # A short period: a host that has spent its share waits at most the rest of the period,
    # which shows as latency even when it is far from busy.
    PERIOD_US = 50_000

    def __init__(self, cores: float):
        self.cores = cores
        self.kind = "none"
        self.base: Path | None = None
        self.why = "no CPU limit asked for (--host-cpu 0)"
        if cores <= 0:
            return
        v2 = Path("/sys/fs/cgroup")
        v1 = Path("/sys/fs/cgroup/cpu")
        try:
            controllers = (v2 / "cgroup.controllers").read_text().split()
        except OSError:
            controllers = []
        if "cpu" in controllers and os.access(v2, os.W_OK):
            subtree = (v2 / "cgroup.subtree_control").read_text().split()
            if "cpu" not in subtree:
                try:
                    (v2 / "cgroup.subtree_control").write_text("+cpu")
                except OSError as exc:
                    self.why = f"cgroup v2 without the cpu controller for children ({exc})"
                    return
            self.kind, self.base = "cgroup v2 cpu.max", v2
        elif (v1 / "cpu.cfs_quota_us").exists() and os.access(v1, os.W_OK):
            self.kind, self.base = "cgroup v1 cpu.cfs_quota_us", v1
        else:
            self.why = "no writable cgroup cpu controller (not root, or a container without it)"

    @property
    def active(self) -> bool:
        return self.base is not None

    def describe(self) -> str:
        if not self.active:
            return f"none: {self.why}"
        return f"{self.cores:g} core per host ({self.kind}, period {self.PERIOD_US // 1000} ms)"

    def group(self, index: int) -> Path | None:
        """The cgroup of host ``index``, made with its quota; None without limits."""
        if not self.active:
            return None
        path = self.base / f"{CGROUP_PREFIX}{index}"
        path.mkdir(exist_ok=True)
        self.apply(path, self.cores)
        return path

    def apply(self, path: Path | None, cores: float | None) -> None:
        """Set the group's quota to ``cores``, or lift it (None)."""
        if path is None:
            return
        quota = int(cores * self.PERIOD_US) if cores else None
        if self.kind.startswith("cgroup v2"):
            (path / "cpu.max").write_text(f"{quota or 'max'} {self.PERIOD_US}")
        else:
            (path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (path / "cpu.cfs_quota_us").write_text(str(quota or -1))

    @staticmethod
    def throttling(path: Path | None) -> tuple[int, int]:
        """(periods, periods throttled) so far: a host throttled in most periods used its whole
        share, so it was the bottleneck."""
        if path is None:
            return 0, 0
        try:
            stat = dict(line.split() for line in (path / "cpu.stat").read_text().splitlines())
        except OSError:
            return 0, 0
        return int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0))

    def remove(self, path: Path | None) -> None:
        if path is None:
            return
        for _ in range(50):  # the killed processes leave the group as they are reaped
            try:
                path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


# ---------------------------------------------------------------- application hosts


class AppHost:
    """One application host: gunicorn with deploy/gunicorn.conf.py, its own process group
    (killed whole with SIGKILL, as a machine that loses power) and its own CPU cgroup."""

    def __init__(self, index: int, env: dict[str, str], limit: CpuLimit, log_dir: Path):
        self.index = index
        self.name = f"app{index}"
        self.port = free_port()
        self.limit = limit
        self.cgroup = limit.group(index)
        self.log_path = log_dir / f"gunicorn-{self.name}.log"
        self.env = dict(env)
        self.env.update(
            GUNICORN_BIND=f"{HOST}:{self.port}",
            GUNICORN_CONTROL_SOCKET=str(log_dir / f"gunicorn-{self.name}.ctl"),
        )
        self.proc: subprocess.Popen | None = None
        self.log = None

    @property
    def started(self) -> bool:
        return self.proc is not None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
        if self.cgroup is not None:
            # The master joins its cgroup before gunicorn starts, so every worker it forks
            # inherits the limit.
            procs = str(self.cgroup / "cgroup.procs")
            command = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *command]
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603  (fixed arguments)
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole host is killed at once
        )

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}: {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"http://{self.address}/healthz/", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer /healthz/ within {seconds:.0f} s")

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        if self.cgroup is not None:
            try:
                return [int(p) for p in (self.cgroup / "cgroup.procs").read_text().split()]
            except OSError:
                return []
        return [pid for pid, pgrp in _process_groups() if pgrp == self.proc.pid]

    def kill(self) -> float:
        """SIGKILL to the whole process group: master and workers die at once, as with a host
        that loses power (its connections are reset, nothing is finished)."""
        killed_at = time.time()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return killed_at

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.proc is None:
            self.limit.remove(self.cgroup)
            return
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=40)
        with contextlib.suppress(ProcessLookupError):  # a worker left behind by its master
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
        self.limit.remove(self.cgroup)

    def log_problems(self) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if "Traceback" in line or "[ERROR]" in line]


def _process_groups() -> list[tuple[int, int]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found.append((int(entry.name), int(fields[2])))
    return found


# ---------------------------------------------------------------- HAProxy


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )


class Balancer:
    """HAProxy with deploy/haproxy.cfg, as is: the variables select plain HTTP on 127.0.0.1 and
    the hosts' local ports (the file's comments say which)."""

    def __init__(self, hosts: list[AppHost], log_dir: Path):
        self.port = free_port()
        self.socket_path = log_dir / "haproxy.sock"
        self.log_path = log_dir / "haproxy.log"
        self.log = self.log_path.open("wb")
        env = dict(os.environ)
        env.update(
            HUIJI_LISTEN=f"{HOST}:{self.port}",
            HAPROXY_ADMIN_SOCKET=str(self.socket_path),
            HUIJI_PUBLIC_HOST=HOST,
            HAPROXY_MAXCONN=str(self.maxconn()),
        )
        for host in hosts:
            env[f"HUIJI_APP{host.index}"] = host.address
        config = str(DEPLOY / "haproxy.cfg")
        checked = subprocess.run(  # noqa: S603
            [haproxy_binary(), "-c", "-q", "-f", config],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if checked.returncode != 0:
            raise RuntimeError(f"deploy/haproxy.cfg does not load: {checked.stderr.strip()}")
        self.proc = subprocess.Popen(  # noqa: S603
            [haproxy_binary(), "-db", "-f", config],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.socket_path.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not start: {self.log_path}")
            time.sleep(0.05)

    @staticmethod
    def maxconn() -> int:
        """deploy/haproxy.cfg's 20,000 connections need about 40,000 file descriptors; HAProxy
        refuses to start where the hard limit is lower, so the test takes what fits."""
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard == resource.RLIM_INFINITY:
            return 20_000
        return min(20_000, (hard - 200) // 2)

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[str, dict[str, str]]:
        """`show stat` of the backend's servers and the backend itself, by name."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {row["svname"]: row for row in rows if row["pxname"] == "app"}

    def set_state(self, name: str, state: str) -> None:
        answer = self.command(f"set server app/{name} state {state}").strip()
        if answer:
            raise RuntimeError(f"HAProxy refused 'set server app/{name} state {state}': {answer}")

    def wait_status(self, name: str, wanted: str, seconds: float = 30) -> float:
        """Seconds until HAProxy's health checks show ``name`` as ``wanted`` (UP, DOWN...)."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if self.stats().get(name, {}).get("status", "").startswith(wanted):
                return time.monotonic() - start
            time.sleep(0.05)
        raise RuntimeError(f"HAProxy did not mark {name} {wanted} within {seconds:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


# ---------------------------------------------------------------- Redis


def redis_prepare(url: str) -> str:
    """Empty the test's own Redis database (never another's) and say what it is."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    client.ping()
    client.flushdb()
    version = client.info("server").get("redis_version", "?")
    client.close()
    return version


def redis_config_check() -> str:
    """Start a throwaway redis-server with deploy/redis.conf (on a free local port, without
    its password and its private address) to prove the file loads and says what the docs say."""
    binary = shutil.which("redis-server")
    if binary is None:
        return "not checked: no redis-server on this machine"
    import redis

    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [
            binary,
            str(DEPLOY / "redis.conf"),
            "--bind",
            HOST,
            "--port",
            str(port),
            "--requirepass",
            "",
            "--supervised",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        client = redis.Redis(host=HOST, port=port, socket_timeout=2)
        for _ in range(50):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        found = {
            key: client.config_get(key)[key]
            for key in ("maxmemory-policy", "maxmemory", "save", "appendonly")
        }
        client.close()
        return ", ".join(f"{k} {v!r}" for k, v in found.items())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def counted_address(balancer_port: int, redis_url: str) -> list[str]:
    """One wrong code typed on a device at 127.0.0.2 that also sends a made-up X-Forwarded-For,
    through HAProxy: the addresses the application's wrong-code throttle counted it under, as
    found in the shared Redis. With `option forwardfor` and TRUSTED_PROXY_HEADER the answer is
    the device's own address, not HAProxy's (127.0.0.1) nor the invented one
    (docs/deployment.md, "Client address behind a proxy")."""
    import http.client

    import redis

    def request(conn, method, path, body=None, headers=None):
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer, answer.read().decode("utf-8", "replace")

    conn = http.client.HTTPConnection(
        HOST, balancer_port, timeout=30, source_address=("127.0.0.2", 0)
    )
    try:
        answer, page = request(conn, "GET", "/r/")
        cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]
        token = CSRF_FIELD_RE.search(page).group(1)
        origin = f"http://{HOST}:{balancer_port}"
        request(
            conn,
            "POST",
            "/r/",
            body=f"code=ZZZZ9999&csrfmiddlewaretoken={token}",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Origin": origin,
                "Referer": origin + "/r/",
                "X-Forwarded-For": "203.0.113.7",
            },
        )
    finally:
        conn.close()
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    keys = [key.decode() for key in client.scan_iter(match="*wrong-code:count:*")]
    client.close()
    return sorted(key.rsplit("count:", 1)[1] for key in keys)


# ---------------------------------------------------------------- CPU accounting


class CpuMeter(threading.Thread):
    """CPU seconds, cumulative, of each application host, HAProxy, the test database's
    PostgreSQL backends, Redis, this process (the load generator) and the whole machine. Sampled
    twice a second; a process that has gone keeps its last reading (a killed host's CPU stays
    counted)."""

    def __init__(self, hosts: list[AppHost], balancer: Balancer, db_name: str):
        super().__init__(daemon=True)
        self.hosts, self.balancer, self.db_name = hosts, balancer, db_name
        self.last: dict[str, dict[int, float]] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pg = None
        self.redis_pid = self._redis_pid()
        self.sample()

    @staticmethod
    def _redis_pid() -> int | None:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == "redis-server":
                        return int(entry.name)
                except OSError:
                    continue
        return None

    def _backends(self) -> list[int]:
        import psycopg

        try:
            if self.pg is None or self.pg.closed:
                self.pg = psycopg.connect(
                    PG + " dbname=postgres", autocommit=True, connect_timeout=2
                )
            rows = self.pg.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db_name,)
            ).fetchall()
        except psycopg.Error:
            if self.pg is not None:
                self.pg.close()
            self.pg = None
            return []
        return [row[0] for row in rows]

    def sample(self) -> None:
        groups: dict[str, list[int]] = {host.name: host.pids() for host in self.hosts}
        groups["haproxy"] = [self.balancer.proc.pid]
        groups["postgres"] = self._backends()
        groups["redis"] = [self.redis_pid] if self.redis_pid else []
        with self.lock:
            for who, pids in groups.items():
                seen = self.last.setdefault(who, {})
                for pid in pids:
                    seconds = cpu_seconds(pid)
                    if seconds:
                        seen[pid] = seconds

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()

    def snapshot(self) -> dict[str, float]:
        self.sample()
        with self.lock:
            totals = {who: sum(pids.values()) for who, pids in self.last.items()}
        totals["client"] = cpu_seconds(os.getpid())
        totals["machine"] = machine_busy()
        return totals

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        if self.pg is not None:
            self.pg.close()


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    used = {who: after.get(who, 0.0) - before.get(who, 0.0) for who in after}
    known = sum(v for who, v in used.items() if who != "machine")
    used["others"] = max(0.0, used["machine"] - known)
    return used
