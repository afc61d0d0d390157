#!/usr/bin/env python3
"""NumPy/SciPy side of the eig bench cases (bench/cases/eig.ts): times numpy.linalg.eigvalsh and SciPy eigsh
(5 largest, 5 smallest by shift-invert at 0) on the same float64 matrix the TypeScript side solved.

usage: numpy_eig.py MATRIX.f64 N REPEATS      (MATRIX.f64: N*N little-endian float64, row-major)
       numpy_eig.py --serve                      (line server: one timed solve per request, for bench/cases/eig.ts)
Prints one JSON object: medians in ms and the eigenvalues found. Run with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from this process's environment (the caller does that).
"""
import json
import statistics
import sys
import time

import numpy as np

import pyserve


def median_ms(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def solve(K, case):
    """One timed solve of `case` on K: (ms, eigenvalues ascending for full/bottom5, descending for top5)."""
    from scipy.sparse.linalg import eigsh
    t0 = time.perf_counter()
    if case == "full":
        out = np.linalg.eigvalsh(K)
    elif case == "top5":
        out = eigsh(K, k=5, which="LA", return_eigenvectors=False)
    elif case == "bottom5":
        out = eigsh(K, k=5, sigma=0, which="LM", return_eigenvectors=False)
    else:
        raise ValueError(f"unknown case {case!r}")
    ms = (time.perf_counter() - t0) * 1e3
    values = sorted(out.tolist(), reverse=(case == "top5"))
    return ms, values


def serve():
    """Line server for bench/cases/eig.ts: info, setup {file, n}, time {case} -> {ms, values}."""
    state = {"K": None}

    def handle(msg):
        if msg["op"] == "info":
            import scipy
            return {"numpy": np.__version__, "scipy": scipy.__version__}
        if msg["op"] == "setup":
            n = int(msg["n"])
            state["K"] = np.fromfile(msg["file"], dtype="<f8").reshape(n, n)
            return {"ok": True}
        if msg["op"] == "time":
            ms, values = solve(state["K"], msg["case"])
            return {"ms": ms, "values": values}
        raise ValueError(f"unknown op {msg['op']!r}")

    pyserve.serve(handle)


def main():
    if "--serve" in sys.argv:
        serve()
        return
    path, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    K = np.fromfile(path, dtype="<f8").reshape(n, n)
    r = {"numpy": np.__version__}
    r["eigvalsh_ms"], ev = median_ms(lambda: np.linalg.eigvalsh(K), repeats)
    r["values"] = ev.tolist()
    try:
        import scipy
        from scipy.sparse.linalg import eigsh
        r["scipy"] = scipy.__version__
        r["top5_ms"], top = median_ms(lambda: eigsh(K, k=5, which="LA", return_eigenvectors=False), repeats)
        r["bottom5_ms"], bottom = median_ms(
            lambda: eigsh(K, k=5, sigma=0, which="LM", return_eigenvectors=False), repeats)
        r["top5"] = sorted(top.tolist(), reverse=True)
        r["bottom5"] = sorted(bottom.tolist())
    except ImportError as e:
        r["scipy_note"] = f"scipy missing: {e}"
    print(json.dumps(r))


if __name__ == "__main__":
    main()
