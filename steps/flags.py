"""The names of the flags an article carries: how its text was found and what was taken out of it.

Stored comma-separated in ``articles.flags`` and read back by the run report (``spam_removed``), the
furniture statistics (``site_furniture_removed``) and anyone querying the corpus, so a misspelt flag is a
silent defect: every flag a step sets is one of these names, and mypy checks it. A multi-page article
also carries ``pages_N`` (``pages_flag``), the one flag with a number in it.
"""

from __future__ import annotations

from typing import Literal, get_args

Flag = Literal[
    "fallback_parse",  # the page had stray </html> or </body> closers: parsed again without them
    "link_blocks_removed",  # blocks of links (navigation, related headlines) dropped before trafilatura
    "fallback_xpath",  # the body came from the registry's body XPath or the fullest generic container
    "fallback_trafilatura",  # the project's rules kept much less than plain trafilatura: the library's text won
    "site_furniture_removed",  # lines this site repeats on many pages (storage/furniture.py) were dropped
    "date_htmldate",  # htmldate's own answer on the untouched page: every other signal was silent
    "date_missing",  # no signal dated the article
    "pinyin_stripped",  # a mirror's pinyin after every character was removed
    "spam_removed",  # an injected SEO-spam block was removed
    "boilerplate_removed",  # share prompts, QR-code invitations, editor lines and the like were removed
    "parts_incomplete",  # a continuation page of a multi-page article could not be fetched or extracted
]
FLAGS: frozenset[str] = frozenset(get_args(Flag))


def pages_flag(parts: int) -> str:
    """The flag of an article whose text was joined from ``parts`` pages."""
    return f"pages_{parts}"
