"""The CC-CEDICT tables of the translation layer are built once and read back by the next process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_003 = next((ROOT / "seeds").glob("003_*.txt"))
PROBE = (
    "import json, sys; from steps import xlang; "
    "zh = '漯河市气象局张辉同志于2022年12月22日组织开展46次应急服务，服务群众260余期。'; "
    "f = xlang.features(zh, 'hans'); e = xlang.features(open(sys.argv[1], encoding='utf-8').read(), 'latin'); "
    "print(json.dumps([len(xlang.dictionary()), len(xlang.english_words()), sorted(f.keys), [w for w, _ in f.words], "
    "sorted(e.keys)], ensure_ascii=False))"
)


def _features(cache: Path) -> list[object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(SEED_003)],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "DANGJIAN_CACHE_DIR": str(cache)},
    )  # fmt: skip
    return list(json.loads(proc.stdout))


def test_the_tables_read_from_the_cache_are_the_tables_built(tmp_path: Path) -> None:
    built = _features(tmp_path)
    cached = list(tmp_path.glob("cedict-*.marshal"))
    assert len(cached) == 1 and cached[0].stat().st_size > 1_000_000
    before = cached[0].stat().st_mtime_ns
    assert _features(tmp_path) == built
    assert cached[0].stat().st_mtime_ns == before  # read, not written again
    assert "p:zhanghui" in built[2] and "n:46" in built[2]


def test_a_damaged_cache_is_built_again(tmp_path: Path) -> None:
    built = _features(tmp_path)
    (path,) = tmp_path.glob("cedict-*.marshal")
    path.write_bytes(path.read_bytes()[:1000])
    assert _features(tmp_path) == built
    assert path.stat().st_size > 1_000_000  # replaced by a whole one
