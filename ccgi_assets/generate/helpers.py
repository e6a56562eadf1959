"""Small vectorized helpers of the generator: seeded random streams, string tables, dates, unique ids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_EMPTY = ""


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, *stream])))


def _strings(values: list[str]) -> pa.Array:
    """A string table with "" at index 0 (index 0 = none)."""
    return pa.array([_EMPTY] + list(values), type=pa.string())


def _take(table: pa.Array, idx: np.ndarray) -> pa.Array:
    return table.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _num(values: np.ndarray, width: int = 0) -> pa.Array:
    s = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def _days(y: int, m: int, d: int) -> int:
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    mo = d.astype("datetime64[M]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = mo.astype(np.int64) % 12 + 1
    dd = (d - mo).astype(np.int64) + 1
    return y * 10000 + m * 100 + dd


def _date(days: np.ndarray) -> pa.Array:
    """Days since 1970 -> ``CCYYMMDD``; negative -> empty."""
    days = np.asarray(days, dtype=np.int64)
    s = _num(_yyyymmdd(np.maximum(days, 0)))
    missing = days < 0
    if missing.any():
        s = pc.if_else(pa.array(missing), _EMPTY, s)
    return s


def _iso(seconds: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"), unit="s")


class _Scrambler:
    """A keyed bijection of ``range(half**2)`` (a 4-round Feistel network): random-looking unique ids
    from a counter, vectorized, with no set of used ids to keep."""

    def __init__(self, rng: np.random.Generator, half: int):
        self.half = half
        self.f = [rng.integers(0, half, half) for _ in range(4)]

    def __call__(self, k: np.ndarray) -> np.ndarray:
        k = np.asarray(k, dtype=np.int64)
        left, right = k // self.half, k % self.half
        for f in self.f:
            left, right = right, (left + f[right]) % self.half
        return left * self.half + right


def _pick(rng: np.random.Generator, weights: list[float] | np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _zipf_weights(n: int, s: float = 0.8) -> np.ndarray:
    return 1.0 / (np.arange(n) + 4.0) ** s


def _where(cond: np.ndarray, a: pa.Array | str, b: pa.Array | str) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(cond, dtype=bool)), a, b)


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into ``len(weights)`` integer parts proportional to weights, each >= minimum."""
    n = len(weights)
    minimum = min(minimum, total // n)
    rest = total - minimum * n
    share = weights / weights.sum() * rest
    base = np.floor(share).astype(np.int64)
    left = rest - int(base.sum())
    order = np.argsort(-(share - base), kind="stable")
    base[order[:left]] += 1
    return base + minimum
