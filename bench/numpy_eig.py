#!/usr/bin/env python3
"""NumPy/SciPy side of the eig bench cases (bench/cases/eig.ts): times numpy.linalg.eigvalsh and SciPy eigsh
(5 largest, 5 smallest by shift-invert at 0) on the same float64 matrix the TypeScript side solved.

usage: numpy_eig.py MATRIX.f64 N REPEATS      (MATRIX.f64: N*N little-endian float64, row-major)
Prints one JSON object: medians in ms and the eigenvalues found. Run with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from this process's environment (the caller does that).
"""
import json
import statistics
import sys
import time

import numpy as np


def median_ms(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def main():
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
