// Package graph runs model families as Gorgonia expression graphs assembled
// from package layers: it binds safetensors weights to each family's Go
// type, runs the graphs on a Gorgonia VM and pools the hidden states into
// one vector per input. It caches compiled graphs per input shape. It knows
// nothing about the Hub or the CLI.
//
// # Adding a family
//
// A family is one file, registered by config.json's model_type:
//
//	func init() {
//		Register("bert", Family{New: newBERT, Prefixes: []string{"bert."}})
//	}
//
// New reads the family's own config fields (c.Decode into a struct), fills
// the common Config fields it names differently or defaults, and calls
// c.validate — which bounds every common size (MaxLayers, MaxHidden,
// MaxHeads, … ; a fuzzed config.json must fail by name, not allocate) —
// before making anything sized by them. It returns a pointer to a struct
// whose *Param (converted to float32 once) and *Table (an embedding table
// left memory-mapped) fields carry tags:
//
//	type bertLayer struct {
//		Q  *Param `hf:"attention.self.query.weight" shape:"hidden,hidden"`
//		QB *Param `hf:"attention.self.query.bias" shape:"hidden"`
//		…
//	}
//	type bert struct {
//		Words  *Table      `hf:"embeddings.word_embeddings.weight" shape:"vocab,hidden"`
//		Layers []bertLayer `hf:"encoder.layer.%d"`
//	}
//
// hf names a tensor (alternates separated by "|"); on a struct or slice
// field it is a prefix ("%d" = index; New makes the slice). shape is checked
// against Dims(); optional:"" makes a tensor a nil field when absent,
// optional:"flag" binds it exactly when Dims()["flag"] != 0. Every name is
// tried bare and with each of the family's Prefixes ("model.", "bert.", …);
// tensors nothing binds (lm_head.*, a pooler) are never read. A missing or
// mis-shaped tensor is an error naming it and the file.
//
// Forward(b *Builder) composes the forward pass from layers: the in-graph
// embedding lookup into b.Input, the blocks, the final norm if any; it
// returns the hidden states [B·T, hidden] and Model adds the pooling node.
// b.Node(p) makes a parameter a node of the graph being built.
//
// # Execution
//
// Plan (the one batch planner) sorts the inputs by length and cuts them
// into left-padded sub-batches of at most MaxBatchTokens padded tokens (and
// an equal share per worker). Each sub-batch takes a core and a worker when
// one is free, and spare cores when its call has fewer sub-batches than
// cores; so concurrent calls share the cores and a small call waits for at
// most one sub-batch of a large one. Each worker keeps compiled TapeMachine
// graphs per (batch, padded length) bucket — lengths are rounded up to a
// multiple of 4 (8 above 128, 32 above 256, 128 above 1024) — and one
// activation arena shared by all its graphs and layers, so a steady-state
// forward pass allocates almost nothing.
package graph
