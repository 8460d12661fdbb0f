//go:build tools

// Package tools pins the helm command for go mod tidy; build.sh builds it with go build.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
