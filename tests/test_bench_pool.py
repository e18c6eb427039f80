"""The public pool's labels and split (bench/pool.py) and how bench/extraction.py reads them (--extra-dir).

The pool's pages live outside the repository, so these tests build a tiny pool of their own: what matters is
that the fixed labelling rules never call article text boilerplate (or the reverse), that a site's half is
decided once and kept, and that the bench scores a pool page in the half its site was given.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pool = _load("pool")
extraction = _load("extraction")

PARAGRAPHS = [
    "市委组织部近日召开专题会议，研究部署基层党组织建设质量提升三年行动的各项具体任务和工作要求。",
    "会议强调，要把抓基层打基础作为长远之计和固本之策，推动各领域基层党组织全面进步全面过硬。",
    "会议要求，各级党组织书记要切实履行第一责任人职责，逐级压实责任，确保各项任务落到实处见到实效。",
]
PAGE = (
    "<html><head><meta charset='utf-8'><title>市委组织部部署基层党建工作_某市党建网</title></head><body>"
    "<div class='nav'><a href='/'>首页</a> <a href='/dj'>党建要闻</a> <a href='/zt'>专题专栏</a></div>"
    "<h1>市委组织部部署基层党建工作</h1><div class='info'>来源：某市党建网 发布时间：2026-11-30</div>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "<div class='related'><ul><li><a href='/a1'>全市机关党建工作推进会召开</a></li>"
    "<li><a href='/a2'>我市举办党务干部培训班</a></li></ul></div>"
    "<div class='footer'>版权所有：中共某市委组织部 备案号：某ICP备12345678号</div></body></html>"
)


def _record() -> dict[str, object]:
    src = pool.Source("demo", "someone/repo", "pages/1.html", PAGE.encode(), "http://dj.example.cn/a/1.html",
                      "\n".join(PARAGRAPHS), ground_truth="test")  # fmt: skip
    made = pool.record(src, "0" * 40)
    assert made is not None
    return made[1]


def test_labels_keep_article_passages_and_pick_boilerplate_that_is_not_article() -> None:
    meta = _record()
    truth = pool.squash("\n".join(PARAGRAPHS))
    keep, avoid = meta["must_contain"], meta["must_not_contain"]
    assert isinstance(keep, list) and isinstance(avoid, list)
    assert len(keep) == 3 and all(k in truth for k in keep)
    assert avoid and not any(a in truth for a in avoid)
    assert any("版权所有" in a for a in avoid)  # the footer, named by its words
    assert any(
        a in ("全市机关党建工作推进会召开", "我市举办党务干部培训班") for a in avoid
    )  # a related link after the body
    assert not any("发布时间" in a or a == pool.squash("市委组织部部署基层党建工作") for a in avoid)  # title, info line
    assert meta["title_truth"] == "市委组织部部署基层党建工作"
    assert meta["published"] == "2026-11-30" and "printed on the page" in str(meta["date_basis"])
    assert meta["site"] == "example.cn"  # the registered domain: a publisher's subdomains share one half


def test_a_decided_half_is_never_redecided(tmp_path: Path) -> None:
    forced = "tuning" if pool.half("example.cn") == "heldout" else "heldout"  # the opposite of what the hash says
    (tmp_path / "split.json").write_text(
        json.dumps({"decided": {"example.cn": {"half": forced, "decided_at": "earlier"}}}), "utf-8"
    )
    pool.write_split(tmp_path, {"example.cn", "other.org"})  # pages added later, of an old site and a new one
    split = json.loads((tmp_path / "split.json").read_text("utf-8"))
    assert split["decided"]["example.cn"] == {"half": forced, "decided_at": "earlier"}
    assert split["decided"]["other.org"]["half"] == pool.half("other.org")
    assert "example.cn" in split["halves"][forced]


def test_bench_scores_pool_pages_in_the_half_of_their_site(tmp_path: Path) -> None:
    meta = _record()
    source = tmp_path / "demo"
    source.mkdir()
    for name, site in (("a", "example.cn"), ("b", "unlisted.org")):
        (source / f"{name}.html").write_text(PAGE, "utf-8")
        (source / f"{name}.json").write_text(json.dumps({**meta, "site": site}, ensure_ascii=False), "utf-8")
    (tmp_path / "split.json").write_text(
        json.dumps({"decided": {"example.cn": {"half": "heldout", "decided_at": "x"}}}), "utf-8"
    )
    pages = {p.name: p for p in extraction.load_extra(tmp_path)}
    split = {"tuning": ["extra:demo"], "heldout": []}  # the repository's split would put the source in tuning
    assert extraction.half_of(pages["demo/a"], split) == "heldout"
    assert extraction.half_of(pages["demo/b"], split) == "unassigned"  # a site nobody assigned is in neither half
    assert pages["demo/a"].date == "2026-11-30" and pages["demo/a"].title == "市委组织部部署基层党建工作"
