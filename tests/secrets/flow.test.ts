// The edit flow with the Nix step replaced by a fixed evaluation: private/ adoption of a public
// master file, and the master file's data key kept across edits; the commands' outcomes are
// values (generator/cli/ prints them).

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { ok } from "../../generator/errors.js";
import type { Outcome } from "../../generator/secrets/context.js";
import type { SecretsEvaluator } from "../../generator/secrets/evaluate.js";
import { editSecrets } from "../../generator/secrets/flow.js";
import { HOST_KEY, HOST_KEY_PUB } from "../../generator/secrets/node-files.js";
import {
  decryptText,
  emitPlain,
  encryptToText,
  parsePlain,
} from "../../generator/secrets/sops/document.js";
import { fromPlain, SopsMap } from "../../generator/secrets/sops/tree.js";
import { exitStatusOf, INTERRUPTS } from "../../generator/signals.js";
import { makeTree } from "../support/cli.js";

const TREE = {
  "nodes/routers/group.nix": '{ common = { os = "nixos"; channel = "unstable"; }; r1 = { }; }\n',
  "nodes/routers/common/configuration.nix": "{ }\n",
  "flake.nix": "{ outputs = _: { }; }\n", // present, so the flow does not generate one
};

/** Stands in for Nix: r1 receives { pw = "x" }. */
const fixed: SecretsEvaluator = async () =>
  ok({
    config: new SopsMap(),
    nodeNames: ["r1"],
    nodes: new Map([["r1", fromPlain({ pw: "x" }) as SopsMap]]),
  });

/** A signal is not part of these tests: the handler must not run. */
const onInterrupt = (signal: NodeJS.Signals) => {
  throw new Error(`unexpected ${signal}`);
};
const diagnostics = (o: Outcome) => o.messages.filter((m) => m.kind === "diagnostic");
const notes = (o: Outcome) => o.messages.flatMap((m) => (m.kind === "note" ? [m.text] : []));

describe("secrets edit flow", () => {
  it("moves a public master file and node files into private/ once private/ exists", async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const master = await encryptToText(parsePlain('{ nodes.r1.pw = "x"; }\n', "binary"), "yaml", {
      recipients: [recipient],
      indent: 2,
    });
    const root = makeTree({
      ...TREE,
      ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n`,
      "secrets.yaml": master,
      "private/.keep": "",
    });
    const r = await editSecrets({
      root,
      env: { SOPS_AGE_KEY: identity, EDITOR: "true", HOME: root },
      evaluator: fixed,
      onInterrupt,
    });
    expect(diagnostics(r)).toEqual([]);
    expect(r.status).toBe(0);
    expect(existsSync(join(root, "secrets.yaml"))).toBe(false);
    expect(readFileSync(join(root, "private/secrets.yaml"), "utf8")).toBe(master); // unchanged content: same bytes
    for (const f of [HOST_KEY, HOST_KEY_PUB, "secrets.yaml"]) {
      expect(existsSync(join(root, "private/nodes/routers/r1", f)), f).toBe(true);
    }
    expect(notes(r)).toContain("removed secrets.yaml (moved into private/)");
  });

  it("keeps the master file's data key when its content changes (as sops edit does)", async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const root = makeTree({ ...TREE, ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n` });
    const env = { SOPS_AGE_KEY: identity, HOME: root };
    const first = await editSecrets({
      root,
      env: { ...env, EDITOR: "true" },
      evaluator: fixed,
      onInterrupt,
    });
    expect(first.status).toBe(0);
    const before = await decryptText(readFileSync(join(root, "secrets.yaml"), "utf8"), "yaml", [
      identity,
    ]);
    const second = await editSecrets({
      root,
      env: { ...env, EDITOR: 'sh -c \'echo "# more" >> "$1"\' sh' },
      evaluator: fixed,
      onInterrupt,
    });
    expect(diagnostics(second)).toEqual([]);
    expect(second.status).toBe(0);
    const after = await decryptText(readFileSync(join(root, "secrets.yaml"), "utf8"), "yaml", [
      identity,
    ]);
    expect(emitPlain(after.branches, "binary")).toBe(
      `${emitPlain(before.branches, "binary")}# more\n`,
    );
    expect(Buffer.from(after.dataKey).equals(Buffer.from(before.dataKey))).toBe(true);
  });
});

describe("secrets commands return their outcome; only generator/cli/ prints or exits", () => {
  it("a failed edit is a value: the editor's status as a diagnostic, the edit kept with the resume hint", async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const root = makeTree({ ...TREE, ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n` });
    const written: string[] = [];
    const spy = (s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    };
    const out = process.stdout.write;
    const err = process.stderr.write;
    process.stdout.write = spy as typeof process.stdout.write;
    process.stderr.write = spy as typeof process.stderr.write;
    let r: Outcome;
    try {
      r = await editSecrets({
        root,
        env: {
          SOPS_AGE_KEY: identity,
          HOME: root,
          EDITOR: 'sh -c \'echo "# x" >> "$1"; exit 3\' sh',
        },
        evaluator: fixed,
        onInterrupt,
      });
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(written).toEqual([]);
    expect(r!.status).toBe(1);
    const ds = r!.messages.flatMap((m) => (m.kind === "diagnostic" ? [m.diagnostic] : []));
    expect(ds.map((d) => [d.code, d.severity ?? "error"])).toEqual([
      ["editor-failed", "error"],
      ["edit-kept", "warning"],
    ]);
    const kept = /kept in (\S+)/.exec(ds[1]!.message)![1]!;
    expect(readFileSync(kept, "utf8")).toContain("# x");
    rmSync(dirname(kept), { recursive: true, force: true });
    expect(existsSync(join(root, "secrets.yaml"))).toBe(false);
  });

  it("generator/secrets/ has no print and no process.exit (the one printer is cli/report.ts)", () => {
    const dir = join(import.meta.dirname, "../../generator/secrets");
    const offenders: string[] = [];
    for (const f of readdirSync(dir, { recursive: true }) as string[]) {
      if (!f.endsWith(".ts")) continue;
      const text = readFileSync(join(dir, f), "utf8");
      for (const rx of [
        /process\.exit\(/,
        /process\.std(out|err)/,
        /console\./,
        /\.std(out|err)\.write\(/,
      ])
        if (rx.test(text)) offenders.push(`${f}: ${rx.source}`);
    }
    expect(offenders).toEqual([]);
  });

  it("one signal → exit status mapping: 128 + the signal's number", () => {
    expect(INTERRUPTS.map((s) => [s, exitStatusOf(s)])).toEqual([
      ["SIGINT", 130],
      ["SIGTERM", 143],
      ["SIGHUP", 129],
    ]);
  });
});
