// The native addon's loader in the browser bundle (swapped in for addon.ts by
// tools/build-browser.mjs): there is no N-API addon in a page, so it always reports why, and the
// registry goes on to the wasm backend. No Node API; types come from addon.ts.

import type { LoadResult } from "./addon.ts";

export type { CpuPath, LoadResult, NativeAddon } from "./addon.ts";

/** Always unavailable in a browser (the registry then uses wasm, or reference until initWasm). */
export function loadAddon(): LoadResult {
  return { ok: false, reason: "a browser has no native addon" };
}
