"""Vocabulary learned from the data: word equivalences read off confirmed (name, CMP title) pairs.

A pair is *confirmed* when the school itself says the two names are one course:

* ``transcript_abbreviation``: a CMP course's transcript abbreviation and its title;
* ``local_course_code``: a CRSE course whose local course ID is listed on a CMP course of its school (and year),
  with the names not plainly different (same Honors / AP / IB marks and the same numbers and levels).

Both names are normalized with the hand tables, and the content words they do not share are aligned:

* one word against one to three words (``castellano`` / ``spanish``, ``lal`` / ``language literature``);
* two or three words against as many, in order, when each pair starts with the same letter
  (``hstry wrld`` / ``history world``);
* words on the CRSE / abbreviation side only, never seen in any CMP title (a school's program prefix,
  ``acad`` in ``ACAD ENGLISH 9``), mean nothing (learned as the empty string).

An equivalence is kept when it is seen at ``min_schools`` schools or more (a dropped word: in ``min_pairs``
pairs), more often than the word is confirmed as itself (``biology`` / ``biology`` outweighs one school calling
its Biology "The Living Earth"), and, when a word has two meanings, for the clearly more frequent one.
The result is a table (:data:`LEARNED_COLUMNS`) the matcher applies after the hand tables, written by the
``learned_course_vocabulary`` asset with ``cmp_match_results``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ccgi_assets.matching.normalize import _Norm
from ccgi_assets.matching.scoring import _gather_tokens
from ccgi_assets.matching.vocabulary import _KEY_WORDS, _MARKER_BITS, _STOP

LEARNED_COLUMNS = ["word", "means", "schools", "pairs", "self_schools", "source"]
MIN_SCHOOLS = 2      # an equivalence must be seen at this many schools
MIN_PAIRS = 3        # a word that means nothing must be dropped in this many confirmed pairs
MAX_SPAN = 3         # one word may stand for at most this many


def _content(words: list[str]) -> list[str]:
    """Content words in order, distinct (no markers, numbers, level codes, stop words)."""
    out: list[str] = []
    for w in words:
        if (w and w not in out and w not in _MARKER_BITS and w not in _STOP and w not in _KEY_WORDS
                and not w.isdigit() and len(w) > 2):
            out.append(w)
    return out


def _align(left: list[str], right: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(word, means) equivalences of one confirmed pair, and the words it shares (confirmed as themselves)."""
    rs, ls = set(right), set(left)
    ld = [w for w in left if w not in rs]
    rd = [w for w in right if w not in ls]
    same = [w for w in left if w in rs]
    if len(ld) == 1 and 1 <= len(rd) <= MAX_SPAN:
        return [(ld[0], " ".join(rd))], same
    if 2 <= len(ld) == len(rd) <= MAX_SPAN and all(a[0] == b[0] for a, b in zip(ld, rd)):
        return list(zip(ld, rd)), same
    if ld and not rd:
        return [(w, "") for w in ld], same
    return [], same


def learn_from_pairs(norm: _Norm, left: np.ndarray, right: np.ndarray, school: np.ndarray, source: np.ndarray,
                     title_rows: np.ndarray, *, min_schools: int = MIN_SCHOOLS,
                     min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """The learned table from confirmed pairs ``(left[i], right[i])`` (rows of ``norm``) seen at ``school[i]``
    (``source[i]``: how the pair is confirmed). ``title_rows``: the rows of ``norm`` that are CMP titles (a word
    in any of them is a real word, never dropped)."""
    empty = pd.DataFrame({c: pd.Series(dtype="int64" if c in ("schools", "pairs", "self_schools") else object)
                          for c in LEARNED_COLUMNS})
    if len(left) == 0:
        return empty
    lu, ru = norm.uid[left], norm.uid[right]
    ok = (norm.markers[lu] == norm.markers[ru]) & (norm.keys[lu] == norm.keys[ru]) & (lu != ru)
    school_id, school_names = pd.factorize(np.asarray(school, dtype=object)[ok])
    source_id, source_names = pd.factorize(np.asarray(source, dtype=object)[ok])
    n_u = int(len(norm.content)) + 1
    key = lu[ok].astype(np.int64) * n_u + ru[ok]
    if len(key) == 0:
        return empty
    distinct, pair_id = np.unique(key, return_inverse=True)
    pairs = pd.DataFrame({"pair": pair_id, "school": school_id, "source": source_id}).drop_duplicates()
    pl, pr = distinct // n_u, distinct % n_u
    v = max(len(norm.tok_len), 1)
    lo, lt = _gather_tokens(norm, pl)
    ro, rt = _gather_tokens(norm, pr)
    lk, rk = lo.astype(np.int64) * v + lt, ro.astype(np.int64) * v + rt
    common = np.intersect1d(lk, rk)
    differs = np.zeros(len(pl), dtype=bool)
    differs[lo[~np.isin(lk, common)]] = True
    differs[ro[~np.isin(rk, common)]] = True
    words = norm.words.to_numpy(zero_copy_only=False).astype(object)
    same = pd.DataFrame({"pair": common // v, "word": words[common % v]}).merge(pairs[["pair", "school"]], on="pair")
    self_schools = same.groupby("word")["school"].nunique()

    todo = np.flatnonzero(differs)
    uids = np.unique(np.concatenate([pl[todo], pr[todo]]))
    text = dict(zip(uids.tolist(), pc.take(norm.seq, uids).to_pylist()))
    toks = {u: _content((text[u] or "").split(" ")) for u in uids.tolist()}
    eq_rows = []
    for i in todo.tolist():
        eqs, _ = _align(toks[pl[i]], toks[pr[i]])
        eq_rows.extend((i, a, b) for a, b in eqs)
    if not eq_rows:
        return empty
    eq = pd.DataFrame(eq_rows, columns=["pair", "word", "means"]).merge(pairs, on="pair")
    eq["source"] = np.asarray(source_names, dtype=object)[eq["source"].to_numpy()]

    g = eq.groupby(["word", "means"])
    src = eq[["word", "means", "source"]].drop_duplicates().sort_values("source")
    table = pd.DataFrame({
        "schools": g["school"].nunique(),
        "pairs": eq[["word", "means", "pair"]].drop_duplicates().groupby(["word", "means"]).size(),
        "source": src.groupby(["word", "means"])["source"].agg("|".join),
    }).reset_index()
    table["self_schools"] = table["word"].map(self_schools).fillna(0).astype("int64")
    title_words: set[str] = set()
    for text in pc.take(norm.seq, np.unique(norm.uid[title_rows])).to_pylist():
        title_words.update((text or "").split(" "))
    drop = table["means"] == ""
    keep = np.where(drop, (table["pairs"] >= min_pairs) & ~table["word"].isin(title_words),
                    table["schools"] >= min_schools) & (table["schools"] > table["self_schools"])
    table = table[keep]
    # one meaning per word: the most frequent, when clearly so (more schools than the next)
    table = table.sort_values(["word", "schools", "pairs", "means"], ascending=[True, False, False, True])
    rank = table.groupby("word").cumcount()
    second = table["word"].map(table[rank == 1].set_index("word")["schools"]).fillna(-1)
    table = table[table["schools"] > second].drop_duplicates("word")
    # a two-way equivalence (drama <-> theatre at different schools) keeps its better-supported direction
    means_of = dict(zip(table["word"], table["means"]))
    support = dict(zip(table["word"], table["schools"]))
    back = [means_of.get(m) == w and (support[m], m) > (support[w], w) for w, m in zip(table["word"], table["means"])]
    table = table[~np.array(back, dtype=bool)]
    return table[LEARNED_COLUMNS].sort_values(["schools", "word"], ascending=[False, True]).reset_index(drop=True)


def as_mapping(table: pd.DataFrame | None) -> dict[str, str]:
    """A learned table -> the word mapping the normalizer applies."""
    if table is None or len(table) == 0:
        return {}
    return dict(zip(table["word"].astype(str), table["means"].fillna("").astype(str)))
