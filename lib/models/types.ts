/**
 * Contracts between the model code (importers, tokenizers, graph surgery) and the
 * extraction engine. A model is a directory: `model.onnx` (+ external data), tokenizer
 * files, and `sonde.json` (this ModelManifest). See docs/models.md.
 */

export type Pooling = 'last' | 'first' | 'mean';

export interface LayerOutput {
  /** Layer index as users name it in jobs (`layers: [0, 1]`). */
  index: number;
  /** ONNX graph output holding this layer's per-token hidden states, [batch, seq, dim]. */
  output: string;
  dim: number;
  /** Human description, e.g. "residual stream after block 0". */
  description?: string;
}

export interface ModelManifest {
  format: 'sonde-model/1';
  name: string;
  kind: 'encoder' | 'decoder';
  hidden_size: number;
  layers: LayerOutput[];
  default_pooling: Pooling;
  /** Graph inputs: how token ids and the attention mask are fed. */
  inputs: {
    /** 'dense': input_ids + attention_mask [batch, seq] int64; 'ragged': USE-lite's indices [N,2] + values [N] int32. */
    style: 'dense' | 'ragged';
    input_ids?: string;
    attention_mask?: string;
    position_ids?: string;
    indices?: string;
    values?: string;
  };
  tokenizer: {
    /** 'use-sentencepiece' (USE-lite's vocab.json) or 'hf-tokenizer-json' (tokenizer.json). */
    type: string;
    files: string[];
    pad_id: number;
    /** Which side padding goes on for dense batches; decoders usually 'left' for last-token pooling. */
    padding_side?: 'left' | 'right';
  };
  /** Optional extra outputs, e.g. the sentence embedding of USE-lite. */
  extra_outputs?: Record<string, string>;
  /** Name of an initializer holding the unembedding matrix [vocab, dim] (logit lens). */
  unembedding?: string;
  license: string;
  source: string;
  /** Longest token sequence the model takes (learned positions); longer texts are rejected. */
  max_length?: number;
  /** Graph file inside the directory; default `model.onnx`. */
  model_file?: string;
  /**
   * External-data files the graph references (models > 2 GB keep their weights beside the
   * graph). Hashed with the graph; `model.onnx.data` / `model.onnx_data` are found without
   * being listed.
   */
  external_data?: string[];
  /** sha256 of model.onnx (+ external data), filled in by `sonde models add`. */
  sha256?: string;
}

export interface Tokenizer {
  /** Token ids for one text, special tokens included as the model expects them. */
  encode(text: string): number[];
  readonly padId: number;
  readonly vocabSize: number;
}
