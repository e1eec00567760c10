// runtime-nix/secrets.nix evaluated by Nix itself on small fleet data (NIXVERSE-REFERENCE §6.2).

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nixEnv } from "../support/nix.js";
import { hasCommand, REPO, skipped, tempDir } from "./helpers.js";

const haveNix = hasCommand("nix-instantiate");
if (!haveNix) skipped("nix-instantiate not installed");
const tmp = tempDir();
afterAll(tmp.cleanup);

// n2 under groups a and b, both under top (the reference's verified example); n1 only under a;
// solo has no group.
const data = `{
  nodes = {
    n1 = { parents = [ "a" ]; };
    n2 = { parents = [ "a" "b" ]; };
    solo = { parents = [ ]; };
  };
  groups = {
    top = { parents = [ ]; nodes = [ "n1" "n2" ]; };
    a = { parents = [ "top" ]; nodes = [ "n1" "n2" ]; };
    b = { parents = [ "top" ]; nodes = [ "n2" ]; };
  };
}`;

let counter = 0;
function evalSecrets(
  raw: string,
  attr = "",
): { ok: true; value: unknown } | { ok: false; error: string } {
  const file = join(tmp.dir, `raw${counter++}.nix`);
  writeFileSync(file, raw);
  const expr = `(import ${REPO}/runtime-nix/secrets.nix {
    lib = { marker = "lib"; }; userLib = { greet = n: "hi " + n; }; userInputs = { }; nodes = { n1.ip = "10.0.0.1"; };
    data = ${data};
  } (import ${file}))${attr}`;
  try {
    const out = execFileSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], {
      encoding: "utf8",
      env: nixEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { ok: true, value: JSON.parse(out) };
  } catch (e) {
    return { ok: false, error: String((e as { stderr?: string }).stderr) };
  }
}

describe.skipIf(!haveNix)("runtime-nix/secrets.nix", () => {
  it("cascades node > parents (later parent wins) > ancestors, deep-merged (the reference's example)", () => {
    const r = evalSecrets(`{ nodes = {
      top = { x = "top"; t = "top only"; deep = { a = 1; b = 1; }; };
      a = { x = "a"; y = "a"; deep.b = 2; };
      b = { x = "b"; list = [ 1 2 ]; };
      n2 = { list = [ 3 ]; deep.c = 3; };
    }; }`);
    expect(r).toEqual({
      ok: true,
      value: {
        config: {
          nodes: {
            top: { x: "top", t: "top only", deep: { a: 1, b: 1 } },
            a: { x: "a", y: "a", deep: { b: 2 } },
            b: { x: "b", list: [1, 2] },
            n1: { x: "a", y: "a", t: "top only", deep: { a: 1, b: 2 } },
            n2: { x: "b", y: "a", t: "top only", deep: { a: 1, b: 2, c: 3 }, list: [3] },
          },
        },
        nodeNames: ["n1", "n2"],
        nodes: {
          n1: { x: "a", y: "a", t: "top only", deep: { a: 1, b: 2 } },
          n2: { x: "b", y: "a", t: "top only", deep: { a: 1, b: 2, c: 3 }, list: [3] },
        },
      },
    });
  });

  it("drops _-keys and empty sets for the nodes, keeps them in config; list elements stay", () => {
    const r = evalSecrets(`{ other = "top-level key"; nodes.solo = {
      _hidden = "x"; empty = { }; becomesEmpty = { _h = 1; }; keep = { _h = 1; v = 2; };
      list = [ { _h = 1; } "s" ];
    }; }`);
    expect(r.ok && r.value).toEqual({
      config: {
        other: "top-level key",
        nodes: {
          solo: {
            _hidden: "x",
            empty: {},
            becomesEmpty: { _h: 1 },
            keep: { _h: 1, v: 2 },
            list: [{ _h: 1 }, "s"],
          },
        },
      },
      nodeNames: ["solo"],
      nodes: { solo: { keep: { v: 2 }, list: [{}, "s"] } },
    });
  });

  it("calls a function with lib, lib', inputs, nodes and the secrets fixpoint", () => {
    const r = evalSecrets(`{ lib, lib', inputs, nodes, secrets }: {
      shared.password = "p4ss";
      nodes.n1 = { pw = secrets.shared.password; ip = nodes.n1.ip; greet = lib'.greet "n1"; l = lib.marker; };
      nodes.n2.copy = secrets.nodes.n1.pw;
    }`);
    expect(r.ok && (r.value as { nodes: unknown }).nodes).toEqual({
      n1: { pw: "p4ss", ip: "10.0.0.1", greet: "hi n1", l: "lib" },
      n2: { copy: "p4ss" },
    });
  });

  it("names an unknown target", () => {
    const r = evalSecrets(`{ nodes.routerz.pw = "x"; }`);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(
      /secrets\.nodes\.routerz: "routerz" is not a node or group under nodes\/ \(known: a, b, n1, n2, solo, top\)/,
    );
  });

  it("rejects a non-attribute-set file and a non-attribute-set target", () => {
    const a = evalSecrets(`[ 1 ]`);
    expect(!a.ok && a.error).toMatch(
      /must be an attribute set, or a function returning one \(it is a list\)/,
    );
    const b = evalSecrets(`{ nodes.n1 = "pw"; }`);
    expect(!b.ok && b.error).toMatch(
      /secrets\.nodes\.n1 must be an attribute set \(it is a string\)/,
    );
  });
});
