/** What one ADS stream may ask the server to remember; a stream over a limit ends with RESOURCE_EXHAUSTED. */
export interface StreamLimits {
  /** Resource names one stream may subscribe to for one type (SotW resource_names, Delta subscribes and initial versions). */
  readonly maxSubscribedNamesPerType: number;
  /** Resource names one stream may subscribe to over all its types. */
  readonly maxSubscribedNamesPerStream: number;
  /** Distinct unknown type URLs one stream may request (each is remembered and logged once). */
  readonly maxUnknownTypeUrls: number;
  /** Bytes of a NACK's error message kept in logs and /debug/syncz; the rest is cut. */
  readonly maxNackMessageBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxSubscribedNamesPerType: 100_000,
  maxSubscribedNamesPerStream: 250_000,
  maxUnknownTypeUrls: 16,
  maxNackMessageBytes: 4_096,
};
