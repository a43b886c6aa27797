"""Settings: the language model (and a test call), the store's currency and time zone."""

from __future__ import annotations

import zoneinfo
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from shopkeeper import accounts, llm, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["settings"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
Cfg = Annotated[store.Settings, Depends(server_settings)]


class StoreSettings(BaseModel):
    """What the workspace shows of the settings (never an API key)."""

    currency: str
    report_currency: str
    fx_rates: dict[str, float]
    timezone: str
    timezone_origin: str
    timezone_editable: bool = Field(description="False when shopkeeper.toml or the environment "
                                    "sets the zone (that setting wins).")
    llm_provider: str
    llm_model: str
    llm_base_url: str
    llm_model_path: str
    llm_timeout: float


@router.get("/settings", summary="The store's and the language model's settings",
            response_model=StoreSettings)
def read_settings(wh: Wh, cfg: Cfg, _: Principal = requires(P.SETTINGS_READ)) -> StoreSettings:
    zone, origin = wh.timezone_origin()
    return StoreSettings(currency=cfg.currency, report_currency=cfg.report_currency,
                         fx_rates=cfg.fx_rates, timezone=zone, timezone_origin=origin,
                         timezone_editable=not cfg.timezone, llm_provider=cfg.llm_provider,
                         llm_model=cfg.llm_model, llm_base_url=cfg.llm_base_url,
                         llm_model_path=cfg.llm_model_path, llm_timeout=cfg.llm_timeout)


class TimezoneChange(BaseModel):
    timezone: str = Field(min_length=1, max_length=64, description="IANA name, e.g. "
                          "Asia/Shanghai: where the store's days, weeks and months begin.")


@router.put("/settings/timezone", summary="Set the store's time zone", response_model=StoreSettings)
def set_timezone(body: TimezoneChange, request: Request, wh: Wh, cfg: Cfg,
                 principal: Principal = requires(P.SETTINGS_WRITE)) -> StoreSettings:
    if body.timezone not in zoneinfo.available_timezones():
        raise ProblemError(422, f"unknown time zone {body.timezone!r}: use an IANA name such as "
                                "'Asia/Shanghai'")
    before = wh.timezone_origin()[0]
    request.app.state.server.wh.set_timezone(body.timezone)
    accounts.record(wh, principal.actor, "settings.timezone", "store", before={"timezone": before},
                    after={"timezone": body.timezone}, via=principal.via)
    with request.app.state.server.session() as fresh:
        return read_settings(fresh, cfg, principal)


@router.post("/settings/llm/test", summary="Test the language model connection",
             response_model=llm.LLMHealth)
def test_llm(cfg: Cfg, _: Principal = requires(P.SETTINGS_READ)) -> llm.LLMHealth:
    return llm.health_check(cfg)
