package main

import (
	"fmt"
	"os"

	"istio.io/istio/pilot/pkg/model"
	"sigs.k8s.io/yaml"
)

// useGatewayDNS points Istio's gateway name cache (pilot/pkg/model/network.go, which resolves hostname
// gateways with A and AAAA queries) at meshpilot.yaml's gatewayDns.servers, through the variable Istio
// exports for its own tests; without servers Istio reads /etc/resolv.conf, as meshpilot does. It must run
// before the discovery server (and its NetworkManager) is made.
func useGatewayDNS(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the config %s: %v", path, err)
	}
	var cfg struct {
		GatewayDNS struct {
			Servers []string `json:"servers"`
		} `json:"gatewayDns"`
	}
	if err := yaml.Unmarshal(text, &cfg); err != nil {
		return fmt.Errorf("%s: not a meshpilot.yaml: %v", path, err)
	}
	if len(cfg.GatewayDNS.Servers) > 0 {
		model.NetworkGatewayTestDNSServers = cfg.GatewayDNS.Servers
	}
	return nil
}
