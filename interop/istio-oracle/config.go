package main

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// meshpilotConfig is the part of meshpilot.yaml the oracle reads (server/config/schema.ts); every other key
// (listen, debounce, security, ...) changes how meshpilot runs, not what Istio would send, and is ignored.
type meshpilotConfig struct {
	MeshID       string         `json:"meshId"`
	TrustDomain  string         `json:"trustDomain"`
	DomainSuffix string         `json:"domainSuffix"`
	Clusters     []kubeCluster  `json:"clusters"`
	Config       []configSource `json:"config"`
	MeshNetworks *meshNetworks  `json:"meshNetworks"`
	Mesh         map[string]any `json:"mesh"`
	dir          string
}

type kubeCluster struct {
	Name       string `json:"name"`
	Network    string `json:"network"`
	Manifests  string `json:"manifests"`
	Kubeconfig string `json:"kubeconfig"`
}

type configSource struct {
	Manifests string `json:"manifests"`
	Cluster   string `json:"cluster"`
}

type meshNetworks struct {
	Networks map[string]meshNetwork `json:"networks"`
}

type meshNetwork struct {
	Endpoints []map[string]any `json:"endpoints"`
	Gateways  []map[string]any `json:"gateways"`
}

// defaultGatewayPort is meshpilot's default for a meshNetworks gateway without a port (Istio has none).
const defaultGatewayPort = 15443

// loadConfig reads meshpilot.yaml, applies meshpilot's defaults and makes every path absolute (relative
// paths are relative to the config file). Only what the oracle cannot run is an error here; meshpilot's
// own validation is meshpilot's business.
func loadConfig(path string) (*meshpilotConfig, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the config %s: %v", path, err)
	}
	cfg := &meshpilotConfig{}
	if err := yaml.Unmarshal(text, cfg); err != nil {
		return nil, fmt.Errorf("%s: not a meshpilot.yaml: %v", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	cfg.dir = filepath.Dir(abs)
	if cfg.MeshID == "" {
		cfg.MeshID = "mesh1"
	}
	if cfg.TrustDomain == "" {
		cfg.TrustDomain = "cluster.local"
	}
	if cfg.DomainSuffix == "" {
		cfg.DomainSuffix = "cluster.local"
	}
	if cfg.DomainSuffix != "cluster.local" {
		return nil, fmt.Errorf("domainSuffix %q: Istio's in-process test server (pilot/test/xds) always uses cluster.local", cfg.DomainSuffix)
	}
	if len(cfg.Clusters) == 0 {
		return nil, fmt.Errorf("%s: clusters[] is empty; the oracle needs at least one kube cluster", path)
	}
	seen := map[string]bool{}
	for i := range cfg.Clusters {
		c := &cfg.Clusters[i]
		if c.Name == "" {
			return nil, fmt.Errorf("clusters[%d].name: required", i)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("clusters[%d].name: %q is listed twice", i, c.Name)
		}
		seen[c.Name] = true
		if c.Kubeconfig != "" {
			return nil, fmt.Errorf("clusters[%d] (%s): kubeconfig clusters are not supported by the oracle; give the kube cluster as a `manifests:` folder", i, c.Name)
		}
		if c.Manifests == "" {
			return nil, fmt.Errorf("clusters[%d] (%s): needs `manifests:`", i, c.Name)
		}
		c.Manifests = cfg.resolve(c.Manifests)
	}
	for i := range cfg.Config {
		s := &cfg.Config[i]
		switch {
		case s.Manifests != "" && s.Cluster == "":
			s.Manifests = cfg.resolve(s.Manifests)
		case s.Cluster != "" && s.Manifests == "":
			c := cfg.cluster(s.Cluster)
			if c == nil {
				return nil, fmt.Errorf("config[%d].cluster: %q is not in clusters[]", i, s.Cluster)
			}
			// A kube cluster given by a manifests folder holds its Istio objects in that same folder.
			s.Manifests = c.Manifests
		default:
			return nil, fmt.Errorf("config[%d]: needs exactly one of `manifests` or `cluster`", i)
		}
	}
	if cfg.MeshNetworks != nil {
		for name, network := range cfg.MeshNetworks.Networks {
			for _, gw := range network.Gateways {
				if _, ok := gw["port"]; !ok {
					gw["port"] = defaultGatewayPort
				}
			}
			cfg.MeshNetworks.Networks[name] = network
		}
	}
	return cfg, nil
}

func (c *meshpilotConfig) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *meshpilotConfig) cluster(name string) *kubeCluster {
	for i := range c.Clusters {
		if c.Clusters[i].Name == name {
			return &c.Clusters[i]
		}
	}
	return nil
}
