// Stage 2 of the planner, slots: every valid device gets its place. A slot
// (its `id` or the number its name ends with) keys every derived value, so
// slots are unique per role; names and management addresses are unique
// across the fabric. A slot 0 is only for a zero-based list. Devices come out
// ordered spines, leafs, nodes, external routers, each by slot then name.

import { Problems } from "./problems";
import { ValidConfig, ValidDevice } from "./validate";

export interface SlottedDevice extends ValidDevice {
    /**
     * What the derived values count from: the slot, or slot + 1 in a zero-based list
     * (`fabric:numbering`).
     */
    ordinal?: number;
}

const LIST_OF = {
    spine: "spines",
    leaf: "leafs",
    node: "nodes",
    external: "externalRouters",
} as const;

export function assignSlots(p: Problems, v: ValidConfig): SlottedDevice[] {
    const out: SlottedDevice[] = [];
    for (const role of ["spine", "leaf", "node", "external"] as const) {
        const zeroBased = v.settings.zeroBased[role];
        const group: SlottedDevice[] = [];
        const bySlot = new Map<number, SlottedDevice>();
        for (const d of v.devices.filter((x) => x.role === role)) {
            const how = d.pinnedId ? `${d.field}.id` : `${d.field}.name`;
            if (d.slot === 0 && !zeroBased) {
                const key = LIST_OF[role];
                p.add(
                    how,
                    `'${d.name}' is slot 0, but ${key} count from 1; set numbering: zero-based (then ${d.name} gets what ` +
                        `slot 1 gets in a one-based fabric) or pin a non-zero ${d.field}.id`,
                );
                v.broken.add(d.name);
                continue;
            }
            // Slots must be unique within a role: they key every derived value.
            const other = d.slot === undefined ? undefined : bySlot.get(d.slot);
            if (other) {
                p.add(
                    how,
                    `slot ${d.slot} of '${d.name}' is already taken by '${other.name}' (${other.field}); pin a distinct id`,
                );
                v.broken.add(d.name);
                continue;
            }
            const slotted: SlottedDevice = {
                ...d,
                ordinal: d.slot === undefined ? undefined : d.slot + (zeroBased ? 1 : 0),
            };
            if (d.slot !== undefined) bySlot.set(d.slot, slotted);
            group.push(slotted);
        }
        group.sort(
            (x, y) =>
                (x.slot ?? Infinity) - (y.slot ?? Infinity) ||
                (x.name < y.name ? -1 : x.name > y.name ? 1 : 0),
        );
        out.push(...group);
    }
    return unique(p, v, out);
}

/**
 * Names and management addresses are the fabric's, across roles: a second one is refused and left
 * out.
 */
function unique(p: Problems, v: ValidConfig, devices: SlottedDevice[]): SlottedDevice[] {
    const byName = new Map<string, SlottedDevice>();
    const mgmtSeen = new Map<string, SlottedDevice>();
    return devices.filter((d) => {
        const other = byName.get(d.name);
        if (other) {
            p.add(`${d.field}.name`, `'${d.name}' is already the name of ${other.field}`);
            return false;
        }
        byName.set(d.name, d);
        if (!d.mgmt) return true;
        const key = `${d.mgmt.host}:${d.mgmt.port}`;
        const owner = mgmtSeen.get(key);
        if (owner) {
            p.add(
                `${d.field}.mgmt.host`,
                `${key} is already the management address of '${owner.name}'`,
            );
            v.broken.add(d.name);
            return false;
        }
        mgmtSeen.set(key, d);
        return true;
    });
}
