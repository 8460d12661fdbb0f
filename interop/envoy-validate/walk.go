package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const typePrefix = "type.googleapis.com/"

// finding is one problem found in a resource: which check found it, where, and what.
type finding struct {
	Check string `json:"check"`
	Path  string `json:"path"`
	Error string `json:"error"`
}

// walker checks one resource the way Envoy does when it accepts it: the message's own
// protoc-gen-validate rules (ValidateAll), then every Any inside it (typed_config, transport sockets,
// protocol options, ...) unpacked into its generated type and checked the same way, as Envoy does when
// it instantiates the extension. It also reports bytes the generated type does not know (unknown
// fields: meshpilot encoded something Envoy would ignore) and, apart, deprecated fields in use.
type walker struct {
	rejections []finding
	deprecated []finding
	// unchecked counts packed types that are not Envoy's (e.g. Istio's stats.PluginConfig in a
	// TypedStruct) and so have no generated validator here.
	unchecked map[string]int
	anys      int
}

func newWalker() *walker { return &walker{unchecked: map[string]int{}} }

type validateAll interface{ ValidateAll() error }

func (w *walker) reject(check, path, msg string) {
	w.rejections = append(w.rejections, finding{Check: check, Path: path, Error: msg})
}

// message validates m (at path) with its generated validator, then walks it.
func (w *walker) message(path string, m proto.Message) {
	if v, ok := m.(validateAll); ok {
		if err := v.ValidateAll(); err != nil {
			for _, e := range flattenValidation(err) {
				w.reject("validate", path, e)
			}
		}
	} else {
		w.reject("validate", path, fmt.Sprintf("%s has no generated validator", m.ProtoReflect().Descriptor().FullName()))
	}
	w.walk(path, m.ProtoReflect())
}

func (w *walker) walk(path string, m protoreflect.Message) {
	if unknown := m.GetUnknown(); len(unknown) > 0 {
		w.reject("unknown-field", path, fmt.Sprintf("%s: field numbers %v are not in Envoy's proto (Envoy ignores them)",
			m.Descriptor().FullName(), unknownFieldNumbers(unknown)))
	}
	if m.Descriptor().FullName() == "google.protobuf.Any" {
		w.packed(path, m.Interface())
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		fieldPath := join(path, string(fd.Name()))
		if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
			w.deprecated = append(w.deprecated, finding{Check: "deprecated", Path: fieldPath,
				Error: fmt.Sprintf("%s is deprecated", fd.FullName())})
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				w.walk(fmt.Sprintf("%s[%d]", fieldPath, i), list.Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				w.walk(fmt.Sprintf("%s[%v]", fieldPath, k.Interface()), mv.Message())
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			w.walk(fieldPath, v.Message())
		}
		return true
	})
}

// packed unpacks an Any into its generated type and validates it (Envoy resolves typed_config to the
// extension's factory by type URL and validates the unpacked config; an unknown type is rejected).
func (w *walker) packed(path string, m proto.Message) {
	w.anys++
	a := &anypb.Any{}
	if err := anyOf(m, a); err != nil {
		w.reject("decode", path, err.Error())
		return
	}
	name := strings.TrimPrefix(a.GetTypeUrl(), typePrefix)
	if name == a.GetTypeUrl() {
		w.reject("decode", path, fmt.Sprintf("type URL %q does not start with %s", a.GetTypeUrl(), typePrefix))
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
	if err != nil {
		w.reject("decode", path, fmt.Sprintf("packed type %s is not one of Envoy's types linked into envoy-validate (add its package to types.go if it is Envoy's)", name))
		return
	}
	inner := mt.New().Interface()
	if err := (proto.UnmarshalOptions{}).Unmarshal(a.GetValue(), inner); err != nil {
		w.reject("decode", path, fmt.Sprintf("packed %s does not decode: %v", name, err))
		return
	}
	innerPath := fmt.Sprintf("%s<%s>", path, name)
	w.message(innerPath, inner)
	w.typedStruct(innerPath, inner)
}

// typedStruct checks the config inside a TypedStruct when its type is Envoy's (Envoy converts the
// Struct to that type and validates it); a type that is not (Istio's own filters) is counted unchecked.
func (w *walker) typedStruct(path string, m proto.Message) {
	var typeURL string
	var value *structpb.Struct
	switch ts := m.(type) {
	case *udpatypev1.TypedStruct:
		typeURL, value = ts.GetTypeUrl(), ts.GetValue()
	case *xdstypev3.TypedStruct:
		typeURL, value = ts.GetTypeUrl(), ts.GetValue()
	default:
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	if err != nil {
		w.unchecked[strings.TrimPrefix(typeURL, typePrefix)]++
		return
	}
	raw, err := protojson.Marshal(value)
	if err != nil {
		w.reject("decode", path, fmt.Sprintf("TypedStruct value: %v", err))
		return
	}
	inner := mt.New().Interface()
	if err := protojson.Unmarshal(raw, inner); err != nil {
		w.reject("decode", path, fmt.Sprintf("TypedStruct value is not a %s: %v", mt.Descriptor().FullName(), err))
		return
	}
	w.message(fmt.Sprintf("%s<%s>", path, mt.Descriptor().FullName()), inner)
}

func anyOf(m proto.Message, out *anypb.Any) error {
	if a, ok := m.(*anypb.Any); ok {
		proto.Merge(out, a)
		return nil
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	return proto.Unmarshal(b, out)
}

// flattenValidation turns a protoc-gen-validate MultiError (nested through embedded messages) into
// one line per violated rule.
func flattenValidation(err error) []string {
	type multi interface{ AllErrors() []error }
	var out []string
	var visit func(error)
	visit = func(e error) {
		var m multi
		if errors.As(e, &m) && len(m.AllErrors()) > 0 {
			for _, inner := range m.AllErrors() {
				visit(inner)
			}
			return
		}
		out = append(out, e.Error())
	}
	visit(err)
	return out
}

func unknownFieldNumbers(b []byte) []int32 {
	seen := map[int32]bool{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		seen[int32(num)] = true
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			break
		}
		b = b[m:]
	}
	out := make([]int32, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}
