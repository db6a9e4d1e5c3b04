//go:build gembedstub

package embed

import (
	"context"
	"errors"
)

// Stand-ins while the tokenizer, graph and hub packages are being written.

var errStub = errors.New("embed: built with the gembedstub tag (no model backend)")

func resolveModel(ctx context.Context, id string, s settings) (string, error) {
	if isLocalDir(id) {
		return id, nil
	}
	return "", errStub
}
func readShape(dir string) (modelShape, error)                        { return modelShape{}, errStub }
func loadTokenizer(dir string) (textEncoder, error)                   { return nil, errStub }
func loadModel(dir string, p Pooling, threads int) (forwarder, error) { return nil, errStub }
