"""The portal registry is data, validated on load with errors that name entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sites.registry import RegistryError, load_registry, select_sites

GOOD = """
sites:
  - name: demo
    start_urls: ["{base_url}/djgz/index.html"]
    allowed_domains: ["127.0.0.1"]
    article_url_patterns: ['/t\\d{8}_\\d+\\.html$']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_registry_loads_and_has_real_portals() -> None:
    registry = load_registry()
    assert {"12371cn", "qizhiwang", "fjjgdj"} <= set(registry)
    assert registry["12371cn"].is_article_url("https://www.12371.cn/2024/09/02/ARTI1725250329213583.shtml")
    assert registry["qizhiwang"].is_article_url("http://www.qizhiwang.org.cn/n1/2024/1016/c457278-40340354.html")
    assert registry["fjjgdj"].is_article_url("https://www.fjjgdj.gov.cn/djdt/szdt/sxzdt/202412/t20241209_6589870.htm")
    assert not registry["fjjgdj"].is_article_url("https://www.fjjgdj.gov.cn/djdt/szdt/sxzdt/index_1.htm")


def test_placeholders_are_filled(tmp_path: Path) -> None:
    site = load_registry(write(tmp_path, GOOD), {"base_url": "http://127.0.0.1:8123"})["demo"]
    assert site.start_urls == ("http://127.0.0.1:8123/djgz/index.html",)
    assert site.is_list_url("http://127.0.0.1:8123/djgz/index_2.html")  # the TRS default
    assert site.download_delay == 1.0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (('allowed_domains: ["127.0.0.1"]', 'allowed_domains: ["example.org"]'), "allowed_domains"),
        (
            ("article_url_patterns: ['/t\\d{8}_\\d+\\.html$']", "article_url_patterns: ['(unclosed']"),
            "article_url_patterns",
        ),
        (("name: demo", "name: Demo Site"), "name"),
        (("name: demo", "name: demo\n    max_pages: 0"), "max_pages"),
        (("name: demo", "name: demo\n    colour: red"), "colour"),
        (("{base_url}/djgz/index.html", "ftp://x/y"), "start_urls"),
        (("name: demo", "name: demo\n    max_bytes: 0"), "max_bytes"),
        (("name: demo", "name: demo\n    max_bytes: 1.5e6"), "max_bytes"),
        (("name: demo", "name: demo\n    max_bytes: true"), "max_bytes"),
        (("name: demo", "name: demo\n    sitemap_urls: ['/sitemap.xml']"), "sitemap_urls"),
        (("name: demo", "name: demo\n    sitemap_urls: ['http://example.org/sitemap.xml']"), "sitemap_urls"),
        (("name: demo", "name: demo\n    feed_urls: [42]"), "feed_urls"),
        (("name: demo", "name: demo\n    feed_urls: ['{base_url}/{nope}.xml']"), "feed_urls"),
        (("name: demo", "name: demo\n    next_page_texts: ['']"), "next_page_texts"),
        (("name: demo", "name: demo\n    sitemaps_from_robots: 'yes'"), "sitemaps_from_robots"),
    ],
)
def test_bad_entry_names_entry_and_field(tmp_path: Path, patch: tuple[str, str], field: str) -> None:
    text = GOOD.replace(*patch)
    assert text != GOOD
    with pytest.raises(RegistryError) as err:
        load_registry(write(tmp_path, text), {"base_url": "http://127.0.0.1:1"})
    assert f"field {field!r}" in str(err.value)


def test_missing_placeholder_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="base_url"):
        load_registry(write(tmp_path, GOOD), {})


def test_select_sites_rejects_unknown_names(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, GOOD), {"base_url": "http://127.0.0.1:1"})
    assert [s.name for s in select_sites(registry, None)] == ["demo"]
    with pytest.raises(RegistryError, match="unknown site"):
        select_sites(registry, ["nope"])


def test_discovery_fields_and_their_defaults(tmp_path: Path) -> None:
    site = load_registry(write(tmp_path, GOOD), {"base_url": "http://127.0.0.1:1"})["demo"]
    assert site.sitemap_urls == () and site.feed_urls == () and site.max_bytes is None
    assert not site.sitemaps_from_robots and "下一页" in site.next_page_texts and "尾页" in site.next_page_texts
    # the default list pattern covers TRS (index_1.html) and people.cn (index2.html) columns, not articles
    assert site.is_list_url("http://127.0.0.1:1/GB/123/index2.html")
    assert site.is_list_url("http://127.0.0.1:1/GB/123/index.html")
    assert site.is_list_url("http://127.0.0.1:1/djgz/index_12.shtml")
    assert not site.is_list_url("http://127.0.0.1:1/djgz/202405/t20240501_1.html")
    text = GOOD.replace(
        "name: demo",
        "name: demo\n    sitemap_urls: ['{base_url}/sitemap.xml']\n    feed_urls: '{base_url}/rss.xml'\n"
        "    max_bytes: 5000000\n    sitemaps_from_robots: true\n    next_page_texts: ['下一頁', 'Next']",
    )
    site = load_registry(write(tmp_path, text), {"base_url": "http://127.0.0.1:1"})["demo"]
    assert site.sitemap_urls == ("http://127.0.0.1:1/sitemap.xml",)
    assert site.feed_urls == ("http://127.0.0.1:1/rss.xml",)
    assert site.max_bytes == 5_000_000 and site.sitemaps_from_robots
    assert site.next_page_texts == ("下一頁", "Next")
    data = site.to_dict()
    assert data["max_bytes"] == 5_000_000 and data["feed_urls"] == ["http://127.0.0.1:1/rss.xml"]
    off = GOOD.replace("name: demo", "name: demo\n    next_page_texts: []")
    assert load_registry(write(tmp_path, off), {"base_url": "http://127.0.0.1:1"})["demo"].next_page_texts == ()


def _entries(n: int, groups: list[str]) -> str:
    lines = ["sites:"]
    for i in range(n):
        lines += [
            f"  - name: s{i}",
            f'    start_urls: ["http://dj{i}.example.gov.cn/col/index.html"]',
            f"    article_url_patterns: ['/\\d{{6}}/t\\d{{8}}_{i % 7}\\d*\\.html$']",
            f"    group: {groups[i % len(groups)]}",
        ]
    return "\n".join(lines) + "\n"


def test_groups_are_parsed_shown_and_selected(tmp_path: Path) -> None:
    groups = ["{province: 安徽, level: city, kind: 党建网}", "{province: 安徽, level: county}", "{level: central}"]
    registry = load_registry(write(tmp_path, _entries(6, groups)))
    assert registry["s0"].group.label() == "安徽/city/党建网"
    assert registry["s0"].to_dict()["group"] == {"province": "安徽", "level": "city", "kind": "党建网"}
    assert [s.name for s in select_sites(registry, None, ["安徽"])] == ["s0", "s1", "s3", "s4"]
    assert [s.name for s in select_sites(registry, None, ["安徽,county"])] == ["s1", "s4"]
    assert [s.name for s in select_sites(registry, None, ["level=central"])] == ["s2", "s5"]
    assert [s.name for s in select_sites(registry, ["s0", "s2"], ["level=city"])] == ["s0"]


def test_a_group_that_selects_nothing_or_a_bad_group_is_one_line(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, _entries(2, ["{level: city}"])))
    with pytest.raises(RegistryError, match="no enabled site is in group level=county"):
        select_sites(registry, None, ["level=county"])
    with pytest.raises(RegistryError, match="level must be one of"):
        load_registry(write(tmp_path, _entries(1, ["{level: village-ish}"])))
    with pytest.raises(RegistryError, match="must be a mapping of province, level, kind"):
        load_registry(write(tmp_path, _entries(1, ["{town: x}"])))


def test_a_registry_of_3000_entries_loads(tmp_path: Path) -> None:
    """The field tracks ~3,000 sources; bench/registry_load.py times it (here: only that it works)."""
    registry = load_registry(write(tmp_path, _entries(3000, ["{province: 安徽, level: county}", "{level: central}"])))
    assert len(registry) == 3000
    assert registry["s2999"].is_article_url("http://dj2999.example.gov.cn/202401/t20240101_3.html")
    assert len(select_sites(registry, None, ["county"])) == 1500
