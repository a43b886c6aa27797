"""Settings: one TOML file plus ``SHOPKEEPER_*`` environment variables.

Precedence, highest first: explicit keyword arguments, environment variables, the TOML file
(``--config``, else ``$SHOPKEEPER_CONFIG``, else ``./shopkeeper.toml`` if present), defaults.
The field descriptions below are the documentation: ``docs/config.md`` is checked against them.
"""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from shopkeeper.errors import ConfigError

DEFAULT_CONFIG_NAME = "shopkeeper.toml"
DEFAULT_MEMORY_LIMIT = "2GB"


class Settings(BaseSettings):
    """Every Shopkeeper setting, validated."""

    model_config = SettingsConfigDict(env_prefix="SHOPKEEPER_", extra="forbid")

    warehouse: Path = Field(
        default=Path("shopkeeper-data/warehouse.duckdb"),
        description="Path of the DuckDB warehouse file (created on first use).",
    )
    output_dir: Path = Field(
        default=Path("shopkeeper-data/out"),
        description="Folder where reports, exports and demo outputs are written.",
    )
    timezone: str = Field(
        default="UTC",
        description="IANA time zone for timestamps that carry none (a preset's own zone wins).",
    )
    currency: str = Field(
        default="USD",
        description="ISO 4217 currency for amounts that carry none (a preset's own currency wins).",
    )
    memory_limit: str = Field(
        default=DEFAULT_MEMORY_LIMIT,
        description="DuckDB memory limit; larger loads and queries spill to disk. DuckDB keeps "
        "what it was allowed, so this also bounds the memory a forecast run shares with it.",
    )
    threads: int = Field(default=0, ge=0, description="DuckDB threads; 0 means all cores.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Asia/Shanghai'")
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


_explicit_config: Path | None = None


def _config_path() -> Path | None:
    path = _explicit_config or os.environ.get("SHOPKEEPER_CONFIG")
    if path:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist; run 'shopkeeper init' to create one")
        return path
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Read settings from ``config`` (or the usual places) and the environment."""
    global _explicit_config
    _explicit_config = config
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from exc
    except (OSError, ValueError) as exc:  # a TOML syntax error is a ValueError
        raise ConfigError(f"cannot read config: {exc}") from exc
    finally:
        _explicit_config = None


def config_template() -> str:
    """A commented ``shopkeeper.toml`` with every setting at its default."""
    lines = ["# Shopkeeper settings. Every key can also be set as SHOPKEEPER_<KEY>.", ""]
    for name, field in Settings.model_fields.items():
        default = field.default
        value = f'"{default}"' if isinstance(default, str | Path) else str(default)
        lines += [f"# {field.description}", f"{name} = {value}", ""]
    return "\n".join(lines)
