"""Personalisation: recommenders, their evaluation protocol, serving for the store's customers,
and customer segments with lifetime value.

The public entry of the capability (faces call only this):

- models (``TopPop``, ``ItemKNN``, ``EASE``, ``RP3Beta``, ``ALS``, ``BPR``) with one interface:
  ``fit(X)``, ``recommend(user_rows, n)``, ``similar_items(item_idx, n)``;
- the evaluation protocol: splits (temporal, random per user, leave-one-out) and full-ranking
  metrics (``evaluate``, ``grid_search``); a temporal split counts repeats or new items only;
- repeat purchase: ``OwnHistory`` (the baseline), ``RepeatAware`` (buy-again and discovery in
  one list, the mix learned on held-out weeks), :func:`purchase_patterns` (usual intervals and
  expected reorder days), :func:`buy_again` and :func:`replenishment_audience` for the store;
- serving for the store: :func:`train`, :func:`recommend_for_customer` (serving rules and
  explanations), :func:`similar_products` (cold start by content), :func:`bought_together`;
- a stored model: :func:`save_recommender`, :func:`load_recommender`, :func:`stored_or_trained`
  (``shopkeeper recommend train`` writes it; serving reads it with today's catalogue);
- the shopping guide: :class:`ShoppingGuide` / :func:`open_guide`, a conversation that asks
  what it needs to know and explains each pick with catalogue facts, and remembers a returning
  customer (:func:`guide_history`);
- segments: :func:`segment_customers` (RFM, BG/NBD + Gamma-Gamma CLV, churn risk),
  :func:`export_audience`;
- the customers workspace as typed models: :func:`segment_overview` (RFM grid, segments, CLV),
  :func:`export_segment`, :func:`search_customers`, :func:`customer_profile` (orders, segment,
  recommendations with reasons), :class:`GuideSessions` (the guide as a chat for a server),
  :func:`guide_catalogue` (its catalogue, embedded once per data version).

>>> model = EASE(l2=200.0).fit(X)                                    # doctest: +SKIP
>>> items, scores = model.recommend(users, n=10)                     # doctest: +SKIP
"""

from shopkeeper.recommend.buy_again import BuyAgainItem, buy_again, replenishment_audience
from shopkeeper.recommend.customers import (
    MAX_QUERY_CHARS,
    RECOMMENDER_JOB,
    ClvSummary,
    CustomerHit,
    CustomerNotFound,
    CustomerOrder,
    CustomerProfile,
    CustomerRecommendation,
    CustomerValue,
    GuideNotFound,
    GuidePickView,
    GuideReply,
    GuideSessions,
    GuideStarted,
    RfmCell,
    SegmentOverview,
    SegmentRow,
    customer_profile,
    export_segment,
    guide_catalogue,
    rfm_figure,
    search_customers,
    segment_names,
    segment_overview,
    segments_table,
    store_currency,
)
from shopkeeper.recommend.evaluate import (
    DEFAULT_METRICS,
    Split,
    evaluate,
    grid_search,
    interaction_matrix,
    leave_one_out,
    random_holdout,
    random_split,
    temporal_split,
)
from shopkeeper.recommend.guide import (
    GuideCatalogue,
    GuidePick,
    GuideTurn,
    ShoppingGuide,
    converse,
    guide_history,
    open_guide,
)
from shopkeeper.recommend.models import ALS, BPR, EASE, MODELS, SEEN, ItemKNN, RP3Beta, TopPop
from shopkeeper.recommend.needs import Need, parse_budget, understand
from shopkeeper.recommend.repeat import OwnHistory, RepeatAware, purchase_patterns
from shopkeeper.recommend.segments import (
    LifetimeModel,
    SegmentError,
    export_audience,
    fit_bg_nbd,
    lifetime_value,
    rfm,
    segment_customers,
    segment_summary,
)
from shopkeeper.recommend.serving import (
    Recommendation,
    RecommendError,
    ServingRules,
    ShopRecommender,
    bought_together,
    content_similar,
    evaluate_store,
    recommend_for_customer,
    shop_interactions,
    similar_products,
    train,
)
from shopkeeper.recommend.stored import (
    StoredModel,
    default_model_path,
    load_recommender,
    save_recommender,
    stored_or_trained,
)

__all__ = [
    "BuyAgainItem", "buy_again", "replenishment_audience",
    "OwnHistory", "RepeatAware", "purchase_patterns",
    "MAX_QUERY_CHARS", "RECOMMENDER_JOB", "ClvSummary", "CustomerHit", "CustomerNotFound", "CustomerOrder",
    "CustomerProfile", "CustomerRecommendation", "CustomerValue", "GuideNotFound",
    "GuidePickView", "GuideReply", "GuideSessions", "GuideStarted", "RfmCell",
    "SegmentOverview", "SegmentRow", "customer_profile", "export_segment", "guide_catalogue", "rfm_figure",
    "search_customers",
    "segment_names", "segment_overview", "segments_table", "store_currency",
    "ALS", "BPR", "DEFAULT_METRICS", "EASE", "MODELS", "SEEN", "GuideCatalogue", "GuidePick",
    "GuideTurn", "ItemKNN", "LifetimeModel", "Need", "ShoppingGuide", "converse", "guide_history", "open_guide", "parse_budget", "understand",
    "RP3Beta", "RecommendError", "Recommendation", "SegmentError", "ServingRules",
    "ShopRecommender", "Split", "StoredModel", "TopPop", "bought_together", "content_similar",
    "default_model_path", "evaluate", "evaluate_store", "export_audience", "fit_bg_nbd",
    "grid_search", "interaction_matrix", "leave_one_out", "lifetime_value", "load_recommender",
    "random_holdout", "random_split", "recommend_for_customer", "rfm", "save_recommender",
    "segment_customers", "segment_summary", "shop_interactions", "similar_products",
    "stored_or_trained", "temporal_split", "train",
]
