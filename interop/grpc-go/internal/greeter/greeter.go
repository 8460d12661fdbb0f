// Package greeter is the e2e tests' greeter service (/helloworld.Greeter/SayHello, JSON on the wire, as
// e2e/support/helloworld.ts) for grpc-go: requests and replies travel as raw bytes through a pass-through codec.
package greeter

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// Method is the full method name of SayHello.
const Method = "/helloworld.Greeter/SayHello"

// Request and Reply are the JSON bodies.
type Request struct {
	Name string `json:"name"`
}

type Reply struct {
	Message string `json:"message"`
	Server  string `json:"server"`
}

// Codec passes []byte through untouched; its name keeps the standard content-type application/grpc+proto.
type Codec struct{}

var _ encoding.Codec = Codec{}

func (Codec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return nil, fmt.Errorf("greeter codec: cannot marshal %T", v)
}

func (Codec) Unmarshal(data []byte, v any) error {
	if b, ok := v.(*[]byte); ok {
		*b = append([]byte(nil), data...)
		return nil
	}
	return fmt.Errorf("greeter codec: cannot unmarshal into %T", v)
}

func (Codec) Name() string { return "proto" }

// Call sends one SayHello and decodes the reply.
func Call(ctx context.Context, conn *grpc.ClientConn, name string) (Reply, error) {
	req, err := json.Marshal(Request{Name: name})
	if err != nil {
		return Reply{}, err
	}
	var out []byte
	if err := conn.Invoke(ctx, Method, &req, &out, grpc.ForceCodec(Codec{})); err != nil {
		return Reply{}, err
	}
	var reply Reply
	if err := json.Unmarshal(out, &reply); err != nil {
		return Reply{}, fmt.Errorf("greeter reply is not JSON: %w", err)
	}
	return reply, nil
}

// Register adds the greeter service to s, answering as server `id`; calls counts each handled RPC.
func Register(s grpc.ServiceRegistrar, id string, calls func()) {
	handle := func(in []byte) (any, error) {
		var req Request
		if err := json.Unmarshal(in, &req); err != nil {
			return nil, fmt.Errorf("greeter request is not JSON: %w", err)
		}
		calls()
		out, err := json.Marshal(Reply{Message: "hello " + req.Name, Server: id})
		if err != nil {
			return nil, err
		}
		return &out, nil
	}
	// As generated handlers do: the server's interceptors (the xDS server's routing and RBAC) run around the call.
	handler := func(_ any, ctx context.Context, decode func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		var in []byte
		if err := decode(&in); err != nil {
			return nil, err
		}
		if interceptor == nil {
			return handle(in)
		}
		info := &grpc.UnaryServerInfo{Server: nil, FullMethod: Method}
		return interceptor(ctx, in, info, func(_ context.Context, req any) (any, error) { return handle(req.([]byte)) })
	}
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "helloworld.Greeter",
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "SayHello", Handler: handler}},
	}, struct{}{})
}
