import { createServer, Packet } from 'dns2';

/** What the test DNS server answers for one name. */
export interface TestDnsAnswer {
  readonly a?: readonly string[];
  readonly aaaa?: readonly string[];
  /** Record TTL in seconds (default 1). */
  readonly ttl?: number;
  /** 'servfail' answers SERVFAIL to both queries; 'nxdomain' answers NXDOMAIN. Names never set are NXDOMAIN. */
  readonly rcode?: 'servfail' | 'nxdomain';
}

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, as meshpilot.yaml gatewayDns.servers takes it. */
  readonly address: string;
  set(name: string, answer: TestDnsAnswer): void;
  /** How many A and AAAA questions were asked for `name` so far. */
  queries(name: string): number;
  close(): Promise<void>;
}

/** A real authoritative-style DNS server (dns2, UDP) on a loopback address and an ephemeral port. */
export async function startTestDnsServer(host = '127.0.0.1'): Promise<TestDnsServer> {
  const answers = new Map<string, TestDnsAnswer>();
  const asked = new Map<string, number>();
  const server = createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = (question?.name ?? '').replace(/\.$/, '').toLowerCase();
      asked.set(name, (asked.get(name) ?? 0) + 1);
      const answer = answers.get(name);
      if (answer === undefined || answer.rcode === 'nxdomain') response.header.rcode = Packet.RCODE.NXDOMAIN;
      else if (answer.rcode === 'servfail') response.header.rcode = Packet.RCODE.SERVFAIL;
      else {
        const ttl = answer.ttl ?? 1;
        const wantsA = question?.type === Packet.TYPE.A;
        for (const address of (wantsA ? answer.a : question?.type === Packet.TYPE.AAAA ? answer.aaaa : []) ?? [])
          // dns2 encodes plain records; its Resource type also lists the encoder it adds.
          response.answers.push({
            name: question?.name ?? name,
            type: wantsA ? Packet.TYPE.A : Packet.TYPE.AAAA,
            class: Packet.CLASS.IN,
            ttl,
            address,
          } as (typeof response.answers)[number]);
      }
      void send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: host } });
  const port = addresses.udp?.port;
  if (port === undefined) throw new Error('the test DNS server has no UDP port');
  return {
    address: `${host}:${port}`,
    set: (name, answer) => void answers.set(name.toLowerCase(), answer),
    queries: (name) => asked.get(name.toLowerCase()) ?? 0,
    close: () => server.close(),
  };
}
