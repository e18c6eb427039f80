"""Near-duplicate fingerprints: pure functions over normalized text.

The flow composes these with the LSH band table in storage: a document's
band keys find candidates, and each candidate is confirmed here by an exact
set comparison, so an LSH false positive never merges two articles.

Tokens are single CJK characters and whole latin words, so one shingling
works for Chinese, English and mixed text; punctuation and whitespace are
ignored, which makes boilerplate spacing and full/half-width differences
irrelevant. Script conversion and pinyin stripping happen upstream in
normalize/clean, so the text that reaches here is already in one script.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

SHINGLE_SIZE = 5  # tokens per shingle
NUM_PERM = 128  # MinHash permutations
BANDS = 32  # LSH bands of ROWS rows: candidate threshold ≈ (1/BANDS) ** (1/ROWS) ≈ 0.42 Jaccard
ROWS = NUM_PERM // BANDS
JACCARD_THRESHOLD = 0.5  # confirmed near-duplicate when the shingle sets overlap this much …
CONTAINMENT_THRESHOLD = 0.7  # … or when this share of the new text's shingles is in the reference
MIN_SHINGLES = 8  # below this the text is too short to say anything about
# A stored text wholly inside a longer new one (an article embedded in a compilation) counts only when it
# is long enough to be an article of its own (~150 characters), not a formulaic sentence or a short notice
# that a longer article quotes in full (bench/dedup_eval.py, kind quoted_notice).
MIN_COVERED_SHINGLES = 150
# Containment candidates: winnowed token k-grams (Schleimer et al., "Winnowing", SIGMOD 2003). Any run of
# WINNOW_K + WINNOW_WINDOW - 1 tokens shared by two texts yields a shared fingerprint, whatever share of
# either text it is: the guarantee Jaccard-tuned LSH lacks for an excerpt or an embedded article.
WINNOW_K = 8  # tokens per k-gram
WINNOW_WINDOW = 24  # k-grams per window: ~2/(WINDOW+1) of the positions are kept (~80 per 1,000 characters)

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)
_MINHASH_SEED = 1


def tokens(text_normalized: str) -> list[str]:
    """CJK characters one by one, latin words and numbers whole, lowercased."""
    return [t.lower() for t in _TOKEN.findall(text_normalized)]


def compact(text_normalized: str) -> str:
    """The text as its tokens only: what the exact-hash layer compares."""
    return " ".join(tokens(text_normalized))


def content_hash(text_normalized: str) -> str:
    """SHA-256 of the compacted text: equal for texts that differ only in punctuation or spacing."""
    return _hash_tokens(tokens(text_normalized))


def _hash_tokens(toks: list[str]) -> str:
    return hashlib.sha256(" ".join(toks).encode("utf-8")).hexdigest()


def _shingles_of(toks: list[str], size: int) -> set[str]:
    if len(toks) <= size:
        return {"\x1f".join(toks)} if toks else set()
    # zip over shifted views: the same strings as joining toks[i : i + size], 1.7x faster (no slice per shingle)
    return set(map("\x1f".join, zip(*(toks[i:] for i in range(size)), strict=False)))


def shingles(text_normalized: str, size: int = SHINGLE_SIZE) -> set[str]:
    """Overlapping token n-grams; a text shorter than ``size`` tokens is one shingle."""
    return _shingles_of(tokens(text_normalized), size)


@lru_cache(maxsize=256)
def reference_shingles(text_normalized: str) -> frozenset[str]:
    """shingles() of a stored reference text, remembered: a night's pages of one site meet the same few
    candidates (formulaic texts, the site's popular articles) again and again, and rebuilding their
    shingles was most of the deciding step's CPU (bench/pipeline.py: 16 candidates a page)."""
    return frozenset(shingles(text_normalized))


# The permutations of a MinHash depend only on NUM_PERM and the seed, but datasketch draws them anew
# (128 RandomState calls) for every MinHash: draw them once, from a MinHash built exactly as before.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_MINHASH_SEED)


def _sha1_hash32(shingle_set: set[str]) -> list[int]:
    """datasketch's default hash (sha1_hash32: the first 4 bytes of SHA-1, little-endian) of each shingle,
    computed in one pass: the digests are joined and read as uint32, every fifth is the one wanted."""
    sha1 = hashlib.sha1
    digests = b"".join([sha1(s.encode("utf-8")).digest() for s in shingle_set])
    return np.frombuffer(digests, dtype="<u4")[::5].tolist()


def _identity(value: int) -> int:
    return value


def signature(shingle_set: set[str]) -> np.ndarray:
    """MinHash signature (NUM_PERM uint32 values) of a shingle set.

    The same values as ``MinHash(num_perm=NUM_PERM, seed=_MINHASH_SEED)`` updated with the UTF-8 shingles
    (the band keys stored in the database depend on it); only the hashing is batched.
    """
    mh = MinHash(
        num_perm=NUM_PERM,
        seed=_MINHASH_SEED,
        hashfunc=_identity,
        permutations=_TEMPLATE.permutations,
        scheme=_TEMPLATE.scheme,
    )
    mh.update_batch(_sha1_hash32(shingle_set))
    return mh.hashvalues


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (fits a BIGINT column on every backend)."""
    keys: list[int] = []
    for band in range(BANDS):
        chunk = np.ascontiguousarray(sig[band * ROWS : (band + 1) * ROWS], dtype=np.uint32).tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(8, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def _kgram_hash(gram: str) -> int:
    digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8, person=b"winnow").digest()
    return int.from_bytes(digest, "little", signed=True)


def winnow(toks: list[str], k: int = WINNOW_K, window: int = WINNOW_WINDOW) -> tuple[int, ...]:
    """The distinct winnowed fingerprints of a token list: in every window of ``window`` consecutive k-gram
    hashes, the smallest (the rightmost on ties), as signed 64-bit ints (a BIGINT on every backend).

    A text shorter than one window keeps its smallest k-gram hash, so a short text still has a fingerprint.
    """
    if len(toks) < k:
        return ()
    hashes = np.array([_kgram_hash("\x1f".join(toks[i : i + k])) for i in range(len(toks) - k + 1)], dtype=np.int64)
    if len(hashes) <= window:
        return (int(hashes.min()),)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
    rightmost_min = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    chosen = np.unique(np.arange(len(windows)) + rightmost_min)
    return tuple(sorted({int(h) for h in hashes[chosen]}))


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float  # share of the new text's shingles found in the reference
    covered: float = 0.0  # share of the reference's shingles found in the new text
    reference_size: int = 0  # shingles of the reference

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment, self.covered)


def similarity(new: Set[str], reference: Set[str]) -> Similarity:
    """Exact set comparison of a new text against one reference."""
    if not new or not reference:
        return Similarity(0.0, 0.0, 0.0, len(reference))
    common = len(new & reference)  # CPython walks the smaller set
    return Similarity(
        jaccard=common / (len(new) + len(reference) - common),  # |new ∪ reference|, without building it
        containment=common / len(new),
        covered=common / len(reference),
        reference_size=len(reference),
    )


def is_near_duplicate(sim: Similarity, new_size: int) -> bool:
    """The confirmation rule applied to every candidate: the texts overlap as wholes (Jaccard), the new
    text lies inside the reference (an excerpt, a truncated repost), or the reference, long enough to
    be an article, lies inside the new text (an article embedded in a compilation)."""
    if new_size < MIN_SHINGLES:
        return False
    if sim.jaccard >= JACCARD_THRESHOLD or sim.containment >= CONTAINMENT_THRESHOLD:
        return True
    return sim.covered >= CONTAINMENT_THRESHOLD and sim.reference_size >= MIN_COVERED_SHINGLES


@dataclass(frozen=True)
class Fingerprint:
    """Everything dedup needs about one text, computed once."""

    content_hash: str
    shingles: frozenset[str]
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...] = ()  # containment fingerprints (see winnow)


def fingerprint(text_normalized: str) -> Fingerprint:
    toks = tokens(text_normalized)  # once, for the exact hash, the shingles and the winnowed k-grams
    sh = _shingles_of(toks, SHINGLE_SIZE)
    return Fingerprint(
        content_hash=_hash_tokens(toks),
        shingles=frozenset(sh),
        band_keys=tuple(band_keys(signature(sh))),
        winnowed=winnow(toks),
    )
