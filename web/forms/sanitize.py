"""Rich text of forms, cleaned with nh3 (an allow-list HTML sanitiser) before it is stored.

Government rich text needs paragraphs, emphasis, lists, small headings and tables; nothing
else survives: no scripts or styles (their content is dropped too), no ``on*`` handlers, no
``style`` attribute, classes only from a short list, links only to http(s) and mailto.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "u",
    "ol",
    "ul",
    "li",
    "h3",
    "h4",
    "span",
    "a",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
# Layout classes that forms.css styles; anything else a pasted document brings is dropped.
ALLOWED_CLASSES = {
    "p": {"text-center", "text-right", "indent"},
    "span": {"text-bold", "text-underline"},
    "td": {"text-center", "text-right"},
    "th": {"text-center", "text-right"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_rich_text(html: str) -> str:
    """``html`` with everything outside the allow-list removed (tags kept or dropped, never
    escaped into visible markup)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
