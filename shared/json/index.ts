export { parseStrictJson, parseStrictJsonBytes, formatJsonPath, childPath, DEFAULT_MAX_JSON_BYTES } from './strict';
export type { StrictJsonOptions, PathSegment } from './strict';
export { canonicalize, canonicalBytes, compareCodePoints, sortedKeys } from './canonical';
