/**
 * Matches a bench server's push acknowledgements to their requests by id: `send(id)` delivers the request,
 * the promise resolves with the count the server reports, or -1 when none comes within 30 s.
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
      send(id);
    });
  }

  /** The server's answer to request `id`. */
  settle(id: number, sent: number): void {
    this.waiters.get(id)?.(sent);
    this.waiters.delete(id);
  }
}
