package graph

import (
	"fmt"
	"math"
)

// Sequence-classification heads of the BERT family, as transformers'
// *ForSequenceClassification classes compute them (dropout is identity at
// inference):
//
//	BertForSequenceClassification:    logits = W_c · tanh(W_p · h[CLS] + b_p) + b_c
//	                                   (the pooler is part of BertModel)
//	RobertaForSequenceClassification: logits = W_o · tanh(W_d · h[<s>] + b_d) + b_o
//	                                   (RobertaClassificationHead; no pooler)
//	ModernBertForSequenceClassification: logits = W_c · LN(act(W_d · pool(h) (+ b_d))) + b_c
//	                                   (pool: classifier_pooling "cls" or "mean"; act:
//	                                   classifier_activation; b_d with classifier_bias, LN's
//	                                   bias with norm_bias)
func init() {
	RegisterHead("ModernBertForSequenceClassification", HeadFamily{New: newModernBERTClassifier, Pooling: PoolCLS})
	RegisterHead("BertForSequenceClassification", HeadFamily{
		New: func(c *Config, labels int) (Classifier, error) {
			return &bertClassifier{hidden: c.Hidden, labels: labels}, nil
		},
		Pooling: PoolCLS, Prefixes: []string{"bert."},
	})
	for _, class := range []string{"RobertaForSequenceClassification", "XLMRobertaForSequenceClassification", "CamembertForSequenceClassification"} {
		RegisterHead(class, HeadFamily{
			New: func(c *Config, labels int) (Classifier, error) {
				return &robertaClassifier{hidden: c.Hidden, labels: labels}, nil
			},
			Pooling: PoolCLS,
		})
	}
}

type bertClassifier struct {
	hidden, labels int
	PoolerW        *Param `hf:"pooler.dense.weight" shape:"hidden,hidden"`
	PoolerB        *Param `hf:"pooler.dense.bias" shape:"hidden"`
	W              *Param `hf:"classifier.weight" shape:"labels,hidden"`
	B              *Param `hf:"classifier.bias" shape:"labels"`
}

func (c *bertClassifier) Dims() map[string]int {
	return map[string]int{"hidden": c.hidden, "labels": c.labels}
}

func (c *bertClassifier) Apply(h []float32) []float32 {
	return linear(tanh(linear(h, c.PoolerW, c.PoolerB)), c.W, c.B)
}

type robertaClassifier struct {
	hidden, labels int
	DenseW         *Param `hf:"classifier.dense.weight" shape:"hidden,hidden"`
	DenseB         *Param `hf:"classifier.dense.bias" shape:"hidden"`
	OutW           *Param `hf:"classifier.out_proj.weight" shape:"labels,hidden"`
	OutB           *Param `hf:"classifier.out_proj.bias" shape:"labels"`
}

func (c *robertaClassifier) Dims() map[string]int {
	return map[string]int{"hidden": c.hidden, "labels": c.labels}
}

func (c *robertaClassifier) Apply(h []float32) []float32 {
	return linear(tanh(linear(h, c.DenseW, c.DenseB)), c.OutW, c.OutB)
}

func tanh(x []float32) []float32 {
	for i, v := range x {
		x[i] = float32(math.Tanh(float64(v)))
	}
	return x
}

type modernBERTClassifier struct {
	hidden, labels int
	pooling        Pooling
	act            func(float64) float64
	eps            float64
	denseBias      bool
	normBias       bool
	DenseW         *Param `hf:"head.dense.weight" shape:"hidden,hidden"`
	DenseB         *Param `hf:"head.dense.bias" shape:"hidden" optional:"classifier_bias"`
	NormW          *Param `hf:"head.norm.weight" shape:"hidden"`
	NormB          *Param `hf:"head.norm.bias" shape:"hidden" optional:"norm_bias"`
	W              *Param `hf:"classifier.weight" shape:"labels,hidden"`
	B              *Param `hf:"classifier.bias" shape:"labels"`
}

func newModernBERTClassifier(c *Config, labels int) (Classifier, error) {
	var r struct {
		Pooling    *string  `json:"classifier_pooling"`
		Activation *string  `json:"classifier_activation"`
		Bias       *bool    `json:"classifier_bias"`
		NormBias   *bool    `json:"norm_bias"`
		NormEps    *float64 `json:"norm_eps"`
	}
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	// transformers' ModernBertConfig defaults.
	m := &modernBERTClassifier{hidden: c.Hidden, labels: labels, pooling: PoolCLS, eps: 1e-5}
	if r.Pooling != nil {
		switch *r.Pooling {
		case "cls":
		case "mean":
			m.pooling = PoolMean
		default:
			return nil, fmt.Errorf("field \"classifier_pooling\": %q is not cls or mean", *r.Pooling)
		}
	}
	act := "gelu"
	if r.Activation != nil {
		act = *r.Activation
	}
	switch act {
	case "gelu":
		m.act = func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }
	case "gelu_pytorch_tanh", "gelu_new":
		m.act = func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))) }
	case "silu", "swish":
		m.act = func(x float64) float64 { return x / (1 + math.Exp(-x)) }
	case "tanh":
		m.act = math.Tanh
	case "relu":
		m.act = func(x float64) float64 { return max(x, 0) }
	default:
		return nil, fmt.Errorf("field \"classifier_activation\": %q is not supported", act)
	}
	m.denseBias = r.Bias != nil && *r.Bias
	m.normBias = r.NormBias != nil && *r.NormBias
	if r.NormEps != nil {
		m.eps = *r.NormEps
	}
	return m, nil
}

func (c *modernBERTClassifier) Dims() map[string]int {
	return map[string]int{"hidden": c.hidden, "labels": c.labels, "classifier_bias": b2i(c.denseBias), "norm_bias": b2i(c.normBias)}
}

func (c *modernBERTClassifier) Pooling() Pooling { return c.pooling }

func (c *modernBERTClassifier) Apply(h []float32) []float32 {
	x := linear(h, c.DenseW, c.DenseB)
	var mean, sq float64
	for i, v := range x {
		a := c.act(float64(v))
		x[i] = float32(a)
		mean += a
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := float64(v) - mean
		sq += d * d
	}
	inv := 1 / math.Sqrt(sq/float64(len(x))+c.eps)
	w := c.NormW.value.Float32s()
	for i, v := range x {
		y := (float64(v) - mean) * inv * float64(w[i])
		if c.NormB != nil {
			y += float64(c.NormB.value.Float32s()[i])
		}
		x[i] = float32(y)
	}
	return linear(x, c.W, c.B)
}
