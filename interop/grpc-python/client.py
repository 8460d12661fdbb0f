"""meshpilot's gRPC C-core xDS interop client, through Python's grpcio.

Dials an xds:/// target (bootstrap from GRPC_XDS_BOOTSTRAP) and answers JSON commands, one per stdin line, with one
JSON line on stdout each (the protocol of e2e/interop/support/client-process.ts):
  {"op":"rpcs","count":N,"intervalMs":0,"deadlineMs":5000,"metadata":{"k":"v"}} -> {"byPeer":{...},"byCode":{"7":N},"failures":N,"errors":[...]}
  {"op":"csds"} -> {"csds":"<base64 envoy.service.status.v3.ClientStatusResponse>"}
The greeter service is e2e/support/helloworld.ts's: /helloworld.Greeter/SayHello with JSON bodies.
"""

import argparse
import base64
import json
import sys
import time
from concurrent import futures

import grpc
import grpc.experimental
import grpc_csds

SAY_HELLO = "/helloworld.Greeter/SayHello"
FETCH_CLIENT_STATUS = "/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus"


def identity(value):
    return value


def rpcs(channel, cmd):
    call = channel.unary_unary(
        SAY_HELLO,
        request_serializer=lambda req: json.dumps(req).encode(),
        response_deserializer=lambda data: json.loads(data.decode()),
    )
    metadata = tuple((k, v) for k, v in (cmd.get("metadata") or {}).items())
    timeout = (cmd.get("deadlineMs") or 5000) / 1000
    interval = (cmd.get("intervalMs") or 0) / 1000
    by_peer, by_code, failures, errors = {}, {}, 0, []
    for i in range(cmd["count"]):
        try:
            reply = call({"name": f"rpc-{i}"}, timeout=timeout, metadata=metadata)
            by_peer[reply["server"]] = by_peer.get(reply["server"], 0) + 1
        except grpc.RpcError as error:
            failures += 1
            code = str(error.code().value[0])
            by_code[code] = by_code.get(code, 0) + 1
            if len(errors) < 5:
                errors.append(f"{error.code().name}: {error.details()}")
        if interval:
            time.sleep(interval)
    return {"byPeer": by_peer, "byCode": by_code, "failures": failures, "errors": errors}


def csds(status_channel):
    fetch = status_channel.unary_unary(
        FETCH_CLIENT_STATUS, request_serializer=identity, response_deserializer=identity
    )
    return {"csds": base64.b64encode(fetch(b"", timeout=10)).decode()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--creds", default="insecure", choices=["insecure", "xds"])
    args = parser.parse_args()
    if args.creds == "xds":
        credentials = grpc.xds_channel_credentials(grpc.experimental.insecure_channel_credentials())
        channel = grpc.secure_channel(args.target, credentials)
    else:
        channel = grpc.insecure_channel(args.target)
    # CSDS: grpcio-csds's servicer on a local port, asked as a CSDS client would.
    status_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    grpc_csds.add_csds_servicer(status_server)
    status_port = status_server.add_insecure_port("127.0.0.1:0")
    status_server.start()
    status_channel = grpc.insecure_channel(f"127.0.0.1:{status_port}")
    print(json.dumps({"version": f"grpc-python {grpc.__version__} (C-core)"}), flush=True)
    for line in sys.stdin:
        try:
            cmd = json.loads(line)
            if cmd.get("op") == "rpcs":
                out = rpcs(channel, cmd)
            elif cmd.get("op") == "csds":
                out = csds(status_channel)
            else:
                out = {"error": f"unknown op {cmd.get('op')!r}"}
        except Exception as error:  # noqa: BLE001 - every failure goes back to the test as text
            out = {"error": repr(error)}
        print(json.dumps(out), flush=True)
    channel.close()
    status_channel.close()
    status_server.stop(None)


if __name__ == "__main__":
    main()
