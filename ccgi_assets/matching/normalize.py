"""Course-name normalization: one vectorized pass (pyarrow regex + token tables over the distinct words).

A name becomes sorted distinct content words, a marker set (Honors, AP, IB) and a key set (numbers, roman
numerals as numbers, short level / code tokens). Which word tables are used is a :class:`Lexicon`: the hand
tables of :mod:`.vocabulary` (any of which an evaluation may leave out), and words learned from confirmed pairs
(:mod:`.learn`), applied after them by :func:`apply_learned`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.matching.vocabulary import (_KEY_WORDS, _MARKER_BITS, _SEMESTER, _STOP, ABBREVIATIONS,
                                             HAND_TABLES, PHRASES, STRUCTURE, STRUCTURE_PHRASES, SYNONYMS,
                                             _state_codes)


def _replace(arr: pa.Array, pattern: str, repl: str) -> pa.Array:
    return pc.replace_substring_regex(arr, pattern=pattern, replacement=repl)


@dataclass(eq=False)
class Lexicon:
    """The word tables one normalization uses: ``tokens`` (single word -> expansion), ``phrases`` (regex, repl),
    ``abbreviations`` (the words the glued-abbreviation splitter counts as abbreviations)."""

    name: str
    tokens: dict[str, str]
    phrases: list[tuple[str, str]]
    abbreviations: frozenset[str]
    _expand_cache: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def known(self) -> frozenset[str]:
        """Words the glued-abbreviation splitter may produce: the expansions and the state course code names."""
        if not hasattr(self, "_known"):
            words = set(_MARKER_BITS) | _KEY_WORDS
            for k, v in self.tokens.items():
                words.add(k)
                words.update(v.split())
            words.update(_state_code_words())
            self._known = frozenset(w for w in words if w)
            self._sorted = tuple(sorted(w for w in self._known if len(w) >= 5))
        return self._known

    def split_glued(self, token: str) -> str | None:
        """``apenglit`` -> ``ap eng lit``: the split into known pieces (>= 3 letters, 2 in front; fewest pieces, at least one
        abbreviation or marker), or None. Runs over the distinct unknown tokens of a batch (a vocabulary)."""
        known, n = self.known, len(token)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for j in range(i + (2 if i == 0 else 3), n + 1):     # a 2-letter piece only in front (US, AP)
                piece = token[i:j]
                if piece in known and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                    best[j] = best[i] + [piece]
        pieces = best[n]
        if not pieces or len(pieces) < 2:
            return None
        if not any(p in self.abbreviations or p in _MARKER_BITS for p in pieces):
            return None
        return " ".join(pieces)

    def complete_truncated(self, token: str) -> str | None:
        """``manufact`` -> ``manufacturing``: a name cut off by the CALPADS field length, when exactly one known
        word (longer than the token) starts with it."""
        self.known
        words = self._sorted
        i = bisect.bisect_left(words, token)
        found = []
        while i < len(words) and words[i].startswith(token) and len(found) < 2:
            if len(words[i]) > len(token):
                found.append(words[i])
            i += 1
        return found[0] if len(found) == 1 else None

    def expand_unknown(self, token: str) -> str:
        """A word outside the tables: glued abbreviations split and expanded (``apenglit`` ->
        ``ap english literature``), a truncated word completed, else the word itself."""
        hit = self._expand_cache.get(token)
        if hit is not None:
            return hit
        out = token
        if 4 <= len(token) <= 16 and token.isalpha() and token not in self.known:
            split = self.split_glued(token)
            if split is None and token.endswith("h") and token[:-1] in self.abbreviations:
                split = token[:-1] + " h"                             # BIOH, CHEMH: a glued Honors mark
            if split is not None:
                out = " ".join(self.tokens.get(p, p) for p in split.split())
            else:
                out = self.complete_truncated(token) or token
        self._expand_cache[token] = out
        return out


@lru_cache(maxsize=1)
def _state_code_words() -> frozenset[str]:
    words = set()
    for name in _state_codes()["name"]:
        words.update(w for w in re.split(r"[^a-z]+", name.lower()) if len(w) >= 3)
    return frozenset(words)


@lru_cache(maxsize=16)
def lexicon(without: tuple[str, ...] = ()) -> Lexicon:
    """The hand tables, less those named in ``without`` (any of :data:`HAND_TABLES`): the matcher uses all of
    them; the leave-vocabulary-out evaluation drops one at a time."""
    unknown = set(without) - set(HAND_TABLES)
    if unknown:
        raise ValueError(f"unknown hand table(s): {', '.join(sorted(unknown))}; expected {', '.join(HAND_TABLES)}")
    tokens = dict(STRUCTURE)
    abbreviations = set(STRUCTURE)
    if "abbreviations" not in without:
        tokens.update(ABBREVIATIONS)
        abbreviations |= set(ABBREVIATIONS)
    if "synonyms" not in without:
        tokens.update(SYNONYMS)
    phrases = list(STRUCTURE_PHRASES) + ([] if "phrases" in without else list(PHRASES))
    name = "hand tables" + (f" without {', '.join(without)}" if without else "")
    return Lexicon(name, tokens, phrases, frozenset(abbreviations))


def _list_join(values: pa.Array, parent: np.ndarray, n: int) -> np.ndarray:
    """Join ``values`` (an Arrow string array sorted by parent) into one space-separated string per parent."""
    counts = np.bincount(parent, minlength=n) if len(parent) else np.zeros(n, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    return pc.binary_join(lists, " ").to_numpy(zero_copy_only=False)


class _Norm(NamedTuple):
    """Normalized names. Per input row: ``uid`` (index into the per-distinct-name arrays). Per distinct name:
    ``content`` (sorted distinct content words joined by spaces), ``markers``, ``keys``, and the content
    words as vocabulary ids ``tok_id[tok_ptr[u]:tok_ptr[u + 1]]``; ``tok_len`` is each vocabulary word's length;
    ``seq`` the expanded words in their original order, an Arrow array (for the truncated-name check)."""
    uid: np.ndarray
    content: np.ndarray
    markers: np.ndarray
    keys: np.ndarray
    tok_ptr: np.ndarray
    tok_id: np.ndarray
    tok_len: np.ndarray
    seq: pa.Array
    words: pa.Array = pa.array([], pa.string())       # the vocabulary: word id -> word


def normalize_course_names(names, lex: Lexicon | None = None) -> pd.DataFrame:
    """Normalize course names / titles / abbreviations, vectorized (pyarrow regex + token table look-ups).

    Returns one row per input (same order) with ``content`` (sorted distinct content words, e.g.
    ``"english"``), ``markers`` (bit set: 1 Honors, 2 AP, 4 IB) and ``keys`` (sorted numbers / level tokens,
    e.g. ``"9"``, ``"1 2"``, ``"ab"``). ``ENG 9 H``, ``Eng9H``, ``English 9 (H)`` and ``Honors English 9``
    all give ``("english", 1, "9")``; ``Spanish II`` and ``SPAN 2`` give ``("spanish", 0, "2")``.
    """
    n = _normalize(names, lex)
    return pd.DataFrame({"content": n.content[n.uid], "markers": n.markers[n.uid], "keys": n.keys[n.uid]})


def _normalize(names, lex: Lexicon | None = None) -> _Norm:
    lex = lex or lexicon()
    s = pd.Series(names, dtype=object).where(pd.notna(names), "").astype(str)
    codes, uniq = pd.factorize(s)
    a = pa.array(np.asarray(uniq, dtype=object), type=pa.string())
    return _classify(_expand(a, lex), codes.astype(np.int64))


def _expand(a: pa.Array, lex: Lexicon) -> pa.Array:
    """Distinct names -> their expanded words in order, space-separated (Arrow strings)."""
    if len(a) == 0:
        return pa.array([], pa.string())
    a = pc.utf8_normalize(a, form="NFKD")
    a = _replace(a, r"\p{Mn}", "")
    a = pc.utf8_lower(a)
    a = _replace(a, r"[.'\x{2019}`]", "")               # U.S. -> us, Gov't -> govt
    # "ENG 9-1" / "AP ENG LANG-2": a trailing -1 / -2 is the semester, but "1-2" (3-4 ...) is a year-long pair
    a = _replace(a, r"([a-z)\]]|\b[02-9]|\d\d)\s*-\s*[12]\s*$", "\\1")
    a = _replace(a, r"&", " and ")
    a = _replace(a, r"\bw/", " with ")
    a = _replace(a, r"(\d+)(st|nd|rd|th)\b", "\\1")     # 9th -> 9
    a = _replace(a, r"([a-z])(\d)", "\\1 \\2")          # eng9h -> eng 9 h
    a = _replace(a, r"(\d)([a-z])", "\\1 \\2")
    a = _replace(a, r"[^a-z0-9]+", " ")
    a = pc.utf8_trim_whitespace(a)
    for _ in range(2):                                   # "ENG 9 H A" / "BIO S1/S2": strip term suffixes
        a = _replace(a, _SEMESTER, "")
    for pattern, repl in lex.phrases:
        a = _replace(a, pattern, repl.replace("$1", "\\1"))

    # token table: abbreviations, glued abbreviations. Tokens stay in Arrow, dictionary-encoded: only the
    # distinct words (the vocabulary) ever become Python strings.
    lists = pc.split_pattern(a, pattern=" ")
    enc = pc.dictionary_encode(pc.list_flatten(lists))
    vocab = enc.dictionary.to_numpy(zero_copy_only=False).astype(object)
    mapped_vocab = pd.Series(vocab, dtype=object).map(lex.tokens)
    unknown = mapped_vocab.isna().to_numpy()
    mapped_vocab[unknown] = [lex.expand_unknown(t) for t in vocab[unknown]]     # distinct words, not rows
    mapped = pc.take(pa.array(mapped_vocab.to_numpy(object), type=pa.string()), enc.indices)
    a = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, mapped), " ")
    return pc.utf8_trim_whitespace(_replace(a, r" +", " "))


def apply_learned(norm: _Norm, learned: dict[str, str]) -> _Norm:
    """``norm`` with the learned word table applied to its expanded words (after the hand tables)."""
    if not learned or len(norm.seq) == 0:
        return norm
    lists = pc.split_pattern(norm.seq, pattern=" ")
    enc = pc.dictionary_encode(pc.list_flatten(lists))
    vocab = pd.Series(enc.dictionary.to_numpy(zero_copy_only=False).astype(object), dtype=object)
    mapped_vocab = vocab.map(learned).fillna(vocab)
    if (mapped_vocab == vocab).all():
        return norm
    mapped = pc.take(pa.array(mapped_vocab.to_numpy(object), type=pa.string()), enc.indices)
    seq = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, mapped), " ")
    return _classify(pc.utf8_trim_whitespace(_replace(seq, r" +", " ")), norm.uid)


def _classify(seq: pa.Array, codes: np.ndarray) -> _Norm:
    """Expanded names (distinct) -> markers, keys and content words (the :class:`_Norm` arrays)."""
    n = len(seq)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return _Norm(codes, np.array([], dtype=object), z.astype(np.int8), np.array([], dtype=object),
                     np.zeros(1, dtype=np.int64), z.astype(np.int32), z.astype(np.int32), pa.array([], pa.string()))
    # classify the distinct tokens (markers, keys, stop words, content), then the token occurrences by id
    lists = pc.split_pattern(seq, pattern=" ")
    parent = pc.list_parent_indices(lists).to_numpy()
    enc = pc.dictionary_encode(pc.list_flatten(lists))
    tid = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    words = pd.Series(enc.dictionary.to_numpy(zero_copy_only=False).astype(object), dtype=object)
    is_digit = words.str.isdigit().to_numpy(dtype=bool)
    canon = words.where(~is_digit, words.str.lstrip("0").replace("", "0"))         # "09" is "9"
    w_bits = words.map(_MARKER_BITS).fillna(0).to_numpy(dtype=np.int64)
    w_stop = words.isin(_STOP).to_numpy() | (words == "").to_numpy()
    # keys: numbers, and short tokens (levels and codes such as AB, BC, SL, HL, AA, AI, C) where fuzzy
    # similarity means nothing
    w_key = (is_digit | (words.str.len().to_numpy() <= 2) | words.isin(_KEY_WORDS).to_numpy()) & (w_bits == 0) & ~w_stop
    w_content = (w_bits == 0) & ~w_key & ~w_stop
    rank_of, canon_sorted = pd.factorize(canon, sort=True)                         # word id = sorted position
    canon_sorted = pa.array(np.asarray(canon_sorted, dtype=object), type=pa.string())

    bits = w_bits[tid]
    markers = np.zeros(n, dtype=np.int64)
    for b in (1, 2, 4):
        markers |= np.where(np.bincount(parent[bits == b], minlength=n) > 0, b, 0)
    out, ids = {}, {}
    for name, w_sel in (("content", w_content), ("keys", w_key)):
        sel = w_sel[tid]
        p, rank = parent[sel], rank_of[tid[sel]]
        order = np.lexsort((rank, p))
        p, rank = p[order], rank[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = (p[1:] != p[:-1]) | (rank[1:] != rank[:-1])                   # distinct words per name
        p, rank = p[first], rank[first]
        out[name] = _list_join(pc.take(canon_sorted, pa.array(rank)), p, n)
        ids[name] = (p, rank)
    p, rank = ids["content"]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(p, minlength=n), out=ptr[1:])
    tok_len = pc.utf8_length(canon_sorted).to_numpy(zero_copy_only=False).astype(np.int32)
    return _Norm(codes, out["content"], markers.astype(np.int8), out["keys"], ptr,
                 rank.astype(np.int32), tok_len, seq, canon_sorted)
