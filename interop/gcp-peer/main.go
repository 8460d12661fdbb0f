// gcp-peer: an ADS server built the way go-control-plane's users build one, serving the per-view
// resources meshpilot produced for the bench mesh, so `npm run bench` can run its fleet of simulated
// Envoys against a mature xDS server library for the same bytes.
//
// CDS comes from go-control-plane's SnapshotCache (one snapshot per proxy view, ADS mode), EDS from one
// LinearCache per view (it sends only the ClusterLoadAssignments that changed), muxed by type and view.
// The resources are the DiscoveryResponses the bench recorded from meshpilot (bench/recording.ts:
// index.json and one file per response), unmarshalled into go-control-plane's types.
//
// Protocol with the bench (bench/peer-process.ts): stdout gets one JSON line {"ready":true,"port":N,
// "version":...} once serving; stdin takes JSON lines {"op":"push","id":N,"resources":[names]} (a new
// version of each named EDS resource in every view that has it, answered {"id":N,"sent":watches}) and
// {"op":"streams","id":N} (answered {"id":N,"sent":open streams}) and {"op":"cds","id":N} (a service change:
// a new CDS snapshot version in every view, one cluster's bytes changed, answered {"id":N,"sent":views}).
// EOF on stdin stops the server.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
)

type recordingIndex struct {
	Views []struct {
		Key string   `json:"key"`
		CDS []string `json:"cds"`
		EDS []string `json:"eds"`
	} `json:"views"`
}

// viewKey is the bench's proxy view of a node: NETWORK metadata and locality (bench/views.ts viewKeyOf).
func viewKey(node *core.Node) string {
	network := node.GetMetadata().GetFields()["NETWORK"].GetStringValue()
	return fmt.Sprintf("%s|%s/%s", network, node.GetLocality().GetRegion(), node.GetLocality().GetZone())
}

type viewHash struct{}

func (viewHash) ID(node *core.Node) string { return viewKey(node) }

type quiet struct{}

func (quiet) Debugf(string, ...any) {}
func (quiet) Infof(string, ...any)  {}
func (quiet) Warnf(string, ...any)  {}
func (quiet) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-control-plane: "+format+"\n", args...)
}

func main() {
	dir := flag.String("recording", "", "folder of the bench's recording of meshpilot's responses")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve ADS on")
	flag.Parse()
	if err := run(*dir, *listen); err != nil {
		fmt.Fprintln(os.Stderr, "gcp-peer:", err)
		os.Exit(1)
	}
}

func run(dir, listen string) error {
	if dir == "" {
		return fmt.Errorf("--recording is required")
	}
	views, err := loadViews(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	snapshots := cache.NewSnapshotCache(true, viewHash{}, quiet{})
	endpoints := map[string]*cache.LinearCache{}
	caches := map[string]cache.Cache{"snapshot": snapshots}
	for _, v := range views {
		snapshot, err := cache.NewSnapshot("1", map[resource.Type][]types.Resource{resource.ClusterType: v.clusters})
		if err != nil {
			return fmt.Errorf("view %s: %w", v.key, err)
		}
		if err := snapshots.SetSnapshot(ctx, v.key, snapshot); err != nil {
			return fmt.Errorf("view %s: %w", v.key, err)
		}
		linear := cache.NewLinearCache(resource.EndpointType, cache.WithInitialResources(v.endpoints),
			cache.WithVersionPrefix(v.key+"-"), cache.WithLogger(quiet{}))
		endpoints[v.key] = linear
		caches["eds|"+v.key] = linear
	}
	mux := &cache.MuxCache{
		Classify: func(r *cache.Request) string {
			if r.GetTypeUrl() == resource.EndpointType {
				return "eds|" + viewKey(r.GetNode())
			}
			return "snapshot"
		},
		ClassifyDelta: func(r *cache.DeltaRequest) string {
			if r.GetTypeUrl() == resource.EndpointType {
				return "eds|" + viewKey(r.GetNode())
			}
			return "snapshot"
		},
		Caches: caches,
	}
	var open atomic.Int64
	callbacks := server.CallbackFuncs{
		StreamOpenFunc:   func(context.Context, int64, string) error { open.Add(1); return nil },
		StreamClosedFunc: func(int64, *core.Node) { open.Add(-1) },
	}
	xds := server.NewServer(ctx, mux, callbacks)
	grpcServer := grpc.NewServer(
		grpc.MaxConcurrentStreams(1<<20),
		grpc.MaxRecvMsgSize(16<<20),
		grpc.MaxSendMsgSize(64<<20),
	)
	discovery.RegisterAggregatedDiscoveryServiceServer(grpcServer, xds)
	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	go func() {
		if err := grpcServer.Serve(lis); err != nil {
			fmt.Fprintln(os.Stderr, "gcp-peer: serve:", err)
		}
	}()
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(map[string]any{"ready": true, "port": lis.Addr().(*net.TCPAddr).Port, "version": libraryVersion()}); err != nil {
		return err
	}

	generations := map[string]uint64{}
	cdsGeneration := uint64(1)
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	for scanner.Scan() {
		var command struct {
			Op        string   `json:"op"`
			ID        int      `json:"id"`
			Resources []string `json:"resources"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &command); err != nil {
			return fmt.Errorf("bad command %q: %w", scanner.Text(), err)
		}
		sent := int64(0)
		switch command.Op {
		case "push":
			n, err := push(views, endpoints, generations, command.Resources)
			if err != nil {
				return err
			}
			sent = n
		case "streams":
			sent = open.Load()
		case "cds":
			cdsGeneration++
			if err := newClusters(ctx, snapshots, views, cdsGeneration); err != nil {
				return err
			}
			sent = int64(len(views))
		default:
			return fmt.Errorf("unknown op %q", command.Op)
		}
		if err := out.Encode(map[string]any{"id": command.ID, "sent": sent}); err != nil {
			return err
		}
	}
	grpcServer.Stop()
	return scanner.Err()
}

// push gives each named EDS resource a new version (meshpilot's bytes with an unknown field carrying a
// generation number, as the bench's baseline does) in every view that has it, and hands the changes to
// that view's LinearCache, which answers the streams watching them. Returns the watches it woke.
func push(views []*view, endpoints map[string]*cache.LinearCache, generations map[string]uint64, names []string) (int64, error) {
	var woken int64
	for _, name := range names {
		generations[name]++
	}
	for _, v := range views {
		linear := endpoints[v.key]
		changed := map[string]types.Resource{}
		for _, name := range names {
			cla, err := v.changedEndpoints(name, generations[name])
			if err != nil {
				return 0, err
			}
			if cla == nil {
				continue
			}
			changed[name] = cla
			woken += int64(linear.NumWatches(name))
		}
		if len(changed) == 0 {
			continue
		}
		if err := linear.UpdateResources(changed, nil); err != nil {
			return 0, fmt.Errorf("view %s: %w", v.key, err)
		}
	}
	return woken, nil
}

// newClusters is a service change as go-control-plane's users hand one over: a new snapshot (version
// `generation`, the same in every view) of every view's full CDS, in which one cluster (a different one
// each time) carries the generation as an unknown field. SetSnapshot answers the watches open on it.
func newClusters(ctx context.Context, snapshots cache.SnapshotCache, views []*view, generation uint64) error {
	version := fmt.Sprint(generation)
	for _, v := range views {
		clusters, err := v.changedClusters(generation)
		if err != nil {
			return err
		}
		snapshot, err := cache.NewSnapshot(version, map[resource.Type][]types.Resource{resource.ClusterType: clusters})
		if err != nil {
			return fmt.Errorf("view %s: %w", v.key, err)
		}
		if err := snapshots.SetSnapshot(ctx, v.key, snapshot); err != nil {
			return fmt.Errorf("view %s: %w", v.key, err)
		}
	}
	return nil
}

func libraryVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	versions := map[string]string{}
	for _, dep := range info.Deps {
		versions[dep.Path] = dep.Version
	}
	return fmt.Sprintf("go-control-plane %s (go-control-plane/envoy %s, grpc-go %s, %s)",
		versions["github.com/envoyproxy/go-control-plane"], versions["github.com/envoyproxy/go-control-plane/envoy"],
		versions["google.golang.org/grpc"], info.GoVersion)
}

func loadViews(dir string) ([]*view, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	var index recordingIndex
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	var views []*view
	for _, entry := range index.Views {
		v, err := readView(dir, entry.Key, entry.CDS, entry.EDS)
		if err != nil {
			return nil, fmt.Errorf("view %s: %w", entry.Key, err)
		}
		views = append(views, v)
	}
	return views, nil
}
