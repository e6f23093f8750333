// PyTorch `.pt` interop: loadTorch (restricted, never runs code) and saveTorch. Re-exports only.

export {
  loadTorch,
  parseTorch,
  type TorchDict,
  type TorchValue,
} from "./load-torch.ts";
export { type Savable, type SaveTorchOptions, saveTorch, serializeTorch } from "./save-torch.ts";
export { STORAGE_TYPES, type TorchStorageDType } from "./storage-dtypes.ts";
