"""Text files from the field: one decoder for every CSV source (opt-in lists, the CMP list, platform files).

:func:`decode` turns a whole file's bytes into text. It accepts what LEA staff and vendors' tools save:

* UTF-16 with a byte-order mark (Excel's "Unicode text"), little or big endian;
* UTF-8, with or without a BOM (the BOM is dropped);
* Windows-1252 (Excel's "CSV" on a Windows machine in the US).

Anything else raises :class:`UnreadableFile` naming the file and one rule, never a byte of its content:

``empty``     zero bytes (or only a BOM)
``binary``    NUL bytes or many control characters: not text (e.g. an ``.xlsx`` renamed ``.csv``)
``encoding``  text in none of the encodings above (e.g. one of the five bytes Windows-1252 leaves
              undefined, or a broken UTF-16 file)

The CALPADS reader (:mod:`ccgi_assets.calpads`) keeps its own line-level variant of the same rules, since
it rejects a row, not the whole file, for a bad byte.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RULES", "UnreadableFile", "decode"]

RULES = {
    "empty": "empty file",
    "binary": "not a text file",
    "encoding": "neither UTF-8, UTF-16 (with a byte-order mark) nor Windows-1252 text",
}

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
_TEXT_CONTROLS = (0x09, 0x0A, 0x0C, 0x0D)  # tab, LF, FF, CR


class UnreadableFile(ValueError):
    """A whole file cannot be read as text. Attributes ``path`` (the name given) and ``rule``."""

    def __init__(self, path, rule: str):
        self.path = str(path)
        self.rule = rule
        super().__init__(f"{self.path}: {RULES.get(rule, rule)} [rule {rule}]")


def decode(data: bytes, name) -> str:
    """The text of a file's bytes (UTF-16 with BOM, UTF-8 with or without BOM, else Windows-1252).

    ``name`` (a path or file name) only labels the error. Raises :class:`UnreadableFile` with rule
    ``empty``, ``binary`` or ``encoding``; the error carries no chained exception (so no bytes of the file).
    """
    if not data or data in _UTF16_BOMS or data == _UTF8_BOM:
        raise UnreadableFile(name, "empty")
    if data.startswith(_UTF16_BOMS):
        text = None
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        if text is None:  # raised outside the handler: no chained error quoting the bytes
            raise UnreadableFile(name, "encoding")
        return text
    if b"\x00" in data:
        raise UnreadableFile(name, "binary")
    u8 = np.frombuffer(data, dtype=np.uint8)
    control = u8[(u8 < 0x20) & ~np.isin(u8, _TEXT_CONTROLS)]
    if len(control) > max(2, len(data) // 100):
        raise UnreadableFile(name, "binary")
    text = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # 0x81 0x8D 0x8F 0x90 0x9D are undefined: they fail here
        except UnicodeDecodeError:
            pass
    if text is None:
        raise UnreadableFile(name, "encoding")
    return text
