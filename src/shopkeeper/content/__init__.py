"""The content studio: product titles, descriptions, selling points and campaign copy in
Chinese and English, grounded in the product's real attributes and checked for compliance.

Every draft is built by the grounded path (templates over facts; always works, never invents)
and, when a model is configured, drafted by the model and checked: an unsupported claim is
repaired once or replaced by the grounded text. Drafts wait for a person's approval; nothing is
published. See ``docs/content.md``.
"""

from shopkeeper.content.batch import generate_for_products, pick_products
from shopkeeper.content.compliance import ComplianceFlag, check_compliance, suggest_fix
from shopkeeper.content.drafts import (
    EXPORT_FORMATS,
    STATUSES,
    DraftNotFound,
    draft_history,
    edit_draft,
    export_drafts,
    list_drafts,
    save_drafts,
    set_status,
)
from shopkeeper.content.facts import (
    ContentError,
    ProductFacts,
    ProductNotFound,
    ReviewPhrase,
    parse_attributes,
    product_facts,
    product_keywords,
)
from shopkeeper.content.grounded import LENGTHS, TONES, GroundedWriter
from shopkeeper.content.keywords import Keyword, suggest_keywords
from shopkeeper.content.overview import (
    PendingDraft,
    PendingDrafts,
    pending_drafts,
)
from shopkeeper.content.quality import CopyIssue, copy_issues
from shopkeeper.content.studio import (
    KINDS,
    PLATFORMS,
    CopyOptions,
    Draft,
    check_options,
    checked_draft,
    generate_copy,
)
from shopkeeper.content.workspace import (
    DraftDetail,
    DraftSummary,
    DraftVersion,
    TextFlag,
    TextSegment,
    create_drafts,
    find_drafts,
    flag_segments,
    get_draft,
    review_draft,
    revise_draft,
    text_flags,
)

__all__ = [
    "EXPORT_FORMATS", "DraftDetail", "DraftNotFound", "DraftSummary", "DraftVersion",
    "ProductNotFound", "TextFlag", "TextSegment", "create_drafts", "find_drafts",
    "flag_segments", "get_draft", "review_draft", "revise_draft", "text_flags",
    "PendingDraft",
    "PendingDrafts",
    "pending_drafts",
    "KINDS", "LENGTHS", "PLATFORMS", "STATUSES", "TONES", "ComplianceFlag", "ContentError",
    "CopyIssue", "CopyOptions", "Draft", "GroundedWriter", "Keyword", "ProductFacts", "ReviewPhrase",
    "check_compliance", "check_options", "checked_draft", "copy_issues", "draft_history", "edit_draft",
    "export_drafts", "generate_copy", "generate_for_products", "list_drafts",
    "parse_attributes", "pick_products", "product_facts", "product_keywords", "save_drafts",
    "set_status",
    "suggest_fix", "suggest_keywords",
]
