// The wasm backend's entry: the Node loader and the Backend over a module's bytes. Imported only
// by the registry (loading happens on first request, never at import).

export {
  createThreadedWasmBackend,
  createWasmBackendFromBytes,
  loadWasmBackend,
  type WasmLoadResult,
  wasmPath,
} from "./load.ts";
export { instantiate, instantiateSync, type KilnWasmExports } from "./module.ts";
export type { WasmThreads } from "./threads.ts";
export { createWasmBackend, type WasmBackendOptions } from "./wasm-backend.ts";
