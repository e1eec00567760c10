// Shared helpers for the runner tests: render nixverse/run.sh from its template, evaluate
// runtime-nix/plan.nix over hand-written data with Nix, and put stand-in tools on PATH.

import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runnerFiles } from "../../generator/render/generated.js";
import { nixEnv } from "../support/nix.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const planNix = path.join(repoRoot, "runtime-nix", "plan.nix");
export const standinScript = path.join(repoRoot, "tests", "runner", "fixtures", "standin.sh");

export function tmpDir(prefix = "nixverse-runner-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Writes the runner into `dir` as the generator does into nixverse/ (run.sh, mode 0755, and its
 * parts in runner/) and returns the path of run.sh.
 */
export function renderRunner(dir: string): string {
  for (const [rel, f] of runnerFiles()) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, f.content);
    if (f.executable) chmodSync(file, 0o755);
  }
  return path.join(dir, "run.sh");
}

export interface NodeData {
  dir: string;
  os: "nixos" | "darwin";
  channel?: string;
  groups?: string[];
  diskConfig?: string[];
  /** Nix paths (here strings) of the hardware-configuration.nix files the flake imports. */
  hardware?: string[];
  /** meta's literal tags, for @tag selection. */
  tags?: string[];
  /** An incomplete node's reason (docs/fleet-data.md): its meta is never read. */
  broken?: string;
  unbuildable?: string;
}
export interface PlanData {
  hasPrivate?: boolean;
  nodes: Record<string, NodeData>;
  groups?: Record<string, { dir: string; nodes: string[]; descendants?: string[] }>;
}
export type Meta = Record<string, unknown>;
export interface PlanRequest {
  action: string;
  names: string[];
  flakeDir: string;
  flakeRef?: string;
  mode?: string | null;
  rebootTimeout?: number;
  targetRoot?: string;
  buildRoot?: string;
}

/**
 * Meta with `deploy.method = "nixos-rebuild"` where a node does not choose: most runner tests
 * drive the per-node rebuild path with stand-in tools; the stages (the default method) need a
 * real evaluation and have their own tests (plan.test.ts "copy method", loopback.test.ts).
 */
function withMethod(meta: Meta): Meta {
  return Object.fromEntries(
    Object.entries(meta).map(([n, m]) => {
      const mm = m as { deploy?: Record<string, unknown> };
      return [n, { ...mm, deploy: { method: "nixos-rebuild", ...(mm.deploy ?? {}) } }];
    }),
  );
}

function planExpr(
  dir: string,
  data: PlanData,
  rawMeta: Meta,
  req: PlanRequest,
  attr: string,
): string {
  const meta = withMethod(rawMeta);
  const full: PlanData = {
    ...data,
    nodes: Object.fromEntries(
      Object.entries(data.nodes).map(([n, d]) => [
        n,
        { channel: "unstable", groups: [], diskConfig: [], ...d },
      ]),
    ),
  };
  writeFileSync(path.join(dir, "data.json"), JSON.stringify(full));
  writeFileSync(path.join(dir, "meta.json"), JSON.stringify(meta));
  writeFileSync(path.join(dir, "req.json"), JSON.stringify(req));
  return `(import ${planNix} {
    data = builtins.fromJSON (builtins.readFile ${dir}/data.json);
    meta = builtins.fromJSON (builtins.readFile ${dir}/meta.json);
  } (builtins.fromJSON (builtins.readFile ${dir}/req.json)))${attr}`;
}

/** The plan as JSON (without its shell rendering), or the evaluation error text. */
export function evalPlan(
  data: PlanData,
  meta: Meta,
  req: PlanRequest,
): { ok: true; plan: any } | { ok: false; error: string } {
  const dir = tmpDir("nixverse-plan-");
  const expr = `removeAttrs ${planExpr(dir, data, meta, req, "")} [ "shell" ]`;
  const r = spawnSync("nix-instantiate", ["--eval", "--strict", "--json", "--expr", expr], {
    encoding: "utf8",
    env: nixEnv(),
  });
  if (r.status !== 0) return { ok: false, error: r.stderr };
  return { ok: true, plan: JSON.parse(r.stdout) };
}

/** Writes the plan's bash rendering to a file for NIXVERSE_PLAN_FILE and returns its path. */
export function writePlanFile(data: PlanData, meta: Meta, req: PlanRequest): string {
  const dir = tmpDir("nixverse-plan-");
  const out = execFileSync(
    "nix",
    ["eval", "--impure", "--raw", "--expr", planExpr(dir, data, meta, req, ".shell")],
    {
      encoding: "utf8",
      env: nixEnv(),
    },
  );
  const file = path.join(dir, "plan.sh");
  writeFileSync(file, out);
  return file;
}

/** A bin/ dir with the stand-in linked under each tool name. */
export function standinBin(dir: string, tools: string[]): string {
  const bin = path.join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const t of tools) {
    const p = path.join(bin, t);
    if (!existsSync(p)) symlinkSync(standinScript, p);
  }
  return bin;
}

export interface Call {
  tool: string;
  start: number;
  end: number;
  status: number;
  sshopts: string;
  argv: string[];
}

/** The runner's reachability probe: `ssh -o ConnectTimeout=… -o BatchMode=yes … true`. */
export function isProbe(c: Call): boolean {
  return c.tool === "ssh" && c.argv.includes("BatchMode=yes") && c.argv.at(-1) === "true";
}

/** Calls recorded by the stand-in, in start order; the probes only with `probes`. */
export function readCalls(log: string, probes = false): Call[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [tool, start, end, status, sshopts, args] = l.split("\t");
      return {
        tool: tool as string,
        start: Number(start),
        end: Number(end),
        status: Number(status),
        sshopts: sshopts as string,
        argv: args ? args.split("\x1f") : [],
      };
    })
    .filter((c) => probes || !isProbe(c))
    .sort((a, b) => a.start - b.start);
}

/** The most calls running at the same instant. */
export function maxOverlap(calls: Call[]): number {
  const events = calls.flatMap((c) => [
    { t: c.start, d: 1 },
    { t: c.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const e of events) {
    cur += e.d;
    max = Math.max(max, cur);
  }
  return max;
}

export function hasNix(): boolean {
  return spawnSync("nix-instantiate", ["--version"]).status === 0;
}
