"""Settings from the environment: the database URL and the public address."""

from __future__ import annotations

import pytest

from aftercare.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://a@db/care", "postgresql+psycopg://a@db/care"),
        ("postgresql://a:b@127.0.0.1:5432/care", "postgresql+psycopg://a:b@127.0.0.1:5432/care"),
        ("postgresql+psycopg://a@db/care", "postgresql+psycopg://a@db/care"),
        ("sqlite:////srv/care.sqlite3", "sqlite:////srv/care.sqlite3"),
    ],
)
def test_postgresql_urls_always_use_psycopg_3(tmp_path, given, used):
    env = {"AFTERCARE_DATA_DIR": str(tmp_path), "DATABASE_URL": given}
    assert load_config(env)["SQLALCHEMY_DATABASE_URI"] == used


def test_without_a_url_the_database_is_sqlite_in_the_data_folder(tmp_path):
    config = load_config({"AFTERCARE_DATA_DIR": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'aftercare.sqlite3'}"


@pytest.mark.parametrize("given", ["mysql://a@db/care", "care.sqlite3", "postgresql+psycopg2://x"])
def test_other_databases_are_refused_by_name(tmp_path, given):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config({"AFTERCARE_DATA_DIR": str(tmp_path), "DATABASE_URL": given})


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("https://aftercare.example.org/", "https://aftercare.example.org"),
        ("https://Aftercare.Example.org", "https://aftercare.example.org"),
        ("http://192.168.1.20:5000", "http://192.168.1.20:5000"),
        ("", ""),
    ],
)
def test_the_public_address_is_kept_as_scheme_and_host(tmp_path, given, used):
    env = {"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_BASE_URL": given}
    assert load_config(env)["BASE_URL"] == used


@pytest.mark.parametrize(
    "given",
    [
        "aftercare.example.org",
        "ftp://aftercare.example.org",
        "https://aftercare.example.org/aftercare",
        "https://user:pass@aftercare.example.org",
        "https://aftercare.example.org:99999",
        "https://aftercare.example.org?x=1",
        "https://after care.example.org",
    ],
)
def test_a_public_address_links_cannot_be_made_from_is_refused_by_name(tmp_path, given):
    with pytest.raises(ConfigError, match="AFTERCARE_BASE_URL"):
        load_config({"AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_BASE_URL": given})
