// Package deploy holds gembed's container image (Dockerfile) and Helm chart
// (helm/gembed), and the tests that check them without a cluster: the chart
// is rendered with Helm's Go SDK, every object is decoded strictly into the
// Kubernetes API types, and every path, port, flag, environment variable
// and metric the chart names is checked against a real gembed binary built
// with the Dockerfile's own go build line.
//
// It is its own Go module so that gembed's library users do not inherit
// Helm and Kubernetes dependencies.
package deploy
