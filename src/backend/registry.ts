// Chooses the backend that kernels dispatch to. The one place where the default is decided:
// KILN_BACKEND may force one; otherwise the fastest available backend is used.

import { ValueError } from "../core/errors.ts";
import type { Backend } from "./backend.ts";
import { referenceBackend } from "./reference/index.ts";

export type BackendName = "reference" | "native";

const available = new Map<string, Backend>([["reference", referenceBackend]]);
let current: Backend = referenceBackend;

{
  const forced = typeof process !== "undefined" ? process.env.KILN_BACKEND : undefined;
  if (forced !== undefined && forced !== "" && !available.has(forced)) {
    process.emitWarning(
      `KILN_BACKEND=${forced} is not available (available: ${[...available.keys()].join(", ")}); using ${current.name}`,
    );
  }
}

/** The backend that ops currently dispatch to. */
export function backend(): Backend {
  return current;
}

/** The name of the active backend. */
export function getBackend(): string {
  return current.name;
}

/** Selects a backend by name; throws naming the available ones when it is not. */
export function setBackend(name: BackendName): void {
  const b = available.get(name);
  if (b === undefined) {
    throw new ValueError(
      `setBackend: backend "${name}" is not available (available: ${[...available.keys()].join(", ")})`,
    );
  }
  current = b;
}

/** Names of the backends that can be selected. */
export function availableBackends(): string[] {
  return [...available.keys()];
}
