// Drift: does each managed device still run the configuration bgp-fabric
// rendered for it? docs/drift.md; CLI cli/drift.ts (`npm run drift`).
//   reload-diff.ts  pure: parse `frr-reload.py --test`
//   report.ts       pure: classify one device's check, the report, the exit code
//   targets.ts      pure: intended text per device, ssh argv, the remote command
//   check.ts        I/O: run the checks over SSH (plain, or through a running lab)

export * from "./reload-diff";
export * from "./report";
export * from "./targets";
export * from "./check";
