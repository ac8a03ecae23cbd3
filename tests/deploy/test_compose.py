"""deploy/: the compose file against the Compose Specification, and the broker and database set-up against
ARCHITECTURE §1 (who produces which event) and §7 (one RabbitMQ user per service, limited to its own queues
and routing keys; one database role per service, owning only its database).

The Compose Specification schema is vendored at deploy/schema/compose-spec.json (the official schema of the
compose-spec project, Apache-2.0, deploy/schema/LICENSE). When a `docker compose` CLI answers, its own
`config -q` checks the files as well (it needs no engine for that).
"""

import contextlib
import importlib.util
import json
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import aio_pika
import aiormq.exceptions
import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

from tousu.contracts import topology

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SCALE = DEPLOY / "compose.scale.yaml"
SCHEMA = DEPLOY / "schema" / "compose-spec.json"
DEFINITIONS = DEPLOY / "rabbitmq" / "definitions.json"
RABBITMQ_CONF = DEPLOY / "rabbitmq" / "rabbitmq.conf"
INIT_SQL = DEPLOY / "postgres" / "init" / "01-databases.sql"
NGINX_CONF = DEPLOY / "gateway" / "nginx.conf"

PORTS = {"intake": 8001, "routing": 8002, "sla": 8003, "sanctions": 8004, "reporting": 8005}
SERVICES = tuple(PORTS)

# ARCHITECTURE §1, "The event catalogue": each event type has exactly one producer. This table is the spec the
# topic permissions of definitions.json are held to; change it only together with ARCHITECTURE.md.
PRODUCERS: dict[str, frozenset[str]] = {
    "intake": frozenset(
        {
            "complaint.received",
            "complaint.reclassified",
            "complaint.rejected",
            "complaint.closed_at_intake",
            "complaint.repeat_detected",
            "complaint.large_scale_detected",
            "complaint.withdrawn",
            "complaint.withdrawal_refused",
            "reconsideration.requested",
            "reconsideration.rejected_late",
        }
    ),
    "routing": frozenset(
        {
            "org.updated",
            "complaint.assigned",
            "complaint.forwarded",
            "complaint.acknowledged",
            "complaint.verified",
            "complaint.approval_decided",
            "complaint.joint_investigation_opened",
            "complaint.customer_contact_attempted",
            "complaint.progress_reported",
            "complaint.extension_requested",
            "complaint.extension_decided",
            "complaint.result_submitted",
            "complaint.result_rejected",
            "complaint.replied",
            "complaint.objected",
            "complaint.redispatched",
            "complaint.escalated",
            "complaint.closed",
            "callback.required",
            "callback.recorded",
            "reconsideration.decided",
            "compliance.referred",
        }
    ),
    "sla": frozenset(
        {
            "sla.clock_started",
            "sla.warning",
            "sla.breached",
            "sla.breach_withdrawn",
            "sla.met",
            "sla.extended",
            "sla.paused",
            "sla.resumed",
            "sla.clock_stopped",
            "sla.rescheduled",
        }
    ),
    "sanctions": frozenset(
        {
            "responsibility.determined",
            "responsibility.appealed",
            "sanction.imposed",
            "sanction.fulfilled",
            "sanction.lifted",
            "reward.recommended",
            "kpi.evaluated",
            "points.recorded",
        }
    ),
    "reporting": frozenset(
        {
            "report.due",
            "report.generated",
            "report.submitted",
            "report.overdue",
            "regulator.report_required",
            "complaint.archived",
        }
    ),
}
CATALOGUE = frozenset().union(*PRODUCERS.values())
INTEGRATION_USER = "crm-demo"
CONTROL_CLOCK_QUEUE = "tousu.control.clock"  # tousu.kit.control.LAST_VALUE_QUEUE, shared by every service


# ---------------------------------------------------------------------------------------------- helpers


class _ComposeLoader(yaml.SafeLoader):
    """YAML as Compose reads it: `!reset` and `!override` (merge controls) keep their value."""


def _tagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_ComposeLoader.add_constructor("!reset", _tagged)
_ComposeLoader.add_constructor("!override", _tagged)


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        document = yaml.load(f, Loader=_ComposeLoader)
    assert isinstance(document, dict)
    return document


_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `$$`."""
    env = env or {}

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        current = env.get(name)
        if op in (":-", ":?") and not current:
            current = None
        if current is not None:
            return current
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise ValueError(f"{name} is required: {arg}")
        return ""

    return _VARIABLE.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def _interpolated(node: Any, env: Mapping[str, str] | None = None) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(value, env) for key, value in node.items()}
    return node


def _hash_password_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "tousu_deploy_hash_password", DEPLOY / "rabbitmq" / "hash_password.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _permits(pattern: str, name: str) -> bool:
    """RabbitMQ's test: an unanchored regular-expression search; "" matches nothing (it means ^$)."""
    return pattern != "" and re.search(pattern, name) is not None


def _seconds(duration: str) -> float:
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def _queues_of(service: str) -> list[str]:
    """Every queue the kit declares for `service` (tousu.kit.broker.declare_service_topology)."""
    mains = [topology.service_queue(service)]
    mains += [
        topology.ingress_queue(key) for key, owner in topology.INGRESS_QUEUES.items() if owner.startswith(f"{service}.")
    ]
    queues = []
    for main in mains:
        queues.append(main)
        queues.append(topology.parking_queue(main))
        queues += [topology.retry_queue(main, delay) for delay in topology.RETRY_TIERS_MS]
    return queues


def _consumes_ingress(service: str) -> bool:
    return any(owner.startswith(f"{service}.") for owner in topology.INGRESS_QUEUES.values())


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    result = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    assert isinstance(result, dict)
    return result


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _permissions(definitions: dict[str, Any], user: str) -> dict[str, str]:
    entries = [p for p in definitions["permissions"] if p["user"] == user]
    assert len(entries) == 1, f"{user}: one permission entry, on one vhost"
    assert entries[0]["vhost"] == "/"
    return {op: entries[0][op] for op in ("configure", "write", "read")}


def _topic_permissions(definitions: dict[str, Any], user: str) -> dict[str, dict[str, str]]:
    entries = [p for p in definitions.get("topic_permissions", []) if p["user"] == user]
    assert all(p["vhost"] == "/" for p in entries)
    by_exchange = {p["exchange"]: {"write": p["write"], "read": p["read"]} for p in entries}
    assert len(by_exchange) == len(entries), f"{user}: one topic permission per exchange"
    return by_exchange


# ---------------------------------------------------------------------------------------------- schema


@pytest.mark.parametrize("path", [COMPOSE, SCALE], ids=lambda p: p.name)
def test_compose_files_follow_the_compose_specification(path: Path, validator: Draft202012Validator) -> None:
    document = _load_yaml(path)
    for label, instance in (("as written", document), ("interpolated", _interpolated(document))):
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, f"{path.name} {label}:\n" + "\n".join(
            f"  {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
        )


def test_the_vendored_schema_is_the_compose_specification(validator: Draft202012Validator) -> None:
    schema = validator.schema
    assert schema["title"] == "Compose Specification"
    assert {"services", "networks", "volumes", "secrets", "configs"} <= set(schema["properties"])
    assert validator.is_valid({"services": {"a": {"image": "x", "deploy": {"replicas": 2}}}})
    assert not validator.is_valid({"services": {"a": {"image": "x", "no_such_key": 1}}})
    assert not validator.is_valid({"servicez": {}})


def _compose_cli() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if subprocess.run([*command, "version"], capture_output=True, timeout=20, check=False).returncode == 0:
                return command
    return None


def test_docker_compose_accepts_the_files() -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI here (the schema tests above still ran)")
    for files in (["-f", str(COMPOSE)], ["-f", str(COMPOSE), "-f", str(SCALE)]):
        result = subprocess.run([*cli, *files, "config", "-q"], capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------- compose.yaml


def test_five_services_each_with_a_migration_job(services: dict[str, Any]) -> None:
    expected = {"rabbitmq", "postgres", *SERVICES, *(f"{s}-migrate" for s in SERVICES)}
    assert set(services) == expected


def test_rabbitmq_loads_the_definitions_and_answers_its_healthcheck(services: dict[str, Any]) -> None:
    rabbitmq = services["rabbitmq"]
    assert re.fullmatch(r"rabbitmq:(3\.13|4(\.\d+)?)(\.\d+)?-management", rabbitmq["image"]), rabbitmq["image"]
    assert "rabbitmq-diagnostics -q ping" in " ".join(rabbitmq["healthcheck"]["test"])
    mounts = {m.split(":")[1]: m.split(":")[0] for m in rabbitmq["volumes"] if m.startswith("./")}
    assert mounts["/etc/rabbitmq/rabbitmq.conf"] == "./rabbitmq/rabbitmq.conf"
    conf = dict(
        (key.strip(), value.strip())
        for key, _, value in (
            line.partition("=") for line in RABBITMQ_CONF.read_text().splitlines() if line.strip() and line[0] != "#"
        )
    )
    assert conf["definitions.import_backend"] == "local_filesystem"
    assert mounts[conf["definitions.local.path"]] == "./rabbitmq/definitions.json"
    assert int(conf["consumer_timeout"]) > 0
    assert rabbitmq.get("hostname"), "a fixed node name keeps the data volume usable across containers"


def test_postgres_creates_one_database_and_one_owner_role_per_service(services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-\w+)?", postgres["image"])
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert "./postgres/init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    sql = INIT_SQL.read_text()
    for service in SERVICES:
        role = re.search(rf"^CREATE ROLE {service} (.*);$", sql, re.M)
        assert role, service
        attributes = role[1].split()
        assert {"LOGIN", "NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE"} <= set(attributes)
        assert re.search(rf"^CREATE DATABASE {service} OWNER {service}\b", sql, re.M)
        assert re.search(rf"^REVOKE ALL ON DATABASE {service} FROM PUBLIC;$", sql, re.M)
    assert len(re.findall(r"^CREATE DATABASE ", sql, re.M)) == len(SERVICES)
    # Every password the script reads from its environment is given to the container, with the default that
    # the service's DATABASE_URL carries.
    wanted = re.findall(r"^\\getenv \w+ (\w+)$", sql, re.M)
    assert sorted(wanted) == sorted(f"{s.upper()}_DB_PASSWORD" for s in SERVICES)
    for variable in wanted:
        assert variable in postgres["environment"], variable
    for service in SERVICES:
        url = urlsplit(interpolate(services[service]["environment"]["DATABASE_URL"]))
        given = interpolate(postgres["environment"][f"{service.upper()}_DB_PASSWORD"])
        assert unquote(url.password or "") == given


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_waits_for_its_migration_and_healthy_servers(services: dict[str, Any], service: str) -> None:
    migrate, svc = services[f"{service}-migrate"], services[service]
    assert migrate["command"] == ["python", "-m", f"tousu.{service}", "migrate"]
    assert migrate.get("restart", "no") == "no", "a one-shot job"
    assert migrate["depends_on"] == {
        "rabbitmq": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    assert svc["command"] == ["python", "-m", f"tousu.{service}"]
    assert svc["depends_on"] == {
        "rabbitmq": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        f"{service}-migrate": {"condition": "service_completed_successfully"},
    }
    assert migrate["image"] == svc["image"], "one image for every service and job"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_readiness_healthcheck_replicas_and_a_grace_period(
    services: dict[str, Any], service: str
) -> None:
    svc = services[service]
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD"
    command = " ".join(test[1:])
    assert "urllib" in command, "slim images have no curl"
    assert "http://127.0.0.1:8000/ready" in command
    assert svc["deploy"]["replicas"] == f"${{{service.upper()}_REPLICAS:-1}}"
    assert interpolate(svc["deploy"]["replicas"], {f"{service.upper()}_REPLICAS": "3"}) == "3"
    assert interpolate(svc["deploy"]["replicas"]) == "1"
    grace = _seconds(svc["stop_grace_period"])
    assert grace >= 30
    assert grace > float(svc["environment"]["TOUSU_GRACEFUL_TIMEOUT_S"])
    assert "container_name" not in svc, "a fixed container name forbids replicas"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_gets_its_own_credentials_and_settings(services: dict[str, Any], service: str) -> None:
    env = services[service]["environment"]
    assert services[f"{service}-migrate"]["environment"] == env, "the job migrates what the service uses"
    assert env["TOUSU_SERVICE"] == service
    assert env["PORT"] == "8000"
    assert env["HOST"] == "0.0.0.0"
    assert env["TOUSU_POLICIES_DIR"] == "/app/policies"
    assert env["TOUSU_CLOCK"] == "${TOUSU_CLOCK:-system}"
    assert interpolate(env["TOUSU_TOKEN_SECRET"])
    amqp = urlsplit(interpolate(env["RABBITMQ_URL"]))
    assert (amqp.scheme, amqp.username, amqp.hostname, amqp.port) == ("amqp", service, "rabbitmq", 5672)
    database = urlsplit(interpolate(env["DATABASE_URL"]))
    assert (database.scheme, database.username, database.hostname, database.port, database.path) == (
        "postgresql+asyncpg",
        service,
        "postgres",
        5432,
        f"/{service}",
    )
    for other in SERVICES:
        if other != service:
            assert other not in (amqp.username, database.username, database.path.strip("/"))
    for entry in services[service].get("env_file", []):
        assert entry == {"path": f"env/{service}.env", "required": False}


def test_the_dev_token_secret_is_the_one_local_tools_use(services: dict[str, Any]) -> None:
    from tousu.kit.settings import DEV_TOKEN_SECRET

    secrets = {interpolate(services[s]["environment"]["TOUSU_TOKEN_SECRET"]) for s in SERVICES}
    assert secrets == {DEV_TOKEN_SECRET}
    assert interpolate(services["intake"]["environment"]["TOUSU_TOKEN_SECRET"], {"TOUSU_TOKEN_SECRET": "s" * 32}) == (
        "s" * 32
    )


@pytest.mark.parametrize("service", SERVICES)
def test_host_ports_are_fixed_per_service_and_overridable(services: dict[str, Any], service: str) -> None:
    (mapping,) = services[service]["ports"]
    published = interpolate(mapping)
    assert published == f"127.0.0.1:{PORTS[service]}:8000"
    variable = f"{service.upper()}_HOST_PORT"
    assert interpolate(mapping, {variable: "18000"}).endswith(":18000:8000")


def test_the_scale_override_moves_the_host_ports_to_a_gateway(services: dict[str, Any]) -> None:
    scale = _load_yaml(SCALE)["services"]
    raw = SCALE.read_text()
    gateway = scale["gateway"]
    published = {interpolate(p) for p in gateway["ports"]}
    conf = NGINX_CONF.read_text()
    for service, port in PORTS.items():
        assert re.search(rf"^  {service}:\n    ports: !reset \[\]$", raw, re.M), service
        assert f"127.0.0.1:{port}:{port}" in published
        assert gateway["depends_on"][service] == {"condition": "service_healthy"}
        server = re.search(rf"listen {port};\s*location / \{{\s*set \$backend (\w+);\s*proxy_pass (\S+);", conf)
        assert server, f"no listener for {service} on {port}"
        assert (server[1], server[2]) == (service, "http://$backend:8000")
        assert services[service]["ports"] == [
            f"${{TOUSU_PUBLISH_IP:-127.0.0.1}}:${{{service.upper()}_HOST_PORT:-{port}}}:8000"
        ], "the gateway publishes what the services publish without it"
    assert "resolver 127.0.0.11" in conf, "Docker's DNS, looked up per request: replicas come and go"


def test_the_image_installs_every_workspace_member() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^USER (?!root\b|0\b)\S+", dockerfile, re.M), "runs as a non-root user"
    members = sorted(p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("*/*/pyproject.toml"))
    members = [m for m in members if m.split("/")[0] in ("libs", "services")]
    assert members
    for member in members:
        assert f"COPY {member}/pyproject.toml {member}/" in dockerfile, member
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "bench/results"} <= set(ignored)
    assert not {"libs", "services", "policies", "uv.lock", "pyproject.toml"} & set(ignored)


# ---------------------------------------------------------------------------------------------- definitions


def test_the_catalogue_names_each_event_type_once() -> None:
    assert sum(len(types) for types in PRODUCERS.values()) == len(CATALOGUE)
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", t) for t in CATALOGUE)


def test_users_are_the_services_an_operator_and_one_integration(definitions: dict[str, Any]) -> None:
    users = {u["name"]: u for u in definitions["users"]}
    assert set(users) == {*SERVICES, "admin", INTEGRATION_USER}, "and no guest"
    for user in users.values():
        assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
        assert "password" not in user
    assert users["admin"]["tags"] == ["administrator"]
    assert all(users[name]["tags"] == [] for name in (*SERVICES, INTEGRATION_USER)), "no management UI access"
    assert [v["name"] for v in definitions["vhosts"]] == ["/"]
    assert _permissions(definitions, "admin") == {"configure": ".*", "write": ".*", "read": ".*"}


def test_the_dev_passwords_in_compose_match_the_hashes(definitions: dict[str, Any], services: dict[str, Any]) -> None:
    check = _hash_password_module().check_password
    hashes = {u["name"]: u["password_hash"] for u in definitions["users"]}
    for service in SERVICES:
        password = unquote(urlsplit(interpolate(services[service]["environment"]["RABBITMQ_URL"])).password or "")
        assert check(hashes[service], password), service
        assert not check(hashes[service], password + "x")
    readme = (DEPLOY / "README.md").read_text()
    for user, password in re.findall(r"^\| `([a-z-]+)` \| `([^`]+)` \| RabbitMQ", readme, re.M):
        assert check(hashes[user], password), f"deploy/README.md documents {user}'s password"


def test_hash_password_follows_rabbitmq() -> None:
    module = _hash_password_module()
    # A hash that RabbitMQ itself produced for "guest" with rabbit_password_hashing_sha256.
    assert module.check_password("BMfxN8drrYcIqXZMr+pWTpDT0nMcOagMduLX0bjr4jwud/pN", "guest")
    made = module.hash_password("päss wörd")
    assert module.check_password(made, "päss wörd")
    assert not module.check_password(made, "pass word")
    assert made != module.hash_password("päss wörd"), "salted"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_use_only_its_own_queues(definitions: dict[str, Any], service: str) -> None:
    perms = _permissions(definitions, service)
    # the controlled clock's queue, and exclusive queues without a name: server-named (amq.gen-…), or named
    # by aio-pika's robust channel (amq_<uuid4 hex>, tousu.kit.control)
    shared = [CONTROL_CLOCK_QUEUE, "amq.gen-JzTY20BRgKO-HjmUJj0wLg", f"amq_{uuid.uuid4().hex}"]
    for queue in _queues_of(service) + shared:
        for op, pattern in perms.items():
            assert _permits(pattern, queue), f"{service} may not {op} {queue}"
    for other in (*SERVICES, INTEGRATION_USER):
        if other == service:
            continue
        foreign = _queues_of(other) if other in PORTS else [f"{other}.events", f"{other}.replies"]
        for queue in foreign:
            for op, pattern in perms.items():
                assert not _permits(pattern, queue), f"{service} may {op} {other}'s {queue}"
    for name in ("tousu", "tousu.other", "other", f"x.tousu.{service}", "amq.topic", "amq.direct"):
        assert not any(_permits(p, name) for p in perms.values()), f"{service}: {name}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_use_the_shared_exchanges_as_the_kit_does(definitions: dict[str, Any], service: str) -> None:
    perms = _permissions(definitions, service)
    exchanges = (topology.EVENTS_EXCHANGE, topology.INGRESS_EXCHANGE, topology.CONTROL_EXCHANGE)
    for exchange in exchanges:  # every service declares all three (tousu.kit.broker.declare_exchanges)
        assert _permits(perms["configure"], exchange)
    # publishes events and the controlled clock; retries and parks through the default exchange, which
    # also takes the dead-letter arguments of its queues and the answers to ingress commands
    for exchange in (topology.EVENTS_EXCHANGE, topology.CONTROL_EXCHANGE, "amq.default"):
        assert _permits(perms["write"], exchange), exchange
    assert not _permits(perms["write"], topology.INGRESS_EXCHANGE), "commands come from integrations"
    for exchange in (topology.EVENTS_EXCHANGE, topology.CONTROL_EXCHANGE):  # binds its queues
        assert _permits(perms["read"], exchange)
    assert _permits(perms["read"], topology.INGRESS_EXCHANGE) == _consumes_ingress(service)
    assert not _permits(perms["configure"], "amq.default")


@pytest.mark.parametrize("service", SERVICES)
def test_topic_permissions_are_the_producers_table(definitions: dict[str, Any], service: str) -> None:
    topics = _topic_permissions(definitions, service)
    assert set(topics) == {topology.EVENTS_EXCHANGE}
    write = topics[topology.EVENTS_EXCHANGE]["write"]
    allowed = {t for t in CATALOGUE if _permits(write, topology.routing_key(t, "bank-a"))}
    assert allowed == PRODUCERS[service]
    for event_type in PRODUCERS[service]:
        for tenant in ("bank-a", "cu-province-7", "regulator"):
            assert _permits(write, topology.routing_key(event_type, tenant))
        assert not _permits(write, event_type), "a routing key names its tenant"
        assert not _permits(write, f"{event_type}.bank.a"), "tenant ids have no dots"
        assert not _permits(write, f"x{event_type}.bank-a")
    domains = {t.split(".")[0] for t in CATALOGUE}
    for domain in domains:  # nothing outside the catalogue, even under a known prefix
        assert not _permits(write, f"{domain}.not_an_event.bank-a")
    read = topics[topology.EVENTS_EXCHANGE]["read"]
    assert _permits(read, topology.binding_key("complaint.received"))
    assert _permits(read, "#")


def test_the_integration_user_submits_commands_and_reads_its_own_queues(definitions: dict[str, Any]) -> None:
    perms = _permissions(definitions, INTEGRATION_USER)
    own = [f"{INTEGRATION_USER}.events", f"{INTEGRATION_USER}.replies"]
    for queue in own:
        assert all(_permits(p, queue) for p in perms.values()), queue
    assert _permits(perms["write"], topology.INGRESS_EXCHANGE)
    assert _permits(perms["read"], topology.EVENTS_EXCHANGE)
    assert not _permits(perms["write"], topology.EVENTS_EXCHANGE)
    assert not _permits(perms["write"], "amq.default")
    assert not _permits(perms["read"], topology.INGRESS_EXCHANGE)
    for exchange in (topology.EVENTS_EXCHANGE, topology.INGRESS_EXCHANGE, topology.CONTROL_EXCHANGE):
        assert not _permits(perms["configure"], exchange)
    for service in SERVICES:
        for queue in [*_queues_of(service), CONTROL_CLOCK_QUEUE]:
            assert not any(_permits(p, queue) for p in perms.values()), queue
    topics = _topic_permissions(definitions, INTEGRATION_USER)
    ingress = topics[topology.INGRESS_EXCHANGE]["write"]
    assert {k for k in (topology.SUBMIT_KEY, topology.CASE_ACT_KEY) if _permits(ingress, k)} == {
        topology.SUBMIT_KEY,
        topology.CASE_ACT_KEY,
    }
    for key in ("complaint.submitted", "case.act.x", "xcase.act", "org.update", "#"):
        assert not _permits(ingress, key), key
    assert not any(_permits(topics[topology.EVENTS_EXCHANGE]["write"], f"{t}.bank-a") for t in CATALOGUE)


def test_the_public_exchanges_exist_before_any_service_starts(definitions: dict[str, Any]) -> None:
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert set(exchanges) == {topology.EVENTS_EXCHANGE, topology.INGRESS_EXCHANGE}
    for exchange in exchanges.values():
        # as tousu.kit.broker.declare_exchanges declares them: a different attribute would fail its declare
        assert (exchange["vhost"], exchange["type"], exchange["durable"], exchange["auto_delete"]) == (
            "/",
            "topic",
            True,
            False,
        )
        assert exchange["internal"] is False
        assert exchange["arguments"] == {}


# ---------------------------------------------------------------------------------------------- live broker


def _management_api(base: str) -> tuple[str, tuple[str, str]] | None:
    parts = urlsplit(base)
    api = f"http://{parts.hostname or '127.0.0.1'}:15672/api"
    auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
    with contextlib.suppress(httpx.HTTPError):
        if httpx.get(f"{api}/overview", auth=auth, timeout=2).status_code == 200:
            return api, auth
    return None


def _on_test_vhost(
    definitions: dict[str, Any], vhost: str, names: dict[str, str], passwords: dict[str, str]
) -> dict[str, Any]:
    """definitions.json moved to `vhost`, its users renamed; the regular expressions stay as they are."""
    hasher = _hash_password_module().hash_password
    return {
        "users": [
            {
                "name": names[user],
                "password_hash": hasher(passwords[user]),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
            for user in names
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [
            {**p, "user": names[p["user"]], "vhost": vhost} for p in definitions["permissions"] if p["user"] in names
        ],
        "topic_permissions": [
            {**p, "user": names[p["user"]], "vhost": vhost}
            for p in definitions["topic_permissions"]
            if p["user"] in names
        ],
        "exchanges": [{**e, "vhost": vhost} for e in definitions["exchanges"]],
    }


@pytest.fixture(scope="module")
def live_users(definitions: dict[str, Any]) -> Iterator[dict[str, str]]:
    """AMQP URL per user of definitions.json (admin aside), on a throwaway vhost of a real broker."""
    from tousu.kit.testing.servers import rabbitmq_server

    with contextlib.ExitStack() as stack:
        try:
            base = stack.enter_context(rabbitmq_server())
        except RuntimeError as exc:
            pytest.skip(str(exc))
        api = _management_api(base)
        host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 5672
        if api is None and (shutil.which("rabbitmqctl") is None or host not in ("127.0.0.1", "localhost")):
            pytest.skip("neither the management API nor a local rabbitmqctl to load definitions with")
        run = uuid.uuid4().hex[:8]
        vhost = f"tousu-deploy-{run}"
        names = {u["name"]: f"t{run}-{u['name']}" for u in definitions["users"] if u["name"] != "admin"}
        passwords = {user: uuid.uuid4().hex for user in names}
        document = _on_test_vhost(definitions, vhost, names, passwords)
        if api is not None:
            root, auth = api
            httpx.post(f"{root}/definitions", json=document, auth=auth, timeout=30).raise_for_status()
            stack.callback(lambda: [httpx.delete(f"{root}/users/{u}", auth=auth, timeout=30) for u in names.values()])
            stack.callback(httpx.delete, f"{root}/vhosts/{vhost}", auth=auth, timeout=30)
        else:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "definitions.json"
                path.write_text(json.dumps(document))
                path.chmod(0o644)
                Path(folder).chmod(0o755)
                done = subprocess.run(
                    ["rabbitmqctl", "-q", "import_definitions", str(path)],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
            for user in names.values():
                stack.callback(
                    subprocess.run, ["rabbitmqctl", "-q", "delete_user", user], capture_output=True, timeout=60
                )
            stack.callback(
                subprocess.run, ["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60
            )
            if done.returncode != 0:
                pytest.skip(f"rabbitmqctl could not import definitions here: {done.stderr.strip()[:300]}")
        yield {user: f"amqp://{names[user]}:{passwords[user]}@{host}:{port}/{vhost}" for user in names}


def _publish(exchange: str, key: str, **properties: Any) -> Callable[[Any], Awaitable[None]]:
    async def action(channel: Any) -> None:
        target = channel.default_exchange if exchange == "" else await channel.get_exchange(exchange, ensure=False)
        await target.publish(aio_pika.Message(b"{}", message_id=uuid.uuid4().hex, **properties), routing_key=key)

    return action


def _declare_queue(name: str) -> Callable[[Any], Awaitable[None]]:
    async def action(channel: Any) -> None:
        await channel.declare_queue(name, durable=True)

    return action


async def _allowed(connection: Any, action: Callable[[Any], Awaitable[None]]) -> bool:
    """Runs `action` on a fresh confirming channel: False when the broker refuses it (it closes the channel)."""
    channel = await connection.channel(publisher_confirms=True)
    try:
        await action(channel)
    except (aiormq.exceptions.ChannelAccessRefused, aiormq.exceptions.ChannelPreconditionFailed):
        return False
    finally:
        if not channel.is_closed:
            await channel.close()
    return True


@pytest.mark.integration
@pytest.mark.parametrize("service", SERVICES)
async def test_on_a_real_broker_each_service_runs_the_kit_and_nothing_more(
    live_users: dict[str, str], service: str
) -> None:
    """The service's user declares the kit's topology, shares the controlled clock, publishes its own events
    and retries; it cannot publish another's events, submit commands, or touch another's queues."""
    from tousu.kit.broker import connect, declare_service_topology
    from tousu.kit.clock import BusinessClock
    from tousu.kit.control import ClockSync

    event_types = ["*"] if service == "reporting" else ["org.updated", "sla.breached"]
    ingress = [key for key, owner in topology.INGRESS_QUEUES.items() if owner.startswith(f"{service}.")]

    async def declare(channel: Any) -> None:
        await declare_service_topology(channel, service, event_types, ingress)

    connection = await connect(live_users[service], f"deploy-test-{service}")
    async with connection:
        assert await _allowed(connection, declare)
        clock = ClockSync(connection, BusinessClock(controlled=True))
        await clock.start()
        await clock.publish(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
        await clock.stop()
        for event_type in sorted(PRODUCERS[service])[:3]:
            key = topology.routing_key(event_type, "bank-a")
            assert await _allowed(connection, _publish(topology.EVENTS_EXCHANGE, key)), key
        retry = topology.retry_queue(topology.service_queue(service), topology.RETRY_TIERS_MS[0])
        assert await _allowed(connection, _publish("", retry))
        for other in SERVICES:
            if other != service:
                key = topology.routing_key(sorted(PRODUCERS[other])[0], "bank-a")
                assert not await _allowed(connection, _publish(topology.EVENTS_EXCHANGE, key)), key
        assert not await _allowed(connection, _publish(topology.INGRESS_EXCHANGE, topology.SUBMIT_KEY))
        other = "sla" if service != "sla" else "intake"
        for queue in (topology.service_queue(other), topology.parking_queue(topology.service_queue(other))):
            assert not await _allowed(connection, _declare_queue(queue)), queue


@pytest.mark.integration
async def test_on_a_real_broker_the_integration_submits_and_reads_only_its_own(live_users: dict[str, str]) -> None:
    from tousu.kit.broker import connect

    async def own_queue(channel: Any) -> None:
        queue = await channel.declare_queue(f"{INTEGRATION_USER}.events", durable=True)
        await queue.bind(topology.EVENTS_EXCHANGE, topology.binding_key("complaint.escalated"))

    user = urlsplit(live_users[INTEGRATION_USER]).username
    connection = await connect(live_users[INTEGRATION_USER], "deploy-test-integration")
    async with connection:
        assert await _allowed(connection, own_queue)
        for key in (topology.SUBMIT_KEY, topology.CASE_ACT_KEY):
            assert await _allowed(connection, _publish(topology.INGRESS_EXCHANGE, key, user_id=user)), key
        assert not await _allowed(connection, _publish(topology.INGRESS_EXCHANGE, "case.delete", user_id=user))
        assert not await _allowed(
            connection, _publish(topology.INGRESS_EXCHANGE, topology.SUBMIT_KEY, user_id="someone-else")
        ), "RabbitMQ checks user_id against the login"
        assert not await _allowed(connection, _publish(topology.EVENTS_EXCHANGE, "complaint.received.bank-a"))
        assert not await _allowed(connection, _declare_queue(topology.ingress_queue(topology.SUBMIT_KEY)))
