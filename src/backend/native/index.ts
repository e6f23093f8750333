// The native backend's entry: loading the addon, the Backend wrapping it, and thread/CPU-path
// controls. Imported only by the registry (no side effects beyond loading on first request).

export { type CpuPath, type LoadResult, loadAddon, type NativeAddon } from "./addon.ts";
export { createNativeBackend, type NativeBackendOptions } from "./native-backend.ts";
