package embed

import "math"

// Finish turns a pooled vector into an output vector: the first dims values
// (0 or more than len(v): all), then L2-normalized when normalize is set —
// truncating first, as Matryoshka models expect. It returns a new slice; an
// all-zero vector stays zero.
func Finish(v []float32, dims int, normalize bool) []float32 {
	if dims <= 0 || dims > len(v) {
		dims = len(v)
	}
	out := make([]float32, dims)
	copy(out, v[:dims])
	if normalize {
		Normalize(out)
	}
	return out
}

// Normalize scales v in place to unit L2 norm (computed in float64); a zero
// vector stays zero.
func Normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}

// Cosine is the cosine similarity of two vectors of equal length (0 when
// either is zero). For normalized vectors it equals their dot product.
// Vectors of different lengths have no cosine: the result is NaN, which
// every comparison rejects, rather than a number from a prefix.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// Dot is the dot product of two vectors of equal length (NaN when the
// lengths differ), sentence-transformers' "dot" similarity.
func Dot(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

// Similarity is the cosine matrix of queries × documents, as
// sentence-transformers' model.similarity prints it.
func Similarity(queries, documents [][]float32) [][]float64 {
	return SimilarityFunc(queries, documents, Cosine)
}

// SimilarityFunc is the matrix of f(query, document), for f = Cosine or Dot.
func SimilarityFunc(queries, documents [][]float32, f func(a, b []float32) float64) [][]float64 {
	m := make([][]float64, len(queries))
	for i, q := range queries {
		m[i] = make([]float64, len(documents))
		for j, d := range documents {
			m[i][j] = f(q, d)
		}
	}
	return m
}
