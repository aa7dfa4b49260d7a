// A lab test's `after`: take its lab down and fail if any of its namespaces is left.

import * as assert from "assert";
import { labDown } from "../../lab";
import { LabLocationOptions, labLocation } from "../../lab/env";
import { listLabNamespaces } from "../../lab/netns";

export async function labDownLeavingNothing(loc: LabLocationOptions): Promise<void> {
    await labDown(loc);
    assert.deepStrictEqual(
        await listLabNamespaces(labLocation(loc)),
        [],
        "lab namespaces left behind",
    );
}
