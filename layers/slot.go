package layers

import "fmt"

// Slot names one activation buffer of a Runtime's arena. Slots are constants
// owned by this package, so two layers can share a buffer only on purpose: a
// misspelt slot is a compile error, not a silent alias.
type Slot int

// The arena slots. A layer's output slot must not be one of its inputs'
// (except for the in-place ops, which say so).
const (
	SlotHidden   Slot = iota + 1 // the residual stream [B·T, hidden], the graph's input
	SlotX                        // normalized hidden states
	SlotQ                        // attention queries
	SlotK                        // attention keys
	SlotV                        // attention values
	SlotQKV                      // a fused q/k/v projection
	SlotAttn                     // attention output (heads concatenated)
	SlotMLPGate                  // MLP gate projection (also a plain MLP's first layer)
	SlotMLPUp                    // MLP up projection
	SlotMLPFused                 // a fused gate/up projection
	SlotScores                   // attention's per-thread score scratch
	SlotPooled                   // pooled vectors
	SlotDense                    // dense head output
	SlotScratch                  // a family's own temporary
	numSlots
)

var slotNames = [...]string{"", "hidden", "x", "q", "k", "v", "qkv", "attn", "mlp.gate", "mlp.up", "mlp.fused", "attention.scores", "pooled", "dense", "scratch"}

func (s Slot) String() string {
	if s > 0 && s < numSlots {
		return slotNames[s]
	}
	return fmt.Sprintf("Slot(%d)", int(s))
}
