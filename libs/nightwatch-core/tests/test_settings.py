from __future__ import annotations

import pytest
from nightwatch_core.settings import ServiceSettings, to_asyncpg_url
from pydantic import ValidationError


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/x")
    monkeypatch.setenv("HTTP_RETRIES", "4")
    monkeypatch.setenv("INCIDENT_MANAGEMENT_URL", "http://incidents:8002")
    settings = ServiceSettings()
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/x"
    assert settings.http_retries == 4
    assert settings.incident_management_url == "http://incidents:8002"


def test_explicit_values_win_over_defaults() -> None:
    settings = ServiceSettings(service_name="x", max_body_bytes=2048)
    assert settings.service_name == "x"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://a@h/db", "postgresql+asyncpg://a@h/db"),
        ("postgres://a@h/db", "postgresql+asyncpg://a@h/db"),
        ("postgresql+asyncpg://a@h/db", "postgresql+asyncpg://a@h/db"),
    ],
)
def test_database_url_spellings(given: str, expected: str) -> None:
    assert to_asyncpg_url(given) == expected


def test_non_postgres_database_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="postgresql://"):
        ServiceSettings(database_url="sqlite:///x.db")


def test_out_of_range_numbers_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_RETRIES", "99")
    with pytest.raises(ValidationError):
        ServiceSettings()


def test_one_connection_budget_per_process_split_between_the_two_pools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = ServiceSettings()
    assert (defaults.raw_pool_size(), defaults.session_pool_size()) == (10, 10)
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_RAW_POOL_SIZE", "3")
    explicit = ServiceSettings()
    assert (explicit.raw_pool_size(), explicit.session_pool_size()) == (3, 4)


def test_a_raw_pool_as_large_as_the_budget_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match=r"DB_RAW_POOL_SIZE .* must be smaller than DB_POOL"):
        ServiceSettings(db_pool_size=4, db_raw_pool_size=4)
