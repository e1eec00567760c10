// The edit flow with the Nix step replaced by a fixed evaluation: private/ adoption of a public
// master file, and the master file's data key kept across edits.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { ok } from "../../generator/errors.js";
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

function io() {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: { write: (s: string) => void (out += s) },
      stderr: { write: (s: string) => void (err += s) },
    },
    text: () => ({ out, err }),
  };
}

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
    const o = io();
    const code = await editSecrets({
      root,
      io: { ...o.io, env: { SOPS_AGE_KEY: identity, EDITOR: "true", HOME: root } },
      evaluator: fixed,
    });
    expect(o.text().err).toBe("");
    expect(code).toBe(0);
    expect(existsSync(join(root, "secrets.yaml"))).toBe(false);
    expect(readFileSync(join(root, "private/secrets.yaml"), "utf8")).toBe(master); // unchanged content: same bytes
    for (const f of [HOST_KEY, HOST_KEY_PUB, "secrets.yaml"]) {
      expect(existsSync(join(root, "private/nodes/routers/r1", f)), f).toBe(true);
    }
    expect(o.text().out).toContain("removed secrets.yaml (moved into private/)");
  });

  it("keeps the master file's data key when its content changes (as sops edit does)", async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const root = makeTree({ ...TREE, ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n` });
    const env = { SOPS_AGE_KEY: identity, HOME: root };
    const first = io();
    expect(
      await editSecrets({
        root,
        io: { ...first.io, env: { ...env, EDITOR: "true" } },
        evaluator: fixed,
      }),
    ).toBe(0);
    const before = await decryptText(readFileSync(join(root, "secrets.yaml"), "utf8"), "yaml", [
      identity,
    ]);
    const second = io();
    const code = await editSecrets({
      root,
      io: { ...second.io, env: { ...env, EDITOR: 'sh -c \'echo "# more" >> "$1"\' sh' } },
      evaluator: fixed,
    });
    expect(second.text().err).toBe("");
    expect(code).toBe(0);
    const after = await decryptText(readFileSync(join(root, "secrets.yaml"), "utf8"), "yaml", [
      identity,
    ]);
    expect(emitPlain(after.branches, "binary")).toBe(
      `${emitPlain(before.branches, "binary")}# more\n`,
    );
    expect(Buffer.from(after.dataKey).equals(Buffer.from(before.dataKey))).toBe(true);
  });
});
