"""Dedup quality bench: does the pipeline's decision flag reposts of the seeds and leave distinct articles alone?

Run from the repository root::

    .venv/bin/python bench/dedup_eval.py [--write-data] [--sweep]

The labelled set lives in ``bench/dedup_data/``:

* ``distinct/*.txt`` – hand-written party-building news items (one event each, same formulaic phrases);
* ``frames/*.txt`` – hand-written texts with a ``{{SEED_PARAGRAPH}}`` or ``{{OPENING}}`` marker, filled here;
* ``generated/*.txt`` + ``labels.json`` – written by ``--write-data`` from the seeds by deterministic
  transforms (a fixed random seed), so the set can be inspected and is the same on every machine.

Every labelled text goes through the pipeline's own decision: ``prepare_reference_text`` (clean → normalize),
``dedup.fingerprint``, then ``process.decide.find_duplicate`` against a fresh SQLite database holding the
seeds. Negatives are also inserted as articles once checked, so each later one is compared with the earlier
ones as well (a same-topic corpus must not collapse into itself).

``--sweep`` leaves the database alone and recomputes, for shingle sizes 3–6, the weakest positive and the
strongest negative similarity, plus the errors of a threshold grid: the numbers behind steps/dedup.py.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import opencc  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from process.decide import find_duplicate  # noqa: E402
from process.seeds import prepare_reference_text, sync_seed_corpus  # noqa: E402
from replica.pinyin import HAND_WRITTEN  # noqa: E402
from steps import dedup  # noqa: E402
from steps.clean import clean_text  # noqa: E402
from steps.normalize import detect_script  # noqa: E402
from storage import writes  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

SEEDS_DIR = ROOT / "seeds"
DATA_DIR = ROOT / "bench" / "dedup_data"
DISTINCT_DIR = DATA_DIR / "distinct"
FRAMES_DIR = DATA_DIR / "frames"
GENERATED_DIR = DATA_DIR / "generated"
LABELS_PATH = DATA_DIR / "labels.json"

RANDOM_SEED = 20241123
TRUNCATE_SHARE = 0.6
DROP_SHARE = 0.25
EXCERPT_SHARES = (0.10, 0.18, 0.25, 0.32, 0.50)
COMPILATION_ITEMS = 6  # distinct articles around the embedded one
ENGLISH_SEED = "003"
# The seed paragraph the "quote" negative cites, identified by its opening words.
QUOTED_SEED, QUOTED_PARAGRAPH_START = "000", "三、创新品牌引路工作模式"
# A standard opening sentence that many notices share word for word.
STANDARD_OPENING = (
    "为深入学习贯彻习近平新时代中国特色社会主义思想和党的二十大精神，认真落实中央和省委、市委关于加强新时代"
    "机关党的建设的部署要求，进一步推动党建工作与业务工作深度融合，以高质量党建引领保障各项事业高质量发展，"
)
# Replacement characters for the "edited" transform: common characters, none tied to a seed's topic.
EDIT_POOL = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去"
)
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# A reading is Latin letters with tone marks only: "委(巡视办)" is a parenthesis, not an annotation.
_ANNOTATION = re.compile(r"([\u4e00-\u9fff])\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+)\)")
_SENTENCE = re.compile(r"(?<=[。！？；!?;])")

# Furniture of two portals that are not the seeds' own: what a repost on another site carries.
SITES: dict[str, tuple[list[str], list[str]]] = {
    "a": (
        [
            "红旗先锋网",
            "您现在的位置：首页 > 机关党建 > 基层动态",
            "发布日期：2024-10-21 09:15　来源：市直机关工委　阅读：2316",
            "【字号：大 中 小】【打印本页】【关闭窗口】",
        ],
        [
            "分享到：微信 微博 QQ空间",
            "主办单位：中共某市委市直机关工作委员会 地址：人民路18号 电话：0000-1234567",
            "版权所有 红旗先锋网 备案号：某ICP备12345678号",
        ],
    ),
    "b": (
        [
            "当前位置：首页 >> 党建动态 >> 正文",
            "来源：党建之窗　发布时间：2023年12月05日　点击数：845",
            "作者：通讯员　编辑：李明",
        ],
        [
            "扫一扫在手机上阅读本文",
            "上一篇：我局召开党风廉政建设工作会议",
            "下一篇：开展“七一”走访慰问活动",
            "Copyright © 2023 党建之窗 All Rights Reserved",
            "网站标识码：0000000001 某公网安备 00000000000号",
        ],
    ),
}


# --- the labelled set -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One labelled text: ``expected`` is the seed file it reposts, None for a distinct article."""

    name: str
    transform: str
    text: str
    expected: str | None

    @property
    def positive(self) -> bool:
        return self.expected is not None


def seed_paths() -> dict[str, Path]:
    """Seed id ("000") → file, so transforms can be keyed by the short id."""
    return {p.name[:3]: p for p in sorted(SEEDS_DIR.glob("*.txt"))}


def rng_for(*parts: str) -> random.Random:
    """One generator per (seed, transform): adding a transform never changes the others' output."""
    return random.Random(":".join((str(RANDOM_SEED), *parts)))


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def body_of(raw: str) -> str:
    """The article body without the seed's own page furniture, in its original script and punctuation.

    Reposts carry their own furniture, not the original's; body-level transforms start from here.
    """
    return clean_text(raw).text


def paragraphs(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


@cache
def pinyin_table() -> dict[str, str]:
    """char → reading: seed 001's own ``字(pīn)`` pairs (both scripts), then the replica's hand-written table."""
    raw = seed_paths()["001"].read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for char, reading in _ANNOTATION.findall(raw):
        table.setdefault(char, reading)
        table.setdefault(_converter("t2s").convert(char), reading)
    for char, reading in HAND_WRITTEN.items():
        table.setdefault(char, reading)
    return table


def convert_script(raw: str, _rng: random.Random) -> str:
    """The other script: s2t for a simplified seed, t2s for a traditional one (001, 002)."""
    config = "t2s" if detect_script(raw) == "hant" else "s2t"
    return str(_converter(config).convert(raw))


def add_pinyin(raw: str, _rng: random.Random) -> str:
    """A pinyin mirror of the whole page: a reading after every character the table knows."""
    table = pinyin_table()
    bare = _ANNOTATION.sub(r"\1", raw)
    return "".join(f"{c}({table[c]})" if c in table else c for c in bare)


def wrap_site(site: str) -> Callable[[str, random.Random], str]:
    """The body inside another portal's header and footer lines."""

    def transform(raw: str, _rng: random.Random) -> str:
        header, footer = SITES[site]
        return "\n".join([*header, body_of(raw), *footer])

    return transform


def truncate(raw: str, _rng: random.Random) -> str:
    """The first 60% of the body's characters: a repost that stops early (mid-sentence)."""
    body = body_of(raw)
    return body[: int(len(body) * TRUNCATE_SHARE)]


def reorder(raw: str, rng: random.Random) -> str:
    """The body's paragraphs in another order (never the original one)."""
    paras = paragraphs(body_of(raw))
    shuffled = paras[:]
    while shuffled == paras:
        rng.shuffle(shuffled)
    return "\n".join(shuffled)


def drop_paragraphs(raw: str, rng: random.Random) -> str:
    """The body with a quarter of its paragraphs (at least one) left out."""
    paras = paragraphs(body_of(raw))
    dropped = set(rng.sample(range(len(paras)), max(1, round(len(paras) * DROP_SHARE))))
    return "\n".join(p for i, p in enumerate(paras) if i not in dropped)


def edit_sentence(sentence: str, rng: random.Random) -> str:
    """Replace one or two CJK characters of a sentence with other CJK characters (typos, local rewording)."""
    positions = [m.start() for m in _CJK_CHAR.finditer(sentence)]
    if not positions:
        return sentence
    chars = list(sentence)
    for pos in rng.sample(positions, min(len(positions), rng.choice((1, 2)))):
        chars[pos] = rng.choice([c for c in EDIT_POOL if c != chars[pos]])
    return "".join(chars)


def edit_chars(raw: str, rng: random.Random) -> str:
    """Every sentence of the body with 1–2 characters changed."""
    return "\n".join("".join(edit_sentence(s, rng) for s in _SENTENCE.split(p)) for p in paragraphs(body_of(raw)))


def respace(raw: str, rng: random.Random) -> str:
    """The English text re-wrapped at ~70 columns, indented, with doubled spaces and extra blank lines."""
    out: list[str] = []
    for para in paragraphs(raw):
        words, line = para.split(), ""
        for word in words:
            if len(line) + len(word) > 70:
                out.append("   " + line)
                line = ""
            line += word + rng.choice((" ", " ", "  ", "\t"))
        out.extend(["   " + line, "", ""])
    return "\n".join(out)


def straighten_quotes(raw: str, _rng: random.Random) -> str:
    """The English text with ASCII quotes and dashes instead of typographic ones, and trailing spaces."""
    table = str.maketrans({"“": '"', "”": '"', "’": "'", "‘": "'", "…": "..."})
    return "\n".join(line.translate(table).replace("——", " -- ") + "  " for line in raw.split("\n"))


def excerpt(share: float, at_start: bool) -> Callable[[str, random.Random], str]:
    """``share`` of the body's characters, from its start or from a random point, inside another portal's
    header and footer: a mirror page that carries only part of the article."""

    def transform(raw: str, rng: random.Random) -> str:
        body = body_of(raw)
        length = int(len(body) * share)
        start = 0 if at_start else rng.randrange(0, len(body) - length)
        header, footer = SITES[rng.choice(sorted(SITES))]
        return "\n".join([*header, body[start : start + length], *footer])

    return transform


def embed_in_compilation(raw: str, rng: random.Random) -> str:
    """The whole body as one item of a long compilation (周报/汇编) of hand-written distinct articles."""
    others = [p.read_text(encoding="utf-8") for p in rng.sample(sorted(DISTINCT_DIR.glob("*.txt")), COMPILATION_ITEMS)]
    others.insert(rng.randrange(len(others) + 1), body_of(raw))
    return "\n\n".join(["党建工作信息汇编（第12期）", *others])


def shuffled_half_other_script(raw: str, rng: random.Random) -> str:
    """Half of the body's paragraphs, shuffled, in the other script (an English text has none to switch)."""
    paras = paragraphs(body_of(raw))
    kept = rng.sample(paras, max(1, len(paras) // 2))
    text = "\n".join(kept)
    return text if detect_script(raw) == "latin" else convert_script(text, rng)


# Partial copies: a copy that is a small part of the reference (or holds it as a small part of itself) has a
# low Jaccard, so the LSH layer alone misses it; these kinds are reported one by one.
PARTIAL_TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    **{f"excerpt_{int(share * 100)}_{where}": excerpt(share, where == "head")
       for share in EXCERPT_SHARES for where in ("head", "inner")},
    "compilation": embed_in_compilation,
    "half_shuffled_script": shuffled_half_other_script,
}  # fmt: skip
PARTIAL_VARIANTS = 3  # draws of each partial transform per seed (different offsets, paragraphs, neighbours)


CHINESE_TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "script": convert_script,
    "boilerplate_a": wrap_site("a"),
    "boilerplate_b": wrap_site("b"),
    "pinyin": add_pinyin,
    "truncated_60": truncate,
    "reordered": reorder,
    "dropped_25": drop_paragraphs,
    "chars_edited": edit_chars,
}
ENGLISH_TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "en_whitespace": respace,
    "en_quotes": straighten_quotes,
    "truncated_60": truncate,
    "reordered": reorder,
    "dropped_25": drop_paragraphs,
    "boilerplate_a": wrap_site("a"),
}


def transform_group(name: str) -> str:
    """Report key: both boilerplate sites are one transform; excerpts are grouped by share."""
    if name.startswith("excerpt_"):
        return "excerpt_" + name.split("_")[1]
    return "boilerplate" if name.startswith("boilerplate") else name


PARTIAL_KINDS = frozenset(transform_group(name) for name in PARTIAL_TRANSFORMS)


def positive_samples() -> list[Sample]:
    """Each seed through each transform that applies to its language."""
    samples: list[Sample] = []
    for sid, path in seed_paths().items():
        raw = path.read_text(encoding="utf-8")
        transforms = ENGLISH_TRANSFORMS if sid == ENGLISH_SEED else CHINESE_TRANSFORMS
        for tname, fn in transforms.items():
            text = fn(raw, rng_for(sid, tname))
            samples.append(Sample(f"{sid}_{tname}.txt", transform_group(tname), text, path.name))
        for tname, fn in PARTIAL_TRANSFORMS.items():
            for variant in range(PARTIAL_VARIANTS):
                text = fn(raw, rng_for(sid, tname, str(variant)))
                samples.append(Sample(f"{sid}_{tname}_{variant}.txt", transform_group(tname), text, path.name))
    return samples


def quoted_paragraph() -> str:
    """The one seed paragraph the quote negative cites, verbatim as the seed file has it."""
    raw = seed_paths()[QUOTED_SEED].read_text(encoding="utf-8")
    return next(line.strip() for line in raw.splitlines() if line.strip().startswith(QUOTED_PARAGRAPH_START))


def negative_samples() -> list[Sample]:
    """Distinct hand-written articles, the quote frame and the two shared-opening frames."""
    samples = [
        Sample(p.name, "distinct", p.read_text(encoding="utf-8"), None) for p in sorted(DISTINCT_DIR.glob("*.txt"))
    ]
    quote = (FRAMES_DIR / "quote_seed000.txt").read_text(encoding="utf-8")
    samples.append(
        Sample("quote_seed000.txt", "quote_paragraph", quote.replace("{{SEED_PARAGRAPH}}", quoted_paragraph()), None)
    )
    for frame in ("opening_a.txt", "opening_b.txt"):
        text = (FRAMES_DIR / frame).read_text(encoding="utf-8").replace("{{OPENING}}", STANDARD_OPENING)
        samples.append(Sample(frame, "shared_opening", text, None))
    # A short notice, stored first, then a news article that quotes it in full: a notice-sized text inside a
    # longer one is a quotation, not an article embedded in a compilation (see dedup.MIN_COVERED_SHINGLES).
    notice = (FRAMES_DIR / "notice_short.txt").read_text(encoding="utf-8")
    samples.append(Sample("notice_short.txt", "quoted_notice", notice, None))
    quoting = (FRAMES_DIR / "quotes_notice.txt").read_text(encoding="utf-8").replace("{{NOTICE}}", notice.strip())
    samples.append(Sample("quotes_notice.txt", "quoted_notice", quoting, None))
    return samples


def build_samples() -> list[Sample]:
    """The whole labelled set, in memory; deterministic."""
    return positive_samples() + negative_samples()


def sample_path(sample: Sample) -> Path:
    """Where a sample's text lives on disk: hand-written distinct texts stay where they were written."""
    return DISTINCT_DIR / sample.name if sample.transform == "distinct" else GENERATED_DIR / sample.name


def write_data(samples: Sequence[Sample]) -> None:
    """Write generated texts and labels.json (old generated files are replaced)."""
    GENERATED_DIR.mkdir(parents=True, exist_ok=True)
    for old in GENERATED_DIR.glob("*.txt"):
        old.unlink()
    labels = []
    for s in samples:
        path = sample_path(s)
        if s.transform != "distinct":
            path.write_text(s.text, encoding="utf-8")
        labels.append({"file": str(path.relative_to(DATA_DIR)), "transform": s.transform, "duplicate_of": s.expected})
    LABELS_PATH.write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_samples() -> list[Sample]:
    """The labelled set from disk (written first if missing)."""
    if not LABELS_PATH.exists():
        write_data(build_samples())
    labels = json.loads(LABELS_PATH.read_text(encoding="utf-8"))
    return [
        Sample(
            Path(e["file"]).name, e["transform"], (DATA_DIR / e["file"]).read_text(encoding="utf-8"), e["duplicate_of"]
        )
        for e in labels
    ]


# --- the pipeline's decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    flagged: bool
    reference: str | None  # seed file name or "article:<id>"
    layer: str | None  # exact | minhash
    score: float


def seeded_engine(db_url: str) -> Engine:
    """A migrated database at ``db_url`` with the seed corpus indexed, as at flow start."""
    upgrade(db_url)
    engine = make_engine(db_url)
    sync_seed_corpus(engine, SEEDS_DIR)
    return engine


def decide(engine: Engine, text: str) -> Decision:
    """Exactly what the pipeline decides for a page whose extracted text is ``text`` (the translation layer
    included: it runs when nothing of the page's own script matched)."""
    normalized = prepare_reference_text(text)
    fp = dedup.fingerprint(normalized)
    with session_scope(engine) as session:
        match = find_duplicate(session, fp, normalized, detect_script(normalized))
    if match is None:
        return Decision(False, None, None, 0.0)
    ref, score, layer = match.reference, match.score, match.layer
    return Decision(True, ref.label, layer, score)


def new_article(name: str, text: str) -> writes.NewArticle:
    """A stored-article record for a labelled text, as the pipeline would build it."""
    normalized = prepare_reference_text(text)
    fp = dedup.fingerprint(normalized)
    url = f"https://bench.invalid/{name}"
    return writes.NewArticle(
        url=url, canonical_url=url, site="bench", title=None, published_at=None, source=None, author=None,
        editor=None, text=text, text_normalized=normalized, script=None, flags="", content_hash=fp.content_hash,
        encoding="utf-8", band_keys=fp.band_keys, winnowed=fp.winnowed,
    )  # fmt: skip


def store(engine: Engine, name: str, text: str) -> None:
    with session_scope(engine) as session:
        writes.add_article(session, new_article(name, text), None)


# --- evaluation -------------------------------------------------------------------------------------


@dataclass
class Result:
    sample: Sample
    decision: Decision
    jaccard: float  # positives: against the expected seed; negatives: the highest against any reference
    containment: float  # share of the text's shingles in the reference
    covered: float  # share of the reference's shingles in the text
    closest: str  # the reference behind the highest score


def best_against(shingles: set[int], references: dict[str, set[int]]) -> tuple[float, float, float, str]:
    """Highest Jaccard, containment and coverage, and the reference with the highest score."""
    best_j = best_c = best_cov = 0.0
    closest, closest_score = "-", -1.0
    for label, ref in references.items():
        sim = dedup.similarity(shingles, ref)
        best_j, best_c, best_cov = max(best_j, sim.jaccard), max(best_c, sim.containment), max(best_cov, sim.covered)
        if sim.score > closest_score:
            closest, closest_score = label, sim.score
    return best_j, best_c, best_cov, closest


def evaluate(engine: Engine, samples: Sequence[Sample]) -> list[Result]:
    """Positives against the seeds; negatives against the seeds and every negative stored before them."""
    references = {
        p.name: dedup.shingles(prepare_reference_text(p.read_text(encoding="utf-8"))) for p in seed_paths().values()
    }
    results: list[Result] = []
    for s in (s for s in samples if s.positive):
        sim = dedup.similarity(dedup.shingles(prepare_reference_text(s.text)), references[str(s.expected)])
        decision = decide(engine, s.text)
        results.append(Result(s, decision, sim.jaccard, sim.containment, sim.covered, str(s.expected)))
    for s in (s for s in samples if not s.positive):
        shingles = dedup.shingles(prepare_reference_text(s.text))
        j, c, cov, closest = best_against(shingles, references)
        decision = decide(engine, s.text)
        results.append(Result(s, decision, j, c, cov, closest))
        if not decision.flagged:
            store(engine, s.name, s.text)
            references[s.name] = shingles
    return results


def _fmt(values: Sequence[float], fn: Callable[[Sequence[float]], float]) -> str:
    return f"{fn(values):.3f}" if values else "-"


def print_positive_table(results: Sequence[Result]) -> None:
    print("Must flag (reposts of a seed): similarity measured against the expected seed")
    print(f"{'transform':<21}{'n':>4}{'flagged':>8}{'right ref':>10}{'recall':>7}  {'layers':<20}"
          f"{'min J':>7}{'med J':>7}{'min C':>7}{'med C':>7}{'max cov':>8}")  # fmt: skip
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.sample.transform, []).append(r)
    for name, rs in groups.items():
        js, cs = [r.jaccard for r in rs], [r.containment for r in rs]
        layers = ",".join(sorted({f"{r.decision.layer}" for r in rs if r.decision.flagged})) or "-"
        right = sum(r.decision.reference == r.sample.expected for r in rs)
        stats = "".join(f"{_fmt(v, fn):>7}" for v in (js, cs) for fn in (min, statistics.median))
        print(f"{name:<21}{len(rs):>4}{sum(r.decision.flagged for r in rs):>8}{right:>10}{right / len(rs):>7.3f}  "
              f"{layers:<20}{stats}{max(r.covered for r in rs):>8.3f}")  # fmt: skip
    partial = [r for r in results if r.sample.transform in PARTIAL_KINDS]
    if partial:
        right = sum(r.decision.reference == r.sample.expected for r in partial)
        print(f"{'partial copies, all':<21}{len(partial):>4}{'':>8}{right:>10}{right / len(partial):>7.3f}")


def print_negative_table(results: Sequence[Result]) -> None:
    print("Must not flag: highest similarity against any reference (seeds + earlier stored negatives)")
    print(f"{'kind':<17}{'n':>4}{'flagged':>9}{'max J':>8}{'max C':>8}{'max cov':>8}  closest pair")
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.sample.transform, []).append(r)
    for name, rs in groups.items():
        top = max(rs, key=lambda r: max(r.jaccard, r.containment))
        print(f"{name:<17}{len(rs):>4}{sum(r.decision.flagged for r in rs):>9}"
              f"{max(r.jaccard for r in rs):>8.3f}{max(r.containment for r in rs):>8.3f}"
              f"{max(r.covered for r in rs):>8.3f}  "
              f"{top.sample.name} ~ {top.closest}")  # fmt: skip


def quantiles(values: Sequence[float]) -> str:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return f"median {statistics.median(ordered):.3f}  p90 {pick(0.9):.3f}  max {ordered[-1]:.3f}"


def print_summary(results: Sequence[Result]) -> int:
    """Precision, recall, the negatives' margin to the thresholds; returns the number of wrong decisions."""
    pos = [r for r in results if r.sample.positive]
    neg = [r for r in results if not r.sample.positive]
    tp = sum(r.decision.flagged and r.decision.reference == r.sample.expected for r in pos)
    flagged = sum(r.decision.flagged for r in results)
    fp = flagged - tp
    print(f"positives {len(pos)}  negatives {len(neg)}  true positives {tp}  false/wrong flags {fp}")
    print(f"precision {tp / flagged if flagged else 1.0:.3f}  recall {tp / len(pos):.3f}")
    print(f"negatives' max Jaccard:     {quantiles([r.jaccard for r in neg])}  (threshold {dedup.JACCARD_THRESHOLD})")
    print(f"negatives' max containment: {quantiles([r.containment for r in neg])}  "
          f"(threshold {dedup.CONTAINMENT_THRESHOLD})")  # fmt: skip
    wrong = [r for r in pos if r.decision.reference != r.sample.expected] + [r for r in neg if r.decision.flagged]
    for r in wrong:
        print(f"  WRONG {r.sample.name}: decided {r.decision}, J={r.jaccard:.3f} C={r.containment:.3f} "
              f"vs {r.closest}")  # fmt: skip
    return len(wrong)


# --- parameter sweep --------------------------------------------------------------------------------

SWEEP_SIZES = (3, 4, 5, 6)
SWEEP_JACCARD = (0.3, 0.4, 0.5, 0.6, 0.7)
SWEEP_CONTAINMENT = (0.5, 0.6, 0.7, 0.8, 0.9)


def candidate_probability(jaccard: float) -> float:
    """Chance that LSH with BANDS×ROWS proposes a pair of this Jaccard at all."""
    return 1 - (1 - jaccard**dedup.ROWS) ** dedup.BANDS


Pair = tuple[float, float]  # (Jaccard, containment)


def sweep_pairs(samples: Sequence[Sample], size: int) -> tuple[list[Pair], list[list[Pair]]]:
    """(J, C) of each positive against its seed; for each negative, (J, C) against every other reference."""
    seeds = {p.name: dedup.shingles(prepare_reference_text(p.read_text(encoding="utf-8")), size)
             for p in seed_paths().values()}  # fmt: skip
    negs = {s.name: dedup.shingles(prepare_reference_text(s.text), size) for s in samples if not s.positive}
    pos = []
    for s in (s for s in samples if s.positive):
        sim = dedup.similarity(dedup.shingles(prepare_reference_text(s.text), size), seeds[str(s.expected)])
        pos.append((sim.jaccard, sim.containment))
    neg = []
    for name, sh in negs.items():
        refs = [*seeds.values(), *(other for o, other in negs.items() if o != name)]
        neg.append([(sim.jaccard, sim.containment) for sim in (dedup.similarity(sh, r) for r in refs)])
    return pos, neg


def errors_at(pos: list[Pair], neg: list[list[Pair]], tj: float, tc: float) -> tuple[int, int]:
    """(missed positives, flagged negatives) under the rule J >= tj or C >= tc."""
    hit = lambda j, c: j >= tj or c >= tc  # noqa: E731
    return sum(not hit(j, c) for j, c in pos), sum(any(hit(j, c) for j, c in pairs) for pairs in neg)


def run_sweep(samples: Sequence[Sample]) -> None:
    """Print, per shingle size, the weakest positive vs the strongest negative, and the grid at the current size."""
    print(f"Sweep (no database, MinHash/LSH not involved): rule J >= tJ or C >= tC; current k={dedup.SHINGLE_SIZE} "
          f"tJ={dedup.JACCARD_THRESHOLD} tC={dedup.CONTAINMENT_THRESHOLD}")  # fmt: skip
    print(f"{'k':>2}{'pos min J':>11}{'P(cand)':>9}{'pos min C':>11}{'neg max J':>11}{'neg max C':>11}"
          f"{'missed':>8}{'false':>7}")  # fmt: skip
    grids = {}
    for size in SWEEP_SIZES:
        pos, neg = sweep_pairs(samples, size)
        missed, false = errors_at(pos, neg, dedup.JACCARD_THRESHOLD, dedup.CONTAINMENT_THRESHOLD)
        min_j = min(j for j, _ in pos)
        print(f"{size:>2}{min_j:>11.3f}{candidate_probability(min_j):>9.3f}{min(c for _, c in pos):>11.3f}"
              f"{max(j for pairs in neg for j, _ in pairs):>11.3f}{max(c for pairs in neg for _, c in pairs):>11.3f}"
              f"{missed:>8}{false:>7}")  # fmt: skip
        grids[size] = (pos, neg)
    for size in (dedup.SHINGLE_SIZE,):
        pos, neg = grids[size]
        print(f"\nk={size}: missed/false over the threshold grid (rows tJ, columns tC)")
        print("tJ\\tC " + "".join(f"{tc:>8}" for tc in SWEEP_CONTAINMENT))
        for tj in SWEEP_JACCARD:
            cells = (errors_at(pos, neg, tj, tc) for tc in SWEEP_CONTAINMENT)
            print(f"{tj:<6} " + "".join(f"{f'{m}/{f}':>8}" for m, f in cells))


# --- candidate index options -----------------------------------------------------------------------

OPTION_GRID = ((5, 24, 2), (8, 16, 2), (8, 24, 2), (8, 24, 3), (8, 48, 3), (12, 48, 2))  # (k, window, shared)


def _partial(s: Sample) -> bool:
    return s.transform in PARTIAL_KINDS


def run_options(samples: Sequence[Sample]) -> None:
    """Candidate generation only (no confirmation, no database): which copies each index would never
    propose, and how many pairs of negatives (against the seeds and each other) it would propose."""
    texts = {p.name: prepare_reference_text(p.read_text(encoding="utf-8")) for p in seed_paths().values()}
    texts.update({s.name: prepare_reference_text(s.text) for s in samples})
    pos = [s for s in samples if s.positive]
    neg = [s for s in samples if not s.positive]
    refs = [*(p.name for p in seed_paths().values()), *(s.name for s in neg)]
    neg_pairs = [(s.name, r) for s in neg for r in refs if r != s.name]
    seed_chars = sum(len(texts[p.name]) for p in seed_paths().values())
    print(f"{'candidate index':<34}{'missed partial':>15}{'missed other':>13}{'neg pairs':>10}{'rows/1000ch':>12}")

    def row(name: str, proposes: Callable[[str, str], bool], rows: float) -> None:
        missed = [s for s in pos if not proposes(s.name, str(s.expected))]
        false = sum(proposes(a, b) for a, b in neg_pairs)
        partial, other = sum(map(_partial, missed)), sum(not _partial(s) for s in missed)
        print(f"{name:<34}{partial:>11}/{sum(map(_partial, pos)):<3}{other:>9}/{sum(not _partial(s) for s in pos):<3}"
              f"{false:>10}{rows:>12.0f}")  # fmt: skip

    keys = {n: set(dedup.band_keys(dedup.signature(dedup.shingles(t)))) for n, t in texts.items()}
    row(f"MinHash LSH {dedup.BANDS}x{dedup.ROWS} (any band)", lambda a, b: bool(keys[a] & keys[b]),
        dedup.BANDS * len(seed_paths()) / seed_chars * 1000)  # fmt: skip
    for k, window, shared in OPTION_GRID:
        fps = {n: set(dedup.winnow(dedup.tokens(t), k, window)) for n, t in texts.items()}
        rows = sum(len(fps[p.name]) for p in seed_paths().values()) / seed_chars * 1000
        row(f"winnow k={k} w={window} >={shared} shared", lambda a, b: len(fps[a] & fps[b]) >= shared, rows)  # noqa: B023
    run_ensemble(texts, row, seed_chars)


def run_ensemble(texts: dict[str, str], row: Callable[[str, str, float], None], seed_chars: int) -> None:
    """datasketch's LSH Ensemble at containment 0.7: it answers "is the query inside an indexed set", so it
    proposes an excerpt but cannot propose a stored article that lies inside the query (a compilation)."""
    from datasketch import MinHash, MinHashLSHEnsemble

    shingles = {n: dedup.shingles(t) for n, t in texts.items()}
    sigs = {}
    for name, sh in shingles.items():
        mh = MinHash(num_perm=dedup.NUM_PERM, seed=1)
        mh.update_batch([int(x).to_bytes(8, "little") for x in sh])
        sigs[name] = mh
    index = MinHashLSHEnsemble(threshold=0.7, num_perm=dedup.NUM_PERM, num_part=8)
    index.index((n, sigs[n], max(1, len(shingles[n]))) for n in texts)
    found = {n: set(index.query(sigs[n], max(1, len(shingles[n])))) for n in texts}
    row(
        "LSH Ensemble, containment 0.7",
        lambda a, b: b in found[a],
        dedup.NUM_PERM * len(seed_paths()) / seed_chars * 1000,
    )


# --- command line -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-data", action="store_true", help="regenerate bench/dedup_data/generated + labels")
    parser.add_argument("--sweep", action="store_true", help="shingle-size/threshold sweep instead of the DB run")
    parser.add_argument("--options", action="store_true", help="compare candidate indexes instead of the DB run")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.write_data:
        write_data(build_samples())
        print(f"wrote {LABELS_PATH.relative_to(ROOT)} and {GENERATED_DIR.relative_to(ROOT)}/")
    samples = load_samples()
    if args.options:
        run_options(samples)
        print(f"\n{time.perf_counter() - started:.1f}s")
        return 0
    if args.sweep:
        run_sweep(samples)
        print(f"\n{time.perf_counter() - started:.1f}s")
        return 0
    with tempfile.TemporaryDirectory(prefix="dedup-eval-") as tmp:
        engine = seeded_engine(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            results = evaluate(engine, samples)
        finally:
            engine.dispose()
    print_positive_table([r for r in results if r.sample.positive])
    print()
    print_negative_table([r for r in results if not r.sample.positive])
    print()
    wrong = print_summary(results)
    print(f"\n{time.perf_counter() - started:.1f}s")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
