// Command client is meshpilot's grpc-go xDS interop client: it dials an xds:/// target (bootstrap from
// GRPC_XDS_BOOTSTRAP) and answers JSON commands, one per stdin line, with one JSON line on stdout each
// (the protocol of e2e/interop/support/client-process.ts):
//
//	{"op":"rpcs","count":N,"intervalMs":0,"deadlineMs":5000,"metadata":{"k":"v"}} -> {"byPeer":{...},"byCode":{"7":N},"failures":N,"errors":[...]}
//	{"op":"csds"} -> {"csds":"<base64 envoy.service.status.v3.ClientStatusResponse>"}
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	v3statuspb "github.com/envoyproxy/go-control-plane/envoy/service/status/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/xds/csds"
	"google.golang.org/protobuf/proto"

	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver and the xDS balancers
	"meshpilot.dev/interop/grpc-go/internal/greeter"
)

type command struct {
	Op         string            `json:"op"`
	Count      int               `json:"count"`
	IntervalMs int               `json:"intervalMs"`
	DeadlineMs int               `json:"deadlineMs"`
	Metadata   map[string]string `json:"metadata"`
}

type rpcsResult struct {
	ByPeer   map[string]int `json:"byPeer"`
	ByCode   map[string]int `json:"byCode"`
	Failures int            `json:"failures"`
	Errors   []string       `json:"errors"`
}

func main() {
	target := flag.String("target", "", "xds:///host:port")
	creds := flag.String("creds", "insecure", "insecure | xds (XdsCredentials, insecure fallback)")
	flag.Parse()
	transport := insecure.NewCredentials()
	if *creds == "xds" {
		c, err := xdscreds.NewClientCredentials(xdscreds.ClientOptions{FallbackCreds: insecure.NewCredentials()})
		if err != nil {
			fail(err)
		}
		transport = c
	}
	conn, err := grpc.NewClient(*target, grpc.WithTransportCredentials(transport))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	csdsServer, err := csds.NewClientStatusDiscoveryServer()
	if err != nil {
		fail(err)
	}
	out := json.NewEncoder(os.Stdout)
	_ = out.Encode(map[string]string{"version": "grpc-go " + grpc.Version})
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var cmd command
		if err := json.Unmarshal(in.Bytes(), &cmd); err != nil {
			_ = out.Encode(map[string]string{"error": "bad command: " + err.Error()})
			continue
		}
		switch cmd.Op {
		case "rpcs":
			_ = out.Encode(rpcs(conn, cmd))
		case "csds":
			resp, err := csdsServer.FetchClientStatus(context.Background(), &v3statuspb.ClientStatusRequest{})
			if err != nil {
				_ = out.Encode(map[string]string{"error": err.Error()})
				continue
			}
			b, err := proto.Marshal(resp)
			if err != nil {
				_ = out.Encode(map[string]string{"error": err.Error()})
				continue
			}
			_ = out.Encode(map[string]string{"csds": base64.StdEncoding.EncodeToString(b)})
		default:
			_ = out.Encode(map[string]string{"error": fmt.Sprintf("unknown op %q", cmd.Op)})
		}
	}
}

func rpcs(conn *grpc.ClientConn, cmd command) rpcsResult {
	result := rpcsResult{ByPeer: map[string]int{}, ByCode: map[string]int{}, Errors: []string{}}
	deadline := time.Duration(cmd.DeadlineMs) * time.Millisecond
	if deadline <= 0 {
		deadline = 5 * time.Second
	}
	for i := 0; i < cmd.Count; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		if len(cmd.Metadata) > 0 {
			ctx = metadata.NewOutgoingContext(ctx, metadata.New(cmd.Metadata))
		}
		reply, err := greeter.Call(ctx, conn, fmt.Sprintf("rpc-%d", i))
		cancel()
		if err != nil {
			result.Failures++
			result.ByCode[strconv.Itoa(int(status.Code(err)))]++
			if len(result.Errors) < 5 {
				result.Errors = append(result.Errors, err.Error())
			}
		} else {
			result.ByPeer[reply.Server]++
		}
		if cmd.IntervalMs > 0 {
			time.Sleep(time.Duration(cmd.IntervalMs) * time.Millisecond)
		}
	}
	return result
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "grpc-go client:", err)
	os.Exit(1)
}
