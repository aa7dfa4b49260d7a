// BIRD 2, the lab's second BGP implementation, in two roles:
// - the external router (one per `external` plan device): peers with the
//   spines over the numbered /31s as an upstream router would (import all,
//   export none), BFD as planned, and installs ECMP routes into its kernel
//   table (`merge paths on`);
// - the stand-in for MetalLB's native speaker on every node: a second BIRD
//   with its own control socket and no kernel protocol, which connects out to
//   the node's router on 127.0.0.1:179 with the speaker ASN and announces
//   every planned VIP /32.

import * as fs from "fs";
import * as path from "path";
import { FabricPlan, PlannedDevice } from "../plan";
import { contains, parseAddress, toCidr } from "../plan/ipv4";
import { BIN, LabLocation, deviceDir } from "./env";
import { RunResult, inDevice, sleep, writeFileAtomic } from "./exec";
import { LabProcess, describeProcess } from "./state";

export interface BirdInstance {
    name: "bird" | "speaker";
    conf: string;
    ctl: string;
    pid: string;
    log: string;
}

export function birdInstance(
    loc: LabLocation,
    device: string,
    name: "bird" | "speaker",
): BirdInstance {
    const d = deviceDir(loc, device);
    return {
        name,
        conf: path.join(d, `${name}.conf`),
        ctl: path.join(d, `${name}.ctl`),
        pid: path.join(d, `${name}.pid`),
        log: path.join(d, "var-log", `${name}.log`),
    };
}

function ident(s: string): string {
    const id = s.replace(/[^A-Za-z0-9_]/g, "_");
    return /^[A-Za-z]/.test(id) ? id : `p_${id}`;
}

const TIMERS = (keepalive: number, hold: number) =>
    `hold time ${Math.max(3, hold)}; keepalive time ${Math.max(1, keepalive)}; connect delay time 1; connect retry time 2; error wait time 1, 5; error forget time 10;`;

/**
 * The external router's config: one BGP protocol per planned neighbor (the
 * spines). `password`: the external router's `bgpPassword` (TCP MD5 on each
 * of its sessions), as the stack declares it.
 */
/**
 * The head of a BIRD playing a router that is not ours: its id and log, and
 * every route it learns into its kernel table (ECMP merged), none out of it.
 */
export function routerPreamble(d: PlannedDevice, inst: BirdInstance, heading: string): string[] {
    return [
        `# bgp-fabric lab: ${heading}`,
        `router id ${d.loopback};`,
        `log "${inst.log}" all;`,
        "protocol device { scan time 10; }",
        "protocol kernel {",
        "  ipv4 { import none; export all; };",
        "  merge paths on;",
        "  learn off;",
        "  scan time 10;",
        "}",
    ];
}

export function externalRouterConfig(
    plan: FabricPlan,
    d: PlannedDevice,
    inst: BirdInstance,
    password?: string,
): string {
    if (password !== undefined && !/^[\x21-\x7e]+$/.test(password))
        throw new Error(
            `${d.name}: the lab's BIRD takes a BGP password of printable characters without spaces or quotes`,
        );
    const out = routerPreamble(
        d,
        inst,
        `external router ${d.name} (AS ${d.asn}) -- an upstream router: import all, export none`,
    );
    if (d.neighbors.some((n) => n.bfd)) {
        out.push(
            "protocol bfd {",
            '  interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };',
            "}",
        );
    }
    for (const n of d.neighbors) {
        if (!n.address)
            throw new Error(
                `${d.name}: neighbor ${n.device} has no address (the external router peers over numbered links)`,
            );
        const iface = d.interfaces.find(
            (i) => i.peer.device === n.device && i.address && sameSubnet(i.address, n.address!),
        );
        if (!iface)
            throw new Error(`${d.name}: no numbered interface towards ${n.device} (${n.address})`);
        out.push(
            `protocol bgp ${ident(n.device)} {`,
            `  description "${n.sessionId}";`,
            `  local ${iface.address!.split("/")[0]} as ${d.asn};`,
            `  neighbor ${n.address} as ${n.asn};`,
            `  ${TIMERS(plan.bgp.keepalive, plan.bgp.holdtime)}`,
            `  bfd ${n.bfd ? "on" : "off"};`,
            ...(password === undefined ? [] : [`  password "${password.replace(/["\\]/g, "")}";`]),
            "  ipv4 { import all; export none; };",
            "}",
        );
    }
    return out.join("\n") + "\n";
}

/** Where the speaker stand-in connects from: its own loopback address, as MetalLB's session address is its own. */
export const SPEAKER_ADDRESS = "127.0.0.2";

/** The MetalLB native speaker stand-in of one node. */
export function speakerConfig(
    plan: FabricPlan,
    node: PlannedDevice,
    inst: BirdInstance,
    speakerPort: number,
): string {
    const vips = plan.pools.flatMap((p) => Object.values(p.vips));
    return [
        `# bgp-fabric lab: MetalLB native speaker stand-in on ${node.name} (AS ${plan.kubernetes.speakerAsn} -> node router AS ${node.asn} on 127.0.0.1)`,
        `router id ${node.loopback};`,
        `log "${inst.log}" all;`,
        "protocol device { scan time 10; }",
        "protocol static vips {",
        "  ipv4;",
        ...vips.map((v) => `  route ${v}/32 blackhole;`),
        "}",
        "protocol bgp node_router {",
        // BIRD 2 always opens a listening socket; keep it off 179 (the node router's) and on loopback only.
        // A loopback address of its own (127.0.0.2): MetalLB's next hop is its session
        // address, and FRR refuses a next hop that is one of the router's own.
        `  local ${SPEAKER_ADDRESS} port ${speakerPort} as ${plan.kubernetes.speakerAsn};`,
        "  strict bind on;",
        `  neighbor 127.0.0.1 port 179 as ${node.asn};`,
        "  multihop 1;",
        `  ${TIMERS(plan.bgp.keepalive, plan.bgp.holdtime)}`,
        // Like MetalLB: the next hop is the speaker's own session address.
        "  ipv4 { import none; export where source = RTS_STATIC; next hop self; };",
        "}",
        "",
    ].join("\n");
}

/** Whether `addr` lies in the subnet of an interface address such as 172.16.254.1/31. */
function sameSubnet(interfaceAddress: string, addr: string): boolean {
    const [a, len] = interfaceAddress.split("/");
    return contains(toCidr(parseAddress(a)!, Number(len)), parseAddress(addr)!);
}

/** Start a BIRD instance inside a device (it daemonizes after parsing its config). */
export async function startBird(
    holderPid: number,
    device: string,
    inst: BirdInstance,
    config: string,
): Promise<LabProcess> {
    writeFileAtomic(inst.conf, config, 0o644);
    fs.rmSync(inst.pid, { force: true });
    await inDevice(holderPid, [BIN.bird, "-c", inst.conf, "-s", inst.ctl, "-P", inst.pid], {
        timeoutMs: 10_000,
    });
    for (let i = 0; i < 200; i++) {
        if (fs.existsSync(inst.pid)) {
            const pid = Number(fs.readFileSync(inst.pid, "utf8").trim());
            if (pid > 0) return describeProcess(pid, device, inst.name);
        }
        await sleep(10);
    }
    throw new Error(`${device}: ${inst.name} (BIRD) wrote no pid file`);
}

export function birdc(
    holderPid: number,
    inst: BirdInstance,
    args: string[],
    timeoutMs = 10_000,
): Promise<RunResult> {
    return inDevice(holderPid, [BIN.birdc, "-s", inst.ctl, ...args], { timeoutMs });
}

/** BGP protocols and their state (`birdc show protocols`). */
export async function birdBgpStates(
    holderPid: number,
    inst: BirdInstance,
): Promise<Record<string, string>> {
    const r = await birdc(holderPid, inst, ["show", "protocols"]);
    const out: Record<string, string> = {};
    for (const line of r.stdout.split("\n")) {
        const f = line.trim().split(/\s+/);
        if (f[1] === "BGP") out[f[0]] = f.slice(5).join(" ") || f[3];
    }
    return out;
}

/** BIRD's protocol name for a neighbor device. */
export function birdProtocolName(device: string): string {
    return ident(device);
}
