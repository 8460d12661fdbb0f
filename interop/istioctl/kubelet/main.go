// Command kubelet-portforward stands in for a kubelet's streaming port-forward only, so that istioctl's
// port-forwards (pods/portforward through a real kube-apiserver) reach something on loopback: the
// kube-apiserver dials the Node's kubelet endpoint, and this server speaks the kubelet's port-forward
// protocol with Kubernetes' own implementation (k8s.io/cri-streaming, as kube-apiserver's integration
// test does). Where each pod port leads is read from a JSON file at every request:
//
//	{"<namespace>/<pod>": {"<port>": "host:port" | "http://host:port/prefix/?query"}}
//
// "host:port" is a plain TCP relay; an http:// target answers each HTTP request sent through the
// forward by calling <prefix><request path> with the request's query and then the target's query, e.g.
// an Envoy admin port (/config_dump) answered by meshpilot's /debug/config_dump?proxyID=<proxy>.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/portforward"
)

type forwarder struct {
	mapFile   string
	namespace string
	pod       string
}

func (f *forwarder) target(port int32) (string, error) {
	raw, err := os.ReadFile(f.mapFile)
	if err != nil {
		return "", err
	}
	var routes map[string]map[string]string
	if err := json.Unmarshal(raw, &routes); err != nil {
		return "", fmt.Errorf("%s: %w", f.mapFile, err)
	}
	target, ok := routes[f.namespace+"/"+f.pod][strconv.Itoa(int(port))]
	if !ok {
		return "", fmt.Errorf("no route for %s/%s port %d", f.namespace, f.pod, port)
	}
	return target, nil
}

func (f *forwarder) PortForward(ctx context.Context, _ string, _ string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	target, err := f.target(port)
	if err != nil {
		log.Print(err)
		return err
	}
	if strings.HasPrefix(target, "http://") {
		return answerHTTP(stream, target)
	}
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", target)
	if err != nil {
		return err
	}
	defer conn.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(conn, stream); done <- struct{}{} }()
	go func() { _, _ = io.Copy(stream, conn); done <- struct{}{} }()
	<-done
	return nil
}

// answerHTTP serves the HTTP requests of one forwarded connection from the target URL.
func answerHTTP(stream io.ReadWriteCloser, target string) error {
	base, err := url.Parse(target)
	if err != nil {
		return err
	}
	reader := bufio.NewReader(stream)
	client := &http.Client{Timeout: 20 * time.Second}
	for i := 0; i < 1000; i++ {
		req, err := http.ReadRequest(reader)
		if err != nil {
			return nil // the client closed the connection
		}
		u := *base
		u.Path = strings.TrimSuffix(base.Path, "/") + "/" + strings.TrimPrefix(req.URL.Path, "/")
		query := req.URL.RawQuery
		if base.RawQuery != "" {
			query = strings.TrimPrefix(query+"&"+base.RawQuery, "&")
		}
		u.RawQuery = query
		out, err := http.NewRequest(req.Method, u.String(), req.Body)
		if err != nil {
			return err
		}
		resp, err := client.Do(out)
		if err != nil {
			return err
		}
		resp.Close = req.Close
		err = resp.Write(stream)
		resp.Body.Close()
		if err != nil || req.Close {
			return err
		}
	}
	return nil
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kubelet-portforward"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve the kubelet's HTTPS port on")
	mapFile := flag.String("routes", "", "JSON file: namespace/pod → port → target")
	flag.Parse()
	cert, err := selfSigned()
	if err != nil {
		log.Fatal(err)
	}
	listener, err := tls.Listen("tcp", *listen, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	if err != nil {
		log.Fatal(err)
	}
	// The port, for whoever registers this kubelet in a Node's status.daemonEndpoints.
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// The API server asks /portForward/<namespace>/<pod>.
		parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
		if len(parts) != 3 || parts[0] != "portForward" {
			http.NotFound(w, req)
			return
		}
		f := &forwarder{mapFile: *mapFile, namespace: parts[1], pod: parts[2]}
		portforward.ServePortForward(w, req, f, parts[2], "", &portforward.V4Options{}, 5*time.Minute, 30*time.Second,
			[]string{portforward.ProtocolV1Name})
	})
	log.Fatal(http.Serve(listener, handler))
}
