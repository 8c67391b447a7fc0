import type { Readable, Writable } from 'node:stream';
import type { ExecEnding } from '../domain/remotecommand.js';

/** What to run in a container of a pod, and which of its streams to attach (Kubernetes' exec options). */
export interface ExecOptions {
  container: string;
  /** The program and its arguments, run without a shell unless the command names one. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  /** Always false with `tty`: a terminal has one output stream. */
  stderr: boolean;
  tty: boolean;
}

/** A terminal's size in characters, as Kubernetes' resize channel carries it. */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * One command running in a container. Output streams end when the command's output ends; `ending`
 * settles after them. Back-pressure is the streams': a reader that stops reading pauses the engine.
 */
export interface ExecSession {
  /** The command's standard input; present when asked for. `end()` closes it (the command reads EOF). */
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  /** Absent with a terminal, or when not asked for. */
  readonly stderr: Readable | undefined;
  /** Sets the terminal's size (a no-op without a terminal). */
  resize(size: TerminalSize): Promise<void>;
  readonly ending: Promise<ExecEnding>;
  /**
   * Drops the engine connection (the client left). The command's stdin closes with it; a command
   * that does not read it runs on to its end — with a terminal too on Docker, which keeps an exec's
   * terminal open (moby#9098): neither Docker nor Kubernetes has a call that kills an exec.
   */
  close(): void;
}
