"""Content studio: generate copy for a product or an attribute string, read a draft with its
grounding verdict and compliance flags as character spans, edit (checked again), approve or
reject, and export. Nothing is published: approved copy is exported by a person."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, model_validator

from shopkeeper import accounts, content, llm, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["content"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
Id = Annotated[str, Path(max_length=100)]
Kind = Literal["title", "description", "bullets", "marketing"]
MAX_BATCH = 5000


class Options(BaseModel):
    """What to write, as ``shopkeeper content generate`` takes it."""

    lang: Literal["zh", "en"] = "zh"
    kinds: list[Kind] = Field(default=["title", "description", "bullets"], min_length=1,
                              max_length=4)
    platform: Literal["taobao", "tmall", "pinduoduo", "amazon", "ebay", "shopify"] = "taobao"
    tone: Literal["standard", "friendly", "concise"] = "standard"
    length: Literal["short", "medium", "long"] = "medium"
    campaign: str = Field(default="", max_length=200,
                          description="Campaign theme; needed for marketing copy.")

    def copy_options(self) -> content.CopyOptions:
        return content.CopyOptions(kinds=tuple(dict.fromkeys(self.kinds)), lang=self.lang,
                                   platform=self.platform, tone=self.tone, length=self.length,
                                   campaign=self.campaign.strip())


class GenerateRequest(Options):
    product_id: str | None = Field(default=None, max_length=100,
                                   description="A product in the warehouse (its SKU).")
    attributes: str | None = Field(default=None, max_length=2000,
                                   description="Or attributes: '类型#上衣*材质#牛仔布*颜色#白色'.")

    @model_validator(mode="after")
    def _one_source(self) -> GenerateRequest:
        if bool((self.product_id or "").strip()) == bool((self.attributes or "").strip()):
            raise ValueError("give exactly one of product_id or attributes")
        return self


class BatchRequest(Options):
    product_ids: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, max_length=MAX_BATCH, description="These products.")
    category: str | None = Field(default=None, max_length=200,
                                 description="Or every product of this category.")
    all_products: bool = Field(default=False, description="Or every product.")
    limit: int | None = Field(default=None, ge=1, le=MAX_BATCH,
                              description="At most this many (best sellers first).")

    @model_validator(mode="after")
    def _one_source(self) -> BatchRequest:
        if sum((bool(self.product_ids), bool(self.category), self.all_products)) != 1:
            raise ValueError("give exactly one of product_ids, category or all_products")
        return self


class GenerateResult(BaseModel):
    """The drafts written now, or the job writing them (when a model drafts the copy)."""

    drafts: list[content.DraftDetail] = []
    job: Job | None = None


class DraftEdit(BaseModel):
    text: str = Field(min_length=1, max_length=10_000,
                      description="The new text (bullets: one per line); checked again.")
    note: str = Field(default="", max_length=500, description="A note for the history.")


class Decision(BaseModel):
    note: str = Field(default="", max_length=500, description="A note for the history.")


class StudioOptions(BaseModel):
    """The choices the generate form offers."""

    langs: list[str]
    kinds: list[str]
    platforms: list[str]
    tones: list[str]
    lengths: list[str]
    statuses: list[str]
    export_formats: list[str]


def _audit(d: content.DraftDetail) -> dict[str, Any]:
    return d.model_dump(mode="json", include={"status", "version", "text", "grounded",
                                              "violations", "compliance_flags", "method"})


@router.get("/content/options", response_model=StudioOptions,
            summary="The languages, kinds, platforms, tones and lengths copy can be written in")
def options(_: Principal = requires(P.CONTENT_READ)) -> StudioOptions:
    return StudioOptions(langs=["zh", "en"], kinds=list(content.KINDS),
                         platforms=list(content.PLATFORMS), tones=list(content.TONES),
                         lengths=list(content.LENGTHS), statuses=list(content.STATUSES),
                         export_formats=[f.lstrip(".") for f in content.EXPORT_FORMATS])


@router.post("/content/drafts", status_code=201, response_model=GenerateResult,
             responses={202: {"model": GenerateResult}},
             summary="Generate copy for a product or attributes, kept as drafts for review")
def generate(request: Request, body: GenerateRequest,
             principal: Principal = requires(P.CONTENT_WRITE)) -> JSONResponse:
    server = request.app.state.server
    model = llm.get_llm(server.settings)
    content.check_options(body.copy_options())
    source = ({"product_id": body.product_id.strip()} if body.product_id
              else {"attributes": (body.attributes or "").strip()})
    if model.has_model:  # a model takes seconds to minutes: a job, followed by the page
        params = {**body.model_dump(include=set(Options.model_fields)), **source}
        return idempotent(request, principal, lambda: GenerateResult(
            job=server.jobs.submit("content.generate", params, principal.actor)),
            status_code=202)

    def create() -> GenerateResult:
        with server.session(request) as wh:
            drafts = content.create_drafts(wh, body.copy_options(), actor=principal.actor,
                                           **source)
            accounts.record(wh, principal.actor, "content.generate",
                            f"product:{source.get('product_id', '(attributes)')}",
                            after={"draft_ids": [d.draft_id for d in drafts], **source},
                            via=principal.via)
        return GenerateResult(drafts=drafts)

    return idempotent(request, principal, create)


@router.post("/content/batch", status_code=202, response_model=Job,
             summary="Generate copy for many products (a category, a list, or all) as a job")
def batch(request: Request, body: BatchRequest,
          principal: Principal = requires(P.CONTENT_WRITE)) -> JSONResponse:
    content.check_options(body.copy_options())
    params = body.model_dump()
    server = request.app.state.server
    return idempotent(request, principal,
                      lambda: server.jobs.submit("content.generate", params, principal.actor),
                      status_code=202)


@router.get("/content/drafts", response_model=Page[content.DraftSummary],
            summary="Drafts, newest first, by status, product, kind or language")
def drafts(wh: Wh, page: Annotated[Paging, Depends(paging)],
           status: Literal["draft", "approved", "rejected"] | None = None,
           product_id: Annotated[str | None, Query(max_length=100)] = None,
           kind: Kind | None = None, lang: Literal["zh", "en"] | None = None,
           _: Principal = requires(P.CONTENT_READ)) -> Page[content.DraftSummary]:
    items, total = content.find_drafts(wh, status=status, product_id=product_id, kind=kind,
                                       lang=lang, limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


@router.get("/content/drafts/{draft_id}", response_model=content.DraftDetail,
            summary="One draft: grounding verdict and compliance flags with character spans")
def draft(wh: Wh, draft_id: Id, _: Principal = requires(P.CONTENT_READ)) -> content.DraftDetail:
    return content.get_draft(wh, draft_id)


@router.patch("/content/drafts/{draft_id}", response_model=content.DraftDetail,
              summary="Edit a draft's text: grounding and compliance are checked again")
def edit(wh: Wh, draft_id: Id, body: DraftEdit,
         principal: Principal = requires(P.CONTENT_WRITE)) -> content.DraftDetail:
    before, after = content.revise_draft(wh, draft_id, body.text, actor=principal.actor,
                                         note=body.note)
    accounts.record(wh, principal.actor, "content.edit", f"draft:{draft_id}",
                    before=_audit(before), after=_audit(after), via=principal.via)
    return after


def _decide(wh: store.Warehouse, draft_id: str, status: str, note: str,
            principal: Principal) -> content.DraftDetail:
    before, after = content.review_draft(wh, draft_id, status, actor=principal.actor, note=note)
    verb = "approve" if status == "approved" else "reject"
    accounts.record(wh, principal.actor, f"content.{verb}", f"draft:{draft_id}",
                    before=_audit(before), after=_audit(after), via=principal.via)
    return after


@router.post("/content/drafts/{draft_id}/approve", response_model=content.DraftDetail,
             summary="Approve a draft (it can then be exported; nothing is published)")
def approve(wh: Wh, draft_id: Id, body: Decision | None = None,
            principal: Principal = requires(P.CONTENT_WRITE)) -> content.DraftDetail:
    return _decide(wh, draft_id, "approved", (body or Decision()).note, principal)


@router.post("/content/drafts/{draft_id}/reject", response_model=content.DraftDetail,
             summary="Reject a draft")
def reject(wh: Wh, draft_id: Id, body: Decision | None = None,
           principal: Principal = requires(P.CONTENT_WRITE)) -> content.DraftDetail:
    return _decide(wh, draft_id, "rejected", (body or Decision()).note, principal)


@router.get("/content/export", response_class=FileResponse,
            summary="Download drafts (approved by default) as CSV, XLSX or JSON")
def export(request: Request, wh: Wh, fmt: Literal["csv", "xlsx", "json"] = "csv",
           status: Literal["approved", "draft", "rejected", "all"] = "approved",
           _: Principal = requires(P.CONTENT_READ)) -> FileResponse:
    path = request.app.state.server.export_path(f".{fmt}")
    content.export_drafts(wh, path, status=None if status == "all" else status)
    return FileResponse(path, filename=f"copy-{status}.{fmt}")


@job_kind("content.generate", P.CONTENT_WRITE)
def _generate_job(ctx: JobContext) -> dict[str, Any]:
    p = ctx.params
    options = Options(**{k: p[k] for k in Options.model_fields if k in p}).copy_options()
    model = llm.get_llm(ctx.settings)
    if p.get("attributes") or p.get("product_id"):
        ctx.progress("writing copy", 0.0)
        source = ({"attributes": p["attributes"]} if p.get("attributes")
                  else {"product_id": p["product_id"]})
        drafts = content.create_drafts(ctx.wh, options, llm=model, actor=ctx.actor, **source)
        ids = [d.draft_id for d in drafts]
        products = 1
    else:
        chosen = p.get("product_ids") or content.pick_products(
            ctx.wh, category=p.get("category") or None, limit=p.get("limit"))
        results = content.generate_for_products(ctx.wh, chosen, options, model,
                                                progress=ctx.progress)
        ids = [d.draft_id for ds in results.values() for d in ds]
        products = len(results)
    accounts.record(ctx.wh, ctx.actor, "content.generate", "content",
                    after={"draft_ids": ids[:200], "drafts": len(ids), "products": products},
                    via="job")
    return {"drafts": len(ids), "products": products, "draft_ids": ids[:500]}
