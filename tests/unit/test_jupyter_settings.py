"""JupyterLab asks nothing of outside hosts: no news prompt, no update check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "@jupyterlab/apputils-extension:notification"


def test_the_overrides_turn_news_and_update_checks_off() -> None:
    overrides = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    assert overrides[PLUGIN] == {"fetchNews": "false", "checkForUpdates": False}


def test_the_server_fetches_no_news_and_checks_no_updates() -> None:
    config = json.loads((ROOT / "jupyter" / "jupyter_lab_config.json").read_text())["LabApp"]
    assert config["news_url"] is None
    assert config["check_for_updates_class"] == "jupyterlab.NeverCheckForUpdate"


def test_the_settings_match_jupyterlabs_schema() -> None:
    schema = (Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas" / "@jupyterlab"
              / "apputils-extension" / "notification.json")
    properties = json.loads(schema.read_text())["properties"]
    assert "false" in {choice["const"] for choice in properties["fetchNews"]["oneOf"]}
    assert properties["checkForUpdates"]["type"] == "boolean"


def test_the_course_installs_them_into_the_environment() -> None:
    course = (ROOT / "course").read_text()
    assert "jupyter/overrides.json \"$venv/share/jupyter/lab/settings/overrides.json\"" in course
    assert "jupyter/jupyter_lab_config.json \"$venv/etc/jupyter/jupyter_lab_config.json\"" in course
