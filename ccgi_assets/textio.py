"""Bytes of a file from outside as text: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252.

One place for every reader of files from outside (opt-in lists, platform files, CMP exports). A file that is
empty, binary or in none of these encodings raises :class:`UnreadableFile` naming the file and the rule, never
its content.
"""

from __future__ import annotations

import numpy as np


class UnreadableFile(ValueError):
    """A file that cannot be read as text: rule ``empty``, ``binary`` or ``encoding``."""

    def __init__(self, path, rule: str):
        self.path = str(path)
        self.rule = rule
        super().__init__(f"{path}: unreadable ({rule})")


def decode(data: bytes, name) -> str:
    if not data.strip():
        raise UnreadableFile(name, "empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM (Excel "Unicode text")
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        raise UnreadableFile(name, "encoding")  # outside the handler: no chained error carrying the bytes
    if b"\x00" in data:
        raise UnreadableFile(name, "binary")
    control = np.frombuffer(data, dtype=np.uint8)
    control = control[(control < 0x20) & ~np.isin(control, (0x09, 0x0A, 0x0C, 0x0D))]
    if len(control) > max(2, len(data) // 100):
        raise UnreadableFile(name, "binary")
    for encoding in ("utf-8-sig", "cp1252"):  # cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined: they fail
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise UnreadableFile(name, "encoding")
