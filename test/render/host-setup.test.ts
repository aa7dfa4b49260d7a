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
import { requireCapability, skipWhereAbsent } from "../support/skip";

/** Can this kernel build an 802.3ad bond with a VLAN on it (in a throwaway network namespace)? */
function kernelCanBond(): boolean {
    const r = spawnSync(
        "unshare",
        [
            "-n",
            "bash",
            "-c",
            "ip link add b0 type bond mode 802.3ad && ip link add link b0 name b0.5 type vlan id 5",
        ],
        { encoding: "utf8" },
    );
    return r.status === 0;
}

const has = (text: string, line: string) =>
    assert.ok(text.split("\n").includes(line), `missing line '${line}'`);

describe("render: host setup (setup.sh)", () => {
    it("router-on-host: loopback /32 on lo, unaddressed uplinks taking RAs, routing sysctls, kubelet on the loopback", () => {
        const s = renderHostSetup(planFabric(devConfig()), "k8s1");
        has(
            s,
            'has_addr lo 10.1.3.1/32 || { $IP addr add 10.1.3.1/32 dev lo; echo "added 10.1.3.1/32 to lo"; }',
        );
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
        has(
            s,
            'KUBELET_DROPIN="${KUBELET_DROPIN:-$ROOT/etc/systemd/system/kubelet.service.d/20-bgp-fabric.conf}"',
        );
        has(s, 'Environment="KUBELET_EXTRA_ARGS=--node-ip=10.1.3.1 --address=10.1.3.1"');
        assert.strictEqual(spawnSync("bash", ["-n"], { input: s }).status, 0);
    });

    it("calico-bgp: the rack address on the single uplink; on a rack pair a /32 on lo and a host route to each leaf", () => {
        const single = renderHostSetup(planFabric(exampleConfig("ref3")), "node1");
        has(
            single,
            'has_addr eth1 10.0.101.10/24 || { $IP addr add 10.0.101.10/24 dev eth1; echo "added 10.0.101.10/24 to eth1"; }',
        );
        has(single, 'Environment="KUBELET_EXTRA_ARGS=--node-ip=10.0.101.10 --address=10.0.101.10"');
        assert.ok(!single.includes("accept_ra"), "no unnumbered BGP on a Calico node");
        // ref4 without its bonds: a node cabled to both leafs of a pair.
        const unbonded = exampleConfig("ref4");
        for (const n of unbonded.nodes) delete (n as { bond?: unknown }).bond;
        const pair = renderHostSetup(planFabric(unbonded), "k8s2");
        has(
            pair,
            'has_addr lo 192.168.9.194/32 || { $IP addr add 192.168.9.194/32 dev lo; echo "added 192.168.9.194/32 to lo"; }',
        );
        has(pair, "$IP route replace 192.168.9.204/32 dev eth1 src 192.168.9.194");
        has(pair, "$IP route replace 192.168.9.205/32 dev eth2 src 192.168.9.194");
    });

    it("calico-bgp, bonded (design 4): eth1 + eth2 in an 802.3ad bond0, the rack address on bond0.1500, default route via the gateway", () => {
        const s = renderHostSetup(planFabric(exampleConfig("ref4")), "k8s2");
        has(
            s,
            "  $IP link add bond0 type bond mode 802.3ad miimon 100 lacp_rate fast xmit_hash_policy layer3+4",
        );
        has(s, "for dev in eth1 eth2; do");
        has(s, '    $IP link set dev "$dev" master bond0');
        has(s, "  $IP link add link bond0 name bond0.1500 type vlan id 1500");
        has(
            s,
            'has_addr bond0.1500 192.168.9.194/28 || { $IP addr add 192.168.9.194/28 dev bond0.1500; echo "added 192.168.9.194/28 to bond0.1500"; }',
        );
        has(
            s,
            '$IP -4 route show default | grep -q "^default via 192.168.9.206 dev bond0.1500 " || { $IP route replace default via 192.168.9.206 dev bond0.1500 src 192.168.9.194; echo "default route via 192.168.9.206 on bond0.1500"; }',
        );
        assert.ok(
            !s.includes("192.168.9.194/32"),
            "no /32 on lo and no host routes: both SVIs are on-link on the bond",
        );
        assert.ok(!/route replace 192\.168\.9\.20[45]/.test(s));
        has(s, 'Environment="KUBELET_EXTRA_ARGS=--node-ip=192.168.9.194 --address=192.168.9.194"');
        assert.strictEqual(spawnSync("bash", ["-n"], { input: s }).status, 0);
    });

    it("bonded: builds the bond in a network namespace, idempotently (the second run changes nothing)", function () {
        requireCapability(
            this,
            canUnshare(),
            "root with unshare(1) is needed for a throwaway network namespace",
        );
        skipWhereAbsent(
            this,
            kernelCanBond(),
            `this kernel (${os.release()}) has no bonding or 802.1Q VLAN support (CONFIG_BONDING, CONFIG_VLAN_8021Q)`,
        );
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "host-setup-bond-"));
        try {
            fs.writeFileSync(
                path.join(root, "setup.sh"),
                renderHostSetup(planFabric(exampleConfig("ref4")), "k8s1"),
            );
            const script = [
                "set -e",
                "ip link add eth1 type veth peer name p1; ip link add eth2 type veth peer name p2; ip link set p1 up; ip link set p2 up",
                `export ROOT=${root}/root HAVE_SYSTEMD=no`,
                `bash ${root}/setup.sh > ${root}/run1.out`,
                `bash ${root}/setup.sh > ${root}/run2.out`,
                `ip -4 -o addr show > ${root}/addrs`,
                `ip -4 route show default > ${root}/default`,
                `cat /sys/class/net/bond0/bonding/mode /sys/class/net/bond0/bonding/slaves > ${root}/bond`,
                `ip -d link show bond0.1500 > ${root}/vlan`,
            ].join("\n");
            const r = spawnSync("unshare", ["-n", "bash", "-c", script], {
                encoding: "utf8",
                timeout: 30_000,
            });
            assert.strictEqual(r.status, 0, r.stderr);
            const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");
            assert.match(read("run1.out"), /^created bond bond0 \(802\.3ad\)$/m);
            assert.match(read("run1.out"), /^enslaved eth1 to bond0$/m);
            assert.match(read("run1.out"), /^enslaved eth2 to bond0$/m);
            assert.match(read("run1.out"), /^added 192\.168\.9\.193\/28 to bond0\.1500$/m);
            assert.strictEqual(read("run2.out"), "k8s1: host setup: nothing to change\n");
            assert.strictEqual(read("bond"), "802.3ad 4\neth1 eth2\n");
            assert.match(read("vlan"), /vlan protocol 802\.1Q id 1500/);
            assert.match(read("addrs"), /bond0\.1500\s+inet 192\.168\.9\.193\/28/);
            assert.strictEqual(
                read("default").trim(),
                "default via 192.168.9.206 dev bond0.1500 src 192.168.9.193",
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("refuses a device that is not a node", () => {
        assert.throws(
            () => renderHostSetup(planFabric(devConfig()), "leaf1"),
            /host setup is for Kubernetes nodes/,
        );
    });

    it("is idempotent: run twice in a network namespace, the second run changes nothing", function () {
        requireCapability(
            this,
            canUnshare(),
            "root with unshare(1) is needed for a throwaway network namespace",
        );
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "host-setup-"));
        try {
            fs.writeFileSync(
                path.join(root, "setup.sh"),
                renderHostSetup(planFabric(devConfig()), "k8s1"),
            );
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
            const r = spawnSync("unshare", ["-n", "bash", "-c", script], {
                encoding: "utf8",
                timeout: 30_000,
            });
            assert.strictEqual(r.status, 0, r.stderr);
            const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");
            assert.match(read("run1.out"), /^added 10\.1\.3\.1\/32 to lo$/m);
            assert.match(read("run1.out"), /^removed the IPv4 addresses of eth2$/m);
            assert.match(read("run1.out"), /^k8s1: host setup: changed .*20-bgp-fabric\.conf/m);
            assert.strictEqual(read("run2.out"), "k8s1: host setup: nothing to change\n");
            assert.match(read("addrs"), /lo\s+inet 10\.1\.3\.1\/32/);
            assert.ok(!/eth[12]\s+inet /.test(read("addrs")), "uplinks carry no IPv4 address");
            assert.strictEqual(read("sysctls"), "2\n1\n2\n1\n");
            assert.match(
                read("root/etc/systemd/system/kubelet.service.d/20-bgp-fabric.conf"),
                /--node-ip=10\.1\.3\.1 --address=10\.1\.3\.1/,
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
