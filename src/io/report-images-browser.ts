// The report's gallery reader in the browser bundle (swapped in for report-images.ts by
// tools/build-browser.mjs): a page has no run directory to read the gallery PNG from, so
// rebuilding a report from files throws; renderReport takes the gallery as bytes instead.
// No Node API and no pngjs.

import { NodeOnlyError } from "../core/node-builtins-browser.ts";
import type { MisclassifiedGallery } from "./metrics-jsonl.ts";

/** Largest gallery PNG read back (as report-images.ts). */
export const GALLERY_PNG_MAX_BYTES = 64 * 1024 * 1024;

/** Needs a run directory on disk: throws NodeOnlyError in a browser. */
export function readGalleryImages(
  _runDir: string,
  _gallery: MisclassifiedGallery,
): (Uint8Array | null)[] {
  throw new NodeOnlyError("readGalleryImages (a run directory)");
}
