"""Real RabbitMQ and PostgreSQL for tests: the env URL, else the local server, else testcontainers.

Every run isolates itself: its own RabbitMQ vhost and its own databases, removed afterwards.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import httpx


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _docker_answers() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False).returncode == 0
    )


@contextlib.contextmanager
def rabbitmq_server() -> Iterator[str]:
    """Base AMQP URL of a server this run may create vhosts on."""
    url = os.environ.get("RABBITMQ_URL")
    if url:
        yield url
    elif _answers("127.0.0.1", 5672):
        yield "amqp://guest:guest@127.0.0.1:5672/"
    elif _docker_answers():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
            yield f"amqp://guest:guest@{host}:{port}/"
    else:
        raise RuntimeError("no RabbitMQ: set RABBITMQ_URL, start one on 127.0.0.1:5672, or run a Docker engine")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Base SQLAlchemy URL (asyncpg) of a server this run may create databases on."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
    elif _answers("127.0.0.1", 5432):
        yield "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="asyncpg") as container:
            yield container.get_connection_url()
    else:
        raise RuntimeError("no PostgreSQL: set DATABASE_URL, start one on 127.0.0.1:5432, or run a Docker engine")


def _management(base: str) -> tuple[str, tuple[str, str]] | None:
    parts = urlsplit(base)
    host = parts.hostname or "127.0.0.1"
    api = f"http://{host}:15672/api"
    auth = (parts.username or "guest", parts.password or "guest")
    with contextlib.suppress(httpx.HTTPError):
        if httpx.get(f"{api}/overview", auth=auth, timeout=2).status_code == 200:
            return api, auth
    return None


@contextlib.contextmanager
def isolated_vhost(base: str) -> Iterator[str]:
    """A fresh vhost for this run (management API when it answers, else the local rabbitmqctl)."""
    vhost = f"tousu-test-{uuid.uuid4().hex[:10]}"
    parts = urlsplit(base)
    user = parts.username or "guest"
    api = _management(base)
    if api is not None:
        root, auth = api
        httpx.put(f"{root}/vhosts/{vhost}", auth=auth, timeout=10).raise_for_status()
        httpx.put(
            f"{root}/permissions/{vhost}/{user}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            auth=auth,
            timeout=10,
        ).raise_for_status()
    else:
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
        subprocess.run(
            ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
    try:
        yield urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))
    finally:
        if api is not None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.delete(f"{api[0]}/vhosts/{vhost}", auth=api[1], timeout=10)
        else:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False, capture_output=True)
