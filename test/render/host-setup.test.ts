// The node's setup.sh: what it configures, per routing mode, and that it is
// idempotent (run twice inside a throwaway network namespace, where root can
// unshare: the second run changes nothing).

import assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planFabric } from "../../plan";
import { renderHostSetup } from "../../render/host-setup";
import { devConfig, exampleConfig } from "../support/fixtures";
import { canUnshare } from "../support/frr";
import { requireCapability } from "../support/skip";

const has = (text: string, line: string) => assert.ok(text.split("\n").includes(line), `missing line '${line}'`);

describe("render: host setup (setup.sh)", () => {
    it("router-on-host: loopback /32 on lo, unaddressed uplinks taking RAs, routing sysctls, kubelet on the loopback", () => {
        const s = renderHostSetup(planFabric(devConfig()), "k8s1");
        has(s, 'has_addr lo 10.1.3.1/32 || { $IP addr add 10.1.3.1/32 dev lo; echo "added 10.1.3.1/32 to lo"; }');
        has(s, "for dev in eth1 eth2; do");
        for (const l of [
            "net.ipv4.ip_forward = 1",
            "net.ipv6.conf.all.forwarding = 1",
            "net.ipv4.conf.all.rp_filter = 2",
            "net.ipv4.fib_multipath_hash_policy = 1",
            "net.ipv6.conf.eth1.accept_ra = 2",
            "net.ipv6.conf.eth2.accept_ra_defrtr = 0",
        ]) {
            has(s, l);
        }
        has(s, 'KUBELET_DROPIN="${KUBELET_DROPIN:-$ROOT/etc/systemd/system/kubelet.service.d/20-bgp-fabric.conf}"');
        has(s, 'Environment="KUBELET_EXTRA_ARGS=--node-ip=10.1.3.1 --address=10.1.3.1"');
        assert.strictEqual(spawnSync("bash", ["-n"], { input: s }).status, 0);
    });

    it("calico-bgp: the rack address on the single uplink; on a rack pair a /32 on lo and a host route to each leaf", () => {
        const single = renderHostSetup(planFabric(exampleConfig("ref3")), "node1");
        has(single, 'has_addr eth1 10.0.101.10/24 || { $IP addr add 10.0.101.10/24 dev eth1; echo "added 10.0.101.10/24 to eth1"; }');
        has(single, 'Environment="KUBELET_EXTRA_ARGS=--node-ip=10.0.101.10 --address=10.0.101.10"');
        assert.ok(!single.includes("accept_ra"), "no unnumbered BGP on a Calico node");
        const pair = renderHostSetup(planFabric(exampleConfig("ref4")), "k8s2");
        has(pair, 'has_addr lo 10.20.0.12/32 || { $IP addr add 10.20.0.12/32 dev lo; echo "added 10.20.0.12/32 to lo"; }');
        has(pair, "$IP route replace 10.20.0.2/32 dev eth1 src 10.20.0.12");
        has(pair, "$IP route replace 10.20.0.3/32 dev eth2 src 10.20.0.12");
    });

    it("refuses a device that is not a node", () => {
        assert.throws(() => renderHostSetup(planFabric(devConfig()), "leaf1"), /host setup is for Kubernetes nodes/);
    });

    it("is idempotent: run twice in a network namespace, the second run changes nothing", function () {
        requireCapability(this, canUnshare(), "root with unshare(1) is needed for a throwaway network namespace");
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "host-setup-"));
        try {
            fs.writeFileSync(path.join(root, "setup.sh"), renderHostSetup(planFabric(devConfig()), "k8s1"));
            const script = [
                "set -e",
                "ip link add eth1 type veth peer name p1; ip link add eth2 type veth peer name p2",
                "ip addr add 192.0.2.1/24 dev eth2",
                `export ROOT=${root}/root HAVE_SYSTEMD=no`,
                `bash ${root}/setup.sh > ${root}/run1.out`,
                `bash ${root}/setup.sh > ${root}/run2.out`,
                `ip -4 -o addr show > ${root}/addrs`,
                `sysctl -n net.ipv4.conf.eth1.rp_filter net.ipv4.fib_multipath_hash_policy net.ipv6.conf.eth1.accept_ra net.ipv4.ip_forward > ${root}/sysctls`,
            ].join("\n");
            const r = spawnSync("unshare", ["-n", "bash", "-c", script], { encoding: "utf8", timeout: 30_000 });
            assert.strictEqual(r.status, 0, r.stderr);
            const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");
            assert.match(read("run1.out"), /^added 10\.1\.3\.1\/32 to lo$/m);
            assert.match(read("run1.out"), /^removed the IPv4 addresses of eth2$/m);
            assert.match(read("run1.out"), /^k8s1: host setup: changed .*20-bgp-fabric\.conf/m);
            assert.strictEqual(read("run2.out"), "k8s1: host setup: nothing to change\n");
            assert.match(read("addrs"), /lo\s+inet 10\.1\.3\.1\/32/);
            assert.ok(!/eth[12]\s+inet /.test(read("addrs")), "uplinks carry no IPv4 address");
            assert.strictEqual(read("sysctls"), "2\n1\n2\n1\n");
            assert.match(read("root/etc/systemd/system/kubelet.service.d/20-bgp-fabric.conf"), /--node-ip=10\.1\.3\.1 --address=10\.1\.3\.1/);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
