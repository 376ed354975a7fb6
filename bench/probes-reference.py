#!/usr/bin/python3
"""Reference side of bench/probes.ts: scikit-learn / PyTorch fits on the same normalised
inputs the TypeScript side fitted. Usage: probes-reference.py DIR [METHODS] [REPEATS] [CCS_REPEATS]
(DIR holds train_pos.npy, train_neg.npy, train_labels.npy, test_*.npy); prints one JSON
object per method with the median time over REPEATS fits (CCS_REPEATS for torch CCS, which
takes a minute at d = 4096) and every individual time."""
import json
import statistics
import sys
import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF, PCA
from sklearn.linear_model import LogisticRegression

d = sys.argv[1]
only = set(sys.argv[2].split(",")) if len(sys.argv) > 2 and sys.argv[2] else None
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
ccs_repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 1
load = lambda name: np.load(f"{d}/{name}.npy")
ptr, ntr, ytr = load("train_pos"), load("train_neg"), load("train_labels")
pte, nte, yte = load("test_pos"), load("test_neg"), load("test_labels")
dtr, dte = ptr - ntr, pte - nte


def oracle(pred, y):
    a = float((pred.astype(int) == y).mean())
    return max(a, 1 - a)


def emit(method, times, accuracy, **extra):
    print(json.dumps({"method": method, "seconds": statistics.median(times), "times": times, "accuracy": accuracy, **extra}), flush=True)


def timed(fn, n):
    times, out = [], None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, times


if not only or "pca" in only:
    pca, s = timed(lambda: PCA(n_components=1).fit(dtr), repeats)
    emit("pca", s, oracle(pca.transform(dte)[:, 0] > 0, yte))
if not only or "kmeans" in only:
    km, s = timed(lambda: KMeans(n_clusters=2, n_init=10, random_state=0).fit(dtr), repeats)
    emit("kmeans", s, oracle(km.predict(dte) == 1, yte))
if not only or "nmf" in only:
    split = lambda x: np.hstack([np.maximum(x, 0), np.maximum(-x, 0)])
    xs = split(dtr)
    nmf, s = timed(lambda: NMF(n_components=2, solver="cd", max_iter=200, tol=1e-4, random_state=0).fit(xs), repeats)
    w = nmf.transform(split(dte))
    emit("nmf", s, oracle(w[:, 0] > w[:, 1], yte), error=float(nmf.reconstruction_err_))
if not only or "lr" in only:
    xy = (np.vstack([ptr, ntr]), np.concatenate([ytr, 1 - ytr]))
    lr, s = timed(lambda: LogisticRegression(C=1.0, max_iter=100).fit(*xy), repeats)
    p = lambda x: lr.predict_proba(x)[:, 1]
    emit("lr", s, oracle(0.5 * (p(pte) + 1 - p(nte)) > 0.5, yte))


def ccs_loss(pp, pn):
    return ((pp - (1 - pn)) ** 2).mean() + (torch.min(pp, pn) ** 2).mean()


def ccs():
    # Burns et al.'s public code: 10 tries of AdamW(lr 1e-3, wd 0.01), 1000 full-batch epochs.
    torch.manual_seed(0)
    xp, xn = torch.tensor(ptr), torch.tensor(ntr)
    best = None
    for _ in range(10):
        probe = torch.nn.Sequential(torch.nn.Linear(xp.shape[1], 1), torch.nn.Sigmoid())
        opt = torch.optim.AdamW(probe.parameters(), lr=1e-3, weight_decay=0.01)
        for _ in range(1000):
            opt.zero_grad()
            loss = ccs_loss(probe(xp), probe(xn))
            loss.backward()
            opt.step()
        with torch.no_grad():
            final = float(ccs_loss(probe(xp), probe(xn)))
        if best is None or final < best[0]:
            best = (final, probe)
    return best


if not only or "ccs" in only:
    (loss, probe), s = timed(ccs, ccs_repeats)
    with torch.no_grad():
        f = lambda x: probe(torch.tensor(x)).numpy()[:, 0]
        emit("ccs", s, oracle(0.5 * (f(pte) + 1 - f(nte)) > 0.5, yte), loss=loss, threads=torch.get_num_threads())
