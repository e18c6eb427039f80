"""Dedup quality on a real SQLite database: reposts of a seed are flagged, distinct articles are not.

The labelled texts come from bench/dedup_eval.py (the same deterministic transforms and hand-written
negatives the bench reports on); every decision is the pipeline's own: ``prepare_reference_text`` →
``dedup.fingerprint`` → ``process.decide.find_duplicate`` against the seeds indexed by
``sync_seed_corpus``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, func, select

from process.seeds import sync_seed_corpus
from steps import dedup
from storage import references, writes
from storage.db import session_scope
from storage.models import LshBand

ROOT = Path(__file__).resolve().parent.parent


def _load_bench() -> ModuleType:
    """bench/ is not a package; load the eval script as a module (registered, so its dataclasses resolve)."""
    spec = importlib.util.spec_from_file_location("dedup_eval", ROOT / "bench" / "dedup_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("dedup_eval", module)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
SAMPLES = bench.build_samples()
BY_NAME = {s.name: s for s in SAMPLES}
# Hard negatives on purpose: same bureaus as the seeds (meteorology, water, hydrology) and the same phrases.
DISTINCT_HANDFUL = (
    "d25_hydrology_station_flood.txt",
    "d26_meteorology_county_branch.txt",
    "d27_meteorology_radar_project.txt",
    "d28_water_conservancy_reservoir.txt",
    "d40_party_school_training.txt",
    "d02_transport_bureau_branch_contest.txt",
)


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """The test database with the seed corpus indexed, as at the start of a flow run."""
    sync_seed_corpus(engine, bench.SEEDS_DIR)
    return engine


def assert_flags_its_seed(engine: Engine, transform: str) -> None:
    samples = [s for s in SAMPLES if s.transform == transform]
    assert samples, transform
    for s in samples:
        decision = bench.decide(engine, s.text)
        assert decision.flagged, f"{s.name} not flagged"
        assert decision.reference == s.expected, f"{s.name} attributed to {decision.reference}"


# --- must flag --------------------------------------------------------------------------------------


def test_script_conversion_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "script")


def test_other_site_boilerplate_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "boilerplate")


def test_pinyin_mirror_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "pinyin")


def test_truncated_to_60_percent_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "truncated_60")


def test_reordered_paragraphs_are_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "reordered")


def test_quarter_of_paragraphs_dropped_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "dropped_25")


def test_chars_edited_per_sentence_are_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "chars_edited")


def test_same_english_text_twice_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "en_whitespace")
    assert_flags_its_seed(seeded, "en_quotes")


@pytest.mark.parametrize("share", ["10", "18", "25", "32", "50"])
def test_excerpts_of_a_seed_are_flagged(seeded: Engine, share: str) -> None:
    """A mirror page carrying only a part of the seed (from its start or from inside), under its own furniture."""
    assert_flags_its_seed(seeded, f"excerpt_{share}")


def test_seed_embedded_in_a_long_compilation_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "compilation")


def test_shuffled_half_in_the_other_script_is_flagged(seeded: Engine) -> None:
    assert_flags_its_seed(seeded, "half_shuffled_script")


def test_a_stored_article_inside_a_later_compilation_is_found_by_containment(seeded: Engine) -> None:
    """Not only seeds: an article stored earlier is found inside a longer page through the containment index."""
    article = BY_NAME["d25_hydrology_station_flood.txt"].text
    bench.store(seeded, "stored", article)
    others = [BY_NAME[n].text for n in ("d01_tax_bureau_party_day.txt", "d13_fire_rescue_training.txt")]
    page = "\n\n".join([others[0], article, others[1], others[0][:200]])
    decision = bench.decide(seeded, page)
    assert decision.flagged and decision.reference and decision.reference.startswith("article:")
    # Whole-text Jaccard is low, so the LSH bands propose the article only by chance (~1 in 4 at this
    # overlap); the containment index must propose it whatever the bands do.
    fp = dedup.fingerprint(bench.prepare_reference_text(page))
    with session_scope(seeded) as s:
        assert decision.reference in {r.label for r in references.containment_candidates(s, fp.winnowed)}


# --- must not flag ----------------------------------------------------------------------------------


def check_then_store(engine: Engine, names: tuple[str, ...]) -> list[tuple[str, object]]:
    """Each text decided, then stored as the pipeline would, so later texts are compared with earlier ones."""
    flagged = []
    for name in names:
        decision = bench.decide(engine, BY_NAME[name].text)
        if decision.flagged:
            flagged.append((name, decision))
        else:
            bench.store(engine, name, BY_NAME[name].text)
    return flagged


def test_distinct_same_topic_articles_are_not_flagged(seeded: Engine) -> None:
    assert check_then_store(seeded, DISTINCT_HANDFUL) == []


def test_article_quoting_one_seed_paragraph_is_not_flagged(seeded: Engine) -> None:
    quote = BY_NAME["quote_seed000.txt"]
    assert bench.quoted_paragraph() in quote.text  # the seed paragraph really is in there, verbatim
    assert not bench.decide(seeded, quote.text).flagged


def test_texts_sharing_only_the_opening_sentence_are_not_flagged(seeded: Engine) -> None:
    a, b = BY_NAME["opening_a.txt"].text, BY_NAME["opening_b.txt"].text
    assert bench.STANDARD_OPENING in a and bench.STANDARD_OPENING in b
    assert check_then_store(seeded, ("opening_a.txt", "opening_b.txt")) == []


# --- storage ----------------------------------------------------------------------------------------


def band_rows(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(LshBand)) or 0)


def test_storing_the_same_text_twice_does_not_grow_lsh_bands(seeded: Engine) -> None:
    text = BY_NAME["d01_tax_bureau_party_day.txt"].text
    bench.store(seeded, "first-url", text)
    after_first = band_rows(seeded)
    with session_scope(seeded) as session:
        again, inserted = writes.add_article(session, bench.new_article("first-url", text), None)
        other_url, inserted_elsewhere = writes.add_article(session, bench.new_article("second-url", text), None)
    assert not inserted and not inserted_elsewhere and again == other_url
    assert band_rows(seeded) == after_first


# --- the data on disk -------------------------------------------------------------------------------


def test_labelled_set_on_disk_matches_the_generator() -> None:
    """bench/dedup_data is what ``dedup_eval.py --write-data`` writes today (deterministic, not stale)."""
    labels = json.loads(bench.LABELS_PATH.read_text(encoding="utf-8"))
    assert [(Path(e["file"]).name, e["transform"], e["duplicate_of"]) for e in labels] == [
        (s.name, s.transform, s.expected) for s in SAMPLES
    ]
    for s in SAMPLES:
        assert bench.sample_path(s).read_text(encoding="utf-8") == s.text, s.name
    assert sum(s.transform == "distinct" for s in SAMPLES) >= 40
