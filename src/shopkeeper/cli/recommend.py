"""Recommendations: the ``guide`` command and the ``recommend`` group."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from shopkeeper import store
from shopkeeper.cli._common import (
    _as_of,
    _customer_messages,
    _progress,
    _settings,
    app,
    console,
    err_console,
    handle_errors,
)


@app.command()
@handle_errors
def guide(
    customer: Annotated[str | None, typer.Option("--customer", help="The signed-in customer "
                        "(customers.customer_id): picks follow their purchases.")] = None,
    picks: Annotated[int, typer.Option("-n", help="Products per answer.")] = 3,
    model: Annotated[bool, typer.Option(help="Let the configured model word the suggestions "
                     "(every answer is still checked against the catalogue).")] = True,
    script: Annotated[Path | None, typer.Option(help="Read the shopper's messages from this "
                      "file, one per line, instead of the keyboard.")] = None,
    explain: Annotated[bool, typer.Option(help="Show what was understood (budget, recipient, "
                       "occasion, words) and the score of each pick.")] = False,
    log: Annotated[bool, typer.Option(help="Keep the conversation in the warehouse "
                   "(guide_turns) and remember the customer's last one: what they looked for, "
                   "and not the same picks again. --no-log opens the warehouse read-only and "
                   "neither logs nor remembers.")] = True,
) -> None:
    """Personal shopping guide in the terminal (zh or en): say what you need, e.g. "a gift for
    my mum under 20 pounds" or "给我妈妈买个200元以内的礼物". It asks when it needs to, converts
    a budget in another currency at the store's fx_rates, leaves out what is clearly meant for
    someone else than the recipient, and explains every pick with catalogue facts only. Type
    'quit' to leave.

    Example: shopkeeper guide --customer 13113
    """
    from shopkeeper import llm as llm_runtime
    from shopkeeper import recommend

    settings = _settings()
    # on demand: the guide reads what it needs up front, and each turn reads (co-purchases) and
    # writes its log in a short transaction; the file is let go while the shopper types
    wh = store.Warehouse.from_settings(settings, read_only=not log, on_demand=True)
    with wh:
        with _progress() as bar:
            shopper, note = recommend.open_guide(
                wh, customer_id=customer, model_dir=settings.model_dir,
                llm=llm_runtime.get_llm(settings) if model else None, picks=picks,
                progress=bar, fx_rates=settings.fx_rates,
                report_currency=settings.report_currency, record=log)
        wh.release()
        if note:
            err_console.print(f"recommender: {note}", style="dim", highlight=False,
                              markup=False)
        for message in _customer_messages(script):
            _guide_turn(shopper, message, explain)
            wh.release()


def _guide_turn(shopper: Any, message: str, explain: bool) -> None:
    turn = shopper.reply(message)
    console.print("[bold green]guide>[/] ", end="")
    console.print(turn.text, highlight=False, markup=False)
    if explain:
        need = turn.need
        low, high = (f"{v:g}" if v is not None else "" for v in
                     (need.budget_min, need.budget_max))
        parts = [f"{turn.method}", f"budget {low}–{high}" if low or high else "no budget",
                 f"for {need.recipient}", f"occasion {need.occasion}",
                 f"words {' | '.join(need.wants) or '-'}"]
        parts += [f"{p.product_id} {p.score:.2f}" for p in turn.picks]
        parts += turn.flags
        err_console.print(" · ".join(parts), style="dim", highlight=False,
                          markup=False)


recommend_app = typer.Typer(help="Recommendations and customer segments: who buys what next, "
                            "what goes together, who is worth most and who may leave.",
                            no_args_is_help=True)
app.add_typer(recommend_app, name="recommend")


@recommend_app.command("train")
@handle_errors
def recommend_train(
    model: Annotated[str, typer.Option(help="TopPop, ItemKNN, EASE, RP3Beta, ALS, BPR, or "
                     "RepeatAware (buy-again and discovery in one list, for stores whose "
                     "customers reorder; 'recommend evaluate [--repeats]' compares them on "
                     "this store).")] = "EASE",
    half_life: Annotated[float | None, typer.Option(help="Days after which a purchase counts "
                         "half (time decay); default: no decay.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Learn only from purchases up to this day "
                     "(YYYY-MM-DD).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model file (default: "
                   "MODEL_DIR/recommender.npz, which the other recommend commands use).")]
    = None,
) -> None:
    """Train a recommender on the store's purchases and keep it, so 'recommend for-customer',
    'recommend similar' and 'guide' serve from it without retraining.

    Example: shopkeeper recommend train --model EASE --half-life 180
    """
    from shopkeeper import recommend

    settings = _settings()
    path = out or recommend.default_model_path(settings.model_dir)
    with store.Warehouse.from_settings(settings, read_only=True) as wh, _progress() as bar:
        bar.step(f"training {model}")
        start = time.perf_counter()
        trained = recommend.train(wh, model=model, half_life_days=half_life,
                                  as_of=_as_of(as_of))
        seconds = time.perf_counter() - start
        bar.step(f"saving {path.name}")
        recommend.save_recommender(trained, path)
    until = trained.purchases_until
    console.print(f"{model}: {len(trained.users):,} customers × {len(trained.items):,} products, "
                  f"{trained.matrix.nnz:,} interactions"
                  + (f", purchases up to {until:%Y-%m-%d}" if until else "")
                  + f"; trained in {seconds:.1f} s → {path}", highlight=False, markup=False)


@recommend_app.command("for-customer")
@handle_errors
def recommend_for_customer(
    customer: Annotated[str, typer.Argument(help="customers.customer_id")],
    n: Annotated[int, typer.Option("-n", help="How many products.")] = 10,
    model: Annotated[str | None, typer.Option(help="Train this model now (TopPop, ItemKNN, "
                     "EASE, RP3Beta, ALS or BPR) instead of using the stored one.")] = None,
    margin_floor: Annotated[float | None, typer.Option(help="Only products with at least this "
                            "gross margin (0.3 = 30%).")] = None,
    include_out_of_stock: Annotated[bool, typer.Option(help="Also products with no stock.")]
    = False,
    consumable: Annotated[list[str] | None, typer.Option(help="A category whose products may "
                          "be recommended again; repeatable.")] = None,
    per_category: Annotated[int, typer.Option(help="At most this many per category (0: no "
                            "limit).")] = 3,
    repeats: Annotated[bool, typer.Option(help="Let the list hold products the customer "
                       "bought before (best with a RepeatAware model: recommend train --model "
                       "RepeatAware).")] = False,
) -> None:
    """Products for one customer, trained on the store's purchases, with the reason for each;
    already-bought (unless consumable or --repeats) and out-of-stock products left out.

    Example: shopkeeper recommend for-customer 13113 -n 5 --margin-floor 0.3
    """
    from shopkeeper import recommend

    rules = recommend.ServingRules(exclude_bought=not repeats,
                                   consumable_categories=tuple(consumable or ()),
                                   in_stock_only=not include_out_of_stock,
                                   margin_floor=margin_floor,
                                   max_per_category=per_category or None)
    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        trained, source = recommend.stored_or_trained(
            wh, recommend.default_model_path(settings.model_dir), model)
        picks = recommend.recommend_for_customer(trained, customer, n, rules)
    err_console.print(f"model: {source}", highlight=False, markup=False)
    if not picks:
        console.print("nothing to recommend under these rules")
    for i, r in enumerate(picks, 1):
        price = f"{r.price:.2f}" if r.price is not None else "-"
        console.print(f"{i:>2}. {r.product_id} {r.title} · {price} · {r.reason}",
                      highlight=False, markup=False)


@recommend_app.command("similar")
@handle_errors
def recommend_similar(
    sku: Annotated[str, typer.Argument(help="products.product_id")],
    n: Annotated[int, typer.Option("-n", help="How many products.")] = 10,
    model: Annotated[str | None, typer.Option(help="Train this model now for products with "
                     "buyers instead of using the stored one.")] = None,
) -> None:
    """Products related to one product: by purchases when it has buyers, else by the meaning
    of titles and descriptions (cold start); plus what is bought together with it.

    Example: shopkeeper recommend similar 85123A -n 5
    """
    from shopkeeper import recommend

    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        trained, source = recommend.stored_or_trained(
            wh, recommend.default_model_path(settings.model_dir), model)
        similar = recommend.similar_products(trained, sku, n, wh)
        together = recommend.bought_together(wh, products=[sku], limit=n)
    err_console.print(f"model: {source}", highlight=False, markup=False)
    for r in similar:
        console.print(f"{r.product_id} {r.title} · {r.reason}", highlight=False, markup=False)
    if not together.empty:
        console.print("\nbought together (support, confidence, lift):")
        titles = dict(zip(trained.catalogue.index, trained.catalogue["title"], strict=True))
        for row in together.itertuples():
            console.print(f"  {row.consequent} {titles.get(row.consequent, '')} · {row.support} "
                          f"orders · {row.confidence:.0%} · lift {row.lift:.1f}",
                          highlight=False, markup=False)


@recommend_app.command("evaluate")
@handle_errors
def recommend_evaluate(
    weeks: Annotated[int, typer.Option(help="Test on the last this many weeks.")] = 4,
    repeats: Annotated[bool, typer.Option(help="Count what customers bought again too "
                       "(nothing left out of the lists), and add the own-history and "
                       "repeat-aware lists; default: new products only.")] = False,
) -> None:
    """Compare the recommenders on the store's own purchases (temporal split, full ranking):
    NDCG@10, Recall@10/20, HR@10, coverage, popularity bias, training time, speed.

    Example: shopkeeper recommend evaluate --weeks 4 --repeats
    """
    from shopkeeper import recommend

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh, _progress() as bar:
        bar.step("fitting and scoring the models")
        table = recommend.evaluate_store(wh, test_weeks=weeks, repeats=repeats)
    console.print(table.attrs["protocol"], highlight=False)
    console.print(f"{table.attrs['test_users']:,} test customers")
    console.print(table.drop(columns=["params"]).round(4).to_string(index=False))


@recommend_app.command("segments")
@handle_errors
def recommend_segments(
    export: Annotated[Path | None, typer.Option(help="Write an audience (.csv or .xlsx).")]
    = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment in the export "
                       "(e.g. 'at risk').")] = None,
    min_churn_risk: Annotated[float | None, typer.Option(help="Only customers at least this "
                              "likely to buy nothing in 90 days.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date of the analysis (YYYY-MM-DD; "
                     "default: the last order date).")] = None,
) -> None:
    """RFM segments with BG/NBD + Gamma-Gamma lifetime value (12 months) and churn risk; export
    an audience for a campaign.

    Example: shopkeeper recommend segments --segment "at risk" --export at-risk.xlsx
    """
    from shopkeeper import recommend

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        table, model = recommend.segment_customers(wh, as_of=_as_of(as_of))
    summary = recommend.segment_summary(table)
    console.print(summary.round(2).to_string())
    if model is not None:
        p = model.bgnbd
        console.print(f"BG/NBD on {model.customers:,} customers ({model.repeat_customers:,} "
                      f"repeat): r={p['r']:.3f} alpha={p['alpha']:.3f} a={p['a']:.3f} "
                      f"b={p['b']:.3f}", highlight=False)
    else:
        console.print("too few customers for a lifetime-value model: RFM only")
    if export:
        n = recommend.export_audience(table, export, segment=segment,
                                      min_churn_risk=min_churn_risk)
        console.print(f"audience of {n:,} customers: {export}")


def _through(value: str | None):
    """``--as-of`` for buy-again: every purchase made on that day counts."""
    day = _as_of(value)
    return None if day is None else day.replace(hour=23, minute=59, second=59, microsecond=999999)


@recommend_app.command("buy-again")
@handle_errors
def recommend_buy_again(
    customer: Annotated[str, typer.Option("--customer", help="customers.customer_id")],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many products.")] = 10,
    as_of: Annotated[str | None, typer.Option(help="Read purchases up to this day "
                     "(YYYY-MM-DD; default: the store's last order).")] = None,
    lang: Annotated[str, typer.Option(help="Language of the reasons: en or zh.")] = "en",
) -> None:
    """What one customer is likely to reorder now, from their own purchase rhythm: how often
    they buy each product, when they last did, and whether it is overdue, due (within 14 days)
    or later, each with its reason ("you order this about every 5 weeks; last order 6 weeks
    ago"). Returned and cancelled purchases are left out.

    Example: shopkeeper recommend buy-again --customer 13113 --as-of 2011-12-01 --lang zh
    """
    from rich.table import Table
    from rich.text import Text

    from shopkeeper import recommend

    if lang not in ("en", "zh"):
        raise typer.BadParameter(f"--lang {lang!r}: use en or zh")
    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        items = recommend.buy_again(wh, customer, n=n, as_of=_through(as_of), lang=lang)
    table = Table("product", "title", "status", "every", "last order", "expected", "why",
                  title=f"buy it again: customer {customer}")
    for i in items:
        every = f"{i.usual_interval_days:g} d" if i.usual_interval_days is not None else "-"
        table.add_row(Text(i.product_id), Text(i.title), i.status, every,
                      f"{i.last_ordered:%Y-%m-%d}",
                      f"{i.expected_reorder:%Y-%m-%d}" if i.expected_reorder else "-",
                      Text(i.reason))
    console.print(table)


@recommend_app.command("replenish")
@handle_errors
def recommend_replenish(
    product: Annotated[list[str] | None, typer.Option("--product", help="Only this product "
                       "(products.product_id); repeatable.")] = None,
    within_days: Annotated[int, typer.Option(min=0, help="Also customers expected to reorder "
                           "within this many days.")] = 14,
    min_orders: Annotated[int, typer.Option(min=2, help="Only products the customer bought on "
                          "at least this many days (3: two intervals to learn from).")] = 3,
    as_of: Annotated[str | None, typer.Option(help="Read purchases up to this day "
                     "(YYYY-MM-DD; default: the store's last order).")] = None,
    export: Annotated[Path | None, typer.Option(help="Write the whole audience (.csv or "
                      ".xlsx).")] = None,
    rows: Annotated[int, typer.Option(min=0, help="Rows to print.")] = 20,
) -> None:
    """The replenishment audience: customers due or overdue for a product they buy regularly,
    with their expected reorder date (last order + their usual interval), soonest first.
    Customers who let a product lapse long ago (overdue by more than two intervals) are left
    out: a win-back audience, not a reminder. Export it for a CRM reminder.

    Example: shopkeeper recommend replenish --within-days 7 --export reorder.xlsx
    """
    from rich.table import Table
    from rich.text import Text

    from shopkeeper import recommend

    if export is not None and export.suffix.lower() not in (".csv", ".xlsx"):
        raise typer.BadParameter(f"--export {export}: name a .csv or .xlsx file")
    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        table = recommend.replenishment_audience(wh, as_of=_through(as_of),
                                                 products=product or None,
                                                 min_orders=min_orders,
                                                 within_days=within_days)
    overdue = int((table["status"] == "overdue").sum())
    people = table["customer_id"].nunique()
    console.print(f"{len(table):,} reorder reminder{'' if len(table) == 1 else 's'} for "
                  f"{people:,} customer{'' if people == 1 else 's'}: {overdue:,} overdue, "
                  f"{len(table) - overdue:,} due within "
                  f"{within_days} days (products bought on {min_orders}+ days"
                  + (f", as of {as_of}" if as_of else "") + ")", highlight=False, markup=False)
    if not table.empty:
        top = (table.groupby(["product_id", "title"], sort=False)["customer_id"].nunique()
               .sort_values(ascending=False, kind="stable").head(5))
        console.print("top products: " + ", ".join(f"{p} {t} ({c:,})"
                                                   for (p, t), c in top.items()),
                      highlight=False, markup=False)
    if rows and not table.empty:
        shown = Table("customer", "name", "product", "title", "times", "every", "last order",
                      "expected", "status", "days overdue")
        for r in table.head(rows).itertuples():
            shown.add_row(Text(str(r.customer_id)), Text(r.name if isinstance(r.name, str) else ""),
                          Text(str(r.product_id)), Text(str(r.title)), str(r.times_bought),
                          f"{r.usual_interval_days:g} d", f"{r.last_ordered:%Y-%m-%d}",
                          f"{r.expected_reorder:%Y-%m-%d}", r.status, str(r.days_overdue))
        console.print(shown)
        if len(table) > rows:
            console.print(f"… {len(table) - rows:,} more (--rows, or --export the whole list)",
                          highlight=False, markup=False)
    if export:
        n = recommend.export_audience(table, export)
        console.print(f"replenishment audience of {n:,} rows: {export}", highlight=False,
                      markup=False)
