// Re-encrypting 100 nodes' secrets files rewrites each exactly once and an unchanged run rewrites
// none. How long it takes is bench/secrets.bench.mjs's business: no timed assertions in tests.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import type { FleetModel } from "../../generator/model/types.js";
import { applyChanges } from "../../generator/secrets/commit.js";
import { planNodes, type PlanContext } from "../../generator/secrets/node-files.js";
import { fromPlain, type SopsMap } from "../../generator/secrets/sops/tree.js";

it("re-encrypts 100 nodes' files, and rewrites none when nothing changed", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "nvg-bench-"));
  try {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const nodes: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      const name = `n${i}`;
      nodes[name] = {
        name,
        dir: `nodes/all/${name}`,
        parents: ["all"],
        secretsFile: null,
        hostKeyPub: null,
      };
    }
    const model = {
      root,
      hasPrivate: false,
      nodes,
      groups: {},
      masterSecrets: null,
      sopsConfig: ".sops.yaml",
    } as unknown as FleetModel;
    const ctx: PlanContext = {
      root,
      model,
      sopsConfig: {
        file: path.join(root, ".sops.yaml"),
        creationRules: [{ age: [recipient], rules: {} }],
      },
      masterIdentities: [identity],
    };
    const docs = (v: number) =>
      new Map(
        Object.keys(nodes).map((n) => [
          n,
          fromPlain({ pppoe: { password: `pw-${v}-${n}` }, port: 8443 }) as SopsMap,
        ]),
      );
    const first = await planNodes(ctx, docs(0));
    if (!first.ok) throw new Error(JSON.stringify(first.errors));
    await applyChanges(root, first.value.changes);
    for (const n of Object.values(model.nodes)) n.secretsFile = `${n.dir}/secrets.yaml`;
    for (let v = 1; v <= 3; v++) {
      const r = await planNodes(ctx, docs(v));
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      expect(r.value.written).toHaveLength(100);
      await applyChanges(root, r.value.changes);
    }
    const again = await planNodes(ctx, docs(3));
    expect(again.ok && again.value.changes).toEqual([]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
