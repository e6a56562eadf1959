"""Deciding: candidates and local-code hits -> one result row per CRSE course, then per (school, year) block
the courses left over are assigned to the CMP courses left over (see :func:`_assign_left_over`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccgi_assets.matching.normalize import _Norm, _normalize
from ccgi_assets.matching.scoring import _MARKER_TABLE, _Names, _pair_scores, _paired_scores, _penalty
from ccgi_assets.matching.vocabulary import (ACCEPT, CODE_NAME_FLOOR, LEFT_MARGIN, PLAUSIBLE, PLAUSIBLE_ONLY,
                                             RESULT_COLUMNS, STATE_NAME_MARGIN, TIE_MARGIN, _state_codes)


_LETTER_BITS = {ch: 1 << i for i, ch in enumerate("abcdefg")}
STALE_MARGIN = 15.0      # a name match beats a local-code hit on a differently named course by this much


def _letters_mask(values: pd.Series) -> np.ndarray:
    """a-g letter strings -> bit masks (0 = unknown), over the distinct values."""
    codes, uniq = pd.factorize(values.fillna("").astype(str))
    masks = np.array([sum(_LETTER_BITS.get(ch, 0) for ch in set(u)) for u in uniq] or [0], dtype=np.int16)
    return masks[codes] if len(codes) else np.zeros(0, dtype=np.int16)


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["q", "score", "course"], ascending=[True, False, True], kind="stable")


def _decide(q, c, norm: _Norm, qn: _Names, tn: _Names, sn: _Names, cc: np.ndarray, cs: np.ndarray,
            ca: np.ndarray, hitc: pd.DataFrame, code_markers: np.ndarray | None = None,
            code_known: np.ndarray | None = None) -> pd.DataFrame:
    """Turn the candidates into one result row per CRSE course.

    ``cc`` / ``cs`` / ``ca``: (n, TOP_K) candidate CMP courses (-1 = none), name scores and "won by an
    abbreviation", each row in descending score order; ``hitc``: local-code hits (q, course, score, by_abbr)."""
    nq, nc = len(q), len(c)
    rows = np.arange(nq)
    hitc = _ordered(hitc)
    hq, hc = hitc["q"].to_numpy(), hitc["course"].to_numpy()
    hit_keys = hq * (nc + 1) + hc
    q_allowed = _letters_mask(q["subjects"])
    c_bit = np.append(_letters_mask(c["subject_area"]), 0)      # index -1 (no course): subject unknown

    def fits(qq: np.ndarray, courses: np.ndarray) -> np.ndarray:
        a, b = q_allowed[qq], c_bit[courses]
        return (a == 0) | (b == 0) | ((a & b) != 0)

    def is_hit(qq: np.ndarray, courses: np.ndarray) -> np.ndarray:
        return np.isin(qq * (nc + 1) + courses, hit_keys)

    def lookup(qq: np.ndarray, courses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(name score, won by abbreviation) of the pairs, from the candidates or else the code hits."""
        m = cc[qq] == courses[:, None]
        found, j = m.any(axis=1), m.argmax(axis=1)
        score, abbr = np.where(found, cs[qq, j], np.nan), ca[qq, j] & found
        if (~found).any() and len(hitc):
            pos = pd.Index(hit_keys).get_indexer(qq[~found] * (nc + 1) + courses[~found])
            score[~found] = np.where(pos >= 0, hitc["score"].to_numpy()[pos], np.nan)
            abbr[~found] = np.where(pos >= 0, hitc["by_abbr"].to_numpy()[pos], False)
        return score, abbr

    def pick(tied: pd.DataFrame) -> pd.Series:
        """Per q of the (q, course) candidates: the one course left after the tie-breakers, or -1."""
        t = tied.assign(fit=fits(tied["q"].to_numpy(), tied["course"].to_numpy()))
        n_fit = t.groupby("q")["fit"].transform("sum")
        t = t[(n_fit == 0) | t["fit"]]
        size = t.groupby("q")["q"].transform("size")
        multi = t[size > 1]
        if len(multi):
            sname = _paired_scores(norm, sn.take(multi["q"].to_numpy()), tn.take(multi["course"].to_numpy()))
            multi = multi.assign(sname=sname)
            top = multi.groupby("q")["sname"].transform("max")
            multi = multi[multi["sname"] >= top - STATE_NAME_MARGIN]
            t = pd.concat([t[size == 1], multi.drop(columns="sname")])
        size = t.groupby("q")["q"].transform("size")
        chosen = t.drop_duplicates("q").set_index("q")["course"]
        return chosen.where(size.groupby(t["q"]).first() == 1, -1)

    # name evidence: the best candidate, unless others are within TIE_MARGIN (then the tie-breakers)
    best_course, best_score = cc[:, 0], cs[:, 0].astype(np.float64)
    has_cand = best_course >= 0
    score = np.where(has_cand, best_score, 0.0)
    name_ok = score >= ACCEPT
    tied_mask = (cc >= 0) & (cs >= (best_score - TIE_MARGIN)[:, None])
    name_pick = best_course.copy()
    multi = np.flatnonzero(tied_mask.sum(axis=1) > 1)
    if len(multi):
        i, j = np.nonzero(tied_mask[multi])
        name_pick[multi] = pick(pd.DataFrame({"q": multi[i], "course": cc[multi[i], j]})).reindex(multi).to_numpy()

    # local-code evidence: a code names the course unless the names plainly differ, or the course carries
    # another Honors / AP / IB marker or another number than the CMP course the code is listed on
    conflict = (qn.markers[hq] != tn.markers[hc]) | ((qn.key_id[hq] > 0) & (tn.key_id[hc] > 0)
                                                     & (qn.key_id[hq] != tn.key_id[hc]))
    # ... or, when the names differ (``LANGUAGE ARTS 9`` for English 9), the state course code's own name agrees
    # with the CMP title and its content area has the CMP course's a-g letter as its own
    code_named = np.zeros(len(hq), dtype=bool)
    low = np.flatnonzero(hitc["score"].to_numpy() < CODE_NAME_FLOOR)
    if len(low):
        own = (q_allowed[hq[low]] & ~_LETTER_BITS["g"] & c_bit[hc[low]]) != 0
        state = np.where(sn.content[hq[low]] != "", _paired_scores(norm, sn.take(hq[low]), tn.take(hc[low])), 0)
        code_named[low] = own & (state >= ACCEPT)
    good = hitc[((hitc["score"].to_numpy() >= CODE_NAME_FLOOR) | code_named) & ~conflict]
    hit_q = np.zeros(nq, dtype=bool)
    hit_q[hq] = True
    code_pick = np.full(nq, -2, dtype=np.int64)                  # -2: codes not used, -1: still tied
    if len(good):
        hs = good.drop_duplicates("q").set_index("q")["score"]
        gq = hs.index.to_numpy()
        ns, nb = score[gq], best_course[gq]
        stale = (ns >= ACCEPT) & ~is_hit(gq, nb) & (ns - hs.to_numpy() >= STALE_MARGIN) & (hs.to_numpy() < ACCEPT)
        use = good[good["q"].isin(gq[~stale])]
        use = use[use["score"].to_numpy() >= use["q"].map(hs).to_numpy() - TIE_MARGIN]
        picked = pick(use[["q", "course"]])
        code_pick[picked.index.to_numpy()] = picked.to_numpy()
    code_used = code_pick != -2
    chosen = np.where(code_used, code_pick, name_pick)
    first_hit = hitc.drop_duplicates("q").set_index("q")["course"]

    status = np.full(nq, "not_on_cmp", dtype=object)
    reason = np.full(nq, "best_score_below_threshold", dtype=object)
    method = np.full(nq, None, dtype=object)
    out_course = np.full(nq, -1, dtype=np.int64)       # the CMP course shown (match or nearest candidate)

    # not on the CMP: why
    school_has_cmp = q["school_code"].isin(c["school_code"].dropna().unique()).to_numpy()
    reason[~has_cand] = np.where(school_has_cmp[~has_cand], "no_cmp_list_for_year", "no_cmp_course_at_school")
    near = has_cand & ~name_ok
    qi, ci = rows[near], best_course[near]
    marker_pen = _MARKER_TABLE[qn.markers[qi] & 7, tn.markers[ci] & 7]
    key_pen = _penalty(np.zeros(len(qi), np.int8), qn.key_id[qi], np.zeros(len(qi), np.int8), tn.key_id[ci])
    reason[qi] = np.where((marker_pen > 0) & (score[qi] + marker_pen >= ACCEPT), "honors_ap_ib_differs",
                          np.where((key_pen > 0) & (score[qi] + key_pen >= ACCEPT), "course_number_differs",
                                   "best_score_below_threshold"))
    out_course[qi] = ci
    code_miss = hit_q & ~code_used & ~name_ok
    code_miss[hitc.loc[(hitc["score"].to_numpy() >= CODE_NAME_FLOOR) | code_named, "q"].to_numpy()] = False   # level differs: said above
    reason[code_miss] = "local_code_names_different_course"
    out_course[code_miss] = first_hit.reindex(rows[code_miss]).to_numpy()

    # ambiguous
    amb_name = ~code_used & name_ok & (chosen == -1)
    amb_code = code_used & (chosen == -1)
    status[amb_name | amb_code] = "ambiguous"
    reason[amb_name] = "tie_between_cmp_courses"
    reason[amb_code] = "local_code_on_several_cmp_courses"
    out_course[amb_name] = best_course[amb_name]
    out_course[amb_code] = first_hit.reindex(rows[amb_code]).to_numpy()
    method[amb_code] = "local_course_code"

    # matched
    matched = (chosen >= 0) & (code_used | name_ok)
    out_course[matched] = chosen[matched]
    status[matched] = "matched"
    reason[matched & code_used] = "exact_local_code"
    method[matched & code_used] = "local_course_code"
    mq = rows[matched & ~code_used]
    reason[mq] = np.where(hit_q[mq] & ~is_hit(mq, chosen[mq]), "stale_local_code", "name_match")
    by_name = rows[(matched & ~code_used) | amb_name]
    method[by_name] = np.where(lookup(by_name, out_course[by_name])[1], "transcript_abbreviation", "title")

    # scores: 100 for a local-code match, else the name score of the course shown
    shown = out_course >= 0
    name_score = np.zeros(nq)
    name_score[shown] = np.nan_to_num(lookup(rows[shown], out_course[shown])[0])
    final_score = np.where(matched & code_used, 100.0, np.where(shown, name_score, score))
    mismatch = matched & ~fits(rows, out_course)
    status[mismatch] = "matched_subject_mismatch"
    reason[mismatch] = "subject_area_disagrees"
    if code_markers is not None:
        # the state course code's AP / IB level disagrees with the CMP course the name and the list agree on
        shown_markers = np.append(tn.markers, np.int8(0))[out_course]          # -1 (no course): none
        level = matched & ~mismatch & code_known & ((code_markers & 6) != (shown_markers & 6))
        reason[level] = "state_code_level_differs"

    # runner-up: the best other name candidate
    other = (cc >= 0) & (cc != out_course[:, None])
    has_other, j = other.any(axis=1), other.argmax(axis=1)
    runner = np.where(has_other, cc[rows, j], -1)
    runner_score = np.where(has_other, cs[rows, j], np.nan)

    arrow_str = pd.StringDtype("pyarrow")

    def cmp_col(col: str, idx: np.ndarray, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """CMP column values at ``idx`` (null where not ``keep`` or no course), taken in Arrow."""
        return c[col].astype(arrow_str).array.take(np.where(keep & (idx >= 0), idx, -1), allow_fill=True)

    def crse_col(col: str) -> pd.api.extensions.ExtensionArray:
        return q[col].astype(arrow_str).array

    everywhere = np.ones(nq, dtype=bool)
    result = pd.DataFrame({
        **{col: crse_col(col) for col in ["reporting_lea", "school_code", "academic_year", "local_course_id",
                                          "course_name", "state_course_code", "content_area"]},
        "cmp_course_id": cmp_col("cmp_course_id", out_course, matched),
        "candidate_cmp_course_id": cmp_col("cmp_course_id", out_course, everywhere),
        "cmp_course_title": cmp_col("course_title", out_course, everywhere),
        "cmp_subject_area": cmp_col("subject_area", out_course, everywhere),
        "match_status": pd.array(status, dtype=arrow_str),
        "score": np.round(final_score, 1),
        "method": pd.array(method, dtype=arrow_str),
        "reason": pd.array(reason, dtype=arrow_str),
        "name_score": np.round(name_score, 1),
        "runner_up_cmp_course_id": cmp_col("cmp_course_id", runner, everywhere),
        "runner_up_score": np.round(runner_score.astype(np.float64), 1),
    })
    result = result[RESULT_COLUMNS]
    result.attrs["_course"], result.attrs["_runner"] = out_course, runner     # CMP row indexes, for the block pass
    return result


def _resolve_level(res: pd.DataFrame, n: int, dup: np.ndarray) -> pd.DataFrame:
    """Rows ``n:`` of ``res`` are courses ``dup`` scored on their names alone (their AP / IB state course code
    set aside). Where the name alone matches a CMP course, the name wins (its reason is
    ``state_code_level_differs``) unless the code's level left the course matched by its local course code or by
    a better name score (``CALCULUS AB`` with an AP code and only ``AP Calculus AB`` on the list). Returns the
    first ``n`` rows."""
    course, runner = res.attrs["_course"], res.attrs["_runner"]
    base = res.iloc[:n]
    base.attrs = {"_course": course[:n].copy(), "_runner": runner[:n].copy()}
    if len(dup) == 0:
        return base
    alt = res.iloc[n:].reset_index(drop=True)
    made = alt["match_status"].isin(["matched", "matched_subject_mismatch"]).to_numpy()
    orig = base.iloc[dup]
    orig_made = orig["match_status"].isin(["matched", "matched_subject_mismatch"]).to_numpy()
    # the name wins over the code's level unless the code's level found a course by local code or by a better name
    by_code = (orig["method"].astype(object) == "local_course_code").to_numpy()
    better = orig["score"].to_numpy() > alt["score"].to_numpy()
    take = made & ((orig["match_status"] == "not_on_cmp").to_numpy() | (orig_made & ~by_code & ~better))
    idx = dup[take]
    if len(idx) == 0:
        return base
    out = _replace_rows(base, idx, alt[take])
    out.attrs["_course"][idx] = course[n:][take]
    out.attrs["_runner"][idx] = runner[n:][take]
    return out


def _replace_rows(df: pd.DataFrame, idx: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its rows at positions ``idx`` replaced by ``rows`` (same columns), dtypes kept."""
    attrs = {k: v.copy() for k, v in df.attrs.items()}
    keep = np.ones(len(df), dtype=bool)
    keep[idx] = False
    head, new = df[keep].copy(), rows.set_axis(df.index[idx])
    head.attrs, new.attrs = {}, {}
    out = pd.concat([head, new]).loc[df.index]
    out.attrs = attrs
    return out


def _assign_left_over(res: pd.DataFrame, q: pd.DataFrame, c: pd.DataFrame, norm: _Norm, qn: _Names, tn: _Names,
                      sn: _Names, qb: np.ndarray, cb: np.ndarray) -> pd.DataFrame:
    """Per (school, year) block, pair the CRSE courses left ``not_on_cmp`` (no CMP course close enough) with the
    CMP courses no course matched, as an assignment: a pair is eligible when the CMP a-g area fits the content
    area of the state course code (its own letter, not only the ``g`` elective), the Honors / AP / IB marks are
    the same and the numbers / levels do not differ; its evidence is the better of the name score and the state
    course code's name score. A pair is taken when each side has no other eligible partner and the evidence is
    at least ``PLAUSIBLE_ONLY``, or when it is the best of both sides by ``LEFT_MARGIN`` with evidence at least
    ``PLAUSIBLE``. Courses with the same normalized name (semester parts A / B, S1 / S2) move together: one CMP
    course may take all of them."""
    status = res["match_status"].to_numpy(dtype=object)
    left_q = np.flatnonzero((status == "not_on_cmp") & (res["reason"].to_numpy(dtype=object)
                                                       == "best_score_below_threshold"))
    if len(left_q) == 0 or len(c) == 0:
        return res
    # CMP courses taken: matched, or named in an ambiguous tie
    course, runner = res.attrs["_course"], res.attrs["_runner"]
    taken = np.zeros(len(c) + 1, dtype=bool)                  # [-1]: no course
    taken[course[np.isin(status, ["matched", "matched_subject_mismatch", "ambiguous"])]] = True
    taken[runner[status == "ambiguous"]] = True
    taken = taken[:-1]
    blocks_left = np.unique(qb[left_q])
    left_c = np.flatnonzero(~taken & np.isin(cb, blocks_left))
    if len(left_c) == 0:
        return res
    # groups of left-over courses with one normalized name per block (semester parts)
    gkey = pd.DataFrame({"b": qb[left_q], "n": qn.content[left_q], "k": qn.key_id[left_q], "m": qn.markers[left_q]})
    group = gkey.groupby(["b", "n", "k", "m"], sort=False).ngroup().to_numpy()
    rep = pd.Series(left_q).groupby(group).first()
    pairs = pd.DataFrame({"g": rep.index.to_numpy(), "qi": rep.to_numpy(), "b": qb[rep.to_numpy()]}).merge(
        pd.DataFrame({"ci": left_c, "b": cb[left_c]}), on="b")
    if pairs.empty:
        return res
    qi, ci = pairs["qi"].to_numpy(), pairs["ci"].to_numpy()
    allowed = q["subjects"].fillna("").to_numpy(dtype=object)[qi]
    primary = np.array([_own_letters(a) for a in allowed], dtype=object)
    letter = c["subject_area"].fillna("").to_numpy(dtype=object)[ci]
    fits = np.array([bool(p) and bool(l) and set(l) <= set(p) for p, l in zip(primary, letter)], dtype=bool)
    same_marks = qn.markers[qi] == tn.markers[ci]
    keys_ok = (qn.key_id[qi] == tn.key_id[ci]) | (qn.key_id[qi] == 0) | (tn.key_id[ci] == 0)
    # a CMP title that is plainly another state course code's course (Marine Biology for a Biology course) is not
    # a left-over of this one
    other = _other_state_course(c["course_title"].fillna("").to_numpy(object)[ci],
                                q["state_course_code"].fillna("").to_numpy(object)[qi])
    keep = fits & same_marks & keys_ok & ~other
    keep[keep] = ~_specializes(norm, qn.uid[qi[keep]], tn.uid[ci[keep]])
    pairs = pairs[keep]
    if pairs.empty:
        return res
    qi, ci = pairs["qi"].to_numpy(), pairs["ci"].to_numpy()
    name = _paired_scores(norm, qn.take(qi), tn.take(ci))
    state = np.where(sn.content[qi] != "", _paired_scores(norm, sn.take(qi), tn.take(ci)), 0)
    pairs = pairs.assign(ev=np.maximum(name, state), name=name)
    n_q = pairs.groupby("g")["ci"].transform("size")
    n_c = pairs.groupby("ci")["g"].transform("size")
    only = (n_q == 1) & (n_c == 1) & (pairs["ev"] >= PLAUSIBLE_ONLY)

    def second(by: str) -> pd.Series:
        """Per pair: the second-best evidence of its ``by`` side (-inf when it has no other)."""
        ranked = pairs.sort_values([by, "ev"], ascending=[True, False], kind="stable")
        nth = ranked[ranked.groupby(by).cumcount() == 1].set_index(by)["ev"]
        return pairs[by].map(nth).fillna(-np.inf)

    best_q = pairs["ev"] >= pairs.groupby("g")["ev"].transform("max")
    best_c = pairs["ev"] >= pairs.groupby("ci")["ev"].transform("max")
    clear = (best_q & best_c & (pairs["ev"] >= PLAUSIBLE) & (pairs["ev"] - second("g") >= LEFT_MARGIN)
             & (pairs["ev"] - second("ci") >= LEFT_MARGIN))
    won = pairs[only | clear].drop_duplicates("g").drop_duplicates("ci")
    if won.empty:
        return res
    # every left-over course of a won group takes the CMP course
    course_of_group = pd.Series(won["ci"].to_numpy(), index=won["g"].to_numpy())
    name_of_group = pd.Series(won["name"].to_numpy(), index=won["g"].to_numpy())
    rows_won = np.isin(group, won["g"].to_numpy())
    rq, rg = left_q[rows_won], group[rows_won]
    rc = course_of_group.reindex(rg).to_numpy()
    sc = np.round(name_of_group.reindex(rg).to_numpy().astype(np.float64), 1)
    arrow_str = pd.StringDtype("pyarrow")
    rows = res.iloc[rq].copy()
    for col, values in {"cmp_course_id": c["cmp_course_id"].to_numpy(object)[rc],
                        "candidate_cmp_course_id": c["cmp_course_id"].to_numpy(object)[rc],
                        "cmp_course_title": c["course_title"].to_numpy(object)[rc],
                        "cmp_subject_area": c["subject_area"].to_numpy(object)[rc]}.items():
        rows[col] = pd.array(values, dtype=arrow_str)
    rows["match_status"] = pd.array(["matched"] * len(rq), dtype=arrow_str)
    rows["reason"] = pd.array(["only_course_left_in_area"] * len(rq), dtype=arrow_str)
    rows["method"] = pd.array(["title"] * len(rq), dtype=arrow_str)
    rows["score"] = sc
    rows["name_score"] = sc
    out = _replace_rows(res, rq, rows)
    out.attrs = {}
    return out


def _other_state_course(titles: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per (CMP title, CRSE state course code): whether the title names the course of another state course code
    (it scores >= ``ACCEPT`` against that code's name and clearly more than against the course's own code)."""
    sc = _state_codes()
    names = sc["name"].str.replace(r"\((Non-)?(Concentrator|Capstone|CTE|Career Technical Education)\)", "",
                                   regex=True).to_numpy(object)
    ut, t_inv = np.unique(titles.astype(str), return_inverse=True)
    norm = _normalize(np.concatenate([ut, names]))
    key_codes, _ = pd.factorize(norm.keys)
    key_id = np.where(norm.keys == "", 0, key_codes + 1).astype(np.int32)
    uid = norm.uid
    allrows = _Names(norm.content[uid], norm.markers[uid], key_id[uid], uid)
    S = _pair_scores(norm, allrows.take(slice(0, len(ut))), allrows.take(slice(len(ut), None)))
    best = S.max(axis=1)[t_inv] if S.size else np.zeros(len(titles))
    own_col = pd.Index(sc["code"]).get_indexer(codes)
    own = np.where(own_col >= 0, S[t_inv, np.maximum(own_col, 0)] if S.size else 0, 0)
    return (best >= ACCEPT) & (own < best - TIE_MARGIN) & (own_col >= 0)


def _specializes(norm: _Norm, q_uid: np.ndarray, c_uid: np.ndarray) -> np.ndarray:
    """Per pair: whether the CMP title is the CRSE name with a qualifier in front (``Marine Biology`` for
    ``BIOLOGY``): every word of the name is in the title, the title's last word is one of them and its first is
    not. A longer title that starts with the name (``World History, Culture and Geography``) is not."""
    import pyarrow.compute as pc
    seqs = pc.take(norm.seq, np.r_[q_uid, c_uid]).to_pylist()
    n = len(q_uid)
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        qw = [w for w in (seqs[i] or "").split(" ") if w]
        cw = [w for w in (seqs[n + i] or "").split(" ") if w]
        if qw and cw and set(qw) < set(cw):
            out[i] = cw[-1] in qw and cw[0] not in qw
    return out


def _own_letters(allowed: str) -> str:
    """The a-g letters of a content area that are its own: the allowed letters less the ``g`` elective (an area
    allowed only ``g`` has none: nothing to pair by area)."""
    return allowed.replace("g", "") if allowed else ""
