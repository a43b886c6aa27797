"""A trained store recommender kept on disk, so serving does not retrain on every request.

The file is a compressed ``.npz`` with no pickle in it (loading runs no code): the model's name,
parameters and learned arrays (dense or sparse), the customer and product ids, the interaction,
purchase and co-occurrence matrices, and a JSON header saying when and on what it was trained.
The catalogue (prices, stock, costs) is not stored: it is read fresh from the warehouse when the
model is loaded, so the serving rules always see today's stock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from shopkeeper.recommend.serving import (
    SHOP_MODELS,
    RecommendError,
    ShopRecommender,
    catalogue,
    train,
)
from shopkeeper.store.warehouse import Warehouse

FORMAT = 1
_MATRICES = ("matrix", "cooccurrence", "bought")


@dataclass(frozen=True)
class StoredModel:
    """A loaded recommender and what the file says about its training."""

    recommender: ShopRecommender
    model: str
    params: dict
    trained_at: datetime
    path: Path


def save_recommender(rec: ShopRecommender, path: Path | str) -> Path:
    """Write ``rec`` to ``path`` (``.npz``), atomically: a half-written file never replaces a
    good one."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {"users": rec.users.astype(str), "items": rec.items.astype(str)}
    for name in _MATRICES:
        _put_sparse(arrays, name, getattr(rec, name))
    learned = {}
    if hasattr(rec.model, "state_arrays"):  # a model that says what it keeps
        arrays.update({f"own.{k}": v for k, v in rec.model.state_arrays().items()})
    for key, value in vars(rec.model).items():
        if not key.endswith("_") or key == "train_" or hasattr(rec.model, "state_arrays"):
            continue
        if sp.issparse(value):
            _put_sparse(arrays, f"state.{key}", value)
        elif isinstance(value, np.ndarray):
            arrays[f"state.{key}"] = value
        else:
            learned[key] = value
    header = {"format": FORMAT, "model": type(rec.model).__name__,
              "params": rec.model.get_params(), "scalars": learned,
              "trained_at": datetime.now(UTC).isoformat(),
              "purchases_until": (rec.purchases_until.isoformat() if rec.purchases_until
                                  else None)}
    arrays["header"] = np.array(json.dumps(header, default=_json_default))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)
    return path


def load_recommender(path: Path | str, wh: Warehouse) -> StoredModel:
    """Read a model written by :func:`save_recommender`, with today's catalogue from ``wh``."""
    path = Path(path)
    if not path.exists():
        raise RecommendError(f"{path}: no trained model here (run: shopkeeper recommend train)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        header = json.loads(str(arrays.pop("header")))
    except (OSError, ValueError, KeyError) as exc:
        raise RecommendError(f"{path}: not a Shopkeeper recommender file ({exc})") from None
    if header.get("format") != FORMAT or header.get("model") not in SHOP_MODELS:
        raise RecommendError(f"{path}: unsupported recommender file (format "
                             f"{header.get('format')}, model {header.get('model')!r})")
    model = SHOP_MODELS[header["model"]](**header["params"])
    matrices = {name: _get_sparse(arrays, name) for name in _MATRICES}
    model.train_ = matrices["matrix"]
    if hasattr(model, "restore_state"):
        model.restore_state({k[4:]: v for k, v in arrays.items() if k.startswith("own.")},
                            matrices["matrix"])
    for key, value in header["scalars"].items():
        setattr(model, key, value)
    for key in {k.split(".")[1] for k in arrays if k.startswith("state.")}:
        name = f"state.{key}"
        setattr(model, key, arrays[name] if name in arrays else _get_sparse(arrays, name))
    rec = ShopRecommender(model, arrays["users"].astype(object), arrays["items"].astype(object),
                          matrices["matrix"], catalogue(wh), matrices["cooccurrence"],
                          matrices["bought"], _when(header.get("purchases_until")))
    return StoredModel(rec, header["model"], header["params"],
                       datetime.fromisoformat(header["trained_at"]), path)


def _put_sparse(arrays: dict[str, np.ndarray], name: str, matrix: sp.spmatrix) -> None:
    csr = sp.csr_matrix(matrix)
    arrays[f"{name}.data"], arrays[f"{name}.indices"] = csr.data, csr.indices
    arrays[f"{name}.indptr"], arrays[f"{name}.shape"] = csr.indptr, np.array(csr.shape)


def _get_sparse(arrays: dict[str, np.ndarray], name: str) -> sp.csr_matrix:
    return sp.csr_matrix((arrays[f"{name}.data"], arrays[f"{name}.indices"],
                          arrays[f"{name}.indptr"]), shape=tuple(arrays[f"{name}.shape"]))


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a model file")


def default_model_path(model_dir: Path | str) -> Path:
    """Where ``shopkeeper recommend train`` keeps the store's recommender."""
    return Path(model_dir) / "recommender.npz"


def stored_or_trained(wh: Warehouse, path: Path | str | None, model: str | None = None
                      ) -> tuple[ShopRecommender, str]:
    """The stored model at ``path`` when there is one and no other ``model`` is asked for, else
    a model trained now (EASE by default); with a sentence saying which, and whether newer
    orders have arrived since it was trained."""
    if model is None and path is not None and Path(path).exists():
        stored = load_recommender(path, wh)
        until = stored.recommender.purchases_until
        note = (f"{stored.model} from {path}, trained {stored.trained_at:%Y-%m-%d %H:%M} UTC"
                + (f" on purchases up to {until:%Y-%m-%d}" if until else ""))
        if until is not None:
            newer = wh.query("SELECT count(*) FROM orders WHERE ordered_at > ?", [until])[0][0]
            if newer:
                note += f"; {newer} newer orders since (retrain: shopkeeper recommend train)"
        return stored.recommender, note
    rec = train(wh, model=model or "EASE")
    return rec, f"{model or 'EASE'} trained now on every purchase (no stored model used)"
