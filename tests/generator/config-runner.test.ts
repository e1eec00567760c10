// nixverse.yaml's deploy.parallel reaches the generated runner as its -p default.
import { execa } from "execa";
import path from "node:path";
import { expect, it } from "vitest";
import { makeTree, runCli } from "../support/cli.js";

it("deploy.parallel becomes the runner's default -p", async () => {
  const root = makeTree({
    "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
    "nodes/a/configuration.nix": "{ }\n",
    "nixverse.yaml": "deploy:\n  parallel: 3\n",
  });
  expect((await runCli(["gen", "-q", "--flake", root], root)).code).toBe(0);
  const help = await execa(
    "bash",
    [path.join(root, "nixverse/run.sh"), "node", "deploy", "--help"],
    { cwd: root },
  );
  expect(help.stdout).toMatch(/-p, --parallel N .*default 3\b/);
});
