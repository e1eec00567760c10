// `secrets edit` as a real process, interrupted: no plaintext may stay anywhere but the kept edit,
// and no committed file may change.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCommand, REPO, skipped, tempDir } from "./helpers.js";
import { fileStates, fleetFixture, scriptedEditor, secrets, type FleetFixture } from "./support.js";

const haveNix = hasCommand("nix");
if (!haveNix) skipped("nix not installed: secrets edit evaluates with Nix");

const SECRET = "interrupt-canary-7f3a";
// Slow to evaluate (a few seconds), so the interrupt lands while Nix works.
const SLOW_MASTER = `{
  _slow = builtins.foldl' (a: i: a + builtins.foldl' (b: j: b + j) 0 (builtins.genList (x: x) 1000)) 0 (builtins.genList (x: x) 60000);
  nodes.routers.pppoe.password = "${SECRET}";
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(p: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(50);
  }
}

/** Every file under dir whose content contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  if (!existsSync(dir)) return hits;
  for (const e of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const p = join(dir, e);
    try {
      if (statSync(p).isFile() && readFileSync(p, "utf8").includes(needle)) hits.push(p);
    } catch {
      // vanished meanwhile
    }
  }
  return hits;
}

describe.skipIf(!haveNix)("secrets edit interrupted", () => {
  let f: FleetFixture;
  const pkg = tempDir("nvg-pkg-");
  const scripts = tempDir("nvg-editor-");
  let cli: string;

  beforeAll(async () => {
    // The CLI compiled on its own (other work in progress may not type-check; tsc still emits).
    try {
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", join(pkg.dir, "dist")], {
        cwd: REPO,
        stdio: "ignore",
      });
    } catch {
      // type errors elsewhere: the emitted JS is what we run
    }
    for (const e of ["runtime-sh", "runtime-nix", "package.json", "node_modules"])
      symlinkSync(join(REPO, e), join(pkg.dir, e));
    mkdirSync(join(pkg.dir, "bin"));
    cli = join(pkg.dir, "bin", "nixverse-gen.js");
    writeFileSync(
      cli,
      readFileSync(join(REPO, "bin", "nixverse-gen.js"), "utf8").replace(
        "../dist/bundle/main.js",
        "../dist/cli/main.js",
      ),
    );
    f = await fleetFixture();
    // A committed state to protect: master file, host keys and node files.
    const first = await secrets(f, ["edit"], {
      EDITOR: scriptedEditor(
        scripts.dir,
        "first",
        '{ nodes.routers.pppoe.password = "committed"; }\n',
      ),
    });
    if (first.code !== 0) throw new Error(first.stderr);
  });
  afterAll(() => {
    pkg.cleanup();
    scripts.cleanup();
    f?.cleanup();
  });

  function start(editor: string, tmp: string) {
    let stdout = "";
    let stderr = "";
    const child: ChildProcess = spawn(
      process.execPath,
      [cli, "secrets", "edit", "--flake", f.dir, ...overrides],
      {
        env: { ...process.env, ...f.env, FLAKE: undefined, EDITOR: editor, XDG_RUNTIME_DIR: tmp },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout?.on("data", (d) => (stdout += String(d)));
    child.stderr?.on("data", (d) => (stderr += String(d)));
    const exit = new Promise<number | null>((r) =>
      child.on("exit", (code, sig) => r(code ?? (sig ? -1 : null))),
    );
    return { child, exit, out: () => ({ stdout, stderr }) };
  }
  let overrides: string[] = [];

  it("SIGINT while Nix evaluates: exit 130, committed files unchanged, only the kept edit remains", async () => {
    overrides = await f.overrides();
    const tmp = tempDir("nvg-tmp-");
    const marker = join(scripts.dir, "edited-1");
    const before = fileStates(f.dir);
    const run = start(scriptedEditor(scripts.dir, "slow", SLOW_MASTER, { marker }), tmp.dir);
    await waitFor(() => existsSync(marker));
    await sleep(1000);
    run.child.kill("SIGINT");
    const code = await run.exit;
    const { stderr } = run.out();
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("interrupted (SIGINT); no committed file was changed");
    const kept = /--resume (\S+)/.exec(stderr)?.[1] as string;
    expect(kept.startsWith(tmp.dir)).toBe(true);
    expect(readFileSync(kept, "utf8")).toBe(SLOW_MASTER);
    expect(statSync(kept).mode & 0o777).toBe(0o600);
    // The kept edit is the only file left in the temp dir, and the only plaintext anywhere.
    const left = readdirSync(tmp.dir, { recursive: true, encoding: "utf8" }).filter((e) =>
      statSync(join(tmp.dir, e)).isFile(),
    );
    expect(left.map((e) => join(tmp.dir, e))).toEqual([kept]);
    expect(filesContaining(f.dir, SECRET)).toEqual([]);
    expect(filesContaining(f.dir, "committed")).toEqual([]);
    expect(fileStates(f.dir)).toEqual(before);
    tmp.cleanup();
  });

  it("SIGTERM while the editor runs: the editor is stopped, the changed edit kept, nothing written", async () => {
    const tmp = tempDir("nvg-tmp-");
    const marker = join(scripts.dir, "edited-2");
    const pidFile = join(scripts.dir, "editor.pid");
    const before = fileStates(f.dir);
    const editor = scriptedEditor(scripts.dir, "hang", SLOW_MASTER, {
      marker,
      then: `echo $$ > '${pidFile}'\nexec sleep 60`,
    });
    const run = start(editor, tmp.dir);
    await waitFor(
      () =>
        existsSync(marker) && existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "",
    );
    await sleep(200);
    run.child.kill("SIGTERM");
    const code = await run.exit;
    expect(code, run.out().stderr).toBe(143);
    const kept = /--resume (\S+)/.exec(run.out().stderr)?.[1] as string;
    expect(readFileSync(kept, "utf8")).toBe(SLOW_MASTER);
    const editorPid = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => {
      try {
        process.kill(editorPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 5000);
    expect(filesContaining(f.dir, SECRET)).toEqual([]);
    expect(fileStates(f.dir)).toEqual(before);
    tmp.cleanup();
  });

  it("SIGINT while the editor runs is left to the editor (as git does); the edit then completes", async () => {
    const tmp = tempDir("nvg-tmp-");
    const marker = join(scripts.dir, "edited-3");
    const quick = '{ nodes.routers.pppoe.password = "after-sigint"; }\n';
    const run = start(
      scriptedEditor(scripts.dir, "pause", quick, { marker, then: "sleep 2" }),
      tmp.dir,
    );
    await waitFor(() => existsSync(marker));
    run.child.kill("SIGINT");
    const code = await run.exit;
    expect(code, run.out().stderr).toBe(0);
    expect(readdirSync(tmp.dir)).toEqual([]); // workspace removed
    expect(filesContaining(f.dir, "after-sigint")).toEqual([]);
    tmp.cleanup();
  });
});

describe.skipIf(!haveNix)("secrets encrypt/decrypt as a real process", () => {
  it("reads stdin (-) and writes stdout", async () => {
    const pkg = tempDir("nvg-pkg2-");
    try {
      try {
        execFileSync(
          "npx",
          ["tsc", "-p", "tsconfig.build.json", "--outDir", join(pkg.dir, "dist")],
          {
            cwd: REPO,
            stdio: "ignore",
          },
        );
      } catch {
        // type errors elsewhere: the emitted JS is what we run
      }
      for (const e of ["runtime-sh", "runtime-nix", "package.json", "node_modules"]) {
        symlinkSync(join(REPO, e), join(pkg.dir, e));
      }
      mkdirSync(join(pkg.dir, "bin"));
      const bin = join(pkg.dir, "bin", "nixverse-gen.js");
      writeFileSync(
        bin,
        readFileSync(join(REPO, "bin", "nixverse-gen.js"), "utf8").replace(
          "../dist/bundle/main.js",
          "../dist/cli/main.js",
        ),
      );
      const f = await fleetFixture();
      try {
        const env = { ...process.env, ...f.env, FLAKE: f.dir };
        const enc = execFileSync(
          process.execPath,
          [bin, "secrets", "encrypt", "--in-type", "yaml", "-"],
          {
            input: "token: abc\nport: 22\n",
            env,
            encoding: "utf8",
          },
        );
        expect(enc).toMatch(/^token: ENC\[AES256_GCM,/);
        const dec = execFileSync(
          process.execPath,
          [bin, "secrets", "decrypt", "--in-type", "yaml", "--indent", "2", "-"],
          {
            input: enc,
            env,
            encoding: "utf8",
          },
        );
        expect(dec).toBe("token: abc\nport: 22\n");
      } finally {
        f.cleanup();
      }
    } finally {
      pkg.cleanup();
    }
  });
});
