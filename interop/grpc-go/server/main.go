// Command server is meshpilot's grpc-go xDS-enabled server (google.golang.org/grpc/xds.NewGRPCServer):
// it listens on --address, asks meshpilot for its inbound Listener (bootstrap from GRPC_XDS_BOOTSTRAP) and
// serves the greeter as --id. It prints one JSON line per serving-mode change:
// {"mode":"serving"} or {"mode":"not-serving","error":"..."}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/xds"

	"meshpilot.dev/interop/grpc-go/internal/greeter"
)

func main() {
	address := flag.String("address", "", "ip:port to listen on")
	id := flag.String("id", "grpc-go-server", "the server name put in replies")
	creds := flag.String("creds", "insecure", "insecure | xds (XdsServerCredentials, insecure fallback)")
	flag.Parse()
	transport := insecure.NewCredentials()
	if *creds == "xds" {
		c, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
		if err != nil {
			fail(err)
		}
		transport = c
	}
	out := json.NewEncoder(os.Stdout)
	server, err := xds.NewGRPCServer(
		grpc.Creds(transport),
		grpc.ForceServerCodec(greeter.Codec{}),
		xds.ServingModeCallback(func(_ net.Addr, args xds.ServingModeChangeArgs) {
			line := map[string]string{"mode": args.Mode.String()}
			if args.Err != nil {
				line["error"] = args.Err.Error()
			}
			_ = out.Encode(line)
		}),
	)
	if err != nil {
		fail(err)
	}
	greeter.Register(server, *id, func() {})
	lis, err := net.Listen("tcp", *address)
	if err != nil {
		fail(err)
	}
	_ = out.Encode(map[string]string{"version": "grpc-go " + grpc.Version, "listening": lis.Addr().String()})
	if err := server.Serve(lis); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "grpc-go server:", err)
	os.Exit(1)
}
