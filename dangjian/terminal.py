"""What the command line prints from crawled content, made safe for a terminal: the one sanitizer.

Titles, URLs, passages and reasons come from pages and WARC files anyone can write. Printed raw, an ESC
sequence retitles the window, clears the screen or fakes a message, a CR overwrites the line, and a
bidi override (U+202E) shows a URL other than the one printed. Each such character is shown as a visible
escape instead (``\\x1b``, ``\\u202e``): the text stays readable and the character is still identifiable.

Escaped: the C0 controls and DEL, the C1 controls (U+0080–U+009F: U+009B is a CSI on some terminals),
the line and paragraph separators U+2028/U+2029, and every Bidi_Control character (U+061C, U+200E,
U+200F, U+202A–U+202E, U+2066–U+2069). ``line`` escapes newline and tab too, for a field printed on one
line (a title holding "\\nerror: …" must not fake a line); ``text`` keeps them, for multi-line output.
"""

from __future__ import annotations

import logging
import re
import sys

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_UNSAFE = (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *_BIDI)


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_LINE = {code: _escape(code) for code in _UNSAFE}
_TEXT = {code: esc for code, esc in _LINE.items() if chr(code) not in "\n\t"}
# In JSON text these characters can only be inside strings, where \uXXXX is the same string to a parser.
_JSON_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in _UNSAFE if c >= 0x7F) + "]")


def line(value: object) -> str:
    """A field printed on one line (title, URL, reason): every unsafe character escaped, newlines too."""
    return str(value).translate(_LINE)


def text(value: object) -> str:
    """Multi-line output: unsafe characters escaped, newlines and tabs kept."""
    return str(value).translate(_TEXT)


def json_text(dumped: str) -> str:
    """JSON from ``json.dumps(..., ensure_ascii=False)`` safe for a terminal and still exactly the same data.

    json.dumps already writes C0 controls as \\u00XX; DEL, C1, U+2028/9 and the bidi controls become
    \\uXXXX escapes, which decode to the same strings.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


class TerminalFormatter(logging.Formatter):
    """Log records for a terminal: the message on one safe line, a traceback kept multi-line but escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return line(super().formatMessage(record))

    def formatException(self, ei: object) -> str:
        return text(super().formatException(ei))  # type: ignore[arg-type]


class TerminalLogHandler(logging.Handler):
    """What Python prints a warning with when no logging is configured (``logging.lastResort``: the
    current sys.stderr, the bare message), sanitized: install it as ``logging.lastResort``."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.setFormatter(TerminalFormatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)
