// Evaluating the decrypted master file with Nix: `fleet.public.secrets (import <plaintext file>)`
// on the user's flake. The plaintext is passed by path, never on the command line (other users
// can read that), and never copied into the store (world-readable).
//
// The fleet's own code stays pure: the only impurity is the search-path entry
// `<nixverse-master>` pointing at the private workspace, and `restrict-eval` keeps everything else
// out — `builtins.getEnv` returns "", absolute paths outside the store, the flake and the
// workspace are refused, and the user's NIX_PATH / nix-path are cleared. A lib.nix cannot read
// SOPS_AGE_KEY_FILE (or anything else of the user's) during `secrets edit`.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { diag, fail, ok, type Diagnostic, type Result } from "../errors.js";
import { lex } from "../nix/lexer.js";
import { parseJson } from "./sops/json-store.js";
import { SopsMap, type SopsValue } from "./sops/tree.js";
import { runChild, type PlaintextWorkspace } from "./workspace.js";

export interface SecretsEvaluation {
  /** The whole evaluated file, nodes cascaded, hidden keys kept. */
  config: SopsMap;
  /** Nodes that receive secrets, sorted. */
  nodeNames: string[];
  /** node → the document its secrets.yaml holds (hidden keys dropped). */
  nodes: Map<string, SopsMap>;
}

export interface NixOptions {
  root: string;
  /** --override-input NAME URL pairs passed through to nix. */
  overrideInputs: Array<[string, string]>;
  env: NodeJS.ProcessEnv;
  /** The master file as the user knows it, for messages ("secrets.yaml"). */
  masterFile: string;
}

/** Evaluates the plaintext file; the runtime's `public.secrets` does the work. */
export type SecretsEvaluator = (
  ws: PlaintextWorkspace,
  plainFile: string,
) => Promise<Result<SecretsEvaluation>>;

const NIX_FLAGS = ["--extra-experimental-features", "nix-command flakes"];

/** The search-path name of the workspace holding the plaintext. */
const MASTER_PATH = "nixverse-master";

/** The Nix function applied to the flake's `nixverse` output. */
function secretsFn(plainFile: string): string {
  const name = basename(plainFile);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`unexpected workspace file name ${name}`);
  return `nv: let
    secretsLib = nv.secrets or (throw "nixverse secrets: this flake's nixverse runtime has no secrets support; run nixverse-gen to regenerate it");
  in secretsLib (import <${MASTER_PATH}/${name}>)`;
}

/**
 * The flake as Nix itself would read it, as the runner does: through git in a work tree (with the
 * private/ submodule), `path:` otherwise; NIXVERSE_FLAKE_REF overrides. Files we create are
 * `git add -N`'d, so git flakes see them.
 */
export function flakeRef(root: string, env: NodeJS.ProcessEnv): string {
  if (env.NIXVERSE_FLAKE_REF) return env.NIXVERSE_FLAKE_REF;
  try {
    execFileSync("git", ["-C", root, "rev-parse", "--is-inside-work-tree"], { stdio: "ignore" });
  } catch {
    return `path:${root}`;
  }
  return existsSync(join(root, "private", ".git")) ? `${root}?submodules=1` : root;
}

function nixArgs(opts: NixOptions, apply: string, plainFile: string): string[] {
  return [
    ...NIX_FLAGS,
    "eval",
    "--json",
    // Impure only so that the search path is read; restrict-eval confines it (see the top).
    "--impure",
    "--option",
    "restrict-eval",
    "true",
    "--option",
    "nix-path",
    "",
    "-I",
    `${MASTER_PATH}=${dirname(plainFile)}`,
    "--no-write-lock-file",
    ...opts.overrideInputs.flatMap(([n, u]) => ["--override-input", n, u]),
    `${flakeRef(opts.root, opts.env)}#nixverse`,
    "--apply",
    apply,
  ];
}

export function flakeEvaluator(opts: NixOptions): SecretsEvaluator {
  return async (ws, plainFile) => {
    const apply = `nv: let s = (${secretsFn(plainFile)}) nv; in { inherit (s) config nodeNames nodes; }`;
    const r = await runNix(ws, opts, nixArgs(opts, apply, plainFile), plainFile);
    if (!r.ok) return r;
    return parseEvaluation(r.value, opts.masterFile);
  };
}

/** `secrets eval <expr>`: the expression sees lib, lib', inputs, nodes and secrets (all of it). */
export async function evalExpression(
  ws: PlaintextWorkspace,
  opts: NixOptions,
  plainFile: string,
  expr: string,
): Promise<Result<unknown>> {
  const apply = `nv: let
    s = (${secretsFn(plainFile)}) nv;
    lib = nv.lib; lib' = nv.userLib; inputs = nv.userInputs or { }; nodes = nv.nodes; secrets = s.config;
  in (${expr}\n)`;
  const r = await runNix(ws, opts, nixArgs(opts, apply, plainFile), plainFile);
  if (!r.ok) return r;
  return ok(JSON.parse(r.value));
}

/** The decrypted file, read only to keep its values out of messages. */
function readPlaintext(plainFile: string): string {
  try {
    return readFileSync(plainFile, "utf8");
  } catch {
    return "";
  }
}

async function runNix(
  ws: PlaintextWorkspace,
  opts: NixOptions,
  args: string[],
  plainFile: string,
): Promise<Result<string>> {
  let r: Awaited<ReturnType<typeof runChild>>;
  try {
    r = await runChild(ws, "nix", args, { ...opts.env, NIX_PATH: "" }, opts.root);
  } catch (e) {
    return fail(
      diag(
        "nix-missing",
        `cannot run nix: ${(e as Error).message}`,
        undefined,
        "install Nix; secrets are evaluated by Nix",
      ),
    );
  }
  if (r.code === 0) return ok(r.stdout);
  return fail(nixError(r.stderr, plainFile, opts.masterFile, readPlaintext(plainFile)));
}

/**
 * The one line that says what went wrong, located in the master file when Nix points into it.
 *
 * Nix ≥ 2.18 prints `error:` alone, then trace frames (`… while evaluating`, `at FILE:L:C:` and
 * source excerpts), then the message as an indented `error: <message>` (older Nix printed
 * `error: <message>` first). Only the message is kept: the excerpts quote the decrypted file.
 * Nix's messages quote values too (`expected a set but found a string: "…"`), so every string
 * of the decrypted source (`plaintext`) is blanked out of what is shown.
 */
export function nixError(
  stderr: string,
  plainFile: string,
  masterFile: string,
  plaintext = "",
): Diagnostic {
  const lines = stderr.split("\n");
  const isError = (l: string) => /^\s*error:/.test(l);
  const body = (l: string) => l.replace(/^\s*error:\s*/, "").trim();
  // The last `error:` with a message: the innermost one, whatever the format.
  let at = -1;
  for (let i = lines.length - 1; i >= 0 && at < 0; i--) {
    if (isError(lines[i]!) && body(lines[i]!) !== "") at = i;
  }
  let message = at >= 0 ? body(lines[at]!) : "";
  let end = at + 1;
  // Messages continue on indented lines until a blank line, a position or a source excerpt.
  for (; at >= 0 && end < lines.length; end++) {
    const l = lines[end]!;
    if (l.trim() === "" || /^\s+at /.test(l) || /^\s*\d*\|/.test(l) || isError(l)) break;
    if (/^\s*…/.test(l)) break;
    message += ` ${l.trim()}`;
  }
  if (message === "") message = "nix eval failed";
  message = message
    .replace(/^nixverse secrets: /, "")
    .replace(/\s*\(use '--show-trace' to show detailed location information\)/, "");
  message = redact(message, secretStrings(plaintext)).replaceAll(plainFile, masterFile);

  const pos = position(lines, at, end, plainFile);
  // Locking the flake failed on an input (offline, a moved path): secrets.yaml is not the cause.
  const fetching = /…\s*while fetching the input '([^']*)'/.exec(stderr);
  if (fetching && !pos) {
    const input = /…\s*while updating the flake input '([^']*)'/.exec(stderr)?.[1];
    return diag(
      "secrets-input-fetch",
      `Nix could not fetch the flake input ${input ? `${input} (${fetching[1]})` : fetching[1]}: ${message}`,
      undefined,
      `the secrets are evaluated in the flake, so its inputs must be fetchable: go online once (flake.lock and the store keep them), or pass --override-input ${input ?? "NAME"} path:<a local checkout>`,
    );
  }
  const hint = /is not a node or group/.test(message)
    ? "use the name of a directory under nodes/ (a node or a group)"
    : pos
      ? "the position is in the decrypted Nix expression"
      : undefined;
  return diag(
    "secrets-eval",
    message,
    pos ? { file: masterFile, line: pos[0], column: pos[1] } : { file: masterFile },
    hint,
  );
}

/**
 * Where in the decrypted file: the message's own `at` when it points there, else the innermost
 * trace frame that does (frames are printed outermost first).
 */
function position(
  lines: string[],
  at: number,
  end: number,
  plainFile: string,
): [number, number] | null {
  const escaped = plainFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const rx = new RegExp(`^\\s*at ${escaped}:(\\d+):(\\d+)`);
  const found = (l: string | undefined): [number, number] | null => {
    const m = l === undefined ? null : rx.exec(l);
    return m ? [Number(m[1]), Number(m[2])] : null;
  };
  // The message's `at` follows it, after at most one blank line (older Nix).
  for (let i = end; at >= 0 && i < Math.min(lines.length, end + 2); i++) {
    const p = found(lines[i]);
    if (p) return p;
  }
  let last: [number, number] | null = null;
  for (let i = 0; i < (at >= 0 ? at : lines.length); i++) last = found(lines[i]) ?? last;
  return last;
}

/** The string literals of the decrypted master file: the values that must never be shown. */
function secretStrings(plaintext: string): string[] {
  const out = new Set<string>();
  for (const t of lex(plaintext).tokens) {
    if (t.type === "STR" || t.type === "IND_STR") {
      out.add(t.value);
      for (const l of t.value.split("\n")) out.add(l.trim());
    }
  }
  out.delete("");
  return [...out].sort((x, y) => y.length - x.length);
}

/** Blanks each secret out of `text`: quoted anywhere, bare when it is long enough to be one. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const v of secrets) {
    const forms = new Set([v, JSON.stringify(v).slice(1, -1)]);
    for (const f of forms) {
      out = out.replaceAll(`"${f}"`, '"…"');
      if (f.length >= 3) out = out.replaceAll(f, "…");
    }
  }
  return out;
}

function parseEvaluation(json: string, masterFile: string): Result<SecretsEvaluation> {
  let v: SopsMap;
  try {
    v = parseJson(json);
  } catch (e) {
    return fail(
      diag("secrets-eval", `unexpected output from nix: ${(e as Error).message}`, {
        file: masterFile,
      }),
    );
  }
  const config = v.get("config");
  const names = v.get("nodeNames");
  const nodes = v.get("nodes");
  if (!(config instanceof SopsMap) || !Array.isArray(names) || !(nodes instanceof SopsMap)) {
    return fail(
      diag("secrets-eval", "unexpected output from nix (is the runtime library current?)", {
        file: masterFile,
      }),
    );
  }
  const map = new Map<string, SopsMap>();
  for (const [k, x] of nodes.entries) map.set(k, x instanceof SopsMap ? x : new SopsMap());
  return ok({
    config,
    nodeNames: names.filter((n: SopsValue): n is string => typeof n === "string"),
    nodes: map,
  });
}
