"""The container deployment, checked here without a Docker engine: the compose file parses and
hangs together, every setting it passes is a real one, every command it runs exists in the image,
and `.env.example` documents every setting."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from heardback.runtime.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
FIELDS = {f"HEARDBACK_{name.upper()}" for name in Settings.model_fields}
LONG_RUNNING = ["postgresql", "temporal", "temporal-ui", "mailpit", "worker", "gateway", "codec"]


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def commands() -> list[list[str]]:
    found = [["python", "-m", "heardback.worker"]]  # the Dockerfile's CMD, checked below
    for service in SERVICES.values():
        for cmd in (service.get("command"), service.get("healthcheck", {}).get("test")):
            if isinstance(cmd, list) and "python" in cmd:
                found.append(cmd[cmd.index("python") :])
    return found


def test_the_full_stack_is_there_and_waits_on_health() -> None:
    assert set(LONG_RUNNING) | {"temporal-schema", "temporal-setup"} == set(SERVICES)
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    for name in LONG_RUNNING:
        assert "healthcheck" in SERVICES[name] or name == "temporal-ui", name
    for name, service in SERVICES.items():
        for dep, cond in service.get("depends_on", {}).items():
            assert dep in SERVICES, (name, dep)
            assert cond["condition"] in ("service_healthy", "service_completed_successfully")
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dep], (name, dep)
    # Temporal's schema is set up by the admin tools before the server starts.
    assert SERVICES["temporal"]["depends_on"] == {
        "temporal-schema": {"condition": "service_completed_successfully"}
    }
    assert SERVICES["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"].endswith(":8081")


def test_images_are_pinned_and_volumes_declared() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if "build" in service:
            continue
        tag = image.rpartition(":")[2]
        assert ":" in image and tag != "latest" and re.search(r"\d+\.\d+", tag), (name, image)
    declared = set(COMPOSE["volumes"])
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
            else:
                assert source in declared, source
    assert re.search(r"^FROM python:3\.11\.\d+-slim", DOCKERFILE, re.M)


def test_every_heardback_variable_is_a_real_setting() -> None:
    for name, service in SERVICES.items():
        for key in service.get("environment", {}):
            if key.startswith("HEARDBACK_"):
                assert key in FIELDS, f"{name} sets unknown {key}"
    example = env_example()
    heardback = {k for k in example if k.startswith("HEARDBACK_")}
    assert heardback - FIELDS == set(), "unknown settings in .env.example"
    assert FIELDS - heardback == set(), "settings missing from .env.example"
    # Compose's required variables are the ones .env.example asks for.
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert required <= set(example), required - set(example)


def test_env_example_parses_as_settings(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    text = (ROOT / ".env.example").read_text()
    env.write_text(text.replace("HEARDBACK_LEDGER=sqlite", "HEARDBACK_LEDGER=postgres"))
    settings = Settings(_env_file=env)
    assert settings.ledger == "postgres"
    assert settings.health_port is None and settings.smtp_username is None  # empty = unset


@pytest.mark.parametrize("cmd", commands(), ids=" ".join)
def test_every_command_exists_in_the_image(cmd: list[str]) -> None:
    assert cmd[:2] == ["python", "-m"], cmd
    module = cmd[2]
    spec = importlib.util.find_spec(module)
    assert spec is not None, module
    if spec.submodule_search_locations:  # a package: needs __main__
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module
    else:
        assert 'if __name__ == "__main__":' in Path(str(spec.origin)).read_text(), module
    # ...and the image carries the package it lives in.
    assert f"COPY {module.split('.')[0]} " in DOCKERFILE, module


def test_the_image_is_built_from_the_pins_and_runs_unprivileged() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for package in project["tool"]["setuptools"]["packages"]:
        top = package.split(".")[0]
        assert f"COPY {top} {top}" in DOCKERFILE, top
    assert "pip install -c constraints.txt ." in DOCKERFILE
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1] not in ("root", "0")
    assert 'CMD ["python", "-m", "heardback.worker"]' in DOCKERFILE
    assert "heardback" in project["project"]["scripts"]
