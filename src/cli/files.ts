import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from './errors.js';

/** A request body from a file (`-` for standard input), YAML or JSON (JSON is YAML); the server validates its shape. */
export function readBodyFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`-f ${file}: ${(error as Error).message}`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new UsageError(`-f ${file}: not YAML or JSON: ${(error as Error).message}`);
  }
}
