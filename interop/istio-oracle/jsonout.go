package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// canonical renders a message as proto3 JSON (proto field names, Any fields expanded with "@type") and
// re-encodes it with encoding/json, so object keys are sorted and the bytes do not depend on protojson's
// deliberately unstable whitespace.
func canonical(m proto.Message) (json.RawMessage, error) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cannot render %s as JSON: %v", m.ProtoReflect().Descriptor().FullName(), err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(value); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// render sorts resources by name and renders each with canonical.
func render[T proto.Message](resources []T, name func(T) string) ([]json.RawMessage, error) {
	sorted := append([]T(nil), resources...)
	sort.SliceStable(sorted, func(i, j int) bool { return name(sorted[i]) < name(sorted[j]) })
	out := make([]json.RawMessage, 0, len(sorted))
	for _, r := range sorted {
		j, err := canonical(r)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}
