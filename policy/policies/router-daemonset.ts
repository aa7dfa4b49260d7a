// The router DaemonSet (render/kubernetes/router-daemonset.ts) is the one
// privileged, hostNetwork workload of the fabric. It runs only in its own
// namespace (the one labelled PodSecurity `privileged` for it), drops every
// capability and adds back exactly the ones it needs: ROUTING_CAPABILITIES
// (netlink routes, raw sockets for BFD and router advertisements, port 179)
// and FRR_PROCESS_CAPABILITIES (FRR's daemons drop from root to `frr`,
// watchfrr writes its pid file into frr's run directory and signals the
// daemons). Nothing privileged, no privilege escalation, no capability in the
// init container. The lists are the renderer's own, imported, not copied.

import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    FRR_PROCESS_CAPABILITIES,
    ROUTER_NAME,
    ROUTER_NAMESPACE,
    ROUTING_CAPABILITIES,
} from "../../render/kubernetes";
import { list } from "../common";
import { TYPES, plain } from "../stack-view";

const EXPECTED = [...ROUTING_CAPABILITIES, ...FRR_PROCESS_CAPABILITIES] as string[];

interface Container {
    name?: string;
    securityContext?: {
        privileged?: boolean;
        allowPrivilegeEscalation?: boolean;
        capabilities?: { add?: string[]; drop?: string[] };
    };
}

interface DaemonSet {
    metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
    spec?: {
        selector?: { matchLabels?: Record<string, string> };
        template?: { spec?: { containers?: Container[]; initContainers?: Container[] } };
    };
}

function why(cap: string): string {
    return (ROUTING_CAPABILITIES as readonly string[]).includes(cap)
        ? "routing needs"
        : "FRR's own processes need";
}

export const routerDaemonSet: ResourceValidationPolicy = {
    name: "fabric-router-daemonset",
    description: `The router DaemonSet runs only in namespace ${ROUTER_NAMESPACE}, with exactly the capabilities routing and FRR need.`,
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: (args, report) => {
        if (args.type !== TYPES.daemonSet) return;
        const ds = plain(args.props) as DaemonSet;
        const isRouter =
            ds.metadata?.name === ROUTER_NAME ||
            ds.spec?.selector?.matchLabels?.["app.kubernetes.io/name"] === ROUTER_NAME;
        if (!isRouter) return;
        const ns = ds.metadata?.namespace ?? "default";
        const me = `the router DaemonSet ${ns}/${ds.metadata?.name}`;
        if (ns !== ROUTER_NAMESPACE)
            report(
                `${me} runs in namespace '${ns}'; it may only run in '${ROUTER_NAMESPACE}', the namespace labelled PodSecurity privileged for it`,
            );
        const pod = ds.spec?.template?.spec ?? {};
        const added = new Set<string>();
        for (const [kind, cs] of [
            ["container", pod.containers ?? []],
            ["init container", pod.initContainers ?? []],
        ] as [string, Container[]][]) {
            for (const c of cs) {
                const sc = c.securityContext ?? {};
                const who = `${me}: ${kind} '${c.name}'`;
                if (sc.privileged)
                    report(`${who} is privileged; the router needs only its capabilities`);
                if (sc.allowPrivilegeEscalation !== false)
                    report(`${who} does not set allowPrivilegeEscalation: false`);
                if (!(sc.capabilities?.drop ?? []).includes("ALL"))
                    report(`${who} does not drop ALL capabilities before adding its own`);
                const add = sc.capabilities?.add ?? [];
                if (kind === "init container" && add.length)
                    report(
                        `${who} adds ${list(add)}; the init container only copies a file and needs none`,
                    );
                if (kind === "container") for (const cap of add) added.add(cap);
            }
        }
        const extra = [...added].filter((c) => !EXPECTED.includes(c));
        const missing = EXPECTED.filter((c) => !added.has(c));
        if (extra.length)
            report(
                `${me} adds ${list(extra)}, which the router does not need; it adds exactly ${EXPECTED.join(", ")}`,
            );
        for (const cap of missing)
            report(
                `${me} does not add ${cap}, which ${why(cap)} (render/kubernetes/router-daemonset.ts)`,
            );
    },
};
