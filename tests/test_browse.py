"""The web view in a real headless browser: Debian's chromium, driven through its chromedriver, against
`dangjian browse` (Datasette) serving a SQLite corpus on 127.0.0.1.

scripts/ensure-chromium.sh installs the browser (make test runs it); without it this test skips, except
under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, free_port
from corpus_sample import build_sample

from storage.db import make_engine
from storage.migrate import upgrade

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


def require_chromium() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    reason = "Debian's chromium and chromium-driver are not installed (scripts/ensure-chromium.sh installs them)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`dangjian browse` on a free loopback port over a sample corpus; yields (base URL, server log)."""
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    upgrade(url)
    engine = make_engine(url)
    build_sample(engine)
    engine.dispose()
    port, log_path = free_port(), tmp_path / "datasette.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "dangjian"), "--database-url", url, "browse", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base, server)
            yield base, log_path
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dangjian browse exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"datasette not up at {base}")


@pytest.fixture
def browser() -> Iterator[object]:
    require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a browser or driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="dangjian-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


def test_browse_refuses_what_datasette_cannot_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dangjian.cli import main

    assert main(["--database-url", "postgresql+psycopg://u@127.0.0.1:1/db", "browse"]) == 2
    assert capsys.readouterr().err.startswith("error: the web view reads a SQLite file, not postgresql")
    assert main(["--database-url", f"sqlite:///{tmp_path / 'none.db'}", "browse"]) == 2
    assert "no database at" in capsys.readouterr().err
    upgrade(f"sqlite:///{tmp_path / 'old.db'}", "0003")
    assert main(["--database-url", f"sqlite:///{tmp_path / 'old.db'}", "browse"]) == 2
    assert "has no search index: run `dangjian db upgrade`" in capsys.readouterr().err


@pytest.mark.slow
def test_pages_load_chinese_renders_and_search_finds_the_article(
    served: tuple[str, Path], browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, log_path = served
    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, 20)

    driver.get(f"{base}/corpus")
    assert "dangjian corpus" in driver.title or "corpus" in driver.title
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Articles by site and month (China time)" in body and "Search the texts for a phrase" in body

    # Articles by site and month: the month cell links to that month's articles, titles in both scripts.
    driver.get(f"{base}/corpus/months?site=")
    driver.find_element(By.LINK_TEXT, "2024-05").click()
    wait.until(ec.url_contains("/corpus/by_month?"))
    assert driver.title.startswith("Articles of a site and month"), driver.title  # not its SQL
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "县委组织部召开党建工作推进会" in body
    assert "堅持四個聚焦 推動黨建工作" not in body  # the month link is per site: alpha only
    driver.save_screenshot(str(tmp_path / "articles.png"))

    # The search box: a traditional-script query finds the simplified article, with the passage marked.
    driver.get(f"{base}/corpus/search")
    box = driver.find_element(By.NAME, "q")
    box.send_keys("三聯促三動")
    box.submit()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.rows-and-columns")))
    results = driver.find_element(By.CSS_SELECTOR, "table.rows-and-columns").text
    assert "县委组织部召开党建工作推进会" in results and "【三联促三动】" in results
    assert "堅持四個聚焦" not in results
    driver.save_screenshot(str(tmp_path / "search.png"))

    # One article as a reading page: title, China-time date, its paragraphs, its two reposts with layer.
    driver.find_element(By.LINK_TEXT, "1").click()
    wait.until(ec.url_contains("/corpus/read/1"))
    assert driver.title.startswith("县委组织部召开党建工作推进会"), driver.title
    article = driver.find_element(By.CSS_SELECTOR, "article.reading")
    assert article.find_element(By.TAG_NAME, "h1").text == "县委组织部召开党建工作推进会"
    assert "(China time)" in article.find_element(By.CSS_SELECTOR, ".byline").text
    assert len(article.find_elements(By.CSS_SELECTOR, "p.para")) >= 1
    copies = article.find_element(By.CSS_SELECTOR, "table.rows-and-columns").text
    assert "http://127.0.0.1/gamma/repost-2.html" in copies or "gamma" in copies, copies
    assert "Duplicates and reposts (2)" in article.text
    driver.set_window_size(1100, 1400)
    driver.save_screenshot(str(tmp_path / "read.png"))
    assert (tmp_path / "read.png").stat().st_size > 20_000 and (tmp_path / "search.png").stat().st_size > 10_000

    # Its site and month as a list of titles, each linking back to its reading page.
    driver.find_element(By.PARTIAL_LINK_TEXT, "alpha, 2024-05").click()
    wait.until(ec.url_contains("/corpus/read/alpha/2024-05"))
    driver.find_element(By.LINK_TEXT, "县委组织部召开党建工作推进会").click()
    wait.until(ec.url_contains("/corpus/read/1"))

    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and " 500 " not in log, log


def test_a_refused_query_is_one_log_line_without_a_traceback(served: tuple[str, Path]) -> None:
    """Datasette printed a rich traceback with local variables (~130 lines) for every refused query:
    anyone reaching the page could flood the log. Now one line each, naming the request and the reason."""
    import urllib.error
    from urllib.parse import quote

    base, log_path = served
    refused = ["DELETE FROM articles", "SELEC nonsense", "ATTACH DATABASE '/tmp/x.db' AS x"]
    for sql in refused:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{base}/corpus?sql={quote(sql)}", timeout=10)
        assert error.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{base}/nosuchdb/nosuchtable.json", timeout=10)
    assert error.value.code == 404
    with urllib.request.urlopen(f"{base}/corpus/articles.json", timeout=10) as ok:
        assert ok.status == 200
        assert "facet_results" in json.loads(ok.read())  # the table, not a canned query of its name
    time.sleep(0.5)  # the server writes its log as it answers: let the last line land
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "locals" not in log, log
    lines = [line for line in log.splitlines() if line.startswith("refused ")]
    assert len(lines) == len(refused) + 1, log
    assert lines[0] == "refused GET /corpus?sql=DELETE%20FROM%20articles: 400 Statement must be a SELECT"
    assert len(log.splitlines()) < 30, log
