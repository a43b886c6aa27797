"""Buy-again for the store's own customers, and the replenishment audiences a CRM message goes to.

- :func:`buy_again`: the products a customer is likely to reorder now, ranked by how often they
  buy each one, how recently, and whether their usual interval says it is due; each with its
  reason ("you order this about every 5 weeks; last order 6 weeks ago").
- :func:`replenishment_audience`: every customer × product bought on at least ``min_orders``
  days whose expected reorder date (``repeat.expected_reorder``) has passed or falls within the
  next ``within_days`` days, with that date: the list to send a reminder to. Write it with
  ``segments.export_audience`` (CSV or XLSX).

Purchases are the customer's non-cancelled orders; a customer × product with a return is left
out (nobody should be reminded to rebuy what they sent back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from shopkeeper.recommend.repeat import purchase_log, purchase_patterns
from shopkeeper.recommend.serving import RecommendError
from shopkeeper.store.warehouse import Warehouse


class UnknownCustomer(RecommendError, LookupError):
    """No such customer in the warehouse (neither a customers row nor an order)."""


DUE_SOON_DAYS = 14
"""A reorder expected within this many days counts as due now."""
LAPSED_AFTER_INTERVALS = 2.0
"""Overdue by more than this many usual intervals: lapsed, not due."""


@dataclass(frozen=True)
class BuyAgainItem:
    product_id: str
    title: str
    price: float | None
    times_bought: int  # distinct days the customer bought it
    usual_interval_days: float | None  # median days between those days
    last_ordered: date
    expected_reorder: date | None  # the last order plus the usual interval
    status: str  # "overdue", "due", "later", "bought once"
    reason: str
    score: float


def store_purchase_log(wh: Warehouse, *, as_of: datetime | None = None,
                       customers: list[str] | None = None
                       ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The store's purchase log (``repeat.purchase_log``) and its customer and product ids."""
    where, params = "", []
    if customers is not None:
        where = "AND o.customer_id IN (SELECT unnest(?))"
        params.append(list(customers))
    if as_of is not None:
        where += " AND o.ordered_at <= ?"
        params.append(as_of)
    rows = wh.query_df(
        f"""SELECT o.customer_id, l.product_id, o.ordered_at AS at
            FROM order_lines l JOIN orders o USING (order_id)
            WHERE o.customer_id IS NOT NULL AND l.product_id IS NOT NULL
              AND coalesce(o.status, '') <> 'cancelled' {where}
              AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.kind = 'return'
                              AND r.customer_id = o.customer_id
                              AND r.product_id = l.product_id)""", params)
    rows = rows.dropna(subset=["at"])
    users = np.sort(rows["customer_id"].astype(str).unique())
    items = np.sort(rows["product_id"].astype(str).unique())
    log = purchase_log(pd.Index(users).get_indexer(rows["customer_id"].astype(str)),
                       pd.Index(items).get_indexer(rows["product_id"].astype(str)),
                       rows["at"])
    return log, users, items


def _today(log: pd.DataFrame, as_of: datetime | None) -> int:
    if as_of is not None:
        return int(np.datetime64(pd.Timestamp(as_of).tz_localize(None)
                                 if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of), "D")
                   .astype(np.int64)) + 1
    return int(log["day"].max()) + 1


def _status(due_on: float, today: int) -> str:
    """``due_on``: the last purchase plus the usual interval (NaN when bought once); ``today``:
    the first day after the purchases read, so a product due on the as-of day is due, not
    overdue."""
    if np.isnan(due_on):
        return "bought once"
    if due_on < today - 1:
        return "overdue"
    return "due" if due_on <= today - 1 + DUE_SOON_DAYS else "later"


def _day(value: float) -> date:
    return (np.datetime64(int(value), "D").astype("datetime64[D]")).astype(date)


def _span(days: float, lang: str) -> str:
    """'6 weeks', '10 days', '3 months' (zh: '6周', '10天', '3个月')."""
    days = max(float(days), 0.0)
    if days < 14:
        n, unit = round(days), ("day", "天")
    elif days < 70:
        n, unit = round(days / 7), ("week", "周")
    else:
        n, unit = round(days / 30.4), ("month", "个月")
    if lang == "zh":
        return f"{n}{unit[1]}"
    return f"{n} {unit[0]}{'' if n == 1 else 's'}"


def reorder_reason(times: int, usual_gap: float, days_since: float, lang: str = "en") -> str:
    """Why an item is on a buy-again list, from its own purchase facts."""
    ago = _span(days_since, lang)
    if days_since < 1:
        ago = "今天" if lang == "zh" else "today"
    elif lang == "zh":
        ago += "前"
    else:
        ago += " ago"
    if times < 2 or np.isnan(usual_gap):
        if lang == "zh":
            return f"您买过1次，{ago}" if days_since >= 1 else "您今天刚买过"
        return f"you bought this once, {ago}" if days_since >= 1 else "you bought this today"
    every = _span(usual_gap, lang)
    if lang == "zh":
        return f"您大约每{every}买一次；上次是{ago}（共{times}次）"
    return f"you order this about every {every}; last order {ago} ({times} times)"


def buy_again(wh: Warehouse, customer_id: str, *, n: int = 10, as_of: datetime | None = None,
              lang: str = "en") -> list[BuyAgainItem]:
    """The products ``customer_id`` is most likely to reorder now, each with its reason.

    Ranked by purchase days (log), plus 1 when the usual interval says the item is due or
    overdue and a little for items other customers bought recently (those still sell); items
    bought on one day only come after those with a rhythm of their own."""
    log, _, items = store_purchase_log(wh, customers=[customer_id], as_of=as_of)
    if log.empty:
        known = wh.query("SELECT count(*) FROM customers WHERE customer_id = ?",
                         [customer_id])[0][0] or wh.query(
            "SELECT count(*) FROM orders WHERE customer_id = ?", [customer_id])[0][0]
        if not known:
            raise UnknownCustomer(f"no customer {customer_id!r}")
        raise RecommendError(f"customer {customer_id!r} has no purchases to buy again")
    today = _today(log, as_of)
    pairs = purchase_patterns(log, today).reset_index()
    facts = wh.query_df(
        "SELECT product_id, coalesce(title, product_id) AS title, price, "
        "coalesce(status, 'active') AS status FROM products WHERE product_id IN "
        "(SELECT unnest(?))", [list(items)]).set_index("product_id")
    recent = wh.query_df(
        """SELECT l.product_id, count(DISTINCT o.customer_id) AS buyers
           FROM order_lines l JOIN orders o USING (order_id)
           WHERE l.product_id IN (SELECT unnest(?)) AND o.ordered_at >= ? AND o.ordered_at < ?
             AND coalesce(o.status, '') <> 'cancelled' GROUP BY 1""",
        [list(items), _day(today - 28), _day(today)]).set_index("product_id")["buyers"]
    pairs["product_id"] = items[pairs["item"]]
    active = facts["status"].reindex(pairs["product_id"]).fillna("active").to_numpy()
    pairs = pairs[active == "active"]
    pop = np.log1p(recent.reindex(pairs["product_id"]).fillna(0).to_numpy())
    due = (pairs["last"] + pairs["usual_gap"]).to_numpy() <= today - 1 + DUE_SOON_DAYS
    rhythm = pairs["usual_gap"].notna().to_numpy()
    pairs["score"] = (np.log1p(pairs["days_bought"].to_numpy()) + due.astype(float)
                      + 2.0 * rhythm + 0.1 * pop / max(float(pop.max(initial=0)), 1.0))
    out = []
    for row in pairs.sort_values(["score", "last"], ascending=False).head(n).itertuples():
        title = facts["title"].get(row.product_id, row.product_id)
        price = facts["price"].get(row.product_id)
        out.append(BuyAgainItem(
            str(row.product_id), str(title), None if price is None or pd.isna(price)
            else float(price), int(row.days_bought),
            None if np.isnan(row.usual_gap) else float(row.usual_gap), _day(row.last),
            None if np.isnan(row.usual_gap) else _day(row.last + row.usual_gap),
            _status(row.last + row.usual_gap, today),
            reorder_reason(int(row.days_bought), row.usual_gap, today - 1 - row.last, lang),
            float(row.score)))
    return out


def replenishment_audience(wh: Warehouse, *, as_of: datetime | None = None,
                           products: list[str] | None = None, min_orders: int = 3,
                           within_days: int = DUE_SOON_DAYS,
                           lapsed_after: float = LAPSED_AFTER_INTERVALS) -> pd.DataFrame:
    """Customers due or overdue for a product they buy regularly, soonest first.

    Columns: customer_id, name, email, product_id, title, times_bought, usual_interval_days,
    last_ordered, expected_reorder, status (overdue / due), days_overdue. ``min_orders``: the
    least purchase days with the product (3 gives two intervals to learn the rhythm from).
    A customer overdue by more than ``lapsed_after`` usual intervals (and at least
    ``within_days``) has let it lapse: left out, a win-back audience rather than a reminder.
    """
    if min_orders < 2:
        raise RecommendError(f"min_orders must be at least 2 (a rhythm needs an interval), "
                             f"not {min_orders}")
    if within_days < 0:
        raise RecommendError(f"within_days must be 0 or more, not {within_days}")
    log, users, items = store_purchase_log(wh, as_of=as_of)
    columns = ["customer_id", "name", "email", "product_id", "title", "times_bought",
               "usual_interval_days", "last_ordered", "expected_reorder", "status",
               "days_overdue"]
    if log.empty:
        return pd.DataFrame(columns=columns)
    today = _today(log, as_of)
    pairs = purchase_patterns(log, today).reset_index()
    pairs = pairs[(pairs["days_bought"] >= min_orders) & pairs["expected"].notna()]
    due_by = pairs["last"] + pairs["usual_gap"]
    present = today - 1  # the as-of day
    pairs = pairs.assign(due_by=due_by)[due_by <= present + within_days]
    overdue = present - pairs["due_by"]
    pairs = pairs[overdue <= np.maximum(lapsed_after * pairs["usual_gap"], within_days)]
    pairs = pairs.assign(customer_id=users[pairs["user"]], product_id=items[pairs["item"]])
    if products is not None:
        unknown = sorted(set(products) - set(items))
        if unknown and len(unknown) == len(set(products)):
            raise RecommendError(f"nobody bought {', '.join(unknown[:5])}")
        pairs = pairs[pairs["product_id"].isin(products)]
    people = wh.query_df("SELECT customer_id, name, email FROM customers WHERE customer_id IN "
                         "(SELECT unnest(?))", [list(pairs["customer_id"].unique())])
    titles = wh.query_df("SELECT product_id, coalesce(title, product_id) AS title FROM products")
    out = (pairs.merge(people, on="customer_id", how="left")
           .merge(titles, on="product_id", how="left"))
    out["title"] = out["title"].fillna(out["product_id"])
    out["times_bought"] = out["days_bought"].astype(int)
    out["usual_interval_days"] = out["usual_gap"].round(1)
    out["last_ordered"] = [_day(d) for d in out["last"]]
    out["expected_reorder"] = [_day(d) for d in out["due_by"]]
    out["days_overdue"] = (present - out["due_by"]).clip(lower=0).astype(int)
    out["status"] = np.where(out["due_by"] < present, "overdue", "due")
    out = out.sort_values(["due_by", "times_bought"], ascending=[True, False], kind="stable")
    return out[columns].reset_index(drop=True)


def reorder_calibration(log: pd.DataFrame, cutoff_day: int, end_day: int,
                        min_orders: int = 3) -> pd.DataFrame:
    """For every customer × item bought on at least ``min_orders`` days before ``cutoff_day``
    and again before ``end_day``: the expected reorder day as of the cutoff and the actual first
    one after it (``error_days`` = actual - expected). The reorder-timing benchmark reads it."""
    pairs = purchase_patterns(log, cutoff_day)
    pairs = pairs[(pairs["days_bought"] >= min_orders) & pairs["expected"].notna()]
    after = log[(log["day"] >= cutoff_day) & (log["day"] < end_day)]
    actual = after.groupby(["user", "item"])["day"].min().rename("actual")
    out = pairs.join(actual, how="inner")
    out["error_days"] = out["actual"] - out["expected"]
    out["overdue_at_cutoff"] = out["last"] + out["usual_gap"] < cutoff_day
    return out.reset_index()

