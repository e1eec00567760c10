// Conventional-looking files that nixverse-gen (like Nixverse) will not read: a misspelt
// `configuraton.nix`, a `Node.nix`, a group member's own `node.nix`, a directory that is neither
// a node nor a group. Each becomes one warning that says what would be read instead. Pure.

import type { Diagnostic } from "../errors.js";
import { warning } from "../errors.js";
import { closest } from "../suggest.js";
import type { Entities } from "./entities.js";
import type { FileSet } from "./files.js";

/** What a node's (or a group common's) directory may hold, by file name without `.nix`. */
const NODE_FILES = ["node", "host", "configuration", "hardware-configuration", "disk-config"];
const COMMON_FILES = ["configuration", "hardware-configuration", "disk-config"];
const ENTITY_FILES = ["node", "host", "group", ...COMMON_FILES];

const ignored = (file: string, why: string, hint?: string) =>
  warning("file-ignored", `${file} is ignored: ${why}`, { file }, hint);

const meant = (file: string, name: string, known: string[], dir: string): Diagnostic | null => {
  const near = closest(name, known);
  return near === null || near === name
    ? null
    : ignored(file, `nixverse-gen reads ${dir}/${near}.nix`, `did you mean ${near}.nix?`);
};

export function ignoredFiles(files: FileSet, entities: Entities): Diagnostic[] {
  const out: Diagnostic[] = [];
  const nodeDirs = new Map([...entities.nodes.values()].map((n) => [n.dir, n]));
  const groupDirs = new Map([...entities.groups.values()].map((g) => [g.dir, g]));
  const strip = (d: string) => d.replace(/^private\//, "");
  // One warning per directory for "not a node or group": its files share the cause.
  const strayDirs = new Set<string>();

  for (const file of [...files].sort()) {
    // Before b1b80d5 a user's home file was <node or common>/home/<user>/home.nix.
    const old = /^((?:private\/)?nodes\/[^/]+(?:\/[^/]+)?)\/home\/([^/]+)\/home\.nix$/.exec(file);
    if (old) {
      out.push(
        ignored(
          file,
          "home files live in users/<user>/ since Nixverse b1b80d5",
          `move it to ${old[1]}/users/${old[2]}/home.nix`,
        ),
      );
      continue;
    }
    const m = /^((?:private\/)?nodes\/([^/]+))\/(?:([^/]+)\/)?([^/]+)\.nix$/.exec(file);
    if (!m) continue;
    const [top, topName, name] = [m[1]!, m[2]!, m[4]!];
    const sub = m[3];
    const topDir = strip(top);
    if (sub === undefined) {
      if (topName === "common") {
        const d = meant(file, name, COMMON_FILES, top);
        if (d) out.push(d);
      } else if (nodeDirs.has(topDir)) {
        const d = meant(file, name, NODE_FILES, top);
        if (d) out.push(d);
      } else if (groupDirs.has(topDir)) {
        if (COMMON_FILES.includes(name))
          out.push(
            ignored(
              file,
              `a group's directory holds only group.nix and its members`,
              `files for every member of ${topName} go in ${top}/common/${name}.nix`,
            ),
          );
        else {
          const d = meant(file, name, ["group"], top);
          if (d) out.push(d);
        }
      } else if (!strayDirs.has(topDir)) {
        const near = closest(name, ENTITY_FILES);
        if (near !== null && near !== name) {
          out.push(
            ignored(file, `did you mean ${near}.nix?`, `${topDir}/ is a node only with node.nix`),
          );
        } else if (ENTITY_FILES.includes(name)) {
          strayDirs.add(topDir);
          out.push(
            warning(
              "dir-ignored",
              `${topDir}/ is neither a node nor a group (it has no node.nix or group.nix): its files are ignored`,
              { file },
              `add ${topDir}/node.nix, e.g. { os = "nixos"; channel = "unstable"; }`,
            ),
          );
        }
      }
      continue;
    }
    // nodes/<group>/<member-or-common>/<name>.nix
    const group = groupDirs.get(topDir);
    if (!group) continue;
    const inner = `${top}/${sub}`;
    if (sub === "common") {
      const d = meant(file, name, COMMON_FILES, inner);
      if (d) out.push(d);
      continue;
    }
    if (!group.children.includes(sub)) {
      if (!ENTITY_FILES.includes(name)) continue;
      const near = closest(sub, [...group.children, "common"]);
      out.push(
        ignored(
          file,
          `${sub} is not a member of group ${topName}`,
          near
            ? `did you mean ${top}/${near}/?`
            : `add ${sub} = { }; to nodes/${topName}/group.nix to make it a member`,
        ),
      );
      continue;
    }
    const own = nodeDirs.has(`${topDir}/${sub}`) ? null : (entities.nodes.get(sub) ?? null);
    if (own === null && !nodeDirs.has(`${topDir}/${sub}`)) {
      if (!ENTITY_FILES.includes(name)) continue;
      const g = entities.groups.get(sub);
      out.push(
        ignored(
          file,
          g ? `${sub} is a group with its own directory` : `${sub} is not a node`,
          g ? `files for every member of ${sub} go in ${g.dir}/common/${name}.nix` : undefined,
        ),
      );
      continue;
    }
    if (own !== null) {
      if (!ENTITY_FILES.includes(name)) continue;
      out.push(
        ignored(
          file,
          `node ${sub} has its own directory, ${own.dir}/`,
          `move it to ${own.dir}/${name}.nix`,
        ),
      );
      continue;
    }
    if (name === "node" || name === "host") {
      out.push(
        ignored(
          file,
          `a group member's meta configuration is read from its group, as in Nixverse`,
          `put it in nodes/${topName}/group.nix: ${sub} = { … };`,
        ),
      );
      continue;
    }
    const d = meant(file, name, COMMON_FILES, inner);
    if (d) out.push(d);
  }
  return out;
}
