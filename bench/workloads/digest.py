"""Autolog only: data fingerprint throughput on a 1 GiB float64 array (autolog.context.fingerprint).

Checks: the same data gives the same digest, and one changed element gives another digest.
"""

from __future__ import annotations

from workloads._common import check, ms_since, now


def autolog_side(gib: float, k: int) -> dict:
    import numpy as np

    from autolog.context import fingerprint

    n = int(gib * 2**30) // 8
    X = np.random.default_rng(0).standard_normal(n // 16, dtype=np.float64)
    X = np.tile(X, 16).reshape(-1, 16)  # 1 GiB quickly; every row still distinct
    X[:, 0] = np.arange(X.shape[0])
    fingerprint(X[:100])  # warm-up: imports
    times, digests = [], []
    for _ in range(k):
        t0 = now()
        digests.append(fingerprint(X).digest)
        times.append(ms_since(t0))
    check(len(set(digests)) == 1, "autolog: the same array gave different digests")
    X[X.shape[0] // 2, 7] += 1.0
    check(fingerprint(X).digest != digests[0], "autolog: a changed element kept the digest")
    gb = X.nbytes / 2**30
    return {
        "samples": {
            "digest_s_per_gib": [t / 1e3 / gb for t in times],
            "digest_gib_per_s": [gb / (t / 1e3) for t in times],
        },
        "checks": {"gib": gb, "digest": digests[0]},
    }
