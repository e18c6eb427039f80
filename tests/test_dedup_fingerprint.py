"""The pure dedup functions on the seed texts (no database here; see test_pipeline for that)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from steps import dedup

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def test_tokens_are_cjk_chars_and_latin_words() -> None:
    assert dedup.tokens("党建+业务, Party Building 2024!") == ["党", "建", "业", "务", "party", "building", "2024"]


def test_content_hash_ignores_punctuation_and_spacing_only() -> None:
    a = "党建引领，深度融合。\n  推动发展"
    assert dedup.content_hash(a) == dedup.content_hash("党建引领 深度融合\n推动发展!")
    assert dedup.content_hash(a) != dedup.content_hash("党建引领，深度融合。推动改革")


def test_truncated_repost_is_near_duplicate_but_distinct_seeds_are_not() -> None:
    full = dedup.shingles(seed("000"))
    head = dedup.shingles(seed("000")[: len(seed("000")) * 6 // 10])
    sim = dedup.similarity(head, full)
    assert sim.containment > 0.95
    assert dedup.is_near_duplicate(sim, len(head))
    other = dedup.similarity(dedup.shingles(seed("004")), full)
    assert other.jaccard < 0.05
    assert not dedup.is_near_duplicate(other, len(full))


def test_band_keys_are_stable_signed_64_bit_and_shared_by_near_duplicates() -> None:
    a = dedup.fingerprint(seed("004"))
    b = dedup.fingerprint(seed("004").replace("宣城市水利局", "宣城水利局", 3))
    assert a.band_keys == dedup.fingerprint(seed("004")).band_keys  # deterministic across calls
    assert len(a.band_keys) == dedup.BANDS
    assert all(-(2**63) <= k < 2**63 for k in a.band_keys)
    assert set(a.band_keys) & set(b.band_keys)
    c = dedup.fingerprint(seed("000"))
    assert not set(a.band_keys) & set(c.band_keys)


def test_too_short_texts_are_never_near_duplicates() -> None:
    short = dedup.shingles("党建引领发展")
    assert not dedup.is_near_duplicate(dedup.similarity(short, short), len(short))


def test_winnowing_guarantees_a_shared_fingerprint_for_any_long_shared_run() -> None:
    """Any run of WINNOW_K + WINNOW_WINDOW - 1 tokens shared by two texts yields a common fingerprint,
    whatever else surrounds it: the property the containment index relies on."""
    full = dedup.tokens(seed("004"))
    run = dedup.WINNOW_K + dedup.WINNOW_WINDOW - 1
    other = dedup.tokens(seed("000"))
    for start in range(0, len(full) - run, 97):
        piece = full[start : start + run]
        embedded = other[:150] + piece + other[150:400]
        assert set(dedup.winnow(piece)) & set(dedup.winnow(full)), start
        assert set(dedup.winnow(embedded)) & set(dedup.winnow(full)), start
    assert not set(dedup.winnow(full)) & set(dedup.winnow(dedup.tokens(seed("002"))))
    assert dedup.winnow(full) == dedup.fingerprint(seed("004")).winnowed  # the fingerprint carries them
    assert all(-(2**63) <= h < 2**63 for h in dedup.winnow(full))


def test_an_article_inside_a_compilation_covers_it_but_a_formulaic_sentence_does_not() -> None:
    article = dedup.shingles(seed("004"))
    compilation = dedup.shingles(seed("000") + "\n" + seed("004") + "\n" + seed("002"))
    sim = dedup.similarity(compilation, article)
    assert sim.containment < 0.5 and sim.covered > 0.95
    assert dedup.is_near_duplicate(sim, len(compilation))
    sentence = dedup.shingles("为深入学习贯彻习近平新时代中国特色社会主义思想和党的二十大精神")
    inside = dedup.similarity(
        dedup.shingles(seed("000") + "为深入学习贯彻习近平新时代中国特色社会主义思想和党的二十大精神"), sentence
    )
    assert inside.covered == 1.0 and not dedup.is_near_duplicate(inside, 500)


def test_shingles_are_one_hash_per_distinct_token_window() -> None:
    text = "市直机关工委召开党建工作推进会 Party building 2024 年度 要点 一二三 召开党建工作"
    toks = dedup.tokens(text)
    for size in (1, 2, 5, len(toks), len(toks) + 3):
        windows = {"\x1f".join(toks[i : i + size]) for i in range(max(1, len(toks) - size + 1))}
        assert len(dedup.shingles(text, size)) == len(windows), size  # a repeated window counts once
    assert set(dedup.shingles("党建工作推进", 5).tolist()) != set(dedup.shingles("进推作工建党", 5).tolist())  # ordered
    assert set(dedup.shingles("召开党建工作", 5).tolist()) < set(
        dedup.shingles(text, 5).tolist()
    )  # same window, same hash
    sh = dedup.shingles(text, 2)
    assert sh.dtype == np.uint64 and bool((sh[1:] > sh[:-1]).all())  # distinct and sorted


def test_fingerprints_are_the_same_in_every_process() -> None:
    """Stored band keys and fingerprints are compared with ones computed by other workers and nights, so no
    part of them may depend on the process (Python's hash() is salted per process)."""
    code = (
        "import sys; from steps import dedup; fp = dedup.fingerprint(sys.stdin.read()); "
        "print(fp.band_keys, fp.winnowed, fp.shingles[:5].tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], input=seed("001"), capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": salt},
        ).stdout
        for salt in ("1", "2")
    }  # fmt: skip
    fp = dedup.fingerprint(seed("001"))
    assert outputs == {f"{fp.band_keys} {fp.winnowed} {fp.shingles[:5].tolist()}\n"}
