"""Name scores: rapidfuzz ``ratio`` on sorted distinct words (one ``process.cdist`` per block), a word
containment (an inverted-index join on word ids), minus Honors / AP / IB marker and number / level key
penalties. See the package docstring for the formula."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from ccgi_assets.matching.normalize import _Norm
from ccgi_assets.matching.vocabulary import KEY_HALF_PENALTY, KEY_PENALTY, MARKER_PENALTY


class _Names(NamedTuple):
    """Normalized names of some rows: content string, marker bits, key id (0 = none), distinct-name id."""
    content: np.ndarray
    markers: np.ndarray
    key_id: np.ndarray
    uid: np.ndarray

    def take(self, idx) -> "_Names":
        return _Names(self.content[idx], self.markers[idx], self.key_id[idx], self.uid[idx])


def _gather_tokens(norm: _Norm, uids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, word id) for the content words of each name in ``uids`` (owner = position in ``uids``)."""
    starts = norm.tok_ptr[uids]
    lens = norm.tok_ptr[uids + 1] - starts
    owner = np.repeat(np.arange(len(uids)), lens)
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return owner, norm.tok_id[np.arange(int(lens.sum())) + offsets]


def _containment(norm: _Norm, q_uid: np.ndarray, c_uid: np.ndarray) -> np.ndarray:
    """100 x (letters of the words both names share) / (letters of the shorter name), every q vs every c.

    A short name inside a long title ("World History" in "World History, Culture and Geography") scores 100.
    Computed as an inverted-index join on word ids (sort + searchsorted + one bincount), no Python loop."""
    nq, nc = len(q_uid), len(c_uid)
    qo, qt = _gather_tokens(norm, q_uid)
    co, ct = _gather_tokens(norm, c_uid)
    order = np.argsort(ct, kind="stable")
    ct, co = ct[order], co[order]
    lo, hi = np.searchsorted(ct, qt, "left"), np.searchsorted(ct, qt, "right")
    cnt = hi - lo
    pos = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt - lo, cnt)
    shared = np.bincount(np.repeat(qo, cnt) * nc + co[pos], weights=np.repeat(norm.tok_len[qt], cnt),
                         minlength=nq * nc).reshape(nq, nc).astype(np.float32)
    denom = np.minimum(np.bincount(qo, weights=norm.tok_len[qt], minlength=nq)[:, None],
                       np.bincount(co, weights=norm.tok_len[ct], minlength=nc)[None, :]).astype(np.float32)
    return np.divide(shared * np.float32(100), denom, out=np.zeros_like(shared), where=denom > 0)


def _paired_containment(norm: _Norm, q_uid: np.ndarray, c_uid: np.ndarray) -> np.ndarray:
    """:func:`_containment` of pair i = (q_uid[i], c_uid[i]), element-wise."""
    n, v = len(q_uid), max(len(norm.tok_len), 1)
    qo, qt = _gather_tokens(norm, q_uid)
    co, ct = _gather_tokens(norm, c_uid)
    common = np.intersect1d(qo * v + qt, co * v + ct, assume_unique=True)
    shared = np.bincount(common // v, weights=norm.tok_len[common % v], minlength=n)
    denom = np.minimum(np.bincount(qo, weights=norm.tok_len[qt], minlength=n),
                       np.bincount(co, weights=norm.tok_len[ct], minlength=n))
    return np.divide(shared * 100.0, denom, out=np.zeros(n), where=denom > 0).astype(np.float32)


_POPCOUNT = np.array([0, 1, 1, 2, 1, 2, 2, 3], dtype=np.float32)
#: marker penalty by (q markers, c markers), markers being 3-bit sets
_MARKER_TABLE = (_POPCOUNT[np.bitwise_xor.outer(np.arange(8), np.arange(8))] * np.float32(MARKER_PENALTY))


def _penalty(qm: np.ndarray, qk: np.ndarray, cm: np.ndarray, ck: np.ndarray) -> np.ndarray:
    """Marker / key penalties, element-wise with numpy broadcasting (key id 0 = no keys)."""
    pen = _MARKER_TABLE[qm & 7, cm & 7]
    qhas, chas = qk > 0, ck > 0
    pen += np.where(qk != ck, np.where(qhas & chas, np.float32(KEY_PENALTY), np.float32(KEY_HALF_PENALTY)),
                    np.float32(0))
    return pen


def _combine(sort: np.ndarray, contained: np.ndarray) -> np.ndarray:
    """Content similarity: mean of the sorted-word ratio and a set score (the better of it and containment)."""
    return (sort + np.maximum(sort, contained)) * np.float32(0.5)


def _pair_scores(norm: _Norm, q: _Names, c: _Names, workers: int = 1) -> np.ndarray:
    """Name score matrix (len(q), len(c)): one rapidfuzz cdist (``ratio`` on sorted distinct words =
    ``token_sort_ratio``), the containment matmul, minus marker / key penalties; clipped to 0-100."""
    sort = process.cdist(q.content.tolist(), c.content.tolist(), scorer=fuzz.ratio, dtype=np.float32,
                         workers=workers)
    sim = _combine(sort, _containment(norm, q.uid, c.uid))
    # penalties via a small table over the block's distinct (key, markers) combinations, then one gather
    combo = np.concatenate([q.key_id.astype(np.int64) * 8 + q.markers, c.key_id.astype(np.int64) * 8 + c.markers])
    uniq, inv = np.unique(combo, return_inverse=True)
    table = _penalty((uniq & 7)[:, None].astype(np.int8), (uniq >> 3)[:, None],
                     (uniq & 7)[None, :].astype(np.int8), (uniq >> 3)[None, :])
    sim -= np.take(table[inv[:len(q.key_id)]], inv[len(q.key_id):], axis=1)
    np.clip(sim, 0, 100, out=sim)
    return sim


def _top_k(S: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k best scores of each row (k argmax passes; k is small)."""
    X = S.copy()
    rows = np.arange(S.shape[0])
    out = np.empty((S.shape[0], k), dtype=np.int64)
    for i in range(k):
        out[:, i] = best = X.argmax(axis=1)
        X[rows, best] = -1
    return out


def _paired_scores(norm: _Norm, q: _Names, c: _Names) -> np.ndarray:
    """Name score of q[i] vs c[i] (the same scoring as :func:`_pair_scores`, element-wise)."""
    if len(q.content) == 0:
        return np.zeros(0, dtype=np.float32)
    sort = process.cpdist(q.content.tolist(), c.content.tolist(), scorer=fuzz.ratio, dtype=np.float32)
    sim = _combine(sort, _paired_containment(norm, q.uid, c.uid))
    sim -= _penalty(q.markers, q.key_id, c.markers, c.key_id)
    return np.clip(sim, 0, 100)
