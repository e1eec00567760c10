// The shape every CLI command module exports. Commands live one per file in cli/commands/ and are
// listed in cli/commands/index.ts; main.ts only dispatches.

export interface Output {
  write(text: string): void;
}

export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: Output;
  stderr: Output;
  /** Colours and progress only on a TTY and without NO_COLOR. */
  color: boolean;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full `--help` text: usage, options, examples. */
  help: string;
  /** Help for a subcommand (`hook install --help`); falls back to `help` when absent or null. */
  helpFor?(args: string[]): string | null;
  /** Returns the exit status: 0 ok, 1 failure, 2 usage error. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
