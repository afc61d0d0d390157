#!/usr/bin/env python3
"""The repo's NumPy comparison for `npm run bench`: the same work as a researcher's NumPy script.

Two-layer ReLU autoencoder u(x) = s V relu(W^T x), s = 1/sqrt(m), full-batch GD on L = 0.5 ||U - X||_F^2
(SPEC.md sections 1 and 4), sphere data, eta = 1/lambda_max(H_inf); the traced empirical NTK (SPEC 5.2).
The formulas are those of ../shared/bench/numpy_baseline.py (OpenBLAS through NumPy), in float32 or float64.

usage:
  numpy_gd.py N D M (joint|weak|ntk) [float32|float64] [--repeats R] [--json]
      sets up once, then times R single repeats (one GD step, or one traced NTK); prints the median
  numpy_gd.py --serve
      reads JSON lines on stdin and answers one JSON line each, so that the harness can alternate
      its own measurements with NumPy's:
        {"op": "setup", "n": N, "d": D, "m": M, "case": "joint"|"weak"|"ntk", "dtype": "float32"|"float64"}
        {"op": "time"}    -> {"ms": <one repeat>}
        {"op": "info"}    -> {"numpy": version, "blas": name}
For a fair figure start it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment.
"""
import json
import statistics
import sys
import time

import numpy as np

import pyserve


class Case:
    def __init__(self, n, d, m, case, dtype="float32", seed=0):
        dt = np.dtype(dtype).type
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((d, n))
        X /= np.linalg.norm(X, axis=0)
        self.X = X.astype(dt)
        self.W = rng.standard_normal((m, d)).astype(dt)  # rows are w_r
        self.V = rng.standard_normal((d, m)).astype(dt)  # columns are v_r
        self.s = dt(1 / np.sqrt(m))
        self.m, self.d = m, d
        self.case = case
        cos = np.clip(X.T @ X, -1, 1)
        theta = np.arccos(cos)
        H_inf = cos * (np.pi - theta) / (2 * np.pi)
        if case != "weak":
            H_inf = H_inf + (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)
        self.eta = dt(1.0 / np.linalg.eigvalsh(H_inf)[-1])
        self.run()  # warm-up

    def step(self):
        X, W, V, s, eta = self.X, self.W, self.V, self.s, self.eta
        Z = W @ X
        A = np.maximum(Z, 0)
        R = s * (V @ A) - X
        loss = 0.5 * float(np.sum(R * R))
        G = (s * (V.T @ R)) * (Z > 0)
        gW = G @ X.T
        if self.case == "joint":
            self.V = V - eta * (s * (R @ A.T))
        self.W = W - eta * gW
        return loss

    def ntk(self):
        X, W, V, m, d = self.X, self.W, self.V, self.m, self.d
        Z = W @ X
        A = np.maximum(Z, 0)
        S = (Z > 0).astype(X.dtype)
        vv = np.sum(V * V, axis=0)
        K = (X.T @ X) * ((S * vv[:, None]).T @ S) / (m * d)
        K = K + (A.T @ A) / m
        return K

    def run(self):
        if self.case == "ntk":
            self.ntk()
        else:
            self.step()

    def time_ms(self):
        t0 = time.perf_counter()
        self.run()
        return (time.perf_counter() - t0) * 1e3


def info():
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"].get("name", "unknown")
    except Exception:
        pass
    return {"numpy": np.__version__, "blas": blas}


def serve():
    state = {"case": None}

    def handle(msg):
        if msg["op"] == "setup":
            state["case"] = Case(int(msg["n"]), int(msg["d"]), int(msg["m"]), msg["case"], msg.get("dtype", "float32"))
            return {"ok": True}
        if msg["op"] == "time":
            return {"ms": state["case"].time_ms()}
        if msg["op"] == "info":
            return info()
        raise ValueError(f"unknown op {msg['op']!r}")

    pyserve.serve(handle)


def main():
    if "--serve" in sys.argv:
        serve()
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    repeats = 5
    if "--repeats" in sys.argv:
        repeats = int(sys.argv[sys.argv.index("--repeats") + 1])
        args = [a for a in args if a != str(repeats)]
    if len(args) < 4:
        sys.exit(__doc__)
    n, d, m, case = int(args[0]), int(args[1]), int(args[2]), args[3]
    dtype = args[4] if len(args) > 4 else "float32"
    c = Case(n, d, m, case, dtype)
    times = [c.time_ms() for _ in range(repeats)]
    r = {"case": case, "n": n, "d": d, "m": m, "dtype": dtype, "numpy_ms": statistics.median(times), **info()}
    print(json.dumps(r) if "--json" in sys.argv else " ".join(f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
