// envoy-validate checks xDS resources the way their consumers do: each resource (a google.protobuf.Any,
// as meshpilot sends it) is unmarshalled into go-control-plane's generated types and checked with their
// protoc-gen-validate ValidateAll() (Envoy's validation rules), every Any inside it too; resources
// meant for proxyless gRPC clients also go through grpc-go's own xDS resource decoders.
//
// Input (stdin): one JSON object per line, {"view": label, "client": "envoy"|"grpc", "name": resource
// name, "any": base64 of the encoded Any}. Output (stdout): a JSON report; exit 1 when anything was
// rejected, 2 on bad input.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

type record struct {
	View   string `json:"view"`
	Client string `json:"client"`
	Name   string `json:"name"`
	Any    string `json:"any"`
}

type rejection struct {
	View  string `json:"view"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	Check string `json:"check"`
	Path  string `json:"path,omitempty"`
	Error string `json:"error"`
}

type report struct {
	Validated   int            `json:"validated"`
	ByType      map[string]int `json:"byType"`
	GrpcParsed  int            `json:"grpcParsed"`
	PackedAnys  int            `json:"packedAnys"`
	NotEnvoy    map[string]int `json:"notEnvoy"`
	Unchecked   map[string]int `json:"uncheckedPacked"`
	Deprecated  map[string]int `json:"deprecatedFields"`
	Rejections  []rejection    `json:"rejections"`
	GrpcVersion string         `json:"grpcGoVersion"`
}

// Resource types served by meshpilot that are not Envoy's (Istio's DNS name table): nothing of
// go-control-plane's applies to them, so they are counted apart, never called valid.
var notEnvoy = map[string]bool{"type.googleapis.com/istio.networking.nds.v1.NameTable": true}

func main() {
	bootstrapPath := flag.String("grpc-bootstrap", "", "gRPC xDS bootstrap JSON (as meshpilot's agent writes it) for grpc-go's decoders; required when an input record has client \"grpc\"")
	flag.Parse()
	rep, err := run(os.Stdin, *bootstrapPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "envoy-validate:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "envoy-validate:", err)
		os.Exit(2)
	}
	if len(rep.Rejections) > 0 {
		os.Exit(1)
	}
}

func run(in io.Reader, bootstrapPath string) (*report, error) {
	var parsers *grpcParsers
	if bootstrapPath != "" {
		b, err := os.ReadFile(bootstrapPath)
		if err != nil {
			return nil, err
		}
		if parsers, err = newGrpcParsers(b); err != nil {
			return nil, err
		}
	}
	rep := &report{ByType: map[string]int{}, NotEnvoy: map[string]int{}, Unchecked: map[string]int{},
		Deprecated: map[string]int{}, Rejections: []rejection{}, GrpcVersion: grpcVersion()}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 256<<20)
	line := 0
	for scanner.Scan() {
		line++
		text := strings.TrimSpace(scanner.Text())
		if text == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			return nil, fmt.Errorf("line %d: not a JSON record: %w", line, err)
		}
		raw, err := base64.StdEncoding.DecodeString(r.Any)
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): field any is not base64: %w", line, r.Name, err)
		}
		if r.Client != "envoy" && r.Client != "grpc" {
			return nil, fmt.Errorf("line %d (%s): client must be \"envoy\" or \"grpc\", got %q", line, r.Name, r.Client)
		}
		if r.Client == "grpc" && parsers == nil {
			return nil, fmt.Errorf("line %d (%s): client \"grpc\" needs --grpc-bootstrap", line, r.Name)
		}
		check(rep, r, raw, parsers)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}

func check(rep *report, r record, raw []byte, parsers *grpcParsers) {
	a := &anypb.Any{}
	if err := proto.Unmarshal(raw, a); err != nil {
		rep.Rejections = append(rep.Rejections, rejection{View: r.View, Name: r.Name, Check: "decode", Error: "not an encoded google.protobuf.Any: " + err.Error()})
		return
	}
	typeName := strings.TrimPrefix(a.GetTypeUrl(), typePrefix)
	reject := func(check, path, msg string) {
		rep.Rejections = append(rep.Rejections, rejection{View: r.View, Type: typeName, Name: r.Name, Check: check, Path: path, Error: msg})
	}
	if notEnvoy[a.GetTypeUrl()] {
		rep.NotEnvoy[typeName]++
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
	if err != nil {
		reject("decode", "", fmt.Sprintf("resource type %s is not one of Envoy's types linked into envoy-validate", typeName))
		return
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(a.GetValue(), m); err != nil {
		reject("decode", "", fmt.Sprintf("does not decode as %s: %v", typeName, err))
		return
	}
	rep.Validated++
	rep.ByType[typeName]++
	if own := resourceName(m.ProtoReflect()); own != r.Name {
		reject("name", "", fmt.Sprintf("served under the name %q but the resource names itself %q", r.Name, own))
	}
	w := newWalker()
	w.message("", m)
	for _, f := range w.rejections {
		reject(f.Check, f.Path, f.Error)
	}
	for _, f := range w.deprecated {
		rep.Deprecated[f.Error]++
	}
	for t, n := range w.unchecked {
		rep.Unchecked[t] += n
	}
	rep.PackedAnys += w.anys
	if r.Client == "grpc" && parsers.applies(a.GetTypeUrl()) {
		rep.GrpcParsed++
		name, err := parsers.parse(a)
		if err != nil {
			reject("grpc-go", "", err.Error())
		} else if name != r.Name {
			reject("grpc-go", "", fmt.Sprintf("grpc-go decoded the name %q, served as %q", name, r.Name))
		}
	}
}

// resourceName is the name an xDS resource gives itself: `name`, or `cluster_name` for a
// ClusterLoadAssignment.
func resourceName(m protoreflect.Message) string {
	fields := m.Descriptor().Fields()
	for _, n := range []protoreflect.Name{"name", "cluster_name"} {
		if fd := fields.ByName(n); fd != nil && fd.Kind() == protoreflect.StringKind {
			return m.Get(fd).String()
		}
	}
	return ""
}
