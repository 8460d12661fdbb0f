import { errorMessage } from '../../common/error-message.ts';

/** Node's errno codes that `serve` names with a MESHPILOT_ERR_* code of its own. */
const SYSTEM_CODES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'MESHPILOT_ERR_PORT_IN_USE',
  EADDRNOTAVAIL: 'MESHPILOT_ERR_ADDRESS_NOT_AVAILABLE',
  EACCES: 'MESHPILOT_ERR_PERMISSION_DENIED',
  EPERM: 'MESHPILOT_ERR_PERMISSION_DENIED',
};

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * One line for a start-up failure of `serve`: `MESHPILOT_ERR_*: what went wrong`, never a stack.
 * Errors that carry a MESHPILOT_ERR_* code keep it; Node system errors are named by their errno; grpc-js
 * reports a taken port only in its message ("Failed to add port"), so that is matched too.
 */
export function startupFailureLine(error: unknown): string {
  const message = errorMessage(error).replace(/\s*\n\s*/g, ' ');
  const code = codeOf(error);
  if (code?.startsWith('MESHPILOT_ERR_')) return message.startsWith(code) ? message : `${code}: ${message}`;
  const system = code === undefined ? undefined : SYSTEM_CODES[code];
  if (system !== undefined) return `${system}: ${message}`;
  if (/EADDRINUSE|address already in use|Failed to add port/i.test(message))
    return `MESHPILOT_ERR_PORT_IN_USE: ${message}`;
  return `MESHPILOT_ERR_START_FAILED: ${message}`;
}
