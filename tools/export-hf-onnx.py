#!/usr/bin/env python3
"""Export a Hugging Face causal LM or encoder to a Sonde model directory (docs/models.md).

Run it where PyTorch and transformers are installed (Sonde itself needs neither):

    python3 tools/export-hf-onnx.py --model gpt2 --out models/gpt2
    python3 tools/export-hf-onnx.py --model meta-llama/Llama-3.2-1B --out models/llama-1b
    python3 tools/export-hf-onnx.py --model bert-base-uncased --out models/bert --kind encoder
    npx sonde models add models/gpt2

--model is a hub id or a local directory (from_pretrained). For tests without weights,
--random-config CONFIG.json builds a randomly initialised model from a config file and
--tokenizer DIR takes the tokenizer from another directory (e.g. Sonde's tiny fixture).

What it writes into --out:
  model.onnx (+ model.onnx.data when over ~1.8 GB)  graph with inputs input_ids,
      attention_mask (and position_ids for decoders) [batch, seq] int64 and outputs
      hidden_0..hidden_L [batch, seq, dim]: the model's own output_hidden_states (hidden_0
      = embeddings, hidden_L after the final norm, as Hugging Face defines them)
  tokenizer.json (+ tokenizer_config.json, special_tokens_map.json)
  sonde.json      kind, layers → outputs, default pooling (decoder: last, encoder: mean),
      padding side (decoder: left), pad id, max length, unembedding initializer when found
It then checks the ONNX graph against PyTorch on a few left/right-padded texts when the
`onnxruntime` Python package is present.

The exporter is TorchScript's (dynamo=False), which keeps module-scoped node names such as
/model/layers.5/Add_1_output_0 (useful to `sonde models expose-layers`); if it fails on a
newer architecture the script retries with the dynamo exporter.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

try:
    import transformers
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer
except ImportError:  # pragma: no cover - explained to the user
    sys.exit("export-hf-onnx.py needs transformers: pip install transformers")

CHECK_TEXTS = ["The movie was great.", "A tedious, overlong mess that never finds its footing.", "Paris"]
EXTERNAL_DATA_BYTES = 1_800_000_000  # protobuf's hard limit is 2 GiB per file


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="hub id or local directory for from_pretrained")
    p.add_argument("--random-config", help="config.json: build a randomly initialised model instead (tests)")
    p.add_argument("--tokenizer", help="directory or hub id of the tokenizer (default: --model)")
    p.add_argument("--out", required=True, help="output model directory (created)")
    p.add_argument("--name", help="model name in sonde.json (default: last part of --model or --out)")
    p.add_argument("--kind", choices=["auto", "decoder", "encoder"], default="auto")
    p.add_argument("--dtype", choices=["float32", "float16"], default="float32",
                   help="weights and activations precision (float16 is for CUDA; CPU runs float32 best)")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--external-data", action="store_true",
                   help="always keep the weights in model.onnx.data (automatic above ~1.8 GB)")
    p.add_argument("--seed", type=int, default=0, help="torch seed for --random-config")
    p.add_argument("--license", default="unknown", help="SPDX id of the weights' licence, recorded in sonde.json")
    p.add_argument("--no-check", action="store_true", help="skip the onnxruntime-vs-torch check")
    p.add_argument("--save-check", action="store_true",
                   help="also write check.json: torch's last-token hidden states of a few texts run singly (to compare Sonde's extraction with)")
    a = p.parse_args()
    if bool(a.model) == bool(a.random_config):
        p.error("give exactly one of --model or --random-config")
    if a.random_config and not a.tokenizer:
        p.error("--random-config needs --tokenizer DIR")
    return a


def detect_kind(config, kind):
    if kind != "auto":
        return kind
    arch = " ".join(getattr(config, "architectures", None) or [])
    causal = "CausalLM" in arch or "LMHeadModel" in arch or config.model_type in {"gpt2", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "phi", "phi3", "gemma", "gemma2", "opt", "falcon", "gptj"}
    return "decoder" if causal else "encoder"


def load_model(a):
    """(config, model used for export, full LM or None, tokenizer, kind)."""
    if a.random_config:
        torch.manual_seed(a.seed)
        config = AutoConfig.for_model(**json.load(open(a.random_config)))
    else:
        config = AutoConfig.from_pretrained(a.model)
    kind = detect_kind(config, a.kind)
    dtype = torch.float16 if a.dtype == "float16" else torch.float32
    # Eager attention traces into plain ONNX ops (no fused SDPA kernels to special-case).
    kw = {"attn_implementation": "eager"}
    # transformers 5 renamed from_pretrained's torch_dtype to dtype.
    load = {**kw, ("dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"): dtype}
    if kind == "decoder":
        lm = (AutoModelForCausalLM.from_config(config, **kw) if a.random_config
              else AutoModelForCausalLM.from_pretrained(a.model, **load))
        body = lm.base_model  # the transformer without the LM head: no logits computed
    else:
        lm = None
        body = AutoModel.from_config(config, **kw) if a.random_config else AutoModel.from_pretrained(a.model, **load)
    body = body.to(dtype).eval()
    tok_src = a.tokenizer or a.model
    if os.path.isfile(os.path.join(tok_src, "tokenizer.json")) and not os.path.isfile(os.path.join(tok_src, "tokenizer_config.json")):
        # A bare tokenizer.json (no config telling AutoTokenizer which class): load it as is.
        tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(tok_src, "tokenizer.json"))
    else:
        tokenizer = AutoTokenizer.from_pretrained(tok_src)
    if not getattr(tokenizer, "is_fast", False):
        sys.exit("Sonde reads tokenizer.json: this model has only a slow (Python) tokenizer")
    return config, body, lm, tokenizer, kind


class HiddenStates(torch.nn.Module):
    """Returns every hidden state as its own output, so each gets a stable graph name."""

    def __init__(self, body, kind):
        super().__init__()
        self.body, self.kind = body, kind

    def forward(self, input_ids, attention_mask, position_ids=None):
        kw = {"input_ids": input_ids, "attention_mask": attention_mask, "output_hidden_states": True, "return_dict": True}
        if self.kind == "decoder":
            kw.update(position_ids=position_ids, use_cache=False)
        return tuple(self.body(**kw).hidden_states)


def positions(mask):
    """Position ids for left padding (as HF generate computes them): real tokens count from 0."""
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


def batch(tokenizer, texts, side):
    ids = [tokenizer(t)["input_ids"] for t in texts]
    seq = max(map(len, ids))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out_ids, mask = [], []
    for s in ids:
        fill = [pad] * (seq - len(s))
        out_ids.append(fill + s if side == "left" else s + fill)
        m = [0] * (seq - len(s)) if side == "left" else []
        mask.append(m + [1] * len(s) + ([] if side == "left" else [0] * (seq - len(s))))
    return torch.tensor(out_ids), torch.tensor(mask)


def export(wrapper, kind, n_outputs, tokenizer, path, opset):
    ids, mask = batch(tokenizer, CHECK_TEXTS[:2], "left" if kind == "decoder" else "right")
    args = (ids, mask, positions(mask)) if kind == "decoder" else (ids, mask)
    inputs = ["input_ids", "attention_mask"] + (["position_ids"] if kind == "decoder" else [])
    outputs = [f"hidden_{i}" for i in range(n_outputs)]
    axes = {n: {0: "batch", 1: "seq"} for n in inputs + outputs}
    try:
        torch.onnx.export(wrapper, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True, dynamo=False)
    except Exception as e:  # newer architectures may only trace with the dynamo exporter
        print(f"TorchScript export failed ({type(e).__name__}: {str(e).splitlines()[0][:200]}); retrying with dynamo=True", file=sys.stderr)
        batch_dim, seq_dim = torch.export.Dim("batch"), torch.export.Dim("seq")
        shapes = tuple({0: batch_dim, 1: seq_dim} for _ in inputs)
        torch.onnx.export(wrapper, args, path, input_names=inputs, output_names=outputs, dynamic_shapes=shapes,
                          opset_version=max(opset, 18), dynamo=True, external_data=True)
    return inputs, outputs


def finish_graph(tmp_path, out_dir, lm, force_external=False):
    """Re-saves the graph into out_dir (one external-data file when large) and finds or adds the unembedding."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(tmp_path, load_external_data=True)
    unembedding = None
    if lm is not None and lm.get_output_embeddings() is not None:
        w = lm.get_output_embeddings().weight.detach().float().cpu().numpy()
        for init in model.graph.initializer:
            if tuple(init.dims) == w.shape and np.array_equal(numpy_helper.to_array(init).astype(np.float32), w):
                unembedding = init.name  # tied embeddings (GPT-2): already in the graph
                break
        if unembedding is None:
            # Untied head (Llama): keep it in the file, unused by the graph, for logit-lens tools.
            tensor = numpy_helper.from_array(w.astype(np.float16 if init_dtype(model) == "float16" else np.float32), "unembedding")
            model.graph.initializer.append(tensor)
            unembedding = "unembedding"
    big = force_external or model.ByteSize() > EXTERNAL_DATA_BYTES
    onnx.save_model(model, os.path.join(out_dir, "model.onnx"), save_as_external_data=big,
                    all_tensors_to_one_file=True, location="model.onnx.data")
    return unembedding, ["model.onnx.data"] if big else []


def init_dtype(model):
    from onnx import TensorProto
    return "float16" if any(i.data_type == TensorProto.FLOAT16 for i in model.graph.initializer) else "float32"


def check(out_dir, wrapper, tokenizer, kind, outputs, half=False):
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime (Python) not installed: skipped the ONNX-vs-torch check")
        return
    sess = ort.InferenceSession(os.path.join(out_dir, "model.onnx"), providers=["CPUExecutionProvider"])
    for side in ("left", "right"):
        ids, mask = batch(tokenizer, CHECK_TEXTS, side)
        feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
        args = [ids, mask]
        if kind == "decoder":
            feeds["position_ids"] = positions(mask).numpy()
            args.append(positions(mask))
        got = sess.run(outputs, feeds)
        with torch.no_grad():
            want = [h.float().numpy() for h in wrapper(*args)]
        m = mask.numpy().astype(bool)
        worst = max(float(np.abs(g[m] - w[m]).max()) for g, w in zip(got, want))
        print(f"check ({side} padding): max |onnx - torch| over real tokens = {worst:.2e}")
        # float16 keeps ~3 significant digits; both sides round differently.
        if worst > (3e-2 if half else 1e-3) * max(1.0, max(float(np.abs(w[m]).max()) for w in want)):
            sys.exit("ONNX graph disagrees with PyTorch: do not use this export")


def save_check(out_dir, wrapper, tokenizer, kind):
    """torch's last-token and mean hidden states of CHECK_TEXTS, each run alone (no padding)."""
    result = {"texts": CHECK_TEXTS, "ids": [], "last": [], "mean": []}
    with torch.no_grad():
        for t in CHECK_TEXTS:
            ids = torch.tensor([tokenizer(t)["input_ids"]])
            mask = torch.ones_like(ids)
            hs = wrapper(ids, mask, positions(mask)) if kind == "decoder" else wrapper(ids, mask)
            result["ids"].append(ids[0].tolist())
            result["last"].append([h[0, -1].float().tolist() for h in hs])
            result["mean"].append([h[0].float().mean(0).tolist() for h in hs])
    with open(os.path.join(out_dir, "check.json"), "w") as f:
        json.dump(result, f)


def main():
    a = parse_args()
    config, body, lm, tokenizer, kind = load_model(a)
    n_layers = config.num_hidden_layers if hasattr(config, "num_hidden_layers") else config.n_layer
    hidden = config.hidden_size if hasattr(config, "hidden_size") else config.n_embd
    os.makedirs(a.out, exist_ok=True)
    wrapper = HiddenStates(body, kind).eval()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = os.path.join(tmp, "model.onnx")
        with torch.no_grad():
            inputs, outputs = export(wrapper, kind, n_layers + 1, tokenizer, tmp_path, a.opset)
        unembedding, external = finish_graph(tmp_path, a.out, lm, a.external_data)
    tokenizer.save_pretrained(a.out)
    files = [f for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json") if os.path.exists(os.path.join(a.out, f))]
    if "tokenizer.json" not in files:
        sys.exit("the tokenizer did not save a tokenizer.json")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    max_len = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    source = f"random weights from {os.path.basename(a.random_config)} (seed {a.seed})" if a.random_config else f"Hugging Face {a.model}"
    manifest = {
        "format": "sonde-model/1",
        "name": a.name or os.path.basename(os.path.normpath(a.model or a.out)),
        "kind": kind,
        "hidden_size": hidden,
        "layers": [{"index": i, "output": o, "dim": hidden,
                    "description": "embeddings" if i == 0 else f"hidden state after block {i - 1}" + (" (last_hidden_state: after the final norm where the model has one)" if i == n_layers else "")}
                   for i, o in enumerate(outputs)],
        "default_pooling": "last" if kind == "decoder" else "mean",
        "inputs": {"style": "dense", **{n: n for n in inputs}},
        "tokenizer": {"type": "hf-tokenizer-json", "files": files, "pad_id": int(pad), "padding_side": "left" if kind == "decoder" else "right"},
        "license": a.license,
        "source": f"{source}; exported by tools/export-hf-onnx.py (torch {torch.__version__}, transformers {transformers.__version__})",
    }
    if max_len:
        manifest["max_length"] = int(max_len)
    if unembedding:
        manifest["unembedding"] = unembedding
    if external:
        manifest["external_data"] = external
    with open(os.path.join(a.out, "sonde.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    if not a.no_check:
        check(a.out, wrapper, tokenizer, kind, outputs, half=a.dtype == "float16")
    if a.save_check:
        save_check(a.out, wrapper, tokenizer, kind)
    print(f"wrote {a.out}: {kind}, {n_layers + 1} hidden-state outputs of width {hidden}; next: npx sonde models add {a.out}")


if __name__ == "__main__":
    main()
