#!/usr/bin/env python3
"""NumPy side of the related-work bench cases (bench/cases/related.ts): the same kernels as a researcher's NumPy
script would compute them (SPEC.md sections 10.2-10.4).

- rntk: NNGP and NTK Grams of a ReLU Elman RNN for n sequences of one length T (p features), readout `last`
  or `avg`, by the wavefront recursion vectorized over all sequence pairs and diagonals at once
  (state arrays [n, n, 2T-1], one NumPy step per position along the diagonals), float64.
- rf: the random-feature map of the two-layer ReLU NTK [m0^-1/2 vec(1[W0 x >= 0] (x) x); m1^-1/2 relu(W1 x)] and
  its Gram Phi^T Phi; exact: H_enc + H_dec in closed form (arc-cosine kernels), float64.

usage: numpy_related.py --serve   (line server for bench/cases/related.ts; see bench/pyServer.ts)
  {"op": "info"}
  {"op": "rntk", "file": F, "n": N, "T": T, "p": P, "readout": "last"|"avg", "sw", "su", "sb", "sv"}
        -> {"ms", "ntk": first row of the NTK Gram}   (F: N*T*P little-endian float64, [n, T, p])
  {"op": "rf", "file": F, "n": N, "d": D, "m0": M0, "m1": M1} -> {"ms"}   (F: D*N float64, X [d, n])
  {"op": "exact", "file": F, "n": N, "d": D} -> {"ms"}
Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the environment (bench/pyServer.ts does).
"""
import time

import numpy as np

import pyserve


def relu_moments(a, b, c):
    """E[relu(u) relu(v)] and E[relu'(u) relu'(v)] for (u, v) ~ N(0, [[a, c], [c, b]]), elementwise (a, b > 0)."""
    norm = np.sqrt(a * b)
    rho = np.clip(c / norm, -1.0, 1.0)
    psi = np.arccos(rho)
    k = norm * (np.sqrt(1.0 - rho * rho) + (np.pi - psi) * rho) / (2 * np.pi)
    kd = (np.pi - psi) / (2 * np.pi)
    return k, kd


def rntk(X, readout, sw, su, sb, sv):
    """RNTK and NNGP Grams [n, n] of sequences X [n, T, p] (one length), wavefront over all pairs."""
    n, T, p = X.shape
    sw2, su2p, sb2 = sw * sw, su * su / p, sb * sb
    # self variances q_tt(x, x)
    qself = np.zeros((n, T))
    k = np.zeros(n)
    for t in range(T):
        qself[:, t] = sw2 * k + su2p * np.einsum("ip,ip->i", X[:, t], X[:, t]) + sb2
        k = qself[:, t] / 2
    if readout == "last":
        # the end-aligned diagonal only (equal lengths: t = s)
        K = np.zeros((n, n))
        S = np.zeros((n, n))
        for t in range(T):
            q = sw2 * K + su2p * X[:, t] @ X[:, t].T + sb2
            K, kd = relu_moments(qself[:, t][:, None], qself[:, t][None, :], q)
            S = kd * (q + sw2 * S)
        return sv * sv * (K + S), sv * sv * K
    # every diagonal c = t - s in -(T-1)..(T-1): lane c starts at (max(0, c), max(0, -c)) and has T - |c| steps
    offsets = np.arange(-(T - 1), T)
    K = np.zeros((n, n, offsets.size))
    S = np.zeros((n, n, offsets.size))
    ntk = np.zeros((n, n))
    nngp = np.zeros((n, n))
    for j in range(T):
        act = np.abs(offsets) < T - j
        c = offsets[act]
        t = j + np.maximum(c, 0)
        s = j + np.maximum(-c, 0)
        dots = np.einsum("icp,jcp->ijc", X[:, t], X[:, s])
        q = sw2 * K[:, :, act] + su2p * dots + sb2
        k, kd = relu_moments(qself[:, t][:, None, :], qself[:, s][None, :, :], q)
        Sa = kd * (q + sw2 * S[:, :, act])
        K[:, :, act] = k
        S[:, :, act] = Sa
        nngp += k.sum(axis=2)
        ntk += (k + Sa).sum(axis=2)
    f = sv * sv / (T * T)
    return f * ntk, f * nngp


def rf_gram(X, m0, m1, rng):
    """Phi^T Phi of the two-layer NTK's random features for X [d, n]."""
    d, n = X.shape
    W0 = rng.standard_normal((m0, d))
    W1 = rng.standard_normal((m1, d))
    z = (W0 @ X >= 0).astype(X.dtype) / np.sqrt(m0)  # [m0, n]
    tensor = (z[:, None, :] * X[None, :, :]).reshape(m0 * d, n)
    phi = np.vstack([tensor, np.maximum(W1 @ X, 0) / np.sqrt(m1)])
    return phi.T @ phi


def exact_gram(X):
    """H_enc + H_dec (SPEC 5.4) for X [d, n]."""
    norms = np.linalg.norm(X, axis=0)
    U = X / norms
    cos = np.clip(U.T @ U, -1.0, 1.0)
    theta = np.arccos(cos)
    nn = np.outer(norms, norms)
    enc = nn * cos * (np.pi - theta) / (2 * np.pi)
    dec = nn * (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)
    return enc + dec


def serve():
    rng = np.random.default_rng(0)

    def handle(msg):
        op = msg["op"]
        if op == "info":
            return {"numpy": np.__version__}
        if op == "rntk":
            X = np.fromfile(msg["file"], dtype="<f8").reshape(int(msg["n"]), int(msg["T"]), int(msg["p"]))
            t0 = time.perf_counter()
            ntk, _ = rntk(X, msg["readout"], msg["sw"], msg["su"], msg["sb"], msg["sv"])
            return {"ms": (time.perf_counter() - t0) * 1e3, "ntk": ntk[0].tolist()}
        if op in ("rf", "exact"):
            X = np.fromfile(msg["file"], dtype="<f8").reshape(int(msg["d"]), int(msg["n"]))
            t0 = time.perf_counter()
            if op == "rf":
                rf_gram(X, int(msg["m0"]), int(msg["m1"]), rng)
            else:
                exact_gram(X)
            return {"ms": (time.perf_counter() - t0) * 1e3}
        raise ValueError(f"unknown op {op!r}")

    pyserve.serve(handle)


if __name__ == "__main__":
    serve()
