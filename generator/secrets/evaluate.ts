// Evaluating the decrypted master file with Nix: `fleet.public.secrets (import <plaintext file>)`
// on the user's flake. The plaintext is passed by path (hence --impure), never on the command
// line, and never copied into the store.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { diag, fail, ok, type Diagnostic, type Result } from "../errors.js";
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

/** The Nix function applied to the flake's `nixverse` output. */
function secretsFn(plainFile: string): string {
  return `nv: let
    secretsLib = nv.secrets or (throw "nixverse secrets: this flake's nixverse runtime has no secrets support; run nixverse-gen to regenerate it");
  in secretsLib (import ${nixPath(plainFile)})`;
}

/** An absolute path as a Nix path literal (paths with unusual characters go through a string). */
function nixPath(p: string): string {
  return /^[A-Za-z0-9._\-+/]+$/.test(p) ? p : `(/. + ${JSON.stringify(p)})`;
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

function nixArgs(opts: NixOptions, apply: string): string[] {
  return [
    ...NIX_FLAGS,
    "eval",
    "--json",
    "--impure",
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
    const r = await runNix(ws, opts, nixArgs(opts, apply), plainFile);
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
  const r = await runNix(ws, opts, nixArgs(opts, apply), plainFile);
  if (!r.ok) return r;
  return ok(JSON.parse(r.value));
}

async function runNix(
  ws: PlaintextWorkspace,
  opts: NixOptions,
  args: string[],
  plainFile: string,
): Promise<Result<string>> {
  let r: Awaited<ReturnType<typeof runChild>>;
  try {
    r = await runChild(ws, "nix", args, opts.env, opts.root);
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
  return fail(nixError(r.stderr, plainFile, opts.masterFile));
}

/** The one line that says what went wrong, located in the master file when Nix points into it. */
export function nixError(stderr: string, plainFile: string, masterFile: string): Diagnostic {
  const lines = stderr.split("\n");
  const errs = lines.map((l, i) => [l, i] as const).filter(([l]) => /^error:/.test(l));
  const [first = "", at = 0] = errs[errs.length - 1] ?? [
    lines.find((l) => l.trim()) ?? "nix eval failed",
    0,
  ];
  let message = first.replace(/^error:\s*/, "").trim();
  // Messages continue on indented lines until a blank line.
  for (
    let i = at + 1;
    i < lines.length && (lines[i] ?? "").trim() !== "" && !/^\s+at /.test(lines[i] ?? "");
    i++
  ) {
    message += ` ${(lines[i] ?? "").trim()}`;
  }
  if (message === "") message = "nix eval failed";
  message = message
    .replace(/^nixverse secrets: /, "")
    .replace(/\s*\(use '--show-trace' to show detailed location information\)/, "");
  const escaped = plainFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pos = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(stderr);
  const hint = /is not a node or group/.test(message)
    ? "use the name of a directory under nodes/ (a node or a group)"
    : pos
      ? "the position is in the decrypted Nix expression"
      : undefined;
  return diag(
    "secrets-eval",
    message.replaceAll(plainFile, masterFile),
    pos ? { file: masterFile, line: Number(pos[1]), column: Number(pos[2]) } : { file: masterFile },
    hint,
  );
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
