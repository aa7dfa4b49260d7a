// Collects every problem in a config so the user sees all of them at once,
// each naming the exact field.

import { ConfigError, FabricConfigError } from "./types";

export class Problems {
    readonly errors: ConfigError[] = [];

    add(field: string, message: string): void {
        this.errors.push({ field: `fabric:${field}`, message });
    }

    get empty(): boolean {
        return this.errors.length === 0;
    }

    throwIfAny(): void {
        if (!this.empty) throw new FabricConfigError(this.errors);
    }
}
