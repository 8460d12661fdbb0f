/** Errors of `meshpilot agent`: a stable code and a message naming files and addresses, never keys or tokens. */
export type AgentErrorCode =
  | 'MESHPILOT_ERR_AGENT_FLAGS'
  | 'MESHPILOT_ERR_AGENT_TOKEN'
  | 'MESHPILOT_ERR_AGENT_ROOT'
  | 'MESHPILOT_ERR_AGENT_CSR'
  | 'MESHPILOT_ERR_AGENT_CERTIFICATE'
  | 'MESHPILOT_ERR_AGENT_WRITE';

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  /** The gRPC status code, when a CreateCertificate call failed. */
  readonly grpcCode: number | undefined;

  constructor(code: AgentErrorCode, message: string, grpcCode?: number) {
    super(`${code}: ${message}`);
    this.name = 'AgentError';
    this.code = code;
    this.grpcCode = grpcCode;
  }
}
