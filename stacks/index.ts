// The stack program (Pulumi.yaml `main`): stacks/program.ts, its outputs exported.

import { fabricProgram } from "./program";

const outputs = fabricProgram();

export const asns = outputs.asns;
export const loopbacks = outputs.loopbacks;
export const vips = outputs.vips;
export const bgpSessions = outputs.bgpSessions;
export const appliedSwitches = outputs.appliedSwitches;
