import assert from "assert";
import { routerDaemonSet } from "../../policy/policies";
import { FRR_PROCESS_CAPABILITIES, ROUTING_CAPABILITIES } from "../../render/kubernetes";
import { devStack, looseRouterStack } from "./cases";
import { messages, runPolicies } from "./harness";

describe("policy fabric-router-daemonset", function () {
    this.timeout(60000);

    it("passes the router DaemonSet as rendered: its namespace, ALL dropped, exactly the routing and FRR capabilities", async () => {
        const stack = await devStack();
        const ds = stack.find((r) => r.type === "kubernetes:apps/v1:DaemonSet");
        assert.deepStrictEqual(
            ds.inputs.spec.template.spec.containers[0].securityContext.capabilities.add,
            [...ROUTING_CAPABILITIES, ...FRR_PROCESS_CAPABILITIES],
        );
        assert.deepStrictEqual(
            messages(await runPolicies([routerDaemonSet], stack), routerDaemonSet.name),
            [],
        );
    });

    it("refuses it in another namespace, with a capability too many, one too few, and one in the init container", async () => {
        const run = await runPolicies([routerDaemonSet], await looseRouterStack());
        assert.deepStrictEqual(messages(run, routerDaemonSet.name), [
            "the router DaemonSet kube-system/bgp-fabric-router runs in namespace 'kube-system'; it may only run in 'bgp-fabric-router', the namespace labelled PodSecurity privileged for it",
            "the router DaemonSet kube-system/bgp-fabric-router: init container 'select-config' adds NET_ADMIN; the init container only copies a file and needs none",
            "the router DaemonSet kube-system/bgp-fabric-router adds SYS_PTRACE, which the router does not need; it adds exactly NET_ADMIN, NET_RAW, SYS_ADMIN, NET_BIND_SERVICE, SETUID, SETGID, DAC_OVERRIDE, KILL",
            "the router DaemonSet kube-system/bgp-fabric-router does not add KILL, which FRR's own processes need (render/kubernetes/router-daemonset.ts)",
        ]);
    });
});
