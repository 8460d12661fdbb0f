/**
 * Errors of the workload-identity CA. Every error carries a stable code users can search for.
 * Messages name files, identities and dates, never key material.
 */
export type SecurityErrorCode =
  | 'MESHPILOT_ERR_CA_FILE_MISSING'
  | 'MESHPILOT_ERR_CA_FILE_INVALID'
  | 'MESHPILOT_ERR_CA_KEY_MISMATCH'
  | 'MESHPILOT_ERR_CA_NOT_A_CA'
  | 'MESHPILOT_ERR_CA_CHAIN_INVALID'
  | 'MESHPILOT_ERR_CA_EXPIRED'
  | 'MESHPILOT_ERR_CA_NOT_YET_VALID'
  | 'MESHPILOT_ERR_CA_UNSUPPORTED_KEY'
  | 'MESHPILOT_ERR_CA_WRITE_FAILED'
  | 'MESHPILOT_ERR_CA_INVALID_REQUEST'
  | 'MESHPILOT_ERR_CSR_INVALID'
  | 'MESHPILOT_ERR_CSR_IDENTITY'
  | 'MESHPILOT_ERR_SPIFFE_ID_INVALID'
  | 'MESHPILOT_ERR_PEM_INVALID'
  | 'MESHPILOT_ERR_SECURITY_CONFIG';

export class SecurityError extends Error {
  readonly code: SecurityErrorCode;

  constructor(code: SecurityErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SecurityError';
    this.code = code;
  }
}
