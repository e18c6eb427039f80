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
    # Lowercasing the joined tokens is the same as lowercasing each (no character lowercases to a
    # space), in one call instead of one per token.
    found = _TOKEN.findall(text_normalized)
    return " ".join(found).lower().split(" ") if found else []


def compact(text_normalized: str) -> str:
    """The text as its tokens only: what the exact-hash layer compares."""
    return " ".join(tokens(text_normalized))


def content_hash(text_normalized: str) -> str:
    """SHA-256 of the compacted text: equal for texts that differ only in punctuation or spacing."""
    return _hash_tokens(tokens(text_normalized))


def _hash_tokens(toks: list[str]) -> str:
    return hashlib.sha256(" ".join(toks).encode("utf-8")).hexdigest()


# Token windows (shingles, winnowing k-grams) are hashed as numbers, all windows at once: every distinct
# token gets a 64-bit id (BLAKE2b), a window is a polynomial of its ids modulo 2**64, then mixed by
# splitmix64's finalizer so that every bit depends on every token of the window (the winnowing minimum
# and the MinHash read them). Per-window strings and per-window SHA-1/BLAKE2b calls were two thirds of
# the fingerprint's CPU (bench/dedup_scale.py); FINGERPRINT_SCHEME names this scheme, and changing it
# needs a migration that rebuilds the stored band keys and fingerprints (0009_fingerprint_v2).
FINGERPRINT_SCHEME = 2
_WINDOW_BASE = np.uint64(0x100000001B3)  # odd (the FNV-64 prime): multiplication is a bijection mod 2**64


def _mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer over uint64 values (Steele, Lea, Flood: "Fast splittable PRNGs", 2014)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


# Token ids of the tokens met so far in this process: Chinese text reuses a few thousand characters, so
# most pages need no hashing at all. Cleared when full (latin words are an open set).
_TOKEN_IDS: dict[str, int] = {}
_TOKEN_IDS_MAX = 200_000


def _token_id(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=b"token").digest(), "little")


def token_ids(toks: list[str]) -> np.ndarray:
    """A stable 64-bit id (uint64) per token, BLAKE2b of its UTF-8 (never Python's salted hash())."""
    ids = _TOKEN_IDS
    missing = [t for t in dict.fromkeys(toks) if t not in ids]
    if len(ids) + len(missing) > _TOKEN_IDS_MAX:
        ids.clear()
    ids.update((t, _token_id(t)) for t in missing)
    return np.fromiter(map(ids.__getitem__, toks), dtype=np.uint64, count=len(toks))


def window_hashes(ids: np.ndarray, size: int) -> np.ndarray:
    """The uint64 hash of every run of ``size`` consecutive token ids, in order (none when fewer ids)."""
    n = len(ids) - size + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(size):
            h = h * _WINDOW_BASE + ids[j : j + n]
        return _mix64(h)


def _shingle_hashes(ids: np.ndarray, size: int) -> np.ndarray:
    """The distinct shingle hashes, sorted; a text of at most ``size`` tokens is one shingle."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.unique(window_hashes(ids, min(size, len(ids))))


def shingles(text_normalized: str, size: int = SHINGLE_SIZE) -> np.ndarray:
    """Overlapping token n-grams, as their distinct uint64 hashes, sorted; a text shorter than ``size``
    tokens is one shingle. An array rather than a set of ints: 8 bytes a shingle instead of ~70, and
    compared in C (``similarity``)."""
    return _shingle_hashes(token_ids(tokens(text_normalized)), size)


@lru_cache(maxsize=2048)
def reference_shingles(text_normalized: str) -> np.ndarray:
    """shingles() of a stored reference text, remembered (read-only): a night's pages of one site meet the
    same candidates (formulaic texts, the site's popular articles) again and again, and rebuilding their
    shingles was most of the deciding step's CPU (bench/pipeline.py: 16 candidates a page). 2,048 texts
    of ~1,000 shingles hold ~16 MB of arrays."""
    found = shingles(text_normalized)
    found.setflags(write=False)
    return found


# The permutations of a MinHash depend only on NUM_PERM and the seed, but datasketch draws them anew
# (128 RandomState calls) for every MinHash: draw them once.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_MINHASH_SEED)


def _identity(value: int) -> int:
    return value


def signature(shingle_hashes: np.ndarray) -> np.ndarray:
    """MinHash signature (NUM_PERM uint32 values) of a text's distinct shingle hashes (uint64, as
    shingles() gives them): datasketch's MinHash over the upper 32 bits of each, as its 32-bit hash
    function (the band keys depend on it)."""
    mh = MinHash(
        num_perm=NUM_PERM,
        seed=_MINHASH_SEED,
        hashfunc=_identity,
        permutations=_TEMPLATE.permutations,
        scheme=_TEMPLATE.scheme,
    )
    mh.update_batch((shingle_hashes >> np.uint64(32)).tolist())
    return mh.hashvalues


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (fits a BIGINT column on every backend)."""
    keys: list[int] = []
    for band in range(BANDS):
        chunk = np.ascontiguousarray(sig[band * ROWS : (band + 1) * ROWS], dtype=np.uint32).tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(8, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def _winnow_hashes(hashes: np.ndarray, window: int) -> tuple[int, ...]:
    if len(hashes) == 0:
        return ()
    signed = hashes.view(np.int64)
    if len(signed) <= window:
        return (int(signed.min()),)
    windows = np.lib.stride_tricks.sliding_window_view(signed, window)
    rightmost_min = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    chosen = np.unique(np.arange(len(windows)) + rightmost_min)
    return tuple(np.unique(signed[chosen]).tolist())


def winnow(toks: list[str], k: int = WINNOW_K, window: int = WINNOW_WINDOW) -> tuple[int, ...]:
    """The distinct winnowed fingerprints of a token list: in every window of ``window`` consecutive k-gram
    hashes, the smallest (the rightmost on ties), as signed 64-bit ints (a BIGINT on every backend),
    sorted.

    A text shorter than one window keeps its smallest k-gram hash, so a short text still has a fingerprint.
    """
    return _winnow_hashes(window_hashes(token_ids(toks), k), window)


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float  # share of the new text's shingles found in the reference
    covered: float = 0.0  # share of the reference's shingles found in the new text
    reference_size: int = 0  # shingles of the reference

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment, self.covered)


def similarity(new: np.ndarray, reference: np.ndarray) -> Similarity:
    """Exact set comparison of a new text against one reference (both as shingles() gives them)."""
    if not len(new) or not len(reference):
        return Similarity(0.0, 0.0, 0.0, len(reference))
    common = int(np.intersect1d(new, reference, assume_unique=True).size)
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


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """Everything dedup needs about one text, computed once (compared by identity: it holds an array)."""

    content_hash: str
    shingles: np.ndarray  # as shingles() gives them
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...] = ()  # containment fingerprints (see winnow)


def fingerprint(text_normalized: str) -> Fingerprint:
    toks = tokens(text_normalized)  # once, for the exact hash, the shingles and the winnowed k-grams
    ids = token_ids(toks)
    sh = _shingle_hashes(ids, SHINGLE_SIZE)
    return Fingerprint(
        content_hash=_hash_tokens(toks),
        shingles=sh,
        band_keys=tuple(band_keys(signature(sh))),
        winnowed=_winnow_hashes(window_hashes(ids, WINNOW_K), WINNOW_WINDOW),
    )
