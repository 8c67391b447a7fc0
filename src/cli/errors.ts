/**
 * The CLI's exit codes, one convention for every command so that scripts can trust them:
 * 0 done; 1 the API refused (its code and message on stderr) or could not be reached;
 * 2 the command line itself is wrong (a missing argument, an unknown option or command).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const EXIT_CODES_HELP = `exit codes:
  0  done
  1  the API refused (its error code and message on stderr) or could not be reached
  2  usage error: a missing or malformed argument, an unknown option or command
  wharf exec ends with the exit code of the command it ran`;

/** The command line is wrong: exit 2, whatever the server would have said. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
}

/** A 4xx or 5xx answer of the API: its `{error, message}` body, kept for the user and for scripts. */
export class CliApiError extends Error {
  readonly exitCode = EXIT.failed;

  constructor(
    readonly status: number,
    /** The API's error code (`AppNotFound`, `Unauthorized`, …); `HTTP <status>` when the body had none. */
    readonly code: string,
    message: string,
    /** The field the API named (`key` of its error body), if any. */
    readonly key?: string,
  ) {
    super(message);
  }
}

/** Ends the CLI with a code of its own and nothing more to print: exec passes on the remote command's exit code. */
export class ExitCode extends Error {
  constructor(readonly exitCode: number) {
    super(`exit code ${exitCode}`);
  }
}
