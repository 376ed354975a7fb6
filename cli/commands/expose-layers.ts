/**
 * `sonde models expose-layers --model IN.onnx --out OUT.onnx [--pattern REGEX] [--layers 0,1]`
 * Adds residual-stream tensors of an ONNX export as graph outputs (lib/models/expose-layers.ts).
 */
import { BadInputError } from '../../lib/errors.ts';
import { UsageError, parseArgs, required, str } from '../args.ts';
import { exposeLayers } from '../../lib/models/expose-layers.ts';

const HELP = `sonde models expose-layers --model IN.onnx --out OUT.onnx [--pattern REGEX] [--layers 0,1]

Adds intermediate tensors as graph outputs so that extraction can fetch them.
  --pattern REGEX   tensor names to expose, e.g. '^/transformer/h\\.\\d+/Add_1_output_0$' (GPT-2)
                    or '^/model/layers\\.\\d+/Add_1_output_0$' (Llama); default: the residual
                    stream after each block, found from the graph structure
  --layers 0,1      keep only these of the found tensors (0 = first, in graph order)
External-data files are copied (hard-linked when possible) next to OUT.onnx.`;

function parseLayers(v: string | undefined): number[] | undefined {
  if (v === undefined || v === 'all') return undefined;
  const layers = v.split(',').map((s) => Number(s.trim()));
  if (layers.some((k) => !Number.isInteger(k) || k < 0)) throw new UsageError(`--layers must be "all" or comma-separated indices, got "${v}"`);
  return layers;
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['help']);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  try {
    const { added } = exposeLayers(required(flags, 'model'), required(flags, 'out'), {
      pattern: str(flags, 'pattern'),
      layers: parseLayers(str(flags, 'layers')),
    });
    console.log(added.length ? `added ${added.length} outputs:\n${added.map((a) => `  ${a}`).join('\n')}` : 'no new outputs (all already exposed)');
    return 0;
  } catch (err) {
    if (err instanceof BadInputError) {
      console.error(`sonde models expose-layers: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
