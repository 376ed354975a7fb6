/**
 * `sonde fit`: fit one probe offline from .npy activations and print its metrics.
 *
 *   sonde fit --pos X_POS.npy --neg X_NEG.npy [--labels Y.npy]
 *             [--test-pos … --test-neg … --test-labels …] --method NAME
 *             [--normalize none|center|burns|elk|cluster] [--seed N] [--restarts N]
 *             [--loss burns|symmetric] [--optimizer lbfgs|adam] [--options JSON]
 *             [--sign-k K] [--bootstrap N] [--transductive] [--json] [--out probe.json]
 *
 * Bad flags or malformed / mismatched files: one line on stderr, exit code 2.
 */
import { BadInputError } from '../../lib/errors.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, str, intFlag, required, UsageError } from '../args.ts';
import { npyToLabels, npyToMat, parseNpy } from '../../lib/npy.ts';
import { fitAndEvaluate, METHODS, NORMALIZE_MODES, type ContrastData, type MethodName, type NormalizeMode } from '../../lib/probe/index.ts';

const HELP = `sonde fit --pos X_POS.npy --neg X_NEG.npy [--labels Y.npy] --method NAME [flags]

  --test-pos/--test-neg/--test-labels FILE   held-out pairs (metrics reported on them)
  --method ${METHODS.join('|')}
  --normalize ${NORMALIZE_MODES.join('|')} (default burns)
  --seed N (default 0)   --restarts N (ccs, default 10)   --loss burns|symmetric (ccs)
  --optimizer lbfgs|adam (ccs)   --options JSON (any method option, e.g. '{"n_init":5}')
  --sign-k K (default 8)   --bootstrap N (default 1000)   --transductive
  --json   print one JSON object   --out FILE   write the fitted probe (JSON)`;

function readNpy(path: string, flag: string) {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseNpy(buf, `--${flag} ${path}`);
}

function loadPairs(flags: ReturnType<typeof parseArgs>['flags'], prefix: '' | 'test-'): ContrastData {
  const posPath = required(flags, `${prefix}pos`);
  const negPath = required(flags, `${prefix}neg`);
  const pos = npyToMat(readNpy(posPath, `${prefix}pos`), `--${prefix}pos ${posPath}`);
  const neg = npyToMat(readNpy(negPath, `${prefix}neg`), `--${prefix}neg ${negPath}`);
  if (pos.rows !== neg.rows || pos.cols !== neg.cols) {
    throw new UsageError(`--${prefix}pos is ${pos.rows}×${pos.cols} but --${prefix}neg is ${neg.rows}×${neg.cols}; they must match`);
  }
  const labelPath = str(flags, `${prefix}labels`);
  const labels = labelPath ? npyToLabels(readNpy(labelPath, `${prefix}labels`), `--${prefix}labels ${labelPath}`) : undefined;
  if (labels && labels.length !== pos.rows) throw new UsageError(`--${prefix}labels has ${labels.length} labels for ${pos.rows} pairs`);
  return { pos, neg, labels };
}

function options(flags: ReturnType<typeof parseArgs>['flags'], method: MethodName): Record<string, unknown> {
  let opts: Record<string, unknown> = {};
  const raw = str(flags, 'options');
  if (raw !== undefined) {
    try {
      opts = JSON.parse(raw);
    } catch {
      throw new UsageError(`--options must be a JSON object, got ${raw}`);
    }
    if (!opts || typeof opts !== 'object' || Array.isArray(opts)) throw new UsageError('--options must be a JSON object');
  }
  const restarts = intFlag(flags, 'restarts');
  const loss = str(flags, 'loss');
  const optimizer = str(flags, 'optimizer');
  if ((restarts !== undefined || loss !== undefined || optimizer !== undefined) && method !== 'ccs') {
    throw new UsageError('--restarts, --loss and --optimizer apply to --method ccs only');
  }
  if (restarts !== undefined) opts.restarts = restarts;
  if (loss !== undefined) opts.loss = loss;
  if (optimizer !== undefined) opts.optimizer = optimizer;
  return opts;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  try {
    const { flags, positionals } = parseArgs(argv, ['json', 'transductive']);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (sonde fit --help)`);
    const method = required(flags, 'method') as MethodName;
    if (!METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got "${method}"`);
    const normalize = (str(flags, 'normalize') ?? 'burns') as NormalizeMode;
    if (!NORMALIZE_MODES.includes(normalize)) throw new UsageError(`--normalize must be one of ${NORMALIZE_MODES.join(', ')}, got "${normalize}"`);
    const train = loadPairs(flags, '');
    const hasTest = flags['test-pos'] !== undefined || flags['test-neg'] !== undefined;
    const test = hasTest ? loadPairs(flags, 'test-') : undefined;
    if (test && test.pos.cols !== train.pos.cols) throw new UsageError(`test activations have ${test.pos.cols} dimensions, training ones ${train.pos.cols}`);
    const report = fitAndEvaluate({
      method, normalize, options: options(flags, method), seed: intFlag(flags, 'seed', 0)!, train, test,
      signK: intFlag(flags, 'sign-k', 8), bootstrap: intFlag(flags, 'bootstrap', 1000), transductive: flags.transductive === true,
    });
    const out = str(flags, 'out');
    if (out) writeFileSync(out, JSON.stringify(report.probe) + '\n');
    const shown = report.test ?? report.train;
    const loss = report.restarts ? Math.min(...report.restarts.map((r) => r.loss)) : undefined;
    if (flags.json) {
      console.log(JSON.stringify({
        method, normalize, seed: report.seed, fit_seconds: report.fit_seconds, evaluated_on: report.test ? 'test' : 'train',
        accuracy: shown.accuracy, auroc: shown.auroc, ...(loss !== undefined ? { loss } : {}),
        metrics: shown, train: report.train, test: report.test, restarts: report.restarts?.map(({ train_scores: _s, ...r }) => r) ?? null, probe_out: out ?? null,
      }));
    } else {
      const f = (v: number | null) => (v === null || Number.isNaN(v) ? '—' : v.toFixed(4));
      console.log(`${method} (${normalize}, seed ${report.seed}) fitted in ${report.fit_seconds.toFixed(3)} s, evaluated on ${report.test ? 'test' : 'train'} (n=${shown.n})`);
      console.log(`  accuracy ${f(shown.accuracy)} [${f(shown.accuracy_ci_low)}, ${f(shown.accuracy_ci_high)}]  signed(k=${shown.sign_k}) ${f(shown.accuracy_signed)}  auroc ${f(shown.auroc)}  calibrated ${f(shown.calibrated_accuracy)}  ece ${f(shown.ece)}`);
      console.log(`  ccs loss ${f(shown.ccs_loss)} (consistency ${f(shown.consistency_loss)}, confidence ${f(shown.confidence_loss)})`);
      if (report.restarts) console.log(`  restarts: ${report.restarts.map((r) => `${r.loss.toFixed(4)}${r.accuracy === null ? '' : `/${r.accuracy.toFixed(3)}`}`).join(' ')}`);
      if (out) console.log(`  probe written to ${out}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof BadInputError) {
      console.error(`sonde fit: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}
