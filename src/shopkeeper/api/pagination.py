"""Lists page the same way everywhere: ``?limit=&offset=`` in, :class:`Page` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # far past any list, and within the 64-bit SQL OFFSET


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, and where it sits in the whole."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Paging(BaseModel):
    limit: int
    offset: int

    def of(self, items: list[T], total: int | None = None) -> Page[T]:
        """This page of ``items`` (already cut when ``total`` is given, else cut here)."""
        if total is None:
            total, items = len(items), items[self.offset:self.offset + self.limit]
        return Page(items=items, total=total, limit=self.limit, offset=self.offset)


def paging(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
           offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]
           = 0) -> Paging:
    return Paging(limit=limit, offset=offset)
