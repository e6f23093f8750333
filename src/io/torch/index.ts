// PyTorch `.pt` interop: loadTorch (restricted, never runs code) and saveTorch. Re-exports only.

export {
  loadTorch,
  parseTorch,
  STORAGE_TYPES,
  type TorchDict,
  type TorchStorageDType,
  type TorchValue,
} from "./load-torch.ts";
export { type SaveTorchOptions, saveTorch, serializeTorch } from "./save-torch.ts";
