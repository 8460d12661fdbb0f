package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"

	"istio.io/api/label"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/resource"
	kubelib "istio.io/istio/pkg/kube"
)

// A manifest document, flattened out of `kind: List` (and `PodList`-style lists), with where it came from.
type document struct {
	source string // <file>#<document index>
	object map[string]any
}

const maxFolderDepth = 32

// readFolder returns every object of every *.yaml, *.yml and *.json file under dir (recursively, sorted by
// path, dot-files and dot-folders skipped), as meshpilot's manifest reader does. A later copy of an object
// (same group, kind, namespace and name) is dropped with a warning, as meshpilot does.
func readFolder(dir string, warn func(string)) ([]document, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("manifests folder %s: %v", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("manifests folder %s is not a folder", dir)
	}
	var files []string
	if err := listFiles(dir, 0, &files); err != nil {
		return nil, err
	}
	var out []document
	seen := map[string]string{}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", file, err)
		}
		docs, err := splitDocuments(text, file)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			key := objectKey(d.object)
			if first, dup := seen[key]; dup {
				warn(fmt.Sprintf("%s: %s is also defined in %s; this copy is dropped", d.source, key, first))
				continue
			}
			seen[key] = d.source
			out = append(out, d)
		}
	}
	return out, nil
}

func listFiles(dir string, depth int, files *[]string) error {
	if depth > maxFolderDepth {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot read the folder %s: %v", dir, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		if st.IsDir() {
			if err := listFiles(path, depth+1, files); err != nil {
				return err
			}
			continue
		}
		lower := strings.ToLower(e.Name())
		if strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") || strings.HasSuffix(lower, ".json") {
			*files = append(*files, path)
		}
	}
	return nil
}

func splitDocuments(text []byte, file string) ([]document, error) {
	reader := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(text), 64*1024)
	var out []document
	for index := 0; ; index++ {
		var value any
		err := reader.Decode(&value)
		if errors.Is(err, io.EOF) {
			break
		}
		source := fmt.Sprintf("%s#%d", file, index)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot parse the YAML: %v", source, err)
		}
		if value == nil {
			continue
		}
		if err := flatten(value, source, 0, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func flatten(value any, source string, depth int, out *[]document) error {
	object, ok := value.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: expected a Kubernetes object (a mapping), got %T", source, value)
	}
	kind, _ := object["kind"].(string)
	items, isList := object["items"].([]any)
	if strings.HasSuffix(kind, "List") && isList && depth < 8 {
		for i, item := range items {
			if m, ok := item.(map[string]any); ok && kind != "List" {
				if _, has := m["kind"]; !has {
					m["kind"] = strings.TrimSuffix(kind, "List")
				}
				if _, has := m["apiVersion"]; !has {
					m["apiVersion"] = object["apiVersion"]
				}
			}
			if err := flatten(item, fmt.Sprintf("%s.items[%d]", source, i), depth+1, out); err != nil {
				return err
			}
		}
		return nil
	}
	apiVersion, _ := object["apiVersion"].(string)
	meta, _ := object["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if apiVersion == "" || kind == "" || name == "" {
		return fmt.Errorf("%s: a Kubernetes object needs apiVersion, kind and metadata.name", source)
	}
	*out = append(*out, document{source: source, object: object})
	return nil
}

func objectKey(object map[string]any) string {
	apiVersion, _ := object["apiVersion"].(string)
	group := ""
	if i := strings.Index(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	meta, _ := object["metadata"].(map[string]any)
	namespace, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	return fmt.Sprintf("%s %s %s/%s", group, object["kind"], namespace, name)
}

// istioSchema is the Istio config schema (VirtualService, DestinationRule, PeerAuthentication, ...) of an
// object, if it is one.
func istioSchema(object map[string]any) (resource.Schema, bool) {
	apiVersion, _ := object["apiVersion"].(string)
	kind, _ := object["kind"].(string)
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		return nil, false
	}
	return collections.PilotGatewayAPI().FindByGroupVersionAliasesKind(config.GroupVersionKind{Group: group, Version: version, Kind: kind})
}

// isGatewayAPI: Kubernetes Gateway API kinds, which Istio reads from the config kube cluster's API server.
func isGatewayAPI(object map[string]any) bool {
	apiVersion, _ := object["apiVersion"].(string)
	return strings.HasPrefix(apiVersion, "gateway.networking.k8s.io/") || strings.HasPrefix(apiVersion, "gateway.networking.x-k8s.io/")
}

// istioConfigs turns the Istio objects of a config folder into Istio configs. Objects Istio's validation
// (its admission webhook) would refuse are dropped with a warning; other kinds are skipped silently (a
// kube cluster folder used as a config source also holds Services, Pods, ...).
func istioConfigs(docs []document, warn func(string)) []config.Config {
	var out []config.Config
	for _, d := range docs {
		s, ok := istioSchema(d.object)
		if !ok {
			continue
		}
		if isGatewayAPI(d.object) {
			warn(fmt.Sprintf("%s: %s: Kubernetes Gateway API objects are not loaded by the oracle", d.source, objectKey(d.object)))
			continue
		}
		raw, err := json.Marshal(d.object)
		if err != nil {
			warn(fmt.Sprintf("%s: %v", d.source, err))
			continue
		}
		obj := crd.IstioKind{}
		if err := json.Unmarshal(raw, &obj); err != nil {
			warn(fmt.Sprintf("%s: %s: %v", d.source, objectKey(d.object), err))
			continue
		}
		cfg, err := crd.ConvertObject(s, &obj, "")
		if err != nil {
			warn(fmt.Sprintf("%s: %s: Istio cannot read it: %v", d.source, objectKey(d.object), err))
			continue
		}
		if cfg.Namespace == "" && !s.IsClusterScoped() {
			cfg.Namespace = "default"
		}
		if _, err := s.ValidateConfig(*cfg); err != nil {
			warn(fmt.Sprintf("%s: %s: Istio's validation refuses it (dropped): %v", d.source, objectKey(d.object), err))
			continue
		}
		out = append(out, *cfg)
	}
	return out
}

// kubeObjects turns the objects of a kube cluster folder into typed Kubernetes objects for a fake kube
// client. Istio config kinds are skipped (they are read only from `config:` sources, as meshpilot does; a member
// kube cluster's WorkloadEntries are added by memberWorkloadEntries);
// kinds the Kubernetes scheme does not know are skipped with a warning.
//
// network is the kube cluster's network (its istio-system Namespace's topology.istio.io/network label, or
// meshpilot's clusters[].network). Istio's test server does not watch the system namespace, so the oracle
// gives that network to the cluster's pods as their topology.istio.io/network label when they have none:
// the network Istio's kube registry would give their endpoints.
func kubeObjects(docs []document, network string, warn func(string)) ([]runtime.Object, error) {
	decode := kubelib.IstioCodec.UniversalDeserializer().Decode
	var out []runtime.Object
	for _, d := range docs {
		if _, ok := istioSchema(d.object); ok {
			if isGatewayAPI(d.object) {
				warn(fmt.Sprintf("%s: %s: Kubernetes Gateway API objects are not loaded by the oracle", d.source, objectKey(d.object)))
			}
			continue
		}
		raw, err := json.Marshal(d.object)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", d.source, err)
		}
		obj, _, err := decode(raw, nil, nil)
		if err != nil {
			if runtime.IsNotRegisteredError(err) {
				warn(fmt.Sprintf("%s: %s: kind not known to Istio's kube client, skipped", d.source, objectKey(d.object)))
				continue
			}
			return nil, fmt.Errorf("%s: %s: Istio's kube client cannot read it: %v", d.source, objectKey(d.object), err)
		}
		if pod, ok := obj.(*corev1.Pod); ok && network != "" && pod.Labels[label.TopologyNetwork.Name] == "" {
			if pod.Labels == nil {
				pod.Labels = map[string]string{}
			}
			pod.Labels[label.TopologyNetwork.Name] = network
		}
		out = append(out, obj)
	}
	return out, nil
}

// clusterNetwork is the network of a kube cluster as an Istio install would see it: the
// topology.istio.io/network label of its istio-system Namespace, else meshpilot's clusters[].network.
func clusterNetwork(docs []document, configured string) string {
	for _, d := range docs {
		if d.object["kind"] != "Namespace" || d.object["apiVersion"] != "v1" {
			continue
		}
		meta, _ := d.object["metadata"].(map[string]any)
		if meta["name"] != "istio-system" {
			continue
		}
		labels, _ := meta["labels"].(map[string]any)
		if nw, ok := labels[label.TopologyNetwork.Name].(string); ok && nw != "" {
			return nw
		}
	}
	return configured
}
