// Package compattest checks the server against official client libraries
// whose modules would drag many dependencies into gembed's own go.mod (the
// Ollama Go client); it is a module of its own, run by `make test`.
package compattest
