// Package gembedbeam embeds corpora with gembed on Apache Beam.
//
// [Embed] is the transform: documents keyed by id in, vectors keyed by id
// out, and every document that could not be embedded in a dead-letter
// output with its id and the error. [ReadDocuments] and [WriteJSONL] are
// the file IO of the gembed-beam command (JSONL {"id","text"} or plain
// lines in; JSONL {"id","embedding"} out), on any filesystem Beam has
// (local paths, gs://, s3://).
//
// Each worker process loads a model once, whatever the number of DoFn
// instances it runs (see [ModelLoads]); a bundle's documents are batched
// by a token budget, as the server batches requests.
package gembedbeam
