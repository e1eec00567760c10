import type { Command } from "../command.js";

/**
 * A command by name, its module imported only when it is used: `gen` (the default, run by hooks
 * and CI on every commit) then does not pay for loading the age/sops crypto of `secrets` or the
 * other commands' dependencies at startup.
 */
export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

/** Every command, in the order `--help` lists them. The first is the default. */
export const commands: CommandEntry[] = [
  { name: "gen", load: async () => (await import("./gen.js")).gen },
  { name: "init", load: async () => (await import("./init.js")).init },
  { name: "show", load: async () => (await import("./show.js")).show },
  { name: "node", load: async () => (await import("./node.js")).node },
  { name: "secrets", load: async () => (await import("./secrets.js")).secrets },
  { name: "hook", load: async () => (await import("./hook.js")).hook },
];
