import type { Command } from 'commander';
import { stringify } from 'yaml';

/** `-o`: json and yaml print the API's objects as they came; wide adds the columns marked wide. */
export type OutputFormat = 'table' | 'json' | 'yaml' | 'wide';
export const OUTPUT_FORMATS = ['json', 'yaml', 'wide'] as const;

/** One column of a table: its header and how a row shows in it. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | undefined;
  /** Shown only with `-o wide`. */
  wide?: boolean;
}

export function outputFormat(command: Command): OutputFormat {
  return command.optsWithGlobals<{ output?: OutputFormat }>().output ?? 'table';
}

/** Prints `rows` as an aligned table, or the objects themselves as JSON or YAML. `whole` is what json/yaml print (default: the rows). */
export function printRows<Row>(command: Command, rows: readonly Row[], columns: readonly Column<Row>[], whole: unknown = rows): void {
  const format = outputFormat(command);
  if (format === 'json' || format === 'yaml') return printData(command, whole);
  const shown = columns.filter((column) => format === 'wide' || !column.wide);
  const cells = rows.map((row) => shown.map((column) => cellText(column.value(row))));
  process.stdout.write(alignedTable(shown.map((column) => column.header), cells));
}

/** Prints one answer: JSON (also the default, for a table would hide its fields) or YAML. */
export function printData(command: Command, data: unknown): void {
  process.stdout.write(outputFormat(command) === 'yaml' ? stringify(data, { aliasDuplicateObjects: false }) : `${JSON.stringify(data, null, 2)}\n`);
}

/** Columns padded to their widest cell, three spaces apart, as kubectl prints them; no trailing spaces. */
export function alignedTable(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => row[index]!.length)));
  return [headers, ...rows].map((cells) => padCells(cells, widths)).join('\n') + '\n';
}

function padCells(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('   ').trimEnd();
}

/**
 * Prints rows one at a time as they come (a watch): json and yaml one object each (a JSON line, a
 * YAML document); a table keeps its header's widths, widening a column when a cell needs it, since
 * what is printed cannot be realigned.
 */
export function rowPrinter<Row>(command: Command, columns: readonly Column<Row>[]): (row: Row) => void {
  const format = outputFormat(command);
  if (format === 'json') return (row) => process.stdout.write(`${JSON.stringify(row)}\n`);
  if (format === 'yaml') return (row) => process.stdout.write(`---\n${stringify(row, { aliasDuplicateObjects: false })}`);
  const shown = columns.filter((column) => format === 'wide' || !column.wide);
  const widths = shown.map((column) => column.header.length);
  let headed = false;
  const line = (cells: readonly string[]): string => {
    cells.forEach((cell, index) => (widths[index] = Math.max(widths[index]!, cell.length)));
    return `${padCells(cells, widths)}\n`;
  };
  return (row) => {
    if (!headed) process.stdout.write(line(shown.map((column) => column.header)));
    headed = true;
    process.stdout.write(line(shown.map((column) => cellText(column.value(row)))));
  };
}

/** Writes a chunk of a stream, waiting while stdout's buffer is full (a log can be larger than memory should hold). */
export async function writeOut(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

function cellText(value: string | number | boolean | undefined): string {
  if (value === undefined || value === '') return '<none>';
  return String(value);
}

/** How long ago an RFC 3339 time was, as kubectl's AGE column says it: 45s, 12m, 3h, 2d. */
export function age(time: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(time)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
