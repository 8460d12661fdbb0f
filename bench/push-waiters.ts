/**
 * Matches a bench server's push acknowledgements to their requests by id: `send(id)` delivers the request,
 * the promise resolves with the count the server reports, or -1 when none comes within 30 s or `send` throws.
 */
export class PushWaiters {
  private readonly waiters = new Map<number, (sent: number) => void>();
  private nextId = 0;

  request(send: (id: number) => void): Promise<number> {
    this.nextId += 1;
    const id = this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(-1);
      }, 30_000);
      this.waiters.set(id, (sent) => {
        clearTimeout(timer);
        resolve(sent);
      });
      // A server that is gone (stopped by a suite's timeout while a batcher still pushes) answers nothing: -1 at once.
      try {
        send(id);
      } catch {
        this.settle(id, -1);
      }
    });
  }

  /** The server's answer to request `id`. */
  settle(id: number, sent: number): void {
    this.waiters.get(id)?.(sent);
    this.waiters.delete(id);
  }
}
