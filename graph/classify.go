package graph

import "math"

// Sequence-classification heads of the BERT family, as transformers'
// *ForSequenceClassification classes compute them (dropout is identity at
// inference):
//
//	BertForSequenceClassification:    logits = W_c · tanh(W_p · h[CLS] + b_p) + b_c
//	                                   (the pooler is part of BertModel)
//	RobertaForSequenceClassification: logits = W_o · tanh(W_d · h[<s>] + b_d) + b_o
//	                                   (RobertaClassificationHead; no pooler)
func init() {
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
