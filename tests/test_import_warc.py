"""import-warc (issue #16): WARC files made by other writers go through the live processing, stored once."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dangjian.cli import main
from storage.db import make_engine, session_scope
from storage.models import Article, CrawlRun, Duplicate

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "replica" / "sites.yaml"
EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))
BASE = "http://127.0.0.1:8123"  # never contacted: the pages come from the WARC


def response(writer: WARCWriter, url: str, body: bytes, status: str = "200 OK", gzipped: bool = False) -> None:
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if gzipped:  # as a server that compresses sends it: the payload stays compressed in the WARC
        body = gzip.compress(body)
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.0")
    writer.write_record(
        writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http)
    )


def write_foreign_warc(path: Path) -> int:
    """A WARC/1.0 file written with warcio directly (not by our archive): every replica article and
    repost, one of them gzip-encoded, plus records that must be skipped. Returns the article count."""
    site = ROOT / "replica" / "site"
    paths = [a["path"] for a in EXPECTED["articles"]] + [r["path"] for r in EXPECTED["reposts"]]
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)  # WARC/1.0, no metadata or item records
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test writer"}))
        for i, p in enumerate(paths):
            response(writer, BASE + p, (site / p.lstrip("/")).read_bytes(), gzipped=i == 0)
        response(writer, BASE + EXPECTED["list_paths"][0], (site / "djgz/index.html").read_bytes())  # a list page
        response(writer, "http://example.org/djgz/202405/t20240516_581203.html", b"<html>elsewhere</html>")
        response(writer, BASE + EXPECTED["missing_path"], b"<html>not found</html>", status="404 Not Found")
    return len(paths)


def counts(db_url: str) -> tuple[int, int, int]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        result = tuple(s.scalar(select(func.count()).select_from(m)) or 0 for m in (Article, Duplicate, CrawlRun))
    engine.dispose()
    return result  # type: ignore[return-value]


def import_args(db_url: str, *paths: Path) -> list[str]:
    registry = ["--registry", str(REGISTRY), "--var", f"base_url={BASE}"]
    return ["--database-url", db_url, "import-warc", *map(str, paths), *registry]


def test_a_warc_from_another_writer_is_stored_once_and_the_rest_counted(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warc = tmp_path / "in" / "foreign.warc.gz"
    warc.parent.mkdir()
    n = write_foreign_warc(warc)
    assert main(import_args(db_url, warc.parent)) == 0
    out = capsys.readouterr().out
    assert f"replica-djgz: {n} page(s): new 12, duplicate 2" in out
    assert "skipped: 2 (not an article URL of a registry site)" in out and "skipped: 1 (status 404)" in out
    assert counts(db_url) == (12, 2, 1)
    engine = make_engine(db_url)
    with session_scope(engine) as s:  # recorded, but not as a crawl: the nightly window stays where it was
        assert s.scalars(select(CrawlRun.status)).all() == ["imported"]
    engine.dispose()
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        first = EXPECTED["articles"][0]  # the gzip-encoded one: decoded before extraction
        art = s.scalars(select(Article).where(Article.url == BASE + first["path"])).one()
        assert art.site == "replica-djgz" and first["key_sentence"] in art.text
    engine.dispose()

    assert main(import_args(db_url, warc)) == 0  # the same file again: nothing stored twice
    assert "new 0, duplicate 0" in capsys.readouterr().out
    assert counts(db_url)[:2] == (12, 2)


def gzip_members(data: bytes) -> list[bytes]:
    """The gzip members of a record-per-member WARC file, as written."""
    members, at = [], 0
    while at < len(data):
        inflate = zlib.decompressobj(31)
        inflate.decompress(data[at:])
        end = len(data) - len(inflate.unused_data)
        members.append(data[at:end])
        at = end
    return members


def test_unreadable_records_are_skipped_counted_named_and_the_import_fails(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged gzip member and a response for a file: URI in the middle of the file: every other
    record is still imported, the two are counted and their file named, and the exit code says so."""
    warc = tmp_path / "foreign.warc.gz"
    n = write_foreign_warc(warc)
    members = gzip_members(warc.read_bytes())  # warcinfo, then the n article responses, then the rest
    damaged = members[3][:60] + bytes(b ^ 0x5A for b in members[3][60:76]) + members[3][76:]
    file_uri = gzip.compress(gzip.decompress(members[4]).replace(BASE.encode(), b"file://", 1))
    warc.write_bytes(b"".join([*members[:3], damaged, file_uri, *members[4:]]))

    assert main(import_args(db_url, warc)) == 5
    out, err = capsys.readouterr()
    assert f"replica-djgz: {n - 1} page(s)" in out and "skipped: 2 (unreadable record)" in out
    assert f"{warc}: 2 unreadable record(s) skipped (first at byte {sum(map(len, members[:3]))}" in out
    assert sum(counts(db_url)[:2]) == n - 1  # every article but the damaged one, stored or folded
    assert err == ""  # no warcio or zlib line per block
    assert out.isprintable() or all(line.isprintable() for line in out.splitlines())  # no record bytes quoted


def test_bad_input_is_a_one_line_error(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_warc = tmp_path / "page.warc.gz"
    not_warc.write_text("<html>not a warc</html>")
    for argv in (
        import_args(db_url, tmp_path / "missing.warc.gz"),
        import_args(db_url, not_warc),
        [*import_args(db_url, not_warc), "--site", "nosuch"],
        ["--database-url", db_url, "reprocess", "--site", "nosuch", "--registry", str(REGISTRY)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")
def test_a_wget_warc_of_the_replica_is_imported(replica: Any, db_url: str, tmp_path: Path) -> None:
    subprocess.run(
        [
            "wget",
            "--recursive",
            "--level=2",
            "--no-parent",
            "--no-verbose",
            "--delete-after",
            "--directory-prefix",
            str(tmp_path / "mirror"),
            "--warc-file",
            str(tmp_path / "wget"),
            "--no-warc-keep-log",
            f"{replica.base_url}/djgz/index.html",
        ],
        check=False,  # wget exits 8 because two article links answer 404/500: that is the replica
        capture_output=True,
        timeout=120,
    )
    warc = tmp_path / "wget.warc.gz"
    assert warc.exists()
    argv = ["--database-url", db_url, "import-warc", str(warc), "--registry", str(REGISTRY)]
    assert main([*argv, "--var", f"base_url={replica.base_url}"]) == 0
    assert counts(db_url)[:2] == (12, 2)


def run_statuses(db_url: str) -> list[tuple[str, str | None]]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rows = s.execute(select(CrawlRun.status, CrawlRun.message).order_by(CrawlRun.id)).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.slow
def test_a_killed_import_is_marked_interrupted_by_the_next_command(tmp_path: Path) -> None:
    """SIGKILL a real ``dangjian import-warc`` while it stores: its run stays 'running' (nothing can
    finish it), ``dangjian runs`` says its process is gone, and the next import marks it interrupted."""
    import os
    import signal
    import sys
    import time

    db_url = f"sqlite:///{tmp_path / 'kill.db'}"
    page = (ROOT / "replica" / "site" / EXPECTED["articles"][0]["path"].lstrip("/")).read_bytes()
    big = tmp_path / "big.warc.gz"
    with big.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(3000):  # long enough to be killed in the middle
            response(
                writer, f"{BASE}/djgz/202405/t20240516_{700000 + i}.html", page.replace(b"</p>", f"{i}</p>".encode(), 1)
            )
    small = tmp_path / "small.warc.gz"
    write_foreign_warc(small)
    dangjian = str(Path(sys.executable).parent / "dangjian")
    proc = subprocess.Popen([dangjian, *import_args(db_url, big)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "kill.db").exists() or not any(s == "running" for s, _ in _quiet(run_statuses, db_url)):
            assert proc.poll() is None and time.monotonic() < deadline, "the import ended before it could be killed"
            time.sleep(0.2)
        time.sleep(1.0)  # some pages stored
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert run_statuses(db_url) == [("running", None)]

    shown = subprocess.run([dangjian, "--database-url", db_url, "runs"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "running, process gone" in shown.stdout, shown

    done = subprocess.run([dangjian, *import_args(db_url, small)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (killed, message), after = run_statuses(db_url)
    assert killed == "interrupted" and "process is gone" in (message or "") and after == ("imported", None)
    shown = subprocess.run([dangjian, "--database-url", db_url, "runs"], capture_output=True, text=True, timeout=60)
    assert "interrupted" in shown.stdout and "process is gone" in shown.stdout


def _quiet(read: Any, db_url: str) -> list[tuple[str, str | None]]:
    """``read(db_url)``, or nothing while the database is still being created by the other process."""
    from sqlalchemy.exc import OperationalError

    try:
        return read(db_url)  # type: ignore[no-any-return]
    except OperationalError:
        return []
