// Command etcd is etcd's own server entry point (go.etcd.io/etcd/server/v3/etcdmain) built in this module, so it
// shares kube-apiserver's etcd release and Go build cache.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
