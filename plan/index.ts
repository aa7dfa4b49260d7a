// The pure planning layer: no Pulumi import anywhere below this folder.
export * from "./config";
export * from "./types";
export { planFabric } from "./planner";
export { loadStackConfig, readStackFile } from "./load";
export { TOP_LEVEL_KEYS } from "./keys";
