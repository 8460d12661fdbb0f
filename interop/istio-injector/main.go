// istio-injector runs Istio's own sidecar injector in process, as istiod serves it: the istio-discovery chart
// of the pinned Istio module is rendered (operator/pkg/render, as `istioctl install` does) with the values a
// meshpilot install gives (proxy image, discoveryAddress, mesh id, trust domain, cluster domain), and the
// resulting istio-sidecar-injector ConfigMap (config + values) and mesh config feed pkg/kube/inject's
// Webhook, whose /inject handler then answers each AdmissionReview. meshpilot's injection tests compare
// meshpilot's /inject answers with these.
//
//	istio-injector < request.json > answers.json
//
// request.json: {"values": {...}, "clusters": {"<id>": {"kubeletVersions": ["v1.32.0"]}},
// "reviews": [{"name", "path", "review": <admission.k8s.io/v1 AdmissionReview>}]}. A cluster listed in
// "clusters" gets a fake kube client holding one Node per kubelet version, which is what Istio's native
// sidecar detection (ENABLE_NATIVE_SIDECARS=auto) reads; a cluster not listed has no client, and Istio
// then injects classic sidecars.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"sort"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"istio.io/istio/operator/pkg/render"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/multicluster"
	"istio.io/istio/pkg/log"
)

const istioModule = "istio.io/istio"

// values are the settings of a meshpilot install that Istio's chart takes as Helm values or mesh config.
type values struct {
	ProxyImage       string `json:"proxyImage"`
	DiscoveryAddress string `json:"discoveryAddress"`
	MeshID           string `json:"meshId"`
	TrustDomain      string `json:"trustDomain"`
	DomainSuffix     string `json:"domainSuffix"`
	// Revision "" or "default" is Istio's default revision.
	Revision string `json:"revision"`
	// ClusterName and Network: the chart's global.multiCluster.clusterName and global.network (the
	// /inject/cluster/<id>/net/<network> path overrides both per request, as istiod's webhook does).
	ClusterName string `json:"clusterName"`
	Network     string `json:"network"`
}

type clusterSpec struct {
	KubeletVersions []string `json:"kubeletVersions"`
}

type reviewSpec struct {
	Name   string          `json:"name"`
	Path   string          `json:"path"`
	Review json.RawMessage `json:"review"`
	// Patches: other injectors' JSONPatch answers to the same review (e.g. meshpilot's), by name, applied to
	// the review's Pod with the kube-apiserver's own JSON Patch library, beside Istio's.
	Patches map[string]json.RawMessage `json:"patches,omitempty"`
}

type request struct {
	Values   values                 `json:"values"`
	Clusters map[string]clusterSpec `json:"clusters"`
	Reviews  []reviewSpec           `json:"reviews"`
}

type answer struct {
	Name       string          `json:"name"`
	HTTPStatus int             `json:"httpStatus"`
	Response   json.RawMessage `json:"response"`
	Body       string          `json:"body,omitempty"`
	// Patched: the review's Pod with Istio's patch ("istio") and each of the review's Patches applied.
	Patched map[string]json.RawMessage `json:"patched,omitempty"`
	// PatchErrors: why a patch did not apply, by name.
	PatchErrors map[string]string `json:"patchErrors,omitempty"`
}

type output struct {
	IstioVersion string `json:"istioVersion"`
	// SetFlags: what the chart was rendered with, so a reader of a difference knows Istio's input.
	SetFlags []string `json:"setFlags"`
	// Templates: the injection templates the rendered chart gives the webhook, by name.
	Templates []string `json:"templates"`
	// MutatingWebhooks: the webhooks of the rendered chart's MutatingWebhookConfiguration (which namespaces
	// and pods the kube-apiserver sends to /inject), for comparison with meshpilot-member's.
	MutatingWebhooks []any    `json:"mutatingWebhooks"`
	Answers          []answer `json:"answers"`
}

func main() {
	configureLogs(os.Getenv("ISTIO_INJECTOR_VERBOSE") != "")
	var req request
	dec := json.NewDecoder(io.LimitReader(os.Stdin, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fatalf("cannot read the request on stdin: %v", err)
	}
	setFlags := chartFlags(req.Values)
	injectorConfig, valuesText, meshConfigText, webhooks, err := renderChart(setFlags)
	if err != nil {
		fatalf("%v", err)
	}
	meshConfig, err := mesh.ApplyMeshConfigDefaults(meshConfigText)
	if err != nil {
		fatalf("the rendered mesh config does not parse: %v", err)
	}
	cfg, err := inject.UnmarshalConfig([]byte(injectorConfig))
	if err != nil {
		fatalf("the rendered injector config does not parse: %v", err)
	}

	stop := make(chan struct{})
	defer close(stop)
	store := model.NewFakeStore()
	go store.Run(stop)
	env := &model.Environment{Watcher: meshwatcher.NewTestWatcher(meshConfig), ConfigStore: store}
	env.SetPushContext(&model.PushContext{ProxyConfigs: model.GetProxyConfigs(store, meshConfig)})
	clusters := multicluster.NewFakeController()
	mux := http.NewServeMux()
	revision := req.Values.Revision
	if revision == "" {
		revision = "default"
	}
	if _, err := inject.NewWebhook(inject.WebhookParameters{
		Watcher:      &staticWatcher{config: &cfg, values: valuesText},
		Env:          env,
		Mux:          mux,
		Revision:     revision,
		MultiCluster: clusters,
	}); err != nil {
		fatalf("Istio's webhook refused the rendered configuration: %v", err)
	}
	if err := addClusters(clusters, req.Clusters, stop); err != nil {
		fatalf("%v", err)
	}

	out := output{IstioVersion: istioVersion(), SetFlags: setFlags, MutatingWebhooks: webhooks, Answers: []answer{}}
	for name := range cfg.RawTemplates {
		out.Templates = append(out.Templates, name)
	}
	sort.Strings(out.Templates)
	for _, r := range req.Reviews {
		out.Answers = append(out.Answers, serve(mux, r))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fatalf("cannot write the answers: %v", err)
	}
}

// chartFlags: the --set flags of `istioctl install` that give Istio's chart a meshpilot install's settings.
// profile=empty with the pilot component is Istio's own injector tests' choice (pkg/kube/inject
// getInjectionSettings); the injector's parts of the chart are those of the default profile.
func chartFlags(v values) []string {
	flags := []string{"profile=empty", "components.pilot.enabled=true"}
	add := func(key, value string) {
		if value != "" {
			flags = append(flags, key+"="+value)
		}
	}
	add("values.global.proxy.image", v.ProxyImage)
	add("values.global.proxy_init.image", v.ProxyImage)
	add("meshConfig.defaultConfig.discoveryAddress", v.DiscoveryAddress)
	// Istio's external control plane install points CA_ADDR at the external istiod too (global.caAddress);
	// meshpilot's webhook gives its discoveryAddress to both.
	add("values.global.caAddress", v.DiscoveryAddress)
	add("values.global.meshID", v.MeshID)
	add("meshConfig.trustDomain", v.TrustDomain)
	add("values.global.proxy.clusterDomain", v.DomainSuffix)
	add("values.global.multiCluster.clusterName", v.ClusterName)
	add("values.global.network", v.Network)
	if v.Revision != "" && v.Revision != "default" {
		add("revision", v.Revision)
	}
	return flags
}

// renderChart renders the pinned Istio's charts (compiled into istio.io/istio/manifests) and returns the
// istio-sidecar-injector ConfigMap's config and values, the istio ConfigMap's mesh config and the webhooks
// of the MutatingWebhookConfiguration.
func renderChart(setFlags []string) (config, values, meshConfig string, webhooks []any, err error) {
	sets, _, err := render.GenerateManifest(nil, setFlags, false, nil, nil)
	if err != nil {
		return "", "", "", nil, fmt.Errorf("rendering Istio's charts: %v", err)
	}
	for _, set := range sets {
		for _, m := range set.Manifests {
			if m.GetKind() == "MutatingWebhookConfiguration" {
				hooks, _ := m.Object["webhooks"].([]any)
				webhooks = append(webhooks, hooks...)
			}
			if m.GetKind() != "ConfigMap" {
				continue
			}
			data, _ := m.Object["data"].(map[string]any)
			switch {
			case m.GetName() == "istio-sidecar-injector" || hasPrefix(m.GetName(), "istio-sidecar-injector-"):
				config, _ = data["config"].(string)
				values, _ = data["values"].(string)
			case m.GetName() == "istio" || hasPrefix(m.GetName(), "istio-"):
				if text, ok := data["mesh"].(string); ok {
					meshConfig = text
				}
			}
		}
	}
	if config == "" || values == "" || meshConfig == "" {
		return "", "", "", nil, fmt.Errorf("the rendered charts hold no istio-sidecar-injector config/values or istio mesh ConfigMap")
	}
	return config, values, meshConfig, webhooks, nil
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

func addClusters(clusters *multicluster.Fake, specs map[string]clusterSpec, stop chan struct{}) error {
	for id, spec := range specs {
		var nodes []runtime.Object
		for i, version := range spec.KubeletVersions {
			nodes = append(nodes, &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)},
				Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: version}},
			})
		}
		client := kube.NewFakeClient(nodes...)
		clusters.Add(cluster.ID(id), client, stop)
		client.RunAndWait(stop)
		if !client.WaitForCacheSync("nodes", stop, func() bool { return true }) {
			return fmt.Errorf("the fake kube client of cluster %s did not sync", id)
		}
	}
	// The webhook's node informers start with the cluster; give them their first list.
	time.Sleep(100 * time.Millisecond)
	return nil
}

// serve posts one AdmissionReview to Istio's /inject handler, as the kube-apiserver does.
func serve(mux *http.ServeMux, r reviewSpec) answer {
	path := r.Path
	if path == "" {
		path = "/inject"
	}
	httpReq := httptest.NewRequest(http.MethodPost, "https://istiod.istio-system.svc:443"+path, bytes.NewReader(r.Review))
	httpReq.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httpReq)
	a := answer{Name: r.Name, HTTPStatus: rec.Code}
	var review struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		a.Body = rec.Body.String()
		return a
	}
	a.Response = review.Response
	a.applyPatches(r)
	return a
}

// applyPatches applies Istio's patch and the review's other patches to the review's Pod as the
// kube-apiserver's mutating admission does (gopkg.in/evanphx/json-patch.v4 DecodePatch and Apply).
func (a *answer) applyPatches(r reviewSpec) {
	var review struct {
		Request struct {
			Object json.RawMessage `json:"object"`
		} `json:"request"`
	}
	var response struct {
		Patch []byte `json:"patch"`
	}
	if json.Unmarshal(r.Review, &review) != nil || json.Unmarshal(a.Response, &response) != nil {
		return
	}
	a.Patched = map[string]json.RawMessage{}
	a.PatchErrors = map[string]string{}
	patches := map[string][]byte{"istio": response.Patch}
	for name, patch := range r.Patches {
		patches[name] = patch
	}
	for name, patch := range patches {
		if len(patch) == 0 {
			a.Patched[name] = review.Request.Object
			continue
		}
		decoded, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			a.PatchErrors[name] = err.Error()
			continue
		}
		patched, err := decoded.Apply(review.Request.Object)
		if err != nil {
			a.PatchErrors[name] = err.Error()
			continue
		}
		a.Patched[name] = patched
	}
}

type staticWatcher struct {
	config *inject.Config
	values string
}

func (w *staticWatcher) SetHandler(func(*inject.Config, string) error) {}
func (w *staticWatcher) Run(<-chan struct{})                           {}
func (w *staticWatcher) Get() (*inject.Config, string, error)          { return w.config, w.values, nil }

func configureLogs(verbose bool) {
	o := log.DefaultOptions()
	o.OutputPaths = []string{"stderr"}
	o.ErrorOutputPaths = []string{"stderr"}
	level := log.WarnLevel
	if verbose {
		level = log.DebugLevel
	}
	o.SetDefaultOutputLevel(log.OverrideScopeName, level)
	if err := log.Configure(o); err != nil {
		fatalf("cannot configure Istio's logs: %v", err)
	}
}

func istioVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == istioModule {
			if dep.Replace != nil {
				return dep.Replace.Version
			}
			return dep.Version
		}
	}
	return "unknown"
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "istio-injector: "+format+"\n", args...)
	os.Exit(1)
}
