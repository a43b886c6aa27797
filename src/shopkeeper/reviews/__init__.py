"""Review intelligence: sentiment, aspects, trends and alerts, summaries and reply drafts, in
Chinese and English.

    from shopkeeper import reviews
    reviews.analyze_reviews(wh)                      # language, sentiment, aspects → warehouse
    reviews.detect_review_alerts(wh)                 # jumps in an aspect's negative share
    reviews.summarize_product(wh, "85123A", lang="zh")
    reviews.draft_replies(wh, limit=10)              # queued for approval, never posted

See ``docs/reviews.md``.
"""

from shopkeeper.llm.language import detect_language, is_supported
from shopkeeper.reviews.analyze import AnalysisSummary, analyze_reviews, stars_sentiment
from shopkeeper.reviews.aspects import AspectMention, discover_aspects, extract_aspects
from shopkeeper.reviews.insights import (
    AspectPolarity,
    AspectWeek,
    ReviewInsights,
    SentimentShare,
    SentimentWeek,
    insight_charts,
    insight_figures,
    review_insights,
)
from shopkeeper.reviews.overview import (
    PendingReplies,
    PendingReply,
    ReviewAlertItem,
    ReviewAlerts,
    pending_replies,
    recent_alerts,
)
from shopkeeper.reviews.queue import (
    MAX_REPLY_CHARS,
    REPLY_STATUSES,
    AspectVoiceItem,
    Complaint,
    ProductNotFound,
    ProductOption,
    ProductReviewSummary,
    ReplyItem,
    ReplyNotFound,
    edit_reply,
    get_reply,
    list_replies,
    product_summary,
    review_reply,
    reviewed_products,
)
from shopkeeper.reviews.replies import (
    Policy,
    ReplyDraft,
    ReplyError,
    draft_replies,
    draft_reply,
    load_policy,
    remedies_in,
    reply_queue,
    set_reply_status,
)
from shopkeeper.reviews.report import write_review_report
from shopkeeper.reviews.sentiment import Sentiment, SentimentModel, default_model
from shopkeeper.reviews.summary import ProductSummary, summarize_product
from shopkeeper.reviews.training import TrainingReport, train_default_models, train_from_labelled
from shopkeeper.reviews.trends import (
    ReviewAlert,
    aspect_label,
    aspect_trends,
    detect_review_alerts,
)

__all__ = [
    "MAX_REPLY_CHARS", "REPLY_STATUSES", "AspectPolarity", "AspectVoiceItem", "AspectWeek",
    "Complaint",
    "ProductNotFound", "ProductOption", "ProductReviewSummary", "ReplyItem", "ReplyNotFound",
    "ReviewInsights", "SentimentShare", "SentimentWeek", "edit_reply", "get_reply",
    "insight_charts", "insight_figures", "list_replies", "product_summary", "review_insights",
    "review_reply", "reviewed_products",
    "PendingReplies",
    "PendingReply",
    "ReviewAlertItem",
    "ReviewAlerts",
    "pending_replies",
    "recent_alerts",
    "AnalysisSummary", "AspectMention", "Policy", "ProductSummary", "ReplyDraft", "ReplyError",
    "ReviewAlert", "Sentiment", "SentimentModel", "TrainingReport", "analyze_reviews",
    "aspect_label",
    "aspect_trends", "default_model", "detect_language", "detect_review_alerts",
    "discover_aspects", "draft_replies", "draft_reply", "extract_aspects", "is_supported",
    "load_policy", "remedies_in", "reply_queue", "set_reply_status", "stars_sentiment",
    "summarize_product", "train_default_models", "train_from_labelled", "write_review_report",
]
