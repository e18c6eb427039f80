"""Hostile targets and hostile content on the way out (issue #24): what the CLI writes and prints.

- ``export --out`` never replaces what it must not: a device node (run as root here, as in CI and
  containers), a FIFO, a directory, the SQLite database being read or its -wal/-journal siblings; and
  never leaves a ``.part`` behind (a directory target, a really full filesystem: a 64 KiB tmpfs).
- CSV cells that a spreadsheet would run as formulas get a leading ``'``; JSON lines stay exact.
- Control characters in crawled titles, URLs and WARC records never reach the terminal raw.
- ``probe --delay`` takes a finite number of seconds, checked when the arguments are parsed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import random
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import BIN, PROJECT_ROOT, one_line_error
from corpus_sample import article
from sqlalchemy import func, select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dangjian.cli import main
from dangjian.commands.common import EXIT_USAGE
from storage import references, runlog, writes
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Article

TEXT = "本报讯 近日，县委组织部召开党建工作推进会，要求各基层党组织把党员联系群众的工作做细做实。"
# What a hostile page can put in a title: retitle the window, clear the screen, fake a line, flip the text.
HOSTILE_TITLE = "党建\x1b]0;pwned\x07\x1b[2J\rerror: fake\n\u202eevil\u2028\x9b31m"
RAW = ("\x1b", "\x07", "\r", "\u202e", "\u2028", "\x9b")  # none of these may reach the terminal


def corpus(path: Path, *articles: writes.NewArticle) -> str:
    """A real SQLite corpus at ``path`` holding ``articles`` (a plain one when none is given)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        run = runlog.start_run(s, "flow-1", "alpha", None, None)
        for a in articles or (article(1, "alpha", "县委组织部召开党建工作推进会", TEXT, None),):
            writes.add_article(s, a, run.id)
    engine.dispose()
    return url


def article_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return s.scalar(select(func.count()).select_from(Article)) or 0
    finally:
        engine.dispose()


# --- export targets -------------------------------------------------------------------------------


def _char_device(path: Path) -> None:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "is_kind", "kind"),
    [
        (_char_device, stat.S_ISCHR, "a character device"),
        (_fifo, stat.S_ISFIFO, "a named pipe"),
        (_directory, stat.S_ISDIR, "a directory"),
    ],
)
def test_export_refuses_to_replace_what_is_not_a_regular_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], None],
    is_kind: Callable[[int], bool],
    kind: str,
) -> None:
    """`export --out /dev/null` as root renamed a regular file over the device node; a directory target
    failed at the rename and left its `.part` behind. Now: refused before writing, the node intact."""
    if make is _char_device and os.geteuid() != 0:
        pytest.skip("creating a device node needs root (CI and containers run as root)")
    url = corpus(tmp_path / "corpus.db")
    target = tmp_path / "out"
    make(target)
    for fmt in ("jsonl", "csv", "parquet"):
        argv = ["--database-url", url, "export", "--format", fmt, "--out", str(target)]
        line = one_line_error(capsys, lambda: main(argv), EXIT_USAGE)  # noqa: B023  (called at once)
        assert f"is {kind}, not a regular file" in line
        assert is_kind(os.stat(target).st_mode), f"{fmt}: {target} was replaced"
        assert not (tmp_path / "out.part").exists()


def test_crawl_out_never_deletes_a_device_node_or_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`crawl --out FILE` unlinked FILE to start afresh: as root, `--out /dev/null` deleted the device
    node, and `--out` naming the database deleted the corpus. Both refused now, before any request."""
    url = corpus(tmp_path / "corpus.db")
    node = tmp_path / "null"
    _char_device(node)
    registry = ["--registry", str(PROJECT_ROOT / "replica" / "sites.yaml"), "--var", "base_url=http://127.0.0.1:9"]
    for out, words in ((node, "is a character device"), (tmp_path / "corpus.db", "is the database being read")):
        argv = ["--database-url", url, "crawl", "--site", "replica-djgz", "--out", str(out), *registry]
        line = one_line_error(capsys, lambda: main(argv), EXIT_USAGE)  # noqa: B023  (called at once)
        assert words in line
    assert stat.S_ISCHR(os.stat(node).st_mode) and article_count(url) == 1


@pytest.mark.parametrize("target", ["corpus.db", "corpus.db-wal", "corpus.db-journal", "link-to-db", "dups"])
def test_export_over_the_database_keeps_the_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """`--out` naming the database renamed the export over it, rc 0: the corpus was gone. The same for
    its journal files (a stray -journal is rolled back into the database), a symlink to it, and a
    database that is the `--with-duplicates` file of the --out named."""
    db = tmp_path / "corpus.db"
    if target == "dups":
        db = tmp_path / "corpus.duplicates.jsonl"
    url = corpus(db)
    out = tmp_path / target
    if target == "link-to-db":
        out.symlink_to(db)
    if target == "dups":
        out = tmp_path / "corpus.jsonl"
    before = db.read_bytes()
    argv = ["--database-url", url, "export", "--format", "jsonl", "--out", str(out), "--with-duplicates"]
    line = one_line_error(capsys, lambda: main(argv), EXIT_USAGE)
    assert "is the database being read" in line
    assert db.read_bytes() == before and article_count(url) == 1
    assert not list(tmp_path.glob("*.part"))
    assert not (tmp_path / "corpus.jsonl").exists()  # refused before either file was written


def noise(seed: int, chars: int) -> str:
    """Text that does not compress (Parquet is zstd-compressed): random CJK characters."""
    rng = random.Random(seed)
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(chars))


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (mounting needs root and a kernel that allows it: skipped otherwise)."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {proc.stderr.decode(errors='replace').strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def test_a_full_disk_leaves_no_part_file_and_the_old_export(
    tmp_path: Path, tiny_filesystem: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ENOSPC halfway through: one line, exit 2, the previous export untouched and no `.part` left."""
    big = [article(n, "alpha", f"标题{n}", noise(n, 3000), None) for n in range(1, 30)]  # > 64 KiB in any format
    url = corpus(tmp_path / "corpus.db", *big)
    out = tiny_filesystem / "corpus.jsonl"
    out.write_text("the previous export\n", encoding="utf-8")
    for fmt in ("jsonl", "csv", "parquet"):
        argv = ["--database-url", url, "export", "--format", fmt, "--out", str(out)]
        line = one_line_error(capsys, lambda: main(argv), EXIT_USAGE)  # noqa: B023  (called at once)
        assert "No space left on device" in line, fmt
        assert out.read_text(encoding="utf-8") == "the previous export\n"
        assert sorted(p.name for p in tiny_filesystem.iterdir()) == ["corpus.jsonl"], fmt


def test_an_interrupted_export_leaves_no_part_file(tmp_path: Path) -> None:
    """Ctrl-C (a real SIGINT to a real `dangjian export`) while the file is being written."""
    import signal
    import time

    big = [article(n, "alpha", f"标题{n}", TEXT * 200, None) for n in range(1, 400)]
    url = corpus(tmp_path / "corpus.db", *big)
    out = tmp_path / "corpus.csv"
    part = tmp_path / "corpus.csv.part"
    cmd = [str(BIN / "dangjian"), "--database-url", url, "export", "--format", "csv", "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for _attempt in range(5):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        while proc.poll() is None and not part.exists():
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if proc.returncode == 130:
            break
        out.unlink(missing_ok=True)  # finished before the signal: try again
    else:
        pytest.skip("the export always finished before it could be interrupted")
    assert b"interrupted" in err and b"Traceback" not in err
    assert not part.exists() and not out.exists()


# --- CSV formulas ---------------------------------------------------------------------------------

FORMULAS = {
    "title": '=HYPERLINK("http://127.0.0.2/x","点击")',
    "source": "+1+cmd|' /C calc'!A0",
    "author": "@SUM(1+1)*cmd|' /C calc'!A0",
    "editor": "-2+3+cmd|' /C calc'!A0",
    "text": "\t=1+1\n" + TEXT,
}


def test_csv_cells_that_start_like_formulas_are_neutralized(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Crawled text such as =HYPERLINK(…) ran in Excel (and --bom exists for Excel): a leading ' now,
    by default; --csv-raw-formulas keeps them; JSON lines are exact either way."""
    hostile = replace(article(1, "alpha", "t", TEXT, datetime(2024, 5, 1, tzinfo=UTC)), **FORMULAS)
    url = corpus(tmp_path / "corpus.db", hostile)

    def exported(fmt: str, *flags: str) -> dict[str, str]:
        out = tmp_path / f"corpus.{fmt}"
        assert main(["--database-url", url, "export", "--format", fmt, "--out", str(out), *flags]) == 0
        if fmt == "jsonl":
            return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        return next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))

    guarded = exported("csv", "--bom")
    for column, value in FORMULAS.items():
        assert guarded[column] == "'" + value, column
    assert guarded["url"] == hostile.url and guarded["site"] == "alpha"  # ordinary cells untouched
    assert guarded["published_at"] == "2024-05-01T08:00:00+08:00"
    raw = exported("csv", "--csv-raw-formulas")
    assert all(raw[column] == value for column, value in FORMULAS.items())
    exact = exported("jsonl")
    assert all(exact[column] == value for column, value in FORMULAS.items())
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "--csv-raw-formulas" in capsys.readouterr().out


# --- control characters on the terminal -----------------------------------------------------------


def _hostile_corpus(tmp_path: Path) -> str:
    hostile = replace(
        article(1, "alpha", HOSTILE_TITLE, TEXT, None),
        source="来源\x1b[5m",
        url="http://127.0.0.1/alpha/1.html",
    )
    url = corpus(tmp_path / "corpus.db", hostile)
    engine = make_engine(url)
    with session_scope(engine) as s:
        writes.add_duplicate(
            s,
            writes.duplicate_row(
                url="http://127.0.0.1/beta/\u202elmth.exe",
                canonical_url="http://127.0.0.1/beta/\u202elmth.exe",
                site="beta",
                title="转载\x1b]8;;http://127.0.0.2/\x07链接",
                reference=references.Reference(1, None, ""),
                similarity=0.95,
                layer="minhash",
                run_id=None,
            ),
        )
    engine.dispose()
    return url


def _assert_safe(out: str) -> None:
    for char in RAW:
        assert char not in out, (char, out)


def test_show_and_search_print_crawled_text_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ESC sequences in a title retitled the window and cleared the screen; now each is a visible escape,
    each field stays on its line, and --json output decodes to exactly the stored strings."""
    url = _hostile_corpus(tmp_path)
    assert main(["--database-url", url, "show", "1"]) == 0
    out = capsys.readouterr().out
    _assert_safe(out)
    assert "\\x1b]0;pwned\\x07" in out and "\\u202eevil" in out and "\\u202elmth.exe" in out
    assert not any(line.startswith("error: fake") for line in out.splitlines())  # no faked line
    assert len(out.splitlines()) == 9  # 6 article lines, the count, 2 lines for the copy

    assert main(["--database-url", url, "search", "县委组织部"]) == 0
    out = capsys.readouterr().out
    _assert_safe(out)
    assert "\\x1b[2J" in out and len(out.splitlines()) == 6
    assert main(["--database-url", url, "search", "县委组织部", "--json"]) == 0
    out = capsys.readouterr().out
    _assert_safe(out)
    hit = json.loads(out)["hits"][0]
    assert hit["title"] == HOSTILE_TITLE and hit["duplicate_urls"] == ["http://127.0.0.1/beta/\u202elmth.exe"]


def test_error_messages_quoting_input_are_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The one-line error of the CLI quotes what it refused (here a key typed or pasted from a page)."""
    url = corpus(tmp_path / "corpus.db")
    line = one_line_error(capsys, lambda: main(["--database-url", url, "show", "x\x1b[2J\u202ey"]), EXIT_USAGE)
    _assert_safe(line)
    assert "x\\x1b[2J\\u202ey" in line


def _warc_with_a_hostile_undecodable_record(path: Path) -> None:
    """A WARC whose one response, under a hostile target URI, says gzip but is not: the warning quotes the URI."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    text = random.Random(7).randbytes(60_000).hex().encode()  # incompressible enough to span many read blocks
    packed = gzip.compress(b"<html><body><p>" + text + b"</p></body></html>")
    body = packed[:40_000] + b"\xff" * 200 + packed[40_200:]  # a gzip stream damaged after its first blocks
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    target = "http://127.0.0.1:8123/\x1b]0;pwned\x07\x1b[2J\u202eevil.html/djgz/202401/t20240101_9.html"
    writer.write_record(
        writer.create_warc_record(target, "response", payload=io.BytesIO(body), length=len(body), http_headers=http)
    )
    path.write_bytes(buffer.getvalue())


def test_import_warc_warnings_are_escaped(tmp_path: Path) -> None:
    """import-warc's warnings quote the WARC's target URIs: printed through the CLI's log handler, escaped.
    (A real `dangjian` process: the terminal output as a user sees it, no test logging in between.)"""
    warc = tmp_path / "hostile.warc"
    _warc_with_a_hostile_undecodable_record(warc)
    registry = ["--registry", str(PROJECT_ROOT / "replica" / "sites.yaml"), "--var", "base_url=http://127.0.0.1:8123"]
    db = f"sqlite:///{tmp_path / 'corpus.db'}"
    proc = subprocess.run(
        [str(BIN / "dangjian"), "--database-url", db, "import-warc", str(warc), *registry],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert "cannot decode" in output and "evil.html" in output, output
    assert not any(line.startswith("Error -3") for line in output.splitlines())  # warcio printed it per block
    _assert_safe(output)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil.html" in output


def test_probe_prints_crawled_text_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Articles whose text holds ESC sequences: the probe's sample lines show them escaped."""
    from replica.portals import SITES_ROOT
    from replica.server import ReplicaServer

    root = shutil.copytree(SITES_ROOT / "cma-gs-qxyw", tmp_path / "cma-gs-qxyw")
    for page in (root / "qxxw" / "qxyw").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("</p>", "\x1b]0;pwned\x07\x1b[2J\u202e</p>", 1), encoding="utf-8")
    with ReplicaServer(root, routes=None) as server:
        assert main(["probe", f"{server.base_url}/qxxw/qxyw/", "--delay", "0", "--allow-private"]) == 0
    out = capsys.readouterr().out
    assert "# sample articles" in out and "\\x1b]0;pwned\\x07\\x1b[2J\\u202e" in out, out
    _assert_safe(out)


# --- probe --delay --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "61", "1e400", "soon"])
def test_probe_delay_is_checked_when_parsed(capsys: pytest.CaptureFixture[str], value: str) -> None:
    """`--delay inf` waited 150 s before failing; now any delay outside 0–60 s is refused at once."""
    line = one_line_error(capsys, lambda: main(["probe", f"--delay={value}", "http://127.0.0.1:9/"]), EXIT_USAGE)
    assert "argument --delay: expected seconds from 0 to 60" in line
    from dangjian.cli import build_parser

    for ok, seconds in (("0", 0.0), ("2.5", 2.5), ("60", 60.0)):  # and the sane range still parses
        assert build_parser().parse_args(["probe", "--delay", ok, "http://127.0.0.1:9/"]).delay == seconds
