/** Reads meshpilot's admin HTTP endpoints for the CLI commands. */
export class AdminClientError extends Error {
  readonly code = 'MESHPILOT_ERR_ADMIN_REQUEST';
}

export async function getAdminJson(adminUrl: string, path: string): Promise<unknown> {
  const url = `${adminUrl.replace(/\/$/, '')}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new AdminClientError(
      `cannot reach meshpilot admin at ${adminUrl}${cause} (is meshpilot running? use --admin URL)`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new AdminClientError(`${path}: ${response.status} ${body.error ?? response.statusText}`);
  return body;
}
