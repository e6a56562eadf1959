"""The matcher: blocking, local codes, one cdist per (school, year) block, then :mod:`.decide`."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.matching.decide import _assign_left_over, _decide, _resolve_level
from ccgi_assets.matching.inputs import _prepare_cmp, _prepare_crse, _split_list
from ccgi_assets.matching.learn import as_mapping, learn_from_pairs
from ccgi_assets.matching.normalize import _Norm, _normalize, apply_learned, lexicon
from ccgi_assets.matching.scoring import _Names, _pair_scores, _top_k
from ccgi_assets.matching.vocabulary import TOP_K, TRUNCATED_MIN_LEN, TRUNCATED_SCORE


def match_courses(crse: pd.DataFrame, cmp: pd.DataFrame, *, workers: int = 1, learn: bool = True,
                  vocabulary: pd.DataFrame | None = None, without: tuple[str, ...] = ()) -> pd.DataFrame:
    """Match each UC/CSU-approved CRSE course with its school's CMP list (pure function; see package doc).

    ``crse``: one row per course or per section (sections of a course collapse to one row); rows with
    ``uc_csu_approved`` false are ignored. ``cmp``: the CMP reader's columns (``school_code`` /
    ``reporting_lea`` are derived from ``cds_code`` when absent). Returns one row per approved course with
    :data:`RESULT_COLUMNS`. ``workers``: 1 scores the blocks one after another (the default: fastest measured
    on the shared 2-core machine, where block threads contend for the GIL and the other core); N > 1 (or -1,
    all cores) scores blocks on that many threads.

    Vocabulary: the hand tables less those named in ``without`` (the leave-vocabulary-out evaluation), plus
    ``vocabulary`` (a :func:`learn_vocabulary` table) or, when it is None and ``learn`` is true, the words
    learned from these inputs' confirmed pairs.
    """
    ctx = _Context(crse, cmp, without)
    if vocabulary is not None:
        mapping = as_mapping(vocabulary)
    else:
        mapping = as_mapping(ctx.learned()) if learn else {}
    return ctx.match(apply_learned(ctx.norm0, mapping), workers)


def learn_vocabulary(crse: pd.DataFrame, cmp: pd.DataFrame, *, without: tuple[str, ...] = ()) -> pd.DataFrame:
    """The word equivalences learned from the confirmed pairs of these inputs (:mod:`.learn`), one row per
    word with :data:`~ccgi_assets.matching.learn.LEARNED_COLUMNS`: ``word``, what it ``means`` (empty: nothing, a program prefix), at how
    many ``schools`` and in how many distinct ``pairs`` it was seen, at how many schools the word was confirmed
    as itself (``self_schools``) and how the pairs were confirmed (``source``). Non-PII: course names only."""
    return _Context(crse, cmp, without).learned()


class _Context:
    """Inputs prepared once: courses, CMP rows, blocks, local-code hits and the names normalized with the
    hand tables (``norm0``; the learned words are applied on top of it)."""

    def __init__(self, crse: pd.DataFrame, cmp: pd.DataFrame, without: tuple[str, ...]):
        q = _prepare_crse(crse)
        c = _prepare_cmp(cmp)
        nq, nc = len(q), len(c)
        # blocks: (school, year). A school whose CMP rows carry no list_year is matched against them for any year.
        year_known = (c["list_year"].fillna("") != "").to_numpy()
        c_block = c["school_code"].fillna("") + "|" + c["list_year"].where(year_known, "*").fillna("*")
        q_block = q["school_code"].fillna("") + "|" + q["academic_year"].fillna("")
        if not year_known.all():
            undated = q["school_code"].isin(set(c.loc[~year_known, "school_code"])).to_numpy()
            q_block = q_block.where(~undated, q["school_code"].fillna("") + "|*")
        # the reporting LEA of a course: CRSE's own, else the LEA part of its school's CDS code on the CMP
        lea_of_school = c.drop_duplicates("school_code").set_index("school_code")["reporting_lea"]
        q["reporting_lea"] = q["reporting_lea"].fillna(q["school_code"].map(lea_of_school))
        block_codes, self.blocks = pd.factorize(pd.concat([q_block, c_block], ignore_index=True))
        self.qb, self.cb = block_codes[:nq], block_codes[nq:]
        # normalize every string once: CRSE names, CMP titles, CMP abbreviations, state code names
        self.abbr, self.abbr_course = _split_list(c["transcript_abbreviations"])
        texts = np.concatenate([q["course_name"].fillna("").to_numpy(object),
                                c["course_title"].fillna("").to_numpy(object), self.abbr,
                                q["state_name"].to_numpy(object)])
        self.norm0 = _normalize(texts, lexicon(tuple(without)))
        # local-code hits: the CRSE local course ID among the block's CMP local course codes
        codes, code_course = _split_list(c["local_course_codes"], upper=True)
        hits = pd.DataFrame({"block": self.cb[code_course], "code": codes, "course": code_course}).drop_duplicates()
        self.hits = hits.merge(pd.DataFrame({"block": self.qb, "q": np.arange(nq),
                                             "code": q["local_course_id"].fillna("").str.upper().to_numpy(object)}),
                               on=["block", "code"])[["q", "course"]]
        self.q, self.c, self.nq, self.nc = q, c, nq, nc

    def learned(self) -> pd.DataFrame:
        nq, nc, ac, hq = self.nq, self.nc, self.abbr_course, self.hits["q"].to_numpy()
        left = np.concatenate([nq + nc + np.arange(len(ac)), hq])
        right = np.concatenate([nq + ac, nq + self.hits["course"].to_numpy()])
        school = np.concatenate([self.c["school_code"].fillna("").to_numpy(object)[ac],
                                 self.q["school_code"].fillna("").to_numpy(object)[hq]])
        source = np.concatenate([np.full(len(ac), "transcript_abbreviation", dtype=object),
                                 np.full(len(hq), "local_course_code", dtype=object)])
        return learn_from_pairs(self.norm0, left, right, school, source, nq + np.arange(nc))

    def match(self, norm: _Norm, workers: int) -> pd.DataFrame:
        q, c, nq, nc = self.q, self.c, self.nq, self.nc
        abbr_course, blocks, cb = self.abbr_course, self.blocks, self.cb
        na = len(abbr_course)
        key_codes, _ = pd.factorize(norm.keys)
        key_id = np.where(norm.keys == "", 0, key_codes + 1).astype(np.int32)
        uid = norm.uid
        rows = _Names(norm.content[uid], norm.markers[uid].copy(), key_id[uid], uid)
        # a course whose state course code is AP / IB while its name is not is scored twice: with the code's
        # marks (the code agrees with a CMP course) and, as an extra row, on its name alone (the name and the
        # school's list agree and the code is flagged, not obeyed)
        code_markers = q["code_markers"].to_numpy(np.int8)
        name_markers = rows.markers[:nq]
        dup = np.flatnonzero((code_markers & ~name_markers & 6) != 0)
        ext = np.r_[np.arange(nq), dup]
        qn = rows.take(ext)
        qn.markers[:nq] |= code_markers
        sn = rows.take(nq + nc + na + ext)
        q = pd.concat([q, q.iloc[dup]], ignore_index=True)
        qb = np.r_[self.qb, self.qb[dup]]
        hits = self.hits
        if len(dup):
            pos = pd.Series(np.arange(len(dup)) + nq, index=dup)
            extra = hits[hits["q"].isin(dup)].assign(q=lambda h: h["q"].map(pos).to_numpy())
            hits = pd.concat([hits, extra], ignore_index=True)
        hits = hits.assign(block=qb[hits["q"].to_numpy()])
        hits = hits.sort_values(["block", "q"], kind="stable").reset_index(drop=True)
        nq_orig, nq = nq, len(q)
        cmp_marker = c["honors_type"].fillna("").str.lower().map(
            {"uc honors": 1, "honors": 1, "ap": 2, "ib": 4}).fillna(0).astype(np.int8).to_numpy()
        tn = rows.take(slice(nq_orig, nq_orig + nc))
        tn.markers[:] |= cmp_marker
        an = rows.take(slice(nq_orig + nc, nq_orig + nc + na))
        an.markers[:] |= cmp_marker[abbr_course]

        # targets: each CMP course's title, then its abbreviations, ordered by (block, course)
        t_course = np.concatenate([np.arange(nc), abbr_course])
        t_title = np.r_[np.ones(nc, dtype=bool), np.zeros(na, dtype=bool)]
        t_block = cb[t_course]
        order = np.lexsort((~t_title, t_course, t_block))
        t_course, t_block = t_course[order], t_block[order]
        targets = _Names(*(np.concatenate([x, y])[order] for x, y in zip(tn, an)))
        first_col = np.r_[True, t_course[1:] != t_course[:-1]]
        t_layer = np.arange(len(t_course)) - np.maximum.accumulate(np.where(first_col, np.arange(len(t_course)), 0))

        boost = _truncated_pairs(q["course_name"], qn, qb, targets, t_block, t_course, norm)
        boost = boost[np.lexsort((boost[:, 0], qb[boost[:, 0]]))] if len(boost) else boost
        b_starts = np.searchsorted(qb[boost[:, 0]], np.arange(len(blocks) + 1)) if len(boost) else \
            np.zeros(len(blocks) + 1, dtype=np.int64)

        # one rapidfuzz cdist (+ one containment join) per (school, year) block, over arrays sliced by offsets
        q_order = np.argsort(qb, kind="stable")
        q_starts = np.searchsorted(qb[q_order], np.arange(len(blocks) + 1))
        t_starts = np.searchsorted(t_block, np.arange(len(blocks) + 1))
        h_starts = np.searchsorted(hits["block"].to_numpy(), np.arange(len(blocks) + 1))
        h_q, h_course = hits["q"].to_numpy(), hits["course"].to_numpy()
        q_pos = np.empty(nq, dtype=np.int64)                       # position of each CRSE course in its block
        q_pos[q_order] = np.arange(nq) - q_starts[qb[q_order]]

        # top-K name candidates per CRSE course, padded (course -1 / score -1): each block fills its own rows
        cand_course = np.full((nq, TOP_K), -1, dtype=np.int64)
        cand_score = np.full((nq, TOP_K), -1, dtype=np.float32)
        cand_abbr = np.zeros((nq, TOP_K), dtype=bool)

        def score_block(b: int, cdist_workers: int):
            """Fill the block's candidate rows; return the name score of its local-code hits."""
            qi = q_order[q_starts[b]:q_starts[b + 1]]
            t0, t1 = t_starts[b], t_starts[b + 1]
            S = _pair_scores(norm, qn.take(qi), targets.take(slice(t0, t1)), workers=cdist_workers)
            if b_starts[b + 1] > b_starts[b]:                                 # names cut off by a field limit
                bq, bt = boost[b_starts[b]:b_starts[b + 1]].T
                S[q_pos[bq], bt - t0] = np.maximum(S[q_pos[bq], bt - t0], np.float32(TRUNCATED_SCORE))
            layer = t_layer[t0:t1]
            title_cols = np.flatnonzero(layer == 0)                           # each course's title comes first
            course_ids = t_course[t0:t1][title_cols]                          # ascending
            S_title = S[:, title_cols]
            Sc = S_title.copy()                                               # best title/abbreviation per course
            for lay in range(1, int(layer.max()) + 1):
                cols = np.flatnonzero(layer == lay)
                at = np.searchsorted(title_cols, cols) - 1                    # the course each column belongs to
                Sc[:, at] = np.maximum(Sc[:, at], S[:, cols])
            by_abbr = Sc > S_title
            k = min(TOP_K, len(course_ids))
            top = _top_k(Sc, k)                                               # descending score, ties: lower course
            r = np.arange(len(qi))[:, None]
            cand_course[qi, :k] = course_ids[top]
            cand_score[qi, :k] = Sc[r, top]
            cand_abbr[qi, :k] = by_abbr[r, top]
            h0, h1 = h_starts[b], h_starts[b + 1]
            lq, lc = q_pos[h_q[h0:h1]], np.searchsorted(course_ids, h_course[h0:h1])
            return Sc[lq, lc], by_abbr[lq, lc]

        todo = np.flatnonzero((np.diff(q_starts) > 0) & (np.diff(t_starts) > 0))
        threads = (os.cpu_count() or 1) if workers < 1 else workers
        if threads > 1 and len(todo) >= 2 * threads:
            # many blocks: one block per thread at a time (rapidfuzz and numpy release the GIL)
            with ThreadPoolExecutor(max_workers=threads) as pool:
                parts = list(pool.map(lambda b: score_block(b, 1), todo))
        else:
            parts = [score_block(b, workers) for b in todo]
        hit_score = np.zeros(len(hits), dtype=np.float32)
        hit_abbr = np.zeros(len(hits), dtype=bool)
        for b, (sc, ab) in zip(todo, parts):
            hit_score[h_starts[b]:h_starts[b + 1]], hit_abbr[h_starts[b]:h_starts[b + 1]] = sc, ab
        hitc = pd.DataFrame({"q": h_q, "course": h_course, "score": hit_score, "by_abbr": hit_abbr})
        res = _decide(q, c, norm, qn, tn, sn, cand_course, cand_score, cand_abbr, hitc, code_markers=np.r_[
            q["code_markers"].to_numpy(np.int8)], code_known=q["content_area"].notna().to_numpy())
        res = _resolve_level(res, nq_orig, dup)
        out = _assign_left_over(res, q.iloc[:nq_orig], c, norm, qn.take(slice(0, nq_orig)), tn,
                                sn.take(slice(0, nq_orig)), qb[:nq_orig], cb)
        out.attrs = {}
        return out.reset_index(drop=True)


def _truncated_pairs(names: pd.Series, qn: _Names, qb: np.ndarray, targets: _Names, t_block: np.ndarray,
                     t_course: np.ndarray, norm: _Norm) -> np.ndarray:
    """(CRSE row, target index) pairs where a long CRSE name is a strict prefix of the normalized title (or
    abbreviation) of exactly one CMP course of its block, the cut-off part carrying no Honors / AP / IB mark:
    ``MODIFIED OR SPECIALLY DESIGNED PHYSICAL`` for "Modified or Specially Designed Physical Education
    Grades 7-12". Prefix search on the sorted block-prefixed strings (searchsorted), no pair loop."""
    long_q = np.flatnonzero(names.fillna("").str.strip().str.len().to_numpy() >= TRUNCATED_MIN_LEN)
    if len(long_q) == 0 or len(t_block) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    def keys(block: np.ndarray, uids: np.ndarray) -> np.ndarray:       # b"<block>|<words>", fixed-width bytes
        k = pc.binary_join_element_wise(pa.array(block.astype(str)), pc.take(norm.seq, pa.array(uids)), "|")
        return np.asarray(pc.cast(k, pa.binary()).to_numpy(zero_copy_only=False), dtype=bytes)

    t_key = keys(t_block, targets.uid)
    order = np.argsort(t_key, kind="stable")
    sorted_keys = t_key[order]
    q_key = keys(qb[long_q], qn.uid[long_q])
    lo = np.searchsorted(sorted_keys, q_key, side="right")              # strictly longer strings only
    hi = np.searchsorted(sorted_keys, np.char.add(q_key, b"\xff"), side="left")
    cnt = np.maximum(hi - lo, 0)
    if cnt.sum() == 0:
        return np.zeros((0, 2), dtype=np.int64)
    qq = np.repeat(long_q, cnt)
    tt = order[np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt - lo, cnt)]
    # the prefix's own markers are a subset of the title's: different marker bits = a marker in the cut-off part
    same_marks = norm.markers[targets.uid[tt]] == norm.markers[qn.uid[qq]]
    pairs = pd.DataFrame({"q": qq, "t": tt, "course": t_course[tt]})[same_marks]
    one_course = pairs.groupby("q")["course"].transform("nunique") == 1
    return pairs.loc[one_course, ["q", "t"]].to_numpy(np.int64)
