"""The deployment files (docker-compose.yml, Dockerfile, workspace.yaml, dagster.yaml) are
consistent with each other and with the repository. There is no Docker daemon here: they are
checked by parsing, and dagster.yaml by Dagster's own instance schema."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest
import yaml
from support.processes import REPO

from mpo_pipeline.config import Settings, WarehouseTarget

SERVICES = {"postgres", "init", "code", "webserver", "daemon", "simulator", "bi"}
DUCKLAKE_SERVICES = {"ducklake-init", "s3", "s3-init"}  # profile `ducklake`
DAGSTER_SERVICES = ("init", "code", "webserver", "daemon")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|CLIENT_ID|API_KEY|ACCESS_KEY", re.IGNORECASE)
INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")


def _yaml(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return _yaml("docker-compose.yml")


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def _command(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(str(part) for part in command)


def _healthcheck(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _mount(mount: str | dict) -> dict:
    """A volume entry in the long form (``source``, ``target``, ``read_only``, ...)."""
    if isinstance(mount, dict):
        return mount
    source, target, *mode = mount.split(":")
    return {"source": source, "target": target, "read_only": mode == ["ro"]}


def _dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def test_compose_has_the_expected_services_and_commands(services: dict[str, dict]) -> None:
    assert set(services) == SERVICES | DUCKLAKE_SERVICES
    assert services["postgres"]["image"].startswith("postgres:15")
    code = _command(services["code"])
    assert "dagster code-server start -m mpo_pipeline.definitions -h 0.0.0.0 -p 4000" in code
    assert "--location-name mpo_pipeline" in code
    assert _command(services["webserver"]) == (
        "dagster-webserver -w workspace.yaml -h 0.0.0.0 -p 3000"
    )
    assert _command(services["daemon"]).startswith("dagster-daemon run")
    init = _command(services["init"])
    assert "dagster instance migrate" in init
    assert "dagster instance concurrency set duckdb 1" in init
    assert "dagster instance concurrency set mpo_api 2" in init
    assert "dagster instance concurrency set mpo_realtime 1" in init
    assert services["simulator"]["profiles"] == ["demo"]
    assert "-m mpo_pipeline.simulator" in _command(services["simulator"])


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict]) -> None:
    assert "pg_isready" in _healthcheck(services["postgres"])
    assert "grpc-health-check" in _healthcheck(services["code"])
    assert "-p 4000" in _healthcheck(services["code"])
    assert "127.0.0.1:3000/server_info" in _healthcheck(services["webserver"])
    assert "liveness-check" in _healthcheck(services["daemon"])
    assert "/health" in _healthcheck(services["simulator"])
    assert "9333/cluster/status" in _healthcheck(services["s3"])
    assert "healthcheck" not in services["ducklake-init"]  # one-shot
    assert "healthcheck" not in services["s3-init"]  # one-shot
    assert "healthcheck" not in services["init"]  # one-shot


def test_start_order_follows_health(services: dict[str, dict]) -> None:
    def depends(name: str, *, required: bool = True) -> dict[str, str]:
        return {
            k: v["condition"]
            for k, v in services[name]["depends_on"].items()
            if v.get("required", True) == required
        }

    assert depends("init") == {"postgres": "service_healthy"}
    # the profile `ducklake`'s one-shots, when it is on (required: false: ignored when it is off)
    assert depends("init", required=False) == {
        "ducklake-init": "service_completed_successfully",
        "s3-init": "service_completed_successfully",
    }
    assert depends("ducklake-init") == {"postgres": "service_healthy"}
    assert depends("s3-init") == {"s3": "service_healthy"}
    assert depends("code") == {"init": "service_completed_successfully"}
    assert depends("webserver") == {"code": "service_healthy"}
    assert depends("daemon") == {"code": "service_healthy"}


def test_only_the_webserver_publishes_a_port_on_loopback(services: dict[str, dict]) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"webserver"}
    (port,) = services["webserver"]["ports"]
    assert str(port).startswith("127.0.0.1:") and str(port).endswith(":3000")


def test_volumes_are_declared_and_mounted_where_the_data_lives(
    compose: dict, services: dict[str, dict]
) -> None:
    declared = set(compose["volumes"])
    used = set()
    for service in services.values():
        for mount in service.get("volumes", []):
            source = _mount(mount)["source"]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared
    code_mounts = {_mount(m)["source"]: _mount(m)["target"] for m in services["code"]["volumes"]}
    assert code_mounts["mpo_data"] == "/data"
    postgres_mounts = services["postgres"]["volumes"]
    assert "postgres_data:/var/lib/postgresql/data" in postgres_mounts
    environment = services["code"]["environment"]
    assert environment["MPO_DATA_DIR"] == "/data"
    # a DuckDB file on the volume unless MPO_COMPOSE_WAREHOUSE names a DuckLake (profile ducklake)
    assert environment["MPO_WAREHOUSE"] == "${MPO_COMPOSE_WAREHOUSE:-/data/warehouse.duckdb}"
    # the lake on the volume unless MPO_COMPOSE_LAKE_DIR puts it on S3 (profile ducklake)
    assert environment["MPO_LAKE_DIR"] == "${MPO_COMPOSE_LAKE_DIR:-/data/lake}"


def test_bi_containers_mount_only_the_published_folder_read_only(
    services: dict[str, dict],
) -> None:
    """The pipeline publishes /data/published/warehouse.duckdb (docs/bi.md); a BI container
    mounts that folder of the data volume alone, read-only: the pipeline's warehouse is neither
    visible nor lockable from it, and it gets no secret."""
    published = "/data/published/warehouse.duckdb"
    for name in DAGSTER_SERVICES:
        environment = services[name]["environment"]
        assert environment["MPO_PUBLISHED_WAREHOUSE"] == published, name
        assert environment["MPO_PUBLISHED_WAREHOUSE"] != environment["MPO_WAREHOUSE"]
    init = services["init"]
    assert "mkdir -p /data/published" in _command(init)
    assert {"source": "mpo_data", "target": "/data", "read_only": False} in [
        _mount(m) for m in init["volumes"]
    ]
    bi = services["bi"]
    assert bi["profiles"] == ["bi"]
    (mount,) = [_mount(m) for m in bi["volumes"]]
    assert mount["type"] == "volume" and mount["source"] == "mpo_data"
    assert mount["read_only"] is True
    assert mount["volume"]["subpath"] == "published"
    assert bi["environment"]["MPO_PUBLISHED_WAREHOUSE"] == mount["target"] + "/warehouse.duckdb"
    assert "env_file" not in bi and not bi.get("ports")
    assert bi["depends_on"] == {"init": {"condition": "service_completed_successfully"}}
    assert _command(bi) == "mpo-pipeline published"
    assert "published" in importlib.import_module("mpo_pipeline.cli").COMMANDS
    # Only the pipeline's services see the whole data volume.
    whole = {
        name
        for name, service in services.items()
        for m in service.get("volumes", [])
        if _mount(m)["source"] == "mpo_data" and "volume" not in _mount(m)
    }
    assert whole == {"code", "init"}


def test_secrets_come_from_env_file_never_inlined(services: dict[str, dict]) -> None:
    for name in DAGSTER_SERVICES:
        assert services[name]["env_file"] in (".env", [".env"]), name
    for name, service in services.items():
        environment = service.get("environment") or {}
        assert isinstance(environment, dict), f"{name}: use the mapping form"
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert INTERPOLATION.match(str(value)), f"{name}.{key} is inlined"
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_the_ducklake_profile_puts_the_warehouse_in_postgres_and_s3(
    compose: dict, services: dict[str, dict]
) -> None:
    """Profile `ducklake`: the catalog in a database of its own on the compose PostgreSQL, the data
    files in SeaweedFS's S3; the pipeline's services get the target and the credentials as
    ${VAR} references only (no literal secret), and run on the file without the profile."""
    for name in DUCKLAKE_SERVICES:
        assert services[name]["profiles"] == ["ducklake"], name
    s3 = services["s3"]
    assert s3["image"].startswith("chrislusf/seaweedfs")
    assert _command(s3).startswith("server ") and " -s3" in _command(s3)
    assert "s3_data" in compose["volumes"] and not s3.get("ports")
    assert "s3.bucket.create" in _command(services["s3-init"])
    assert "weed shell -master=s3:9333" in _command(services["s3-init"])
    catalog = services["ducklake-init"]
    assert catalog["image"].startswith("postgres:15")
    assert "create database" in _command(catalog) and catalog["environment"]["PGHOST"] == "postgres"
    for name in DAGSTER_SERVICES:
        environment = services[name]["environment"]
        assert environment["MPO_WAREHOUSE_DATA_PATH"] == "${MPO_COMPOSE_WAREHOUSE_DATA_PATH:-}"
        assert environment["PGPASSWORD"] == "${DAGSTER_PG_PASSWORD:-}"
        assert environment["AWS_ACCESS_KEY_ID"] == "${MPO_S3_ACCESS_KEY_ID:-}"
        assert environment["AWS_SECRET_ACCESS_KEY"] == "${MPO_S3_SECRET_ACCESS_KEY:-}"
        assert environment["MPO_S3_ENDPOINT"] == "${MPO_S3_ENDPOINT_URL-http://s3:8333}"
    for name in ("s3", "ducklake-init"):
        for key, value in services[name]["environment"].items():
            if SECRET_NAME.search(key):
                # a reference that must be set: the service refuses to start without it
                assert INTERPOLATION.match(value) and ":?" in value, f"{name}.{key}"
    # The example in the file's header is the one a .env needs, and parses as a DuckLake target.
    header = (REPO / "docker-compose.yml").read_text().split("\nname:")[0]
    example = re.search(r"MPO_COMPOSE_WAREHOUSE=(.+)", header).group(1).strip()
    data_path = re.search(r"MPO_COMPOSE_WAREHOUSE_DATA_PATH=(\S+)", header).group(1)
    target = WarehouseTarget.parse(example, data_path)
    assert target.kind == "ducklake-postgres" and target.data_path.startswith("s3://")
    lake = re.search(r"MPO_COMPOSE_LAKE_DIR=(\S+)", header).group(1)
    settings = Settings.from_env(
        {"MPO_LAKE_DIR": lake, "MPO_S3_ENDPOINT": "http://s3:8333"}, require_credentials=False
    )
    assert str(settings.lake_dir) == lake and settings.s3.url_style == "path"
    assert "password" not in example.lower()
    bucket = services["s3-init"]["environment"]["BUCKET"]
    assert bucket == "${MPO_S3_BUCKET:-mpo-warehouse}" and data_path.startswith(
        "s3://mpo-warehouse/"
    )


def test_dagster_home_in_compose_is_where_the_image_puts_dagster_yaml(
    services: dict[str, dict],
) -> None:
    home = re.search(r"DAGSTER_HOME=(\S+)", _dockerfile()).group(1)
    assert re.search(r"COPY dagster\.yaml \$\{DAGSTER_HOME\}/dagster\.yaml", _dockerfile())
    for name in DAGSTER_SERVICES:
        assert services[name]["environment"]["DAGSTER_HOME"] == home, name


def test_dockerfile_pins_uv_syncs_frozen_and_runs_unprivileged() -> None:
    text = _dockerfile()
    assert re.search(r"^FROM python:3\.11-slim\b", text, flags=re.MULTILINE)
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (REPO / "Makefile").read_text(), re.M)
    assert f"ARG UV_VERSION={makefile_uv.group(1)}" in text
    assert '"uv==${UV_VERSION}"' in text
    assert "uv sync --frozen --no-dev" in text
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")


def test_every_path_and_module_the_files_name_exists(services: dict[str, dict]) -> None:
    for name, service in services.items():
        build = service.get("build")
        if build:
            assert (REPO / build["context"] / build["dockerfile"]).is_file(), name
    for line in _dockerfile().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"
    assert "-w workspace.yaml" in _command(services["webserver"])
    assert (REPO / "workspace.yaml").is_file()
    module = importlib.import_module("mpo_pipeline.definitions")
    assert callable(module.defs)
    assert importlib.util.find_spec("mpo_pipeline.simulator.__main__") is not None


def test_workspace_points_at_the_code_service(services: dict[str, dict]) -> None:
    (entry,) = _yaml("workspace.yaml")["load_from"]
    server = entry["grpc_server"]
    assert server["host"] == "code" and server["host"] in services
    code = _command(services["code"])
    assert f"-p {server['port']}" in code
    assert f"--location-name {server['location_name']}" in code


def test_dagster_yaml_is_accepted_by_dagsters_instance_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.instance.ref import InstanceRef

    for name, value in {
        "DAGSTER_PG_HOST": "db.invalid",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_USER": "u",
        "DAGSTER_PG_PASSWORD": "p",
        "DAGSTER_PG_DB": "d",
    }.items():
        monkeypatch.setenv(name, value)
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    assert config["telemetry"] == {"enabled": False}
    database = config["storage"]["postgres"]["postgres_db"]
    for field, variable in {
        "hostname": "DAGSTER_PG_HOST",
        "port": "DAGSTER_PG_PORT",
        "username": "DAGSTER_PG_USER",
        "password": "DAGSTER_PG_PASSWORD",
        "db_name": "DAGSTER_PG_DB",
    }.items():
        assert database[field] == {"env": variable}, field
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert 1 <= config["concurrency"]["runs"]["max_concurrent_runs"] <= 8
    # Instantiating the run coordinator validates its own config; no database is touched.
    coordinator = InstanceRef.from_dir(str(tmp_path)).run_coordinator
    assert type(coordinator).__name__ == "QueuedRunCoordinator"
