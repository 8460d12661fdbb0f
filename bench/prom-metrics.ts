/** Sums every sample of a metric (a counter, a gauge or a histogram's `_count`) in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The sum of a metric's samples on `baseUrl`/metrics; null when it cannot be read or has no sample. */
export async function metricValue(baseUrl: string, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const found = text.split('\n').some((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
    return found ? metricSum(text, name) : null;
  } catch {
    return null;
  }
}
