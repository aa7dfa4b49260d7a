// The pure planning layer: no Pulumi import anywhere below this folder.
export * from "./config";
export * from "./types";
export { planFabric } from "./planner";
export { checkFabricConfig } from "./validate";
export { SETTINGS, secretKeys } from "./settings-table";
export { loadStackConfig, readStackFile } from "./load";
export { TOP_LEVEL_KEYS } from "./keys";
