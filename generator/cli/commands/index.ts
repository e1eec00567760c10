import type { Command } from "../command.js";
import { gen } from "./gen.js";
import { show } from "./show.js";
import { node } from "./node.js";

/** Every command, in the order `--help` lists them. The first is the default. */
export const commands: Command[] = [gen, show, node];
