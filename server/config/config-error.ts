/** One problem found in the config file or in a manifest: where, what, and a stable code to search for. */
export type ConfigError = { path: string; message: string; code: string };

/** Stable, greppable codes. Users search for these: rename only on purpose. */
export const ConfigErrorCode = {
  read: 'MESHPILOT_ERR_CONFIG_READ',
  yaml: 'MESHPILOT_ERR_CONFIG_YAML',
  empty: 'MESHPILOT_ERR_CONFIG_EMPTY',
  unknownKey: 'MESHPILOT_ERR_CONFIG_UNKNOWN_KEY',
  required: 'MESHPILOT_ERR_CONFIG_REQUIRED',
  invalidType: 'MESHPILOT_ERR_CONFIG_INVALID_TYPE',
  invalidValue: 'MESHPILOT_ERR_CONFIG_INVALID_VALUE',
  oneOf: 'MESHPILOT_ERR_CONFIG_ONE_OF',
  badAddress: 'MESHPILOT_ERR_CONFIG_BAD_ADDRESS',
  badName: 'MESHPILOT_ERR_CONFIG_BAD_NAME',
  badCidr: 'MESHPILOT_ERR_CONFIG_BAD_CIDR',
  duplicateCluster: 'MESHPILOT_ERR_CONFIG_DUPLICATE_CLUSTER',
  unknownCluster: 'MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER',
  clusterInTwoNetworks: 'MESHPILOT_ERR_CONFIG_CLUSTER_IN_TWO_NETWORKS',
  networkMismatch: 'MESHPILOT_ERR_CONFIG_NETWORK_MISMATCH',
  notKubeconfigCluster: 'MESHPILOT_ERR_CONFIG_NOT_KUBECONFIG_CLUSTER',
  fileNotFound: 'MESHPILOT_ERR_CONFIG_FILE_NOT_FOUND',
  notAFile: 'MESHPILOT_ERR_CONFIG_NOT_A_FILE',
  folderNotFound: 'MESHPILOT_ERR_CONFIG_FOLDER_NOT_FOUND',
  notAFolder: 'MESHPILOT_ERR_CONFIG_NOT_A_FOLDER',
  debounceRange: 'MESHPILOT_ERR_CONFIG_DEBOUNCE_RANGE',
} as const;

export const ManifestErrorCode = {
  folder: 'MESHPILOT_ERR_MANIFEST_FOLDER',
  read: 'MESHPILOT_ERR_MANIFEST_READ',
  yaml: 'MESHPILOT_ERR_MANIFEST_YAML',
  invalidObject: 'MESHPILOT_ERR_MANIFEST_INVALID_OBJECT',
  duplicateObject: 'MESHPILOT_ERR_MANIFEST_DUPLICATE_OBJECT',
} as const;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['clusters', 1, 'network']` → `clusters[1].network`; keys that are not plain words are quoted. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? '(root)' : out;
}

/** A value as a message shows it: strings quoted (and cut), containers by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** `ENOENT` and friends, from an error thrown by node:fs. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}
