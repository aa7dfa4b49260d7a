// A device's resources keep the names they had before issue 16 as aliases, so
// an upgrade never replaces a command on a live device. The alias is the old
// URN itself wherever it can be known when the resource is constructed: the
// SDK turns an alias spec (`{ name }`) into a chain of about ten Outputs per
// resource, a URN into two (BENCHMARKS.md §6), and the engine matches both the
// same way. A URN names its ancestors' types, never their names, so the old
// URN differs from the new one by the last part only.

import * as pulumi from "@pulumi/pulumi";

/** The alias of a child of `parent`, of type `type`, that was named `oldName`. */
export function formerName(
    parent: pulumi.Resource,
    type: string,
    oldName: string,
): pulumi.Input<pulumi.URN | pulumi.Alias> {
    const chain = typeChain(parent);
    if (chain === undefined) return { name: oldName };
    const prefix = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
    return `${prefix}${chain ? `${chain}$` : ""}${type}::${oldName}`;
}

/**
 * The qualified type a resource gives its children's URNs: its ancestors' types and its own,
 * the stack's left out (as the engine does). Undefined where the SDK's resource does not carry
 * its type and parent as expected: the caller then gives the alias spec.
 */
function typeChain(resource: pulumi.Resource): string | undefined {
    const types: string[] = [];
    type Internals = { __pulumiType?: unknown; __parentResource?: Internals };
    for (
        let at: Internals | undefined = resource as unknown as Internals;
        at;
        at = at.__parentResource
    ) {
        if (typeof at.__pulumiType !== "string") return undefined;
        if (at.__pulumiType === "pulumi:pulumi:Stack") break;
        types.unshift(at.__pulumiType);
    }
    return types.join("$");
}
