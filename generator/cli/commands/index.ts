import type { Command } from "../command.js";
import { gen } from "./gen.js";
import { hook } from "./hook.js";
import { init } from "./init.js";
import { show } from "./show.js";
import { node } from "./node.js";
import { secrets } from "./secrets.js";

/** Every command, in the order `--help` lists them. The first is the default. */
export const commands: Command[] = [gen, init, show, node, secrets, hook];
