"""Every XPath of the extraction, as module-level data (as trafilatura keeps its xpaths.py): the functions
of titles.py, infoline.py and extract.py read them; XPATH holds the compiled forms."""

from __future__ import annotations

from lxml import etree

# Containers that TRS and similar government CMSs put the article body in; read when trafilatura finds too little.
GENERIC_BODY_XPATHS = (
    "//div[contains(@class,'TRS_Editor')]",
    "//div[@id='zoom' or @id='Zoom']",
    "//div[contains(@class,'article-content') or contains(@class,'article_content') or @id='article_content']",
    "//div[contains(@class,'pages_content') or @id='UCAP-CONTENT']",
    "//div[@id='content' or @class='content' or @id='text' or @class='text']",
)

CMS_TITLE_XPATH = "//meta[@name='ArticleTitle']/@content"  # TRS and kin: the CMS's own title field

SOCIAL_TITLE_XPATH = "//meta[@property='og:title']/@content"  # written for sharing: often not the heading

TITLE_META_XPATHS = (CMS_TITLE_XPATH, SOCIAL_TITLE_XPATH)

_TITLE_CLASS = (
    "[contains(concat(' ', normalize-space(@class), ' '), ' title ') or @id='title' or @class='tit'"
    " or contains(@class,'article-title') or contains(@class,'article_title')]"
)

HEADING_XPATHS = (
    "//h1",
    # div/p/td/span/h2/h3 with a title class or id, in document order. Spelled as a union of one path per
    # tag with an [@class or @id] pre-filter (the test below cannot hold without one), which selects the same
    # nodes as //*[self::div or …][…] in about half the time: libxml2 evaluates the string functions
    # of the test on far fewer elements.
    "|".join(f"//{tag}[@class or @id]{_TITLE_CLASS}" for tag in ("div", "p", "td", "span", "h2", "h3")),
    "//h2",
    "//h3",
)

_LOWER = "translate(@class,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"

# Any element whose class names a title or heading (bt_title, news_title, Heading, headline) and that is no
# link and holds none: list entries of other articles are links, the article's own heading is not.
LOOSE_HEADING_XPATH = "|".join(
    f"//{tag}[@class][contains({_LOWER},'title') or contains({_LOWER},'heading') or contains({_LOWER},'headline')]"
    "[not(ancestor::a)][not(.//a)]"
    for tag in ("div", "td", "p", "span", "h2", "h3", "strong", "b", "font")
)

# Compiled once: tree.xpath(string) compiles its expression on every call.
XPATH = {
    xp: etree.XPath(xp)
    for xp in (
        *TITLE_META_XPATHS,
        *HEADING_XPATHS,
        LOOSE_HEADING_XPATH,
        *GENERIC_BODY_XPATHS,
        "//script|//style|//noscript",
        # not //p//a[@href]: libxml2 merges the per-<p> results with a duplicate check that is quadratic in
        # their number (10,000 linked paragraphs: 1.8 s, this spelling 4 ms; same nodes, same order)
        "//a[@href][ancestor::p]",
        ".//p|.//h2|.//h3|.//h4|.//li|.//tr",
        "//title",
        "//body",
    )
}
