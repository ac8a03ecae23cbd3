"""`make run`: make sure RabbitMQ and PostgreSQL answer, prepare, start the five services, load the demo."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tousu.kit.auth import issue_token
from tousu.kit.platform import SERVICES, Platform
from tousu.kit.settings import ServiceSettings

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
HELP = (
    "RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432) are needed. Either set RABBITMQ_URL and "
    "DATABASE_URL to servers you run, or run the whole platform in containers with `make up` "
    "(docker compose -f deploy/compose.yaml)."
)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _wait(port: int, seconds: int = 90) -> bool:
    for _ in range(seconds):
        if _answers(port):
            return True
        time.sleep(1)
    return False


def _run(*cmd: str) -> bool:
    return subprocess.run(cmd, check=False, capture_output=True).returncode == 0


def ensure_servers() -> None:
    """Containers when a Docker engine answers, else the system's packages (installed when we may), else stop."""
    need_mq, need_pg = not _answers(5672), not _answers(5432)
    if not (need_mq or need_pg):
        return
    if shutil.which("docker") and _run("docker", "info"):
        if need_mq:
            _run("docker", "run", "-d", "--name", "tousu-rabbitmq", "-p", "5672:5672", "rabbitmq:3.13-management")
        if need_pg:
            _run(
                "docker",
                "run",
                "-d",
                "--name",
                "tousu-postgres",
                "-p",
                "5432:5432",
                "-e",
                "POSTGRES_HOST_AUTH_METHOD=trust",
                "postgres:16",
            )
    else:
        may_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
        if need_mq and not shutil.which("rabbitmq-server") and may_install:
            _run("apt-get", "update")
            _run("apt-get", "install", "-y", "rabbitmq-server")
        if need_pg and not shutil.which("pg_ctlcluster") and may_install:
            _run("apt-get", "update")
            _run("apt-get", "install", "-y", "postgresql")
        if need_mq and shutil.which("rabbitmq-server"):
            _run("rabbitmq-server", "-detached")
        if need_pg and shutil.which("pg_ctlcluster"):
            for version in sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []:
                _run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start")
    if (need_mq and not _wait(5672)) or (need_pg and not _wait(5432)):
        raise SystemExit(HELP)
    if need_mq and shutil.which("rabbitmqctl"):
        _run("rabbitmqctl", "-q", "await_startup")


def run_platform(demo: bool = True) -> int:
    settings = ServiceSettings()
    amqp = os.environ.get("RABBITMQ_URL")
    database = os.environ.get("DATABASE_URL")
    if not (amqp and database):
        ensure_servers()
    platform = Platform(
        rabbitmq_url=amqp or DEFAULT_AMQP,
        database_base_url=database or DEFAULT_PG,
        env={
            "TOUSU_CLOCK": os.environ.get("TOUSU_CLOCK", "system"),
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        },
        log_dir=Path(".run/logs"),
    )
    print("preparing databases, migrations and queues ...", flush=True)
    platform.migrate()
    platform.start()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        platform.wait_ready()
        token = issue_token(settings.token_secret, "platform", ["admin"])
        if demo:
            from tousu.kit.cli import load_orgs

            demo_file = Path("deploy/demo/orgs.yaml")
            if demo_file.exists() and load_orgs(demo_file, platform.url("routing"), token) != 0:
                print("the demo organisations did not load", file=sys.stderr)
        for service in SERVICES:
            print(f"{service:<10} {platform.url(service)}   (docs: {platform.url(service)}/docs)")
        print(f"logs in {platform.log_dir}/")
        print(f"TOUSU_TOKEN={token}", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        while not stop.is_set():
            for service, proc in platform.processes.items():
                if proc.poll() is not None:
                    print(f"{service} exited with code {proc.returncode}", file=sys.stderr)
                    stop.set()
            stop.wait(1)
    finally:
        platform.stop()
    return 0
