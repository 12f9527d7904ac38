"""Load a service's YAML config, expanding ``${ENV_VAR:default}`` from the environment.

nameko expands the same syntax when it starts a service with ``--config``; processes that are not
nameko services (the outbox relay, the rebuild command, tests) load the same file through here so
there is one source of truth per service.
"""
import os
import re
from pathlib import Path

import yaml

# ${NAME} or ${NAME:default}; the default may itself be empty.
_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>[^}]*))?\}")


class MissingSetting(KeyError):
    """Raised when a config value refers to an environment variable that is unset and has no default."""


def expand(text):
    """Replace every ``${NAME:default}`` in *text* with the environment's value or the default."""

    def replace(match):
        name, default = match.group("name"), match.group("default")
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise MissingSetting(f"配置项引用的环境变量 {name} 未设置且没有默认值")
        return default

    return _ENV_REFERENCE.sub(replace, text)


def _expand_tree(node):
    if isinstance(node, dict):
        return {key: _expand_tree(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_expand_tree(value) for value in node]
    if isinstance(node, str) and "${" in node:
        # Re-parse the expanded scalar so "${PORT:8000}" becomes an int, as nameko does.
        return yaml.safe_load(expand(node))
    return node


def load_config(path):
    """Return the config mapping of the YAML file at *path*, with environment references expanded."""
    with open(path, encoding="utf-8") as handle:
        return _expand_tree(yaml.safe_load(handle) or {})


def service_config(service_name):
    """Load ``services/<name>/config.yaml`` (or ``gateway/config.yaml``) of this checkout."""
    root = Path(__file__).resolve().parent.parent
    candidates = [root / "services" / service_name / "config.yaml", root / service_name / "config.yaml"]
    for candidate in candidates:
        if candidate.exists():
            return load_config(candidate)
    raise FileNotFoundError(f"no config.yaml for service {service_name!r}")
