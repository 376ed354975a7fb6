/**
 * Bad input to the probe library (shapes, labels, options). One-line message; the CLI maps
 * it to exit code 2 and the API to HTTP 400 (the name matches their /Input/ test).
 */
import { BadInputError } from '../errors.ts';
export class ProbeInputError extends BadInputError {}
