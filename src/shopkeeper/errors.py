"""Every error Shopkeeper raises on purpose, in one place.

Each class names the problem, carries its context (file, row, column) and says how to fix it.
The CLI prints ``str(error)`` as one line; ``--debug`` adds the traceback.

Hierarchy::

    ShopkeeperError
    ├── ConfigError(ValueError)            bad or missing settings
    ├── WarehouseError                     the warehouse cannot be opened or queried
    │   ├── SchemaVersionError             the file was written by a newer Shopkeeper
    │   ├── WarehouseLockedError           another process has the file (after lock_timeout)
    │   └── ReadOnlyQueryError(ValueError) `shopkeeper sql` was given a write statement
    ├── LLMError                           a language model call failed
    │   ├── LLMUnavailableError            the endpoint or model file cannot be reached/loaded
    │   └── StructuredOutputError          no valid structured reply within the retries
    └── IngestError                        a file cannot be loaded at all (nothing is written)
        ├── SourceNotFound(FileNotFoundError)
        ├── EmptyFileError(ValueError)
        ├── EncodingError(ValueError)
        ├── UnreadableFileError(ValueError)
        ├── MissingColumnsError(ValueError)
        ├── InvalidMappingError(ValueError)
        └── UnknownPresetError(LookupError)

Rows that are merely bad never raise: they go to the quarantine table with their reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

UTF8_HINT = (
    "Chinese platform exports (Taobao, Tmall, JD) are often GB18030/GBK: "
    "pass --encoding gb18030, or leave --encoding at 'auto'"
)


class ShopkeeperError(Exception):
    """Base class of every deliberate Shopkeeper error."""


class ConfigError(ShopkeeperError, ValueError):
    """A setting is invalid or a config file cannot be read."""


class WarehouseError(ShopkeeperError):
    """The warehouse cannot be opened, migrated or queried."""


class SchemaVersionError(WarehouseError):
    """The warehouse file was written by a newer version of Shopkeeper."""


class WarehouseLockedError(WarehouseError):
    """Another process had the warehouse file for longer than ``lock_timeout`` seconds."""


class ReadOnlyQueryError(WarehouseError, ValueError):
    """A query given to the read-only SQL face would change the warehouse."""


class LLMError(ShopkeeperError):
    """A language model call failed (capabilities then fall back to their grounded path)."""


class LLMUnavailableError(LLMError):
    """The configured endpoint is down or the model file cannot be loaded."""


class StructuredOutputError(LLMError, ValueError):
    """The model gave no reply that validates against the schema within the retries."""


class IngestError(ShopkeeperError):
    """A source cannot be loaded at all; the warehouse is left untouched."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


class SourceNotFound(IngestError, FileNotFoundError):
    """The file or folder to ingest does not exist."""


class EmptyFileError(IngestError, ValueError):
    """The file has no bytes, or no header row."""


class EncodingError(IngestError, ValueError):
    """The file's bytes are not in the encoding it was read with."""

    def __init__(
        self, *, path: str | Path, encoding: str, line: int, byte: int, hint: str = UTF8_HINT
    ) -> None:
        self.encoding, self.line, self.byte = encoding, line, byte
        super().__init__(
            f"not valid {encoding} at row {line} (byte offset {byte}); {hint}", path=path
        )


class UnreadableFileError(IngestError, ValueError):
    """The file is not in a format Shopkeeper can parse (or is corrupt)."""


class MissingColumnsError(IngestError, ValueError):
    """The source lacks columns that its mapping requires."""

    def __init__(
        self, *, path: str | Path, missing: Sequence[str], found: Sequence[str], mapping: str
    ) -> None:
        self.missing, self.found, self.mapping = list(missing), list(found), mapping
        super().__init__(
            f"the following columns are missing: {self.missing} (mapping '{mapping}'; "
            f"the file has {self.found[:12]}{' …' if len(self.found) > 12 else ''}). "
            "Pick another --preset or map the columns in a --mapping file",
            path=path,
        )


class InvalidMappingError(IngestError, ValueError):
    """A mapping file or preset does not describe a valid load."""


class UnknownPresetError(IngestError, LookupError):
    """No preset has the given name, or none matches the file's columns."""
