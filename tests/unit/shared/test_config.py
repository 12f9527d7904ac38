"""YAML config with ${ENV:default} references."""
import pytest

from shared.config import MissingSetting, load_config


def write(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class TestEnvironmentReferences:
    def test_defaults_apply_when_the_variable_is_unset(self, tmp_path, monkeypatch):
        monkeypatch.delenv("KM_TEST_PORT", raising=False)
        config = load_config(write(tmp_path, "PORT: ${KM_TEST_PORT:8000}\nNAME: ${KM_TEST_NAME:职称}\n"))
        assert config == {"PORT": 8000, "NAME": "职称"}

    def test_the_environment_wins_over_the_default_and_nested_values_expand(self, tmp_path, monkeypatch):
        monkeypatch.setenv("KM_TEST_URL", "postgresql://db/x")
        monkeypatch.setenv("KM_TEST_BATCH", "7")
        config = load_config(write(tmp_path, "DB: ${KM_TEST_URL:sqlite://}\nRELAY:\n  batch: ${KM_TEST_BATCH:200}\n"))
        assert config == {"DB": "postgresql://db/x", "RELAY": {"batch": 7}}

    def test_a_reference_without_default_and_without_value_is_an_error(self, tmp_path, monkeypatch):
        monkeypatch.delenv("KM_TEST_SECRET", raising=False)
        with pytest.raises(MissingSetting, match="KM_TEST_SECRET"):
            load_config(write(tmp_path, "SECRET: ${KM_TEST_SECRET}\n"))

    def test_an_empty_default_gives_an_empty_value(self, tmp_path, monkeypatch):
        monkeypatch.delenv("KM_TEST_EMPTY", raising=False)
        assert load_config(write(tmp_path, "X: ${KM_TEST_EMPTY:}\n")) == {"X": None}
