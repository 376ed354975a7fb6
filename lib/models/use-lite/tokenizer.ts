/**
 * The USE-lite tokenizer: a SentencePiece-style unigram segmenter over `vocab.json`
 * ([piece, log-probability] pairs; Kudo 2018, Viterbi decoding of the unigram LM).
 *
 * An exact port of the `Tokenizer` class of @tensorflow-models/universal-sentence-encoder
 * 1.3.3 (Apache-2.0), including its quirks, because the model was trained on those ids:
 *  - text is NFKC-normalised, spaces become '▁' and one '▁' is prepended;
 *  - symbols are UTF-16 code units (so an emoji is two unknown symbols);
 *  - a position with no vocabulary match becomes unknown id 0 with score 0, and a lattice
 *    cell still at best == 0 is treated as unset (ties go to the later candidate);
 *  - the backward pass steps by the piece's UTF-16 length; consecutive unknowns merge;
 *  - a null score in vocab.json counts as 0 (JavaScript's null + x).
 * test/unit/uselite-tokenizer.test.ts checks it id for id against the reference.
 */
import fs from 'node:fs';
import { ModelManifestError } from '../model-dir.ts';
import type { Tokenizer } from '../types.ts';

const SEPARATOR = '\u2581';
/** Ids 0..5 are unk, <s>, </s> and three extra control tokens; they never match text. */
const RESERVED_SYMBOLS = 6;
const UNKNOWN_ID = 0;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Vocabulary id when a piece ends here, else -1. */
  id: number;
  score: number;
  /** Piece length in symbols (UTF-16 code units). */
  length: number;
}

const newNode = (): TrieNode => ({ children: new Map(), id: -1, score: 0, length: 0 });

export class UseTokenizer implements Tokenizer {
  readonly padId = 0;
  readonly vocabSize: number;
  private readonly root = newNode();
  private readonly pieceLength: number[];

  constructor(vocabulary: [string, number][]) {
    this.vocabSize = vocabulary.length;
    this.pieceLength = vocabulary.map(([piece]) => piece.length);
    for (let id = RESERVED_SYMBOLS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id];
      let node = this.root;
      for (let i = 0; i < piece.length; i++) {
        let child = node.children.get(piece[i]);
        if (!child) {
          child = newNode();
          node.children.set(piece[i], child);
        }
        node = child;
      }
      node.id = id;
      node.score = score;
      node.length = piece.length;
    }
  }

  static fromFile(vocabPath: string): UseTokenizer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(vocabPath, 'utf8'));
    } catch (err) {
      throw new ModelManifestError(`cannot read vocabulary ${vocabPath}: ${(err as Error).message}`);
    }
    // A few pieces (':', '://', '▁:)', …) have a null score; the reference adds it as 0.
    const ok = Array.isArray(parsed) && parsed.every((e) => Array.isArray(e) && typeof e[0] === 'string' && (typeof e[1] === 'number' || e[1] === null));
    if (!ok || (parsed as unknown[]).length <= RESERVED_SYMBOLS) {
      throw new ModelManifestError(`${vocabPath} is not a USE vocabulary ([piece, score] pairs)`);
    }
    return new UseTokenizer((parsed as [string, number | null][]).map(([piece, score]) => [piece, score ?? 0]));
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    const input = normalized.length > 0 ? SEPARATOR + normalized.replace(/ /g, SEPARATOR) : normalized;
    const n = input.length;
    // Viterbi over the lattice: best[e] = max over pieces ending at e of score + best[start].
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    // Candidates per end position, in increasing start order (the reference's for…in order).
    const ends: { start: number; id: number; score: number }[][] = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      let node = this.root.children.get(input[i]);
      let matched = false;
      for (let j = i; j < n && node; j++) {
        if (node.id >= 0) {
          ends[i + node.length].push({ start: i, id: node.id, score: node.score });
          matched = true;
        }
        node = node.children.get(input[j + 1]);
      }
      if (!matched) ends[i + 1].push({ start: i, id: UNKNOWN_ID, score: 0 });
    }
    for (let end = 0; end <= n; end++) {
      for (const c of ends[end]) {
        const score = c.score + best[c.start];
        if (best[end] === 0 || score >= best[end]) {
          best[end] = score;
          words[end] = c.id;
        }
      }
    }
    const reversed: number[] = [];
    for (let at = n; at > 0; at -= this.pieceLength[words[at]]) reversed.push(words[at]);
    const ids: number[] = [];
    let previousUnknown = false;
    for (const id of reversed) {
      if (!(previousUnknown && id === UNKNOWN_ID)) ids.push(id);
      previousUnknown = id === UNKNOWN_ID;
    }
    return ids.reverse();
  }
}
