#!/usr/bin/env python3
"""The `run-e2e` bench case's NumPy side: the script a researcher would write instead of `ntk-workbench train`.

Two-layer ReLU autoencoder u(x) = s V relu(W^T x), s = 1/sqrt(m), joint full-batch GD on L = 0.5 ||U - X||_F^2
(SPEC.md sections 1, 4), sphere data, Gaussian init. The same work as the workbench's run:
  setup   H_inf = H_enc + H_dec (float64) and its full eigendecomposition (eigh), eta = 1/lambda_max, the
          linearized (frozen-kernel) loss curve at 200 log-spaced steps from the initial residual;
  steps   STEPS GD steps in DTYPE, the loss appended every step;
  tracked every TRACK steps (and at step 0 and the last step): the traced empirical NTK (SPEC 5.2) and its
          full float64 spectrum (eigvalsh).

usage: numpy_run.py N D M STEPS TRACK [float32|float64]
Prints one JSON line per record as it happens ({"step", "loss", "tracked", "ms"}: ms since the script
started, after its imports), then {"done": true, "peak_rss_kib": ..., "cpu_s": ..., "numpy": ..., "blas": ...}
(cpu_s: the process's user + system CPU time so far, every thread, interpreter start-up included).
For a fair figure start it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment.
"""
import json
import resource
import sys
import time

import numpy as np



def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"].get("name", "unknown")
    except Exception:  # noqa: BLE001 - older NumPy
        return "unknown"


def main(n, d, m, steps, track, dtype="float32", seed=0):
    t0 = time.perf_counter()
    dt = np.dtype(dtype).type
    out = sys.stdout

    def emit(obj):
        obj["ms"] = (time.perf_counter() - t0) * 1e3
        out.write(json.dumps(obj) + "\n")
        out.flush()

    rng = np.random.default_rng(seed)
    X64 = rng.standard_normal((d, n))
    X64 /= np.linalg.norm(X64, axis=0)
    X = X64.astype(dt)
    W = rng.standard_normal((m, d)).astype(dt)  # rows are w_r
    V = rng.standard_normal((d, m)).astype(dt)  # columns are v_r
    s = dt(1 / np.sqrt(m))

    # H_inf (joint, kappa = nu = 1) and its eigendecomposition: eta and the linearized curve.
    cos = np.clip(X64.T @ X64, -1, 1)
    theta = np.arccos(cos)
    H_inf = (cos * (np.pi - theta) + np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)
    lam, Q = np.linalg.eigh(H_inf)
    eta64 = 1.0 / lam[-1]
    eta = dt(eta64)

    def forward(W, V):
        Z = W @ X
        A = np.maximum(Z, 0)
        R = s * (V @ A) - X
        return Z, A, R

    Z, A, R = forward(W, V)
    c = R.astype(np.float64) @ Q  # [d, n]
    energy = np.sum(c * c, axis=0)
    ks = np.unique(np.round(np.logspace(0, np.log10(max(steps, 1)), 199)).astype(int))
    ks = np.concatenate([[0], ks])
    linearized = [0.5 * float(np.sum((1 - eta64 * lam) ** (2 * k) * energy)) for k in ks]

    def tracked(W, V, Z, A):
        S = (Z > 0).astype(dt)
        vv = np.sum(V * V, axis=0)
        K = (X.T @ X) * ((S * vv[:, None]).T @ S) / (m * d) + (A.T @ A) / m
        return np.linalg.eigvalsh(K.astype(np.float64))

    losses = []
    for k in range(steps + 1):
        Z, A, R = forward(W, V)
        loss = 0.5 * float(np.sum(R * R))
        losses.append(loss)
        rec = {"step": k, "loss": loss, "tracked": False}
        if k % track == 0 or k == steps:
            ev = tracked(W, V, Z, A)
            rec.update(tracked=True, eig_min=float(ev[0]), eig_max=float(ev[-1]))
        emit(rec)
        if k == steps:
            break
        G = (s * (V.T @ R)) * (Z > 0)
        gW = G @ X.T
        V = V - eta * (s * (R @ A.T))
        W = W - eta * gW
    usage = resource.getrusage(resource.RUSAGE_SELF)
    emit({"done": True, "linearized_points": len(linearized), "peak_rss_kib": usage.ru_maxrss, "cpu_s": usage.ru_utime + usage.ru_stime,
          "numpy": np.__version__, "blas": blas_name()})


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) not in (5, 6):
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(int(a[0]), int(a[1]), int(a[2]), int(a[3]), int(a[4]), a[5] if len(a) == 6 else "float32")
