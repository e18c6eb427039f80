"""`dangjian extract`: extract one saved page and print the article as JSON."""

from __future__ import annotations

import argparse
import json

from dangjian.commands.common import print_json, read_input


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("extract", help="extract one saved page and print the article as JSON")
    p.add_argument("file", help="HTML file, or - for standard input")
    p.add_argument("--url", required=True, help="the page's URL (dates and relative links need it)")
    p.add_argument("--encoding", default=None, help="decode with this codec instead of detecting")
    p.add_argument("--compact", action="store_true", help="one line of JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """One page → the JSON the pipeline would store (same code as the flow's extract and normalize)."""

    from steps.decode import decode_html, too_large, without_inline_data
    from steps.extract import ExtractionError, extract_article
    from steps.normalize import normalize_text

    body = without_inline_data(read_input(args.file))
    if reason := too_large(body):  # the pipeline's bound: a 50 MB page ran > 600 s here without it
        raise ExtractionError(reason)
    html = body.decode(args.encoding, errors="replace") if args.encoding else decode_html(body).text
    art = extract_article(html, args.url)
    norm = normalize_text(art.text)
    print_json(
        json.dumps(
            {
                "url": art.url,
                "title": art.title,
                "published_at": art.published_at.isoformat() if art.published_at else None,
                "source": art.source,
                "author": art.author,
                "editor": art.editor,
                "text": art.text,
                "text_normalized": norm.text_normalized,
                "script": norm.script,
                "language": norm.language,
                "flags": art.flags,
            },
            ensure_ascii=False,
            indent=None if args.compact else 1,
        )
    )
    return 0
