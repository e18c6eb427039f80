"""The reference corpus: the seed files, cleaned and normalized as dedup sees any text, indexed once
per file version so that every worker compares crawled pages against the same fingerprints."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine

from steps import dedup
from steps.clean import clean_text
from steps.normalize import normalize_text
from storage import references, writes
from storage.db import session_scope

SEED_SUFFIXES = (".txt",)


def prepare_reference_text(raw_text: str) -> str:
    """A plain-text document as dedup sees it: cleaned (pinyin, spam, boilerplate) and normalized."""
    return normalize_text(clean_text(raw_text).text).text_normalized


def seed_inputs(seeds_dir: Path, known_digests: dict[str, str]) -> tuple[list[references.SeedInput], set[str]]:
    """Fingerprints of the seed files that are new or changed since they were last indexed."""
    changed: list[references.SeedInput] = []
    present: set[str] = set()
    for path in sorted(seeds_dir.iterdir()) if seeds_dir.is_dir() else []:
        if not path.is_file() or path.suffix not in SEED_SUFFIXES:
            continue
        present.add(path.name)
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if known_digests.get(path.name) == digest:
            continue
        text_normalized = prepare_reference_text(data.decode("utf-8", errors="replace"))
        fp = dedup.fingerprint(text_normalized)
        changed.append(
            references.SeedInput(path.name, digest, text_normalized, fp.content_hash, fp.band_keys, fp.winnowed)
        )
    return changed, present


def sync_seed_corpus(engine: Engine, seeds_dir: Path) -> tuple[int, int]:
    """Index new/changed seed files, drop deleted ones; (indexed, removed)."""
    with session_scope(engine) as session:
        # Several workers start flows at once on a fresh database: without taking turns, each would find
        # the seeds missing and insert them, and all but one would fail on the unique seed name.
        writes.take_decision_turn(session)
        changed, present = seed_inputs(seeds_dir, references.seed_digests(session))
        return references.sync_seeds(session, changed, present)
