/** The extraction request and the messages between ExtractionClient and its child process. */
import { BadInputError } from '../errors.ts';
import type { Pooling } from '../models/types.ts';

export type { Pooling };
export type Provider = 'auto' | 'cpu' | 'cuda';

export interface ExtractRequest {
  /** A validated model directory (docs/models.md). */
  modelDir: string;
  texts: string[];
  /** Layer indices as the manifest numbers them, or every layer it lists. */
  layers: number[] | 'all';
  pooling: Pooling;
  /** Storage precision of the returned activations; the model itself runs as exported. */
  dtype?: 'float32' | 'float16';
  /** Texts per session.run (default 32); batches are also capped at maxBatchTokens padded tokens. */
  batchSize?: number;
  /** Cap on batch rows × padded length, so one long text does not make a huge batch (default 16384). */
  maxBatchTokens?: number;
}

export interface ExtractStats {
  provider: string;
  texts: number;
  /** Real (unpadded) tokens run through the model. */
  tokens: number;
  /** Tokens including padding. */
  paddedTokens: number;
  batches: number;
  /** Whether pooling ran inside the ONNX graph (pooled-graph.ts) rather than in JavaScript. */
  graphPooling: boolean;
  /** Milliseconds spent tokenising, inside session.run, and in total. */
  tokenizeMs: number;
  runMs: number;
  totalMs: number;
  /** Peak resident memory of the process that ran the model, MiB. */
  peakRssMiB: number;
}

/** Bad request (unknown layer, empty input, text too long): the CLI exits 2, the API answers 400. */
export class ExtractInputError extends BadInputError {}

/** What ExtractionClient hands its child process (as JSON in argv). */
export interface ChildOptions {
  threads?: number;
  provider?: Provider;
  graphPooling?: boolean;
}

export type ToChild =
  | { type: 'extract'; id: number; req: ExtractRequest }
  | { type: 'close' };

export type FromChild =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'layer'; id: number; layer: number; rows: number; cols: number; data: Float32Array | Uint16Array }
  | { type: 'done'; id: number; stats: ExtractStats }
  | { type: 'error'; id: number; name: string; message: string };
