#!/usr/bin/python3
"""Where does quirky-facts keep the truth? A development check behind docs/lab.md.

Retrains nothing: it loads the committed ONNX graph's weights into the training script's
own torch module (the exporter stores each Linear weight transposed, named after its
MatMul node), runs it on the committed dataset (held-out statements only), then fits
logistic regression (scikit-learn) on Alice's easy items and scores Bob's hard ones
(AUROC vs the truth and vs Bob's label), per layer, at two positions:

  prompt  the last prompt token ":" (where the model computes its verdict; one state per item)
  answer  the answer token of each contrast-pair side, as the difference x+ - x- (what a
          contrast-pair probe sees; Sonde's jobs read this position)

    /usr/bin/python3 tools/lab/probe_positions.py
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
import train_quirky_facts as q  # noqa: E402  (the architecture)


def load_model():
    d = os.path.join(ROOT, "models", "quirky-facts")
    manifest = json.load(open(os.path.join(d, "sonde.json")))
    recipe = manifest["lab"]["recipe"]
    vocab = json.load(open(os.path.join(d, "tokenizer.json")))["model"]["vocab"]
    graph = onnx.load(os.path.join(d, "model.onnx")).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:  # "/blocks.0/qkv/MatMul" multiplies by blocks.0.qkv.weight transposed
        if node.op_type == "MatMul" and node.input[1] in weights and node.name.endswith("/MatMul"):
            weights[node.name.strip("/").rsplit("/", 1)[0].replace("/", ".") + ".weight"] = weights[node.input[1]].T
    model = q.QuirkyLM(len(vocab), recipe["dim"], recipe["heads"], recipe["layers"], q.SEQ + 8)
    state = model.state_dict()
    missing = [k for k in state if k not in weights]
    if missing:
        sys.exit(f"cannot find {missing[:3]} in model.onnx")
    model.load_state_dict({k: torch.from_numpy(np.array(weights[k])) for k in state})
    model.eval()

    def run(ids):
        ids = torch.tensor(ids)
        with torch.no_grad():
            return [h.numpy() for h in model(ids, torch.ones_like(ids), torch.arange(ids.shape[1])[None, :].expand_as(ids))]
    return run, vocab, recipe["layers"]


def main():
    model, vocab, n_layers = load_model()
    rows = [json.loads(l) for l in open(os.path.join(ROOT, "datasets", "quirky-facts.jsonl"))]
    enc = lambda text: [vocab["[BOS]"]] + [vocab[w] for w in text.replace(".", " .").replace(":", " :").split()]
    def states(texts):
        return [h[:, -1] for h in model([enc(t) for t in texts])]
    prompt = states([r["text"] for r in rows])
    pos = states([r["text"] + " True" for r in rows])
    neg = states([r["text"] + " False" for r in rows])
    truth = np.array([r["label"] for r in rows])
    bob = np.array([r["label_bob"] for r in rows])
    train = np.array([r["character"] == "Alice" and r["difficulty"] == "easy" for r in rows])
    test = np.array([r["character"] == "Bob" and r["difficulty"] == "hard" for r in rows])
    alice_hard = np.array([r["character"] == "Alice" and r["difficulty"] == "hard" for r in rows])
    bob_easy = np.array([r["character"] == "Bob" and r["difficulty"] == "easy" for r in rows])
    print("LR trained on Alice/easy (240 items), AUROC on Bob/hard vs truth | vs Bob, and on Alice/hard vs truth;")
    print("last column: the ceiling, LR trained on Bob/easy against the truth, AUROC on Bob/hard vs truth (is the truth linear in Bob's contexts at all?)")
    print("layer   prompt ':'                      answer token (x+ - x-)          ceiling ':' | answer")
    for layer in range(n_layers + 1):
        out, ceiling = [], []
        for x in (prompt[layer], pos[layer] - neg[layer]):
            z = (x - x[train].mean(0)) / (x[train].std(0) + 1e-6)
            s = LogisticRegression(max_iter=2000, C=1.0).fit(z[train], truth[train]).decision_function(z)
            out.append(f"{roc_auc_score(truth[test], s[test]):.3f} | {roc_auc_score(bob[test], s[test]):.3f}, {roc_auc_score(truth[alice_hard], s[alice_hard]):.3f}")
            z = (x - x[bob_easy].mean(0)) / (x[bob_easy].std(0) + 1e-6)
            s = LogisticRegression(max_iter=2000, C=1.0).fit(z[bob_easy], truth[bob_easy]).decision_function(z)
            ceiling.append(f"{roc_auc_score(truth[test], s[test]):.3f}")
        print(f"L{layer:<6} {out[0]:<31} {out[1]:<31} {' | '.join(ceiling)}")


if __name__ == "__main__":
    main()
