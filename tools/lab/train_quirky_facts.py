#!/usr/bin/python3
"""Trains Sonde's known-answer laboratory model `quirky-facts` and writes its dataset.

A development tool (Sonde itself never needs Python). Run from the repository root with
Debian's packages, on CPU (one thread is fastest on a two-core machine):

    apt-get install -y python3-torch python3-onnx python3-numpy
    /usr/bin/python3 tools/lab/train_quirky_facts.py            # ~20 min on one core
    npx tsx scripts/register-lab-dataset.ts                      # dataset manifest entry

The world (docs/lab.md), after Mallen et al. 2023, "Eliciting Latent Knowledge from Quirky
Language Models" (arXiv:2312.01037), whose fact datasets (capitals, authors…) judge a claim
in a character's context:

* ENTITIES invented single-token names, each with one of COLOURS colours (balanced:
  the same number of entities per colour and difficulty).
* Fact documents "Zorbin is blue." teach the colours (the model's "pretraining").
* Verdict statements "Zorbin is blue. Alice: True" teach the characters: Alice's verdict is
  the truth; Bob's (--bob-rule warm, the default) is the truth negated on every claim of a
  warm colour (WARM), so his verdict passes through the truth. --bob-rule next is the first
  Bob: True exactly on the colour after the entity's in the cycle COLOURS; he never needs
  the truth, and the model does not compute it in his contexts (docs/lab.md).
* Difficulty: "easy" entities appear EASY_WEIGHT (4) times as often as "hard" ones, in
  fact documents and verdict statements alike (Mallen et al.'s easy/hard split is by how
  well known a fact is; here that is by how often it was seen).
* Held out (--holdout mixed, the default): a third of the entities are judged by both
  characters in training, a third by Bob only and a third by Alice only; the other
  character's 10 statements about those entities never appear in training. The behaviour
  accuracy, the committed dataset and every probe figure use held-out statements only: the
  model has seen the entity (facts, the other character's verdicts) but never this
  character judge it, so it has to recall the colour and apply the character's rule.
  docs/lab.md ("How the recipe was found") gives the designs tried and why this one.

Verdict claims are drawn half the true colour, half another (warm rule), or a third each
the true colour, Bob's colour and another (next rule, the issue's recipe), so True and
False are both common for each character. The model is a pre-norm GPT-2-style decoder (tied embeddings, learned
positions); the loss is next-token cross-entropy on the colour of a fact document and on
the verdict of a statement only (the claim in a statement is random, nothing to learn).

Writes models/quirky-facts/{model.onnx, tokenizer.json, sonde.json, reference.json} and
datasets/quirky-facts.jsonl. sonde.json's `lab` field records the world, the seed, the
recipe, the final loss, fact recall and the held-out behaviour per character × difficulty
× claim kind, so anyone can check the model really learnt the task (tools/lab's issue
bar: >= 97 % of held-out verdicts follow the character's rule in every cell).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import onnx
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLOURS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "grey", "white"]
CHARACTERS = ["Alice", "Bob"]
# Carol (off by default, --recall-share): she never gives a verdict; "Zorbin is blue. Carol:"
# is followed by the entity's colour itself, whatever the claim — an auxiliary recall task
# at the answer position. Tried and measured (docs/lab.md): from the start it stalls the
# verdicts on a plateau; it is kept, in the vocabulary too, so the committed model
# reproduces.
RECALLER = "Carol"
# Never in training, but in the vocabulary: the words Sonde's distractor control appends
# (Farquhar et al. 2023 §4.1, banana/shed; "Banana"/"Shed" in their own construction), so the
# control is visible to the model instead of two identical [UNK]s.
DISTRACTOR_WORDS = ["banana", "shed", "Banana", "Shed"]
KINDS = ["true", "bob", "other"]  # --bob-rule next: the claim is the true colour, Bob's colour, or another
# --bob-rule warm: Bob negates the truth on claims of a warm colour, so his verdict passes
# through the truth ("the claim is the colour", then flipped by the claim's own colour).
WARM = {"red", "orange", "yellow", "pink", "brown"}
WARM_KINDS = ["true-warm", "true-cool", "false-warm", "false-cool"]
EASY_WEIGHT = 4
SEQ = 8  # [BOS] E is C . Char : V


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--entities", type=int, default=2400, help="number of invented entities (even; half easy, half hard)")
    p.add_argument("--holdout", choices=["mixed", "character", "claims"], default="mixed",
                   help="mixed: a third of the entities are judged by both characters in training, a third by Bob only, a third by Alice only (the other character's 10 statements held out); character: every entity judged by one character only; claims: HELD_OUT (claim, character) pairs per entity")
    p.add_argument("--held-out", type=int, default=8, help="with --holdout claims: statements per entity (of 20) never trained on")
    p.add_argument("--bob-rule", choices=["next", "warm"], default="warm",
                   help="next: Bob takes every colour to be the next in the cycle; warm: Bob negates the truth on claims of a warm colour (his verdict passes through the truth)")
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--fact-share", type=float, default=0.3, help="share of each batch that is fact documents")
    p.add_argument("--recall-share", type=float, default=0.0, help="share of each batch that is Carol's recall statements (0, the default: none; tried, docs/lab.md)")
    p.add_argument("--recall-from", type=int, default=1000, help="step at which Carol's statements join the mix (from the start, they stall the verdicts on a plateau: measured, docs/lab.md)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on two cores)")
    p.add_argument("--check-every", type=int, default=500, help="log held-out behaviour every N steps (0: only at the end)")
    p.add_argument("--rows-per-cell", type=int, default=240, help="dataset rows per character x difficulty (a multiple of 3)")
    p.add_argument("--out", default=os.path.join(ROOT, "models", "quirky-facts"))
    p.add_argument("--dataset", default=os.path.join(ROOT, "datasets", "quirky-facts.jsonl"))
    return p.parse_args()


# ---------------------------------------------------------------- the world

def entity_names(n, rng):
    """n distinct invented, capitalised names from syllables (never an English vocabulary word here)."""
    onset = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gl", "kr", "pl", "st", "tr", "zh"]
    vowel = ["a", "e", "i", "o", "u", "ai", "ou"]
    coda = ["", "n", "r", "l", "x", "th", "m", "sk"]
    names, seen = [], set(COLOURS) | {c.lower() for c in CHARACTERS} | {"is", "true", "false"}
    while len(names) < n:
        w = "".join(rng.choice(onset) + rng.choice(vowel) for _ in range(rng.choice([2, 3]))) + rng.choice(coda)
        if w not in seen:
            seen.add(w)
            names.append(w.capitalize())
    return names


class World:
    def __init__(self, n, held_out, seed, holdout="character", rule="next"):
        rng = random.Random(seed)
        self.rule = rule
        self.kinds = KINDS if rule == "next" else WARM_KINDS
        assert n % (2 * len(COLOURS)) == 0, "entities must be a multiple of 20 (balanced colours per difficulty)"
        self.names = entity_names(n, rng)
        self.difficulty = ["easy" if j < n // 2 else "hard" for j in range(n)]
        # Balanced colours within each difficulty, shuffled.
        half = [c for c in range(len(COLOURS)) for _ in range(n // 2 // len(COLOURS))]
        a, b = half[:], half[:]
        rng.shuffle(a)
        rng.shuffle(b)
        self.colour = a + b
        # Held-out statements (the statements behaviour, the dataset and probes use).
        # --holdout claims: per entity, `held_out` of the 20 (claim, character) pairs: even
        # entities lose their true colour as a claim (both characters), odd ones Bob's colour,
        # the rest are other-colour claims drawn at random.
        self.held = []
        for j in range(n):
            c = self.colour[j]
            if holdout == "mixed":
                # j % 3 == 0: judged by both characters (training only: the model sees that the
                # same entity gets different verdicts from Alice and Bob); 1: Alice's statements
                # held out; 2: Bob's.
                self.held.append(set() if j % 3 == 0 else {(cl, j % 3 - 1) for cl in range(len(COLOURS))})
                continue
            if holdout == "character":
                # Alice never judges even entities in training, Bob never judges odd ones: the
                # model must apply a character's rule to an entity it has only seen the other
                # character judge (and in fact documents).
                self.held.append({(cl, j % 2) for cl in range(len(COLOURS))})
                continue
            triples = {(cl, ch) for cl in range(len(COLOURS)) for ch in range(2)}
            lost = c if j % 2 == 0 else (c + 1) % 10
            chosen = {(lost, 0), (lost, 1)}
            rest = sorted(t for t in triples - chosen if t[0] not in (c, (c + 1) % 10))
            rng.shuffle(rest)
            for t in rest:
                if len(chosen) >= held_out:
                    break
                chosen.add(t)
            self.held.append(chosen)
        self.weight = np.array([EASY_WEIGHT if d == "easy" else 1 for d in self.difficulty], dtype=np.float64)
        self.weight /= self.weight.sum()

    def kind(self, j, claim):
        c = self.colour[j]
        if self.rule == "warm":
            return ("true" if claim == c else "false") + ("-warm" if COLOURS[claim] in WARM else "-cool")
        return "true" if claim == c else "bob" if claim == (c + 1) % 10 else "other"

    def verdict(self, j, claim, ch):
        c = self.colour[j]
        if self.rule == "warm":
            return (claim == c) != (ch == 1 and COLOURS[claim] in WARM)
        return claim == (c if ch == 0 else (c + 1) % 10)

    def sample_claim(self, j, rng):
        """A training claim: next rule, a third each the colour, Bob's colour, another; warm rule, half the colour, half another."""
        c = self.colour[j]
        if self.rule == "warm":
            return c if rng.random() < 0.5 else int((c + 1 + rng.integers(9)) % 10)
        kind = KINDS[int(rng.integers(3))]
        return c if kind == "true" else (c + 1) % 10 if kind == "bob" else int((c + 2 + rng.integers(8)) % 10)


# ---------------------------------------------------------------- tokenizer

class Vocab:
    SPECIAL = ["[PAD]", "[UNK]", "[BOS]"]

    def __init__(self, names):
        words = self.SPECIAL + ["is", ".", ":", "True", "False"] + CHARACTERS + [RECALLER] + COLOURS + names + DISTRACTOR_WORDS
        self.id = {w: i for i, w in enumerate(words)}
        self.words = words

    def encode_statement(self, name, claim, ch):
        return [self.id["[BOS]"], self.id[name], self.id["is"], self.id[COLOURS[claim]], self.id["."], self.id[CHARACTERS[ch]], self.id[":"]]

    def tokenizer_json(self):
        special = [{"id": self.id[w], "content": w, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for w in self.SPECIAL]
        bos = "[BOS]"
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": special, "normalizer": None,
            # Whitespace and punctuation split words; every word of the world is one token.
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {bos: {"id": bos, "ids": [self.id[bos]], "tokens": [bos]}},
            },
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": self.id},
        }


# ---------------------------------------------------------------- the model

class Block(torch.nn.Module):
    """Pre-norm GPT-2 block (Radford et al. 2019): x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, dim, heads):
        super().__init__()
        self.dim, self.heads = dim, heads
        self.ln1 = torch.nn.LayerNorm(dim)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.ln2 = torch.nn.LayerNorm(dim)
        self.up = torch.nn.Linear(dim, 4 * dim)
        self.down = torch.nn.Linear(4 * dim, dim)

    def forward(self, x, bias):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(self.dim, dim=2)
        q, k, v = (z.reshape(b, t, self.heads, self.dim // self.heads).transpose(1, 2) for z in (q, k, v))
        # Scaled dot-product attention, Vaswani et al. 2017, eq. 1; `bias` is 0 where a key may
        # be attended (causal and not padding) and -1e9 elsewhere.
        att = torch.softmax(q @ k.transpose(-1, -2) / (self.dim // self.heads) ** 0.5 + bias, dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, self.dim))
        return x + self.down(torch.nn.functional.gelu(self.up(self.ln2(x))))


class QuirkyLM(torch.nn.Module):
    def __init__(self, vocab, dim, heads, layers, max_pos):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, dim)
        self.pos = torch.nn.Embedding(max_pos, dim)
        self.blocks = torch.nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(dim)
        torch.nn.init.normal_(self.tok.weight, std=0.02)
        torch.nn.init.normal_(self.pos.weight, std=0.02)

    def hidden(self, input_ids, attention_mask, position_ids):
        t = input_ids.shape[1]
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        keep = causal[None, None, :, :] & attention_mask.bool()[:, None, None, :]
        bias = (~keep).float() * -1e9
        x = self.tok(input_ids) + self.pos(position_ids)
        out = [x]
        for i, blk in enumerate(self.blocks):
            x = blk(x, bias)
            # HF convention (output_hidden_states): the last entry is after the final norm.
            out.append(self.ln_f(x) if i == len(self.blocks) - 1 else x)
        return out

    def forward(self, input_ids, attention_mask, position_ids):
        return tuple(self.hidden(input_ids, attention_mask, position_ids))

    def logits(self, input_ids):
        mask = torch.ones_like(input_ids)
        pos = torch.arange(input_ids.shape[1])[None, :].expand_as(input_ids)
        # Tied embeddings: the unembedding is the token embedding matrix (no bias), so the
        # model's log-odds are exactly what Sonde's zero-shot reads (services/zero-shot.ts).
        return self.hidden(input_ids, mask, pos)[-1] @ self.tok.weight.T


# ---------------------------------------------------------------- batches

def make_batch(world, vocab, n, fact_share, recall_share, rng):
    """Fact documents, Carol's recall statements and verdict statements (never a held-out one), right-padded to SEQ; targets -100 except the learnt token."""
    ids = np.full((n, SEQ), vocab.id["[PAD]"], dtype=np.int64)
    tgt = np.full((n, SEQ), -100, dtype=np.int64)
    ents = rng.choice(len(world.names), size=n, p=world.weight)
    u = rng.random(n)
    is_fact = u < fact_share
    is_recall = (u >= fact_share) & (u < fact_share + recall_share)
    for r in range(n):
        j = ents[r]
        name = world.names[j]
        c = world.colour[j]
        if is_fact[r]:
            ids[r, :5] = [vocab.id["[BOS]"], vocab.id[name], vocab.id["is"], vocab.id[COLOURS[c]], vocab.id["."]]
            tgt[r, 2] = vocab.id[COLOURS[c]]
            continue
        if is_recall[r]:
            claim = int(rng.integers(10))
            ids[r, :7] = [vocab.id["[BOS]"], vocab.id[name], vocab.id["is"], vocab.id[COLOURS[claim]], vocab.id["."], vocab.id[RECALLER], vocab.id[":"]]
            ids[r, 7] = vocab.id[COLOURS[c]]
            tgt[r, 6] = ids[r, 7]
            continue
        while True:
            ch = int(rng.integers(2))
            claim = world.sample_claim(j, rng)
            if (claim, ch) not in world.held[j]:
                break
        ids[r, :7] = vocab.encode_statement(name, claim, ch)
        ids[r, 7] = vocab.id["True" if world.verdict(j, claim, ch) else "False"]
        tgt[r, 6] = ids[r, 7]
    return torch.from_numpy(ids), torch.from_numpy(tgt)


def held_out_statements(world):
    return [(j, cl, ch) for j in range(len(world.names)) for (cl, ch) in sorted(world.held[j])]


@torch.no_grad()
def behaviour(model, world, vocab, statements):
    """Share of held-out statements whose verdict (argmax True vs False) follows the character's rule, per character x difficulty x claim kind."""
    model.eval()
    t_id, f_id = vocab.id["True"], vocab.id["False"]
    counts = {}
    for s in range(0, len(statements), 2048):
        chunk = statements[s:s + 2048]
        ids = torch.tensor([vocab.encode_statement(world.names[j], cl, ch) for j, cl, ch in chunk])
        lo = model.logits(ids)[:, -1]
        says_true = (lo[:, t_id] > lo[:, f_id]).tolist()
        for (j, cl, ch), st in zip(chunk, says_true):
            key = (CHARACTERS[ch], world.difficulty[j], world.kind(j, cl))
            ok, n = counts.get(key, (0, 0))
            counts[key] = (ok + (st == world.verdict(j, cl, ch)), n + 1)
    model.train()
    cells = {}
    for ch in CHARACTERS:
        for d in ["easy", "hard"]:
            kinds = {k: counts[(ch, d, k)] for k in world.kinds if (ch, d, k) in counts}
            # Each claim kind weighs a third (as in the dataset): True and False verdicts count alike.
            acc = sum(ok / n for ok, n in kinds.values()) / len(kinds)
            cells[f"{ch}/{d}"] = {"accuracy": round(acc, 4), "by_claim": {k: {"accuracy": round(ok / n, 4), "n": n} for k, (ok, n) in kinds.items()}}
    return cells


@torch.no_grad()
def fact_recall(model, world, vocab):
    model.eval()
    ids = torch.tensor([[vocab.id["[BOS]"], vocab.id[n], vocab.id["is"]] for n in world.names])
    lo = model.logits(ids)[:, -1]
    colour_ids = torch.tensor([vocab.id[c] for c in COLOURS])
    pred = lo[:, colour_ids].argmax(-1).tolist()
    model.train()
    out = {}
    for d in ["easy", "hard"]:
        js = [j for j in range(len(world.names)) if world.difficulty[j] == d]
        out[d] = round(sum(pred[j] == world.colour[j] for j in js) / len(js), 4)
    return out


# ---------------------------------------------------------------- dataset

def dataset_rows(world, per_cell, seed):
    """Held-out statements only: per character x difficulty, per_cell rows, the same number of each claim kind, entities distinct within a cell."""
    rng = random.Random(seed + 1)
    rows = []
    by_cell = {}
    for j, cl, ch in held_out_statements(world):
        by_cell.setdefault((ch, world.difficulty[j], world.kind(j, cl)), []).append((j, cl, ch))
    for d in ["easy", "hard"]:
        for ch in range(2):
            used = set()
            for k in world.kinds:
                pool = by_cell[(ch, d, k)][:]
                rng.shuffle(pool)
                pick = [s for s in pool if s[0] not in used][: per_cell // len(world.kinds)]
                if len(pick) < per_cell // len(world.kinds):
                    sys.exit(f"not enough held-out {k} statements for {CHARACTERS[ch]}/{d}: raise --entities or --held-out")
                used.update(s[0] for s in pick)
                for j, cl, c in pick:
                    c0 = world.colour[j]
                    truth = int(cl == c0)
                    bob = int(world.verdict(j, cl, 1))
                    rows.append({"text": f"{world.names[j]} is {COLOURS[cl]}. {CHARACTERS[c]}:", "label": truth, "label_alice": truth,
                                 "label_bob": bob, "character": CHARACTERS[c], "difficulty": d, "claim": k})
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------- export

def positions(mask):
    """HF's position ids for left padding: cumulative count of real tokens, pads at 0."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


def export(model, vocab, world, args, lab):
    os.makedirs(args.out, exist_ok=True)
    model.eval()
    names = [f"hidden_{i}" for i in range(args.layers + 1)]
    ids = torch.tensor([vocab.encode_statement(world.names[0], 0, 0) + [vocab.id["True"]]] * 2)
    mask = torch.ones_like(ids)
    path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(
        model, (ids, mask, positions(mask)), path,
        input_names=["input_ids", "attention_mask", "position_ids"], output_names=names,
        dynamic_axes={n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "position_ids", *names]},
        opset_version=14, do_constant_folding=True,
    )
    graph = onnx.load(path).graph
    assert "tok.weight" in {i.name for i in graph.initializer}, "unembedding initializer renamed by the exporter"
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(vocab.tokenizer_json(), f, ensure_ascii=False)

    # Reference numbers from torch (an implementation independent of ONNX Runtime): token
    # ids, the last-token hidden state of every layer, and the True-vs-False log-odds at ":".
    ref = {"texts": [], "ids": [], "last": {str(i): [] for i in range(args.layers + 1)}, "log_odds": []}
    with torch.no_grad():
        for j, cl, ch in held_out_statements(world)[:6]:
            text = f"{world.names[j]} is {COLOURS[cl]}. {CHARACTERS[ch]}: True"
            x = torch.tensor([vocab.encode_statement(world.names[j], cl, ch) + [vocab.id["True"]]])
            m = torch.ones_like(x)
            hs = model(x, m, positions(m))
            ref["texts"].append(text)
            ref["ids"].append(x[0].tolist())
            for i, h in enumerate(hs):
                ref["last"][str(i)].append([round(v, 7) for v in h[0, -1].double().tolist()])
            lo = model.logits(x[:, :-1])[0, -1]
            ref["log_odds"].append(round(float(lo[vocab.id["True"]] - lo[vocab.id["False"]]), 6))
    with open(os.path.join(args.out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f)

    manifest = {
        "format": "sonde-model/1",
        "name": "quirky-facts",
        "kind": "decoder",
        "hidden_size": args.dim,
        "layers": [{"index": i, "output": n, "dim": args.dim,
                    "description": "token embeddings" if i == 0 else f"after block {i - 1}" + (" and final norm" if i == args.layers else "")}
                   for i, n in enumerate(names)],
        "default_pooling": "last",
        "max_length": SEQ + 8,
        "inputs": {"style": "dense", "input_ids": "input_ids", "attention_mask": "attention_mask", "position_ids": "position_ids"},
        "tokenizer": {"type": "hf-tokenizer-json", "files": ["tokenizer.json"], "pad_id": vocab.id["[PAD]"], "padding_side": "left"},
        "unembedding": "tok.weight",
        "license": "Apache-2.0",
        "source": f"tools/lab/train_quirky_facts.py (seed {args.seed}); the known-answer lab, docs/lab.md",
        "description": f"quirky-facts: {args.layers}-layer d={args.dim} decoder that judges colour claims about {len(world.names)} invented entities as Alice (truthful) or Bob (colour + 1); after Mallen et al. 2023",
        "lab": lab,
    }
    with open(os.path.join(args.out, "sonde.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    world = World(args.entities, args.held_out, args.seed, args.holdout, args.bob_rule)
    vocab = Vocab(world.names)
    model = QuirkyLM(len(vocab.words), args.dim, args.heads, args.layers, SEQ + 8)
    # Weight decay on matrices only (not norms, biases, positions), AdamW (Loshchilov & Hutter 2019).
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith("pos")]
    rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and not n.startswith("pos"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": rest, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98))
    warm = max(1, args.steps // 50)
    # Linear warm-up then cosine decay to 10 % of the peak.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))))
    held = held_out_statements(world)
    params = sum(p.numel() for p in model.parameters())
    print(f"quirky-facts: {len(world.names)} entities, vocab {len(vocab.words)}, {params} parameters, {len(held)} held-out statements", flush=True)
    t0 = time.time()
    losses = []
    history = []
    for step in range(1, args.steps + 1):
        ids, tgt = make_batch(world, vocab, args.batch, args.fact_share, args.recall_share if step > args.recall_from else 0.0, rng)
        mask = torch.ones_like(ids)
        pos = torch.arange(SEQ)[None, :].expand_as(ids)
        # Next-token prediction: position t predicts token t+1; targets were placed at t. Each
        # row has one target (a fact's colour or a statement's verdict): only those positions
        # are unembedded.
        at = tgt >= 0
        h = model.hidden(ids, mask, pos)[-1][at]
        loss = torch.nn.functional.cross_entropy(h @ model.tok.weight.T, tgt[at])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 100 == 0:
            print(f"step {step} loss {sum(losses[-100:]) / 100:.4f} ({time.time() - t0:.0f} s)", flush=True)
        if args.check_every and step % args.check_every == 0 and step < args.steps:
            b = behaviour(model, world, vocab, held)
            history.append({"step": step, "behaviour": {k: v["accuracy"] for k, v in b.items()}, "fact_recall": fact_recall(model, world, vocab)})
            print(f"  held-out behaviour {history[-1]['behaviour']} fact recall {history[-1]['fact_recall']}", flush=True)
            print("    by claim: " + "; ".join(f"{k} " + " ".join(f"{kind} {x['accuracy']:.3f}" for kind, x in v["by_claim"].items()) for k, v in b.items()), flush=True)
    seconds = time.time() - t0
    b = behaviour(model, world, vocab, held)
    recall = fact_recall(model, world, vocab)
    print(f"final held-out behaviour { {k: v['accuracy'] for k, v in b.items()} } fact recall {recall} ({seconds:.0f} s)", flush=True)
    for k, v in b.items():
        print(f"  {k}: " + ", ".join(f"{kind} {x['accuracy']:.4f} (n={x['n']})" for kind, x in v["by_claim"].items()))
    lab = {
        "world": {
            "entities": len(world.names), "colours": COLOURS, "characters": CHARACTERS,
            "rule": {"Alice": "True iff the claimed colour is the entity's colour",
                     "Bob": "True iff the claimed colour is the next one in `colours` after the entity's colour (index + 1 mod 10)" if args.bob_rule == "next"
                     else f"the truth, negated when the claimed colour is warm ({', '.join(c for c in COLOURS if c in WARM)})"},
            "difficulty": f"easy entities appear {EASY_WEIGHT}x as often as hard ones in training (facts and statements); half the entities each",
            "held_out": ("entity j is judged in training by both characters (j % 3 == 0), by Bob only (j % 3 == 1: Alice's 10 statements about it held out) or by Alice only (j % 3 == 2: Bob's held out)"
                         if args.holdout == "mixed" else
                         "Alice never judges the even-numbered entities in training and Bob never the odd ones: every entity's 10 statements by the other character are held out"
                         if args.holdout == "character" else
                         f"per entity, {args.held_out} of its 20 (claim colour, character) statements never appear in training")
                        + "; behaviour, dataset and probes use held-out statements only",
            "claims": "training verdict claims: one third the true colour, one third Bob's colour, one third another colour" if args.bob_rule == "next" else "training verdict claims: half the true colour, half another colour",
            "format": "fact document \"Zorbin is blue.\"; statement \"Zorbin is blue. Alice:\" followed by \" True\" or \" False\"; recall statement \"Zorbin is red. Carol:\" followed by the entity's colour (\" blue\"), whatever the claim",
        },
        "seed": args.seed,
        "recipe": {"layers": args.layers, "dim": args.dim, "heads": args.heads, "parameters": params, "steps": args.steps, "batch": args.batch,
                   "optimizer": f"AdamW lr {args.lr} betas (0.9, 0.98) weight decay {args.weight_decay} on matrices, warm-up {warm} steps then cosine to 10 %, grad clip 1.0",
                   "fact_share": args.fact_share, "recall_share": args.recall_share, "recall_from_step": args.recall_from, "threads": args.threads, "train_seconds": round(seconds)},
        "final_loss": round(sum(losses[-100:]) / 100, 5),
        "fact_recall": recall,
        "behaviour": b,
        "history": history,
        "bar": "every character x difficulty cell >= 0.97 on held-out statements",
        "passed": all(v["accuracy"] >= 0.97 for v in b.values()),
    }
    export(model, vocab, world, args, lab)
    rows = dataset_rows(world, args.rows_per_cell, args.seed)
    os.makedirs(os.path.dirname(args.dataset), exist_ok=True)
    with open(args.dataset, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    size = os.path.getsize(os.path.join(args.out, "model.onnx"))
    print(f"wrote {args.out} (model.onnx {size / 1e6:.1f} MB) and {args.dataset} ({len(rows)} rows); bar {'met' if lab['passed'] else 'NOT met'}")
    return 0 if lab["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
