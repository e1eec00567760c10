// nixverse.yaml: optional generator settings. Every key has a default, so a newcomer needs no file.
// Every error points at the offending key or value (file:line:col) and says what is expected.

import type { Node as YamlNode, Pair } from "yaml";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import { closest } from "../suggest.js";
import type { ChannelUrls, Config } from "./defaults.js";
import { DEFAULT_CONFIG } from "./defaults.js";

export type { ChannelUrls, Config };
export { DEFAULT_CONFIG };

export const CONFIG_KEYS = ["stable", "channels", "systems", "description", "deploy", "submodules"];
const KNOWN_INPUT_KEYS = ["nixpkgs", "home-manager", "nix-darwin", "sops-nix", "disko"];
const RELEASE = /^\d\d\.\d\d$/;
/**
 * Each running node holds a worker and its nix/ssh processes: thousands exhaust process and file
 * limits, and 1e20 is not even a Nix integer (every evaluation failed). Far above any real pool.
 */
const MAX_PARALLEL = 1024;
/** A flake reference with a scheme: github:…, git+https://…, path:…, https://…, tarball+…, … */
const FLAKE_URL = /^[a-z][a-z0-9+.-]*:\S+$/;
/** Becomes part of input names (nixpkgs-<channel>-<os>), so it must be a plain word. */
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;

export function parseConfig(source: string, file = "nixverse.yaml"): Result<Config> {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: p.line, column: p.col };
  };
  if (doc.errors.length) {
    return fail(
      ...doc.errors.map((e) =>
        diag("config-yaml", `invalid YAML: ${e.message.split("\n")[0]}`, at(e.pos[0])),
      ),
    );
  }
  const errors: Diagnostic[] = [];
  const config: Config = structuredClone(DEFAULT_CONFIG);
  const root = doc.contents;
  if (root === null || root === undefined) return ok(config);
  if (isScalar(root) && root.value === null) return ok(config);
  if (!isMap(root)) {
    return fail(
      diag(
        "config-type",
        "nixverse.yaml must be a mapping of settings",
        at(root.range?.[0]),
        'e.g. `stable: "26.05"`',
      ),
    );
  }
  const err = (node: unknown, message: string, hint?: string) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    errors.push(diag("config-invalid", message, at(range?.[0]), hint));
  };
  /** A scalar's text as written (so `stable: 26.10` stays "26.10", not 26.1). */
  const text = (n: unknown): string | null => {
    if (!isScalar(n)) return null;
    if (typeof n.value === "string") return n.value;
    if (typeof n.value === "number") return (n as { source?: string }).source ?? String(n.value);
    return null;
  };
  const pairs = (map: unknown): Pair<unknown, unknown>[] =>
    isMap(map) ? (map.items as Pair<unknown, unknown>[]) : [];
  const keyOf = (p: Pair<unknown, unknown>) => (isScalar(p.key) ? String(p.key.value) : "");
  const valueNode = (p: Pair<unknown, unknown>) => (p.value ?? p.key) as YamlNode;
  const url = (n: unknown, what: string): string | null => {
    const s = text(n);
    if (s !== null && FLAKE_URL.test(s)) return s;
    err(n, `${what} must be a flake URL such as "github:NixOS/nixpkgs/nixos-26.05"`);
    return null;
  };

  for (const item of pairs(root)) {
    const key = keyOf(item);
    const value = valueNode(item);
    switch (key) {
      case "stable": {
        const s = text(value);
        if (s !== null && RELEASE.test(s)) config.stable = s;
        else
          err(
            value,
            `stable must be a NixOS release like "26.05", not ${s === null ? "this" : JSON.stringify(s)}`,
          );
        break;
      }
      case "description": {
        const s = text(value);
        if (s !== null && isScalar(value) && typeof value.value === "string")
          config.description = s;
        else err(value, "description must be a string (the flake's description)");
        break;
      }
      case "systems": {
        if (!isSeq(value) || value.items.length === 0) {
          err(value, "systems must be a non-empty list such as [x86_64-linux, aarch64-darwin]");
          break;
        }
        const systems: string[] = [];
        for (const s of value.items) {
          const t = text(s);
          if (t !== null && SYSTEM.test(t)) systems.push(t);
          else
            err(
              s,
              `systems: ${t === null ? "an entry" : JSON.stringify(t)} is not a system such as x86_64-linux`,
            );
        }
        config.systems = systems;
        break;
      }
      case "submodules": {
        if (isScalar(value) && typeof value.value === "boolean") config.submodules = value.value;
        else
          err(
            value,
            "submodules must be true or false (true: flake.nix says inputs.self.submodules = true)",
          );
        break;
      }
      case "deploy": {
        if (!isMap(value)) {
          err(value, "deploy must be a mapping, e.g. `deploy: { parallel: 4 }`");
          break;
        }
        for (const d of pairs(value)) {
          const k = keyOf(d);
          const v = valueNode(d);
          if (k === "builders") {
            // one literal line in fleet.nix that the runner reads without nix: nothing to escape
            if (isScalar(v) && typeof v.value === "string" && /^[^"\\$\n]+$/.test(v.value))
              config.deploy.builders = v.value;
            else
              err(
                v,
                'deploy.builders must be Nix\'s builders string, e.g. "ssh-ng://builder x86_64-linux" or "@/etc/nix/machines" (machines separated by ;, without ", \\ or $)',
              );
          } else if (k !== "parallel") {
            err(
              d.key,
              `unknown setting deploy.${k}`,
              "deploy takes only `parallel` and `builders`",
            );
          } else if (
            isScalar(v) &&
            typeof v.value === "number" &&
            Number.isInteger(v.value) &&
            v.value > 0 &&
            v.value <= MAX_PARALLEL
          ) {
            config.deploy.parallel = v.value;
          } else
            err(
              v,
              `deploy.parallel must be an integer from 1 to ${MAX_PARALLEL} (how many nodes run at once)`,
            );
        }
        break;
      }
      case "channels": {
        if (!isMap(value)) {
          err(
            value,
            "channels must map channel names to flake URLs, e.g. `channels: { edge: github:NixOS/nixpkgs/master }`",
          );
          break;
        }
        for (const c of pairs(value)) {
          const ch = keyOf(c);
          if (!CHANNEL_NAME.test(ch)) {
            err(
              c.key,
              `channels: "${ch}" cannot be a channel name`,
              "channel names become input names (nixpkgs-<channel>): letters, digits and dashes",
            );
            continue;
          }
          const parsed = parseChannel(valueNode(c), `channels.${ch}`);
          if (parsed) config.channels[ch] = parsed;
        }
        break;
      }
      default: {
        const near = closest(key, CONFIG_KEYS);
        err(
          item.key,
          `unknown setting "${key}"${near ? ` (did you mean "${near}"?)` : ""}`,
          `known settings: ${CONFIG_KEYS.join(", ")}`,
        );
      }
    }
  }
  return errors.length ? fail(...errors) : ok(config);

  function parseChannel(v: YamlNode, where: string): ChannelUrls | null {
    if (isScalar(v)) {
      const u = url(v, where);
      return u === null ? null : { nixpkgs: { nixos: u, darwin: u } };
    }
    if (!isMap(v)) {
      err(v, `${where} must be a flake URL, or a mapping of ${KNOWN_INPUT_KEYS.join(", ")}`);
      return null;
    }
    const out: ChannelUrls = {};
    let good = true;
    for (const p of pairs(v)) {
      const k = keyOf(p);
      const u = valueNode(p);
      if (!KNOWN_INPUT_KEYS.includes(k)) {
        const near = closest(k, KNOWN_INPUT_KEYS);
        err(
          p.key,
          `${where}: unknown input "${k}"${near ? ` (did you mean "${near}"?)` : ""}`,
          `known: ${KNOWN_INPUT_KEYS.join(", ")}`,
        );
        good = false;
      } else if (k === "nixpkgs" && isMap(u)) {
        const per: { nixos?: string; darwin?: string } = {};
        for (const q of pairs(u)) {
          const os = keyOf(q);
          if (os !== "nixos" && os !== "darwin") {
            err(q.key, `${where}.nixpkgs: "${os}" is not an os`, "use nixos and darwin");
            good = false;
            continue;
          }
          const s = url(valueNode(q), `${where}.nixpkgs.${os}`);
          if (s === null) good = false;
          else per[os] = s;
        }
        out.nixpkgs = per;
      } else {
        const s = url(u, `${where}.${k}`);
        if (s === null) good = false;
        else if (k === "nixpkgs") out.nixpkgs = { nixos: s, darwin: s };
        else (out as Record<string, string>)[k] = s;
      }
    }
    return good ? out : null;
  }
}
