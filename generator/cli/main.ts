import { readFileSync } from "node:fs";
import path from "node:path";
import type { CliContext, Command } from "./command.js";
import { UsageError } from "./command.js";
import { commands } from "./commands/index.js";
import { diag, DiagnosticError, type Diagnostic } from "../errors.js";
import { reportDiagnostics } from "./report.js";
import { didYouMean } from "../suggest.js";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function topHelp(): Promise<string> {
  const all = await Promise.all(commands.map((c) => c.load()));
  const width = Math.max(...all.map((c) => c.name.length), 4);
  const lines = all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "nixverse-gen — compile a Nixverse-style fleet tree into a self-contained flake.nix",
    "",
    "Usage: nixverse-gen [<command>] [options]",
    "",
    "Commands (default: gen):",
    ...lines,
    "",
    "Global options:",
    "  -h, --help     show help (also after a command: nixverse-gen gen --help)",
    "  --version      print the version",
    "",
  ].join("\n");
}

export function defaultContext(): CliContext {
  const env = process.env;
  // no-color.org: NO_COLOR disables colour when present and not empty.
  const color = Boolean(process.stdout.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
  return {
    cwd: process.cwd(),
    env,
    stdout: { write: (s) => void process.stdout.write(s) },
    stderr: { write: (s) => void process.stderr.write(s) },
    color,
  };
}

export async function main(argv: string[], ctx: CliContext = defaultContext()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V") {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic === undefined) {
      ctx.stdout.write(await topHelp());
      return 0;
    }
    const cmd = await commands.find((c) => c.name === topic)?.load();
    if (!cmd) {
      ctx.stderr.write(`nixverse-gen: unknown help topic "${topic}" (run "nixverse-gen --help")\n`);
      return 2;
    }
    ctx.stdout.write(cmd.helpFor?.(rest.slice(1)) ?? cmd.help);
    return 0;
  }
  let cmd: Command | undefined;
  let args: string[];
  if (first === undefined || first.startsWith("-")) {
    cmd = await commands[0]?.load();
    args = argv;
  } else {
    cmd = await commands.find((c) => c.name === first)?.load();
    args = rest;
    if (!cmd) {
      const near = didYouMean(
        first,
        commands.map((c) => c.name),
      );
      ctx.stderr.write(
        `nixverse-gen: unknown command "${first}"${near} (run "nixverse-gen --help" for the list)\n`,
      );
      return 2;
    }
  }
  if (!cmd) {
    ctx.stderr.write(await topHelp());
    return 2;
  }
  if (args.includes("-h") || args.includes("--help")) {
    ctx.stdout.write(cmd.helpFor?.(args) ?? cmd.help);
    return 0;
  }
  try {
    return await cmd.run(args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.stderr.write(
        `nixverse-gen ${cmd.name}: ${e.message} (see "nixverse-gen ${cmd.name} --help")\n`,
      );
      return 2;
    }
    if (e instanceof DiagnosticError) {
      reportDiagnostics(ctx, e.diagnostics);
      return 1;
    }
    const fsError = fileSystemDiagnostic(e, ctx.cwd);
    if (fsError) {
      reportDiagnostics(ctx, [fsError]);
      return 1;
    }
    throw e;
  }
}

/**
 * A file where the tree needs a directory (a `nodes` or `pkgs` file) or the other way round, or
 * one we may not read: the layers that walk the tree let the system's error through, and here it
 * becomes one located error instead of a stack trace.
 */
export function fileSystemDiagnostic(e: unknown, cwd: string): Diagnostic | null {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== "string" || typeof err.path !== "string")
    return null;
  const rel = path.relative(cwd, err.path);
  const file = rel && !rel.startsWith("..") ? rel : err.path;
  const what: Record<string, [string, string]> = {
    ENOTDIR: ["a file where a directory belongs", "rename or remove the file"],
    EISDIR: ["a directory where a file belongs", "rename or remove the directory"],
    EACCES: ["permission denied", "fix its permissions"],
    ELOOP: ["a symbolic link loop", "remove the link"],
  };
  const [message, hint] = what[err.code] ?? [err.message, "check the path"];
  return diag(`fs-${err.code.toLowerCase()}`, message, { file }, hint);
}
