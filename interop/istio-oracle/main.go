// istio-oracle loads a meshpilot.yaml (its kube clusters' manifest folders, Istio config folders and
// meshNetworks) into Istio's own pilot, in process, connects probe proxies over ADS and prints what Istio
// sends them (CDS, EDS, LDS, RDS, NDS) as JSON. meshpilot's differential tests compare meshpilot with it.
//
//	istio-oracle --config meshpilot.yaml --probes probes.json > istio.json
//
// Istio runs as its own tests run it: pilot/test/xds.NewFakeDiscoveryServer, one fake kube client per kube
// cluster (the first is the config cluster), meshNetworks and mesh config set. That server wants a
// testing.TB; failer.go is the minimal one. Fatal problems (a config the oracle cannot load) go to stderr
// with exit code 1; what Istio refuses about one probe goes in that probe's "errors".
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/log"
	"istio.io/istio/pkg/util/protomarshal"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

const istioModule = "istio.io/istio"

type output struct {
	IstioVersion string                 `json:"istioVersion"`
	Errors       []string               `json:"errors"`
	Probes       map[string]probeResult `json:"probes"`
}

func main() {
	configPath := flag.String("config", "", "meshpilot.yaml to load into Istio's pilot")
	probesPath := flag.String("probes", "", "probes.json: [{name, node: {id, metadata, locality}}]")
	verbose := flag.Bool("verbose", false, "Istio's info logs and test-server logs on stderr")
	pushUpdate := flag.String("push-sequence", "", "a folder of Istio config to create after the one probe "+
		"subscribed to CDS and EDS: prints the responses Istio then pushes ({istioVersion, pushSequence})")
	flag.Parse()
	if *configPath == "" || *probesPath == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: istio-oracle --config <meshpilot.yaml> --probes <probes.json> [--verbose]")
		os.Exit(2)
	}
	configureLogs(*verbose)

	probes, err := loadProbes(*probesPath)
	if err != nil {
		fatalf("%v", err)
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fatalf("%v", err)
	}
	if err := useGatewayDNS(*configPath); err != nil {
		fatalf("%v", err)
	}
	var warnings []string
	warn := func(message string) {
		warnings = append(warnings, message)
		fmt.Fprintln(os.Stderr, "istio-oracle: warning:", message)
	}
	opts, err := fakeOptions(cfg, warn)
	if err != nil {
		fatalf("%v", err)
	}
	late := &lateSlices{}
	opts.KubeClientBuilder = late.builder

	t := &failer{verbose: *verbose}
	defer t.removeTemp()
	server := xds.NewFakeDiscoveryServer(t, opts)
	if err := orderRegistries(server, cfg.Clusters); err != nil {
		fatalf("%v", err)
	}
	if err := memberWorkloadEntries(server, cfg, warn, make(chan struct{})); err != nil {
		fatalf("%v", err)
	}
	if err := memberPods(server, late); err != nil {
		fatalf("%v", err)
	}
	if err := late.create(context.Background()); err != nil {
		fatalf("%v", err)
	}
	if err := settle(server); err != nil {
		fatalf("endpoints did not settle: %v", err)
	}
	if *verbose {
		for _, gw := range server.PushContext().NetworkManager().AllGateways() {
			fmt.Fprintf(os.Stderr, "istio-oracle: network gateway: network %s, kube cluster %s, %s:%d\n", gw.Network, gw.Cluster, gw.Addr, gw.Port)
		}
	}

	if *pushUpdate != "" {
		runPushSequence(server, probes, *pushUpdate, warn)
		t.removeTemp()
		os.Exit(0)
	}
	out := output{IstioVersion: istioVersion(), Errors: warnings, Probes: map[string]probeResult{}}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	for _, p := range probes {
		out.Probes[p.Name] = runProbe(context.Background(), server, p)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fatalf("cannot write the answer: %v", err)
	}
	if _, err := os.Stdout.Write(buf.Bytes()); err != nil {
		fatalf("cannot write the answer: %v", err)
	}
	t.removeTemp()
	os.Exit(0)
}

// runPushSequence prints what Istio pushes one Envoy probe after the configs of `folder` are created.
func runPushSequence(server *xds.FakeDiscoveryServer, probes []probeSpec, folder string, warn func(string)) {
	if len(probes) != 1 {
		fatalf("--push-sequence takes exactly one probe, got %d", len(probes))
	}
	docs, err := readFolder(folder, warn)
	if err != nil {
		fatalf("push-sequence folder %s: %v", folder, err)
	}
	steps, err := pushSequence(context.Background(), server, probes[0], istioConfigs(docs, warn))
	if err != nil {
		fatalf("push sequence: %v", err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"istioVersion": istioVersion(), "pushSequence": steps}); err != nil {
		fatalf("cannot write the answer: %v", err)
	}
}

func configureLogs(verbose bool) {
	o := log.DefaultOptions()
	o.OutputPaths = []string{"stderr"}
	o.ErrorOutputPaths = []string{"stderr"}
	level := log.WarnLevel
	if verbose {
		level = log.InfoLevel
	}
	o.SetDefaultOutputLevel(log.OverrideScopeName, level)
	if err := log.Configure(o); err != nil {
		fatalf("cannot configure Istio's logs: %v", err)
	}
}

func loadProbes(path string) ([]probeSpec, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the probes %s: %v", path, err)
	}
	var probes []probeSpec
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&probes); err != nil {
		return nil, fmt.Errorf("%s: expected [{name, node: {id, metadata, locality}}]: %v", path, err)
	}
	seen := map[string]bool{}
	for i, p := range probes {
		if p.Name == "" {
			return nil, fmt.Errorf("%s: probes[%d].name: required", path, i)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("%s: probes[%d].name: %q is used twice", path, i, p.Name)
		}
		seen[p.Name] = true
	}
	return probes, nil
}

// fakeOptions turns meshpilot's config into the options of Istio's in-process discovery server.
func fakeOptions(cfg *meshpilotConfig, warn func(string)) (xds.FakeOptions, error) {
	objects := map[cluster.ID][]runtime.Object{}
	for _, c := range cfg.Clusters {
		docs, err := readFolder(c.Manifests, warn)
		if err != nil {
			return xds.FakeOptions{}, fmt.Errorf("kube cluster %s: %v", c.Name, err)
		}
		objs, err := kubeObjects(docs, clusterNetwork(docs, c.Network), warn)
		if err != nil {
			return xds.FakeOptions{}, fmt.Errorf("kube cluster %s: %v", c.Name, err)
		}
		// Every kube cluster gets its own fake kube client, even an empty one.
		objects[cluster.ID(c.Name)] = append(objs, []runtime.Object{}...)
	}
	var configs []config.Config
	for _, s := range cfg.Config {
		docs, err := readFolder(s.Manifests, warn)
		if err != nil {
			return xds.FakeOptions{}, fmt.Errorf("config source %s: %v", s.Manifests, err)
		}
		configs = append(configs, istioConfigs(docs, warn)...)
	}
	configs = dedupeConfigs(configs, warn)

	meshCfg, err := meshConfig(cfg)
	if err != nil {
		return xds.FakeOptions{}, err
	}
	networks, err := meshNetworksConfig(cfg)
	if err != nil {
		return xds.FakeOptions{}, err
	}
	return xds.FakeOptions{
		DefaultClusterName:         cluster.ID(cfg.Clusters[0].Name),
		KubernetesObjectsByCluster: objects,
		Configs:                    configs,
		MeshConfig:                 meshCfg,
		NetworksWatcher:            meshwatcher.NewFixedNetworksWatcher(networks),
	}, nil
}

// dedupeConfigs keeps the first of two configs with the same kind, namespace and name (two config
// sources may hold the same object); Istio's store would refuse the second.
func dedupeConfigs(configs []config.Config, warn func(string)) []config.Config {
	seen := map[string]bool{}
	out := configs[:0]
	for _, c := range configs {
		key := c.GroupVersionKind.Kind + " " + c.Namespace + "/" + c.Name
		if seen[key] {
			warn(fmt.Sprintf("%s is defined in two config sources; the later copy is dropped", key))
			continue
		}
		seen[key] = true
		out = append(out, c)
	}
	return out
}

// meshConfig is Istio's default MeshConfig with meshpilot's trust domain and mesh ID, then meshpilot's
// optional `mesh:` section (Istio MeshConfig YAML) on top.
func meshConfig(cfg *meshpilotConfig) (*meshconfig.MeshConfig, error) {
	m := mesh.DefaultMeshConfig()
	m.TrustDomain = cfg.TrustDomain
	m.DefaultConfig.MeshId = cfg.MeshID
	if len(cfg.Mesh) == 0 {
		return m, nil
	}
	text, err := yaml.Marshal(cfg.Mesh)
	if err != nil {
		return nil, err
	}
	merged, err := mesh.ApplyMeshConfig(string(text), m)
	if err != nil {
		return nil, fmt.Errorf("mesh: Istio cannot read it as MeshConfig: %v", err)
	}
	return merged, nil
}

func meshNetworksConfig(cfg *meshpilotConfig) (*meshconfig.MeshNetworks, error) {
	out := mesh.EmptyMeshNetworks()
	if cfg.MeshNetworks == nil {
		return &out, nil
	}
	text, err := json.Marshal(cfg.MeshNetworks)
	if err != nil {
		return nil, err
	}
	if err := protomarshal.ApplyYAML(string(text), &out); err != nil {
		return nil, fmt.Errorf("meshNetworks: Istio cannot read it: %v", err)
	}
	return &out, nil
}

// istioVersion is the istio.io/istio module version this binary was built with.
func istioVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var versions []string
	for _, dep := range info.Deps {
		if dep.Path == istioModule {
			v := dep.Version
			if dep.Replace != nil {
				v = dep.Replace.Version
			}
			versions = append(versions, v)
		}
	}
	sort.Strings(versions)
	return strings.Join(versions, ",")
}
