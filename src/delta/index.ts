/**
 * The rdiff engine: librsync 2.3.2-compatible signatures, deltas and patches, pure and streaming
 * (bytes in, bytes out; no file or network I/O). See docs/rdiff.md.
 */
export {
  checkDeltaMagic,
  DELTA_MAGIC,
  readCommand,
  encodeCopy,
  encodeLiteralHeader,
  MAX_COMMAND_HEADER,
  type DeltaCommand,
} from './delta-format.js';
export {
  SIG_MAGIC,
  resolveSignatureParams,
  recommendedBlockLength,
  minimumStrongLength,
  decodeSignatureHeader,
  type SignatureOptions,
  type SignatureParams,
  type WeakSumKind,
} from './signature-format.js';
export type { StrongHashKind } from './strong-hash.js';
export { createSignatureBuilder, type SignatureBuilder } from './signature-builder.js';
export { loadSignature, type LoadedSignature } from './signature-index.js';
export { createDeltaEncoder, MAX_LITERAL_RUN, type DeltaEncoder, type DeltaEncoderOptions } from './delta-encoder.js';
export { patchStream, type BasisReader, type PatchOptions } from './patch.js';
export { createSignatureAndDelta, type SignatureAndDelta, type SignatureAndDeltaOutput } from './one-pass.js';
export { signatureOf, deltaOf, patchBytes, memoryBasis, concatBytes } from './whole.js';
