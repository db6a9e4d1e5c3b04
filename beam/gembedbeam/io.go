package gembedbeam

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"reflect"
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// Local paths always work; the command adds gs:// and s3://.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gembed-dev/gembed/beam/internal/records"
)

// Input formats of ReadDocuments.
const (
	FormatJSONL = "jsonl" // {"id": ..., "text": ...} per line; the id a string or a number
	FormatLines = "lines" // one text per line; the id is FILE:LINE
)

func init() {
	beam.RegisterType(reflect.TypeOf((*keyedLine)(nil)).Elem())
	register.DoFn4x1[context.Context, fileio.ReadableFile, func(string, string), func(string, string), error](&readDocsFn{})
	register.DoFn4x0[string, []float32, func(int, keyedLine), func(string, string)](&formatEmbeddingFn{})
	register.DoFn3x0[string, string, func(int, keyedLine)](&formatDeadLetterFn{})
	register.DoFn2x0[[]byte, func(int, keyedLine)](&shardMarkersFn{})
	register.DoFn3x1[context.Context, int, func(*keyedLine) bool, error](&writeShardFn{})
	register.Emitter2[int, keyedLine]()
	register.Iter1[keyedLine]()
}

// ReadDocuments reads the files matching pattern (a local glob, gs://…,
// s3://…; .gz files are decompressed) as documents: a PCollection<KV<string,
// string>> of id → text. format is FormatJSONL or FormatLines. A line that
// is not a valid {"id", "text"} object goes to deadLetters (id FILE:LINE,
// and the reason). A pattern that matches no file fails the pipeline.
//
// Each file is read whole by one worker: split a large corpus into many
// files to read it in parallel.
func ReadDocuments(s beam.Scope, pattern, format string) (docs, deadLetters beam.PCollection) {
	s = s.Scope("gembedbeam.ReadDocuments")
	if format != FormatJSONL && format != FormatLines {
		panic(fmt.Sprintf("gembedbeam.ReadDocuments: format %q: want %q or %q", format, FormatJSONL, FormatLines))
	}
	files := fileio.ReadMatches(s, fileio.MatchFiles(s, pattern, fileio.MatchEmptyDisallow()))
	return beam.ParDo2(s, &readDocsFn{Format: format}, files)
}

type readDocsFn struct {
	Format string `json:"format"`
}

func (f *readDocsFn) ProcessElement(ctx context.Context, file fileio.ReadableFile, emit, fail func(string, string)) error {
	path := file.Metadata.Path
	rc, err := file.Open(ctx)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 1<<16)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading %s after line %d: %w", path, line-1, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if f.Format == FormatLines {
			emit(records.LineID(path, line), string(b))
			continue
		}
		id, text, ok, perr := records.ParseDocument(b)
		switch {
		case perr != nil:
			fail(records.LineID(path, line), fmt.Sprintf("%s line %d: %v", path, line, perr))
		case ok:
			emit(id, text)
		}
	}
}

// keyedLine is one output line and the id it is sorted and deduplicated by.
// An empty Line is a shard marker.
type keyedLine struct {
	ID   string
	Line string
}

// WriteJSONL writes embeddings (PCollection<KV<string, []float32>>) as
// {"id","embedding"} lines into shards files PREFIX-SSSSS-of-NNNNN.jsonl.
// A document goes to the shard of its id's hash; each shard is sorted by
// id and keeps one line per id, and every shard file is written even when
// empty, so a re-run over the same input with the same shard count writes
// the same bytes. Vectors that cannot be written (NaN or ±Inf values) come
// back as dead letters.
//
// A shard is sorted in one worker's memory: pick shards so that
// documents × dimensions × ~12 bytes / shards fits.
func WriteJSONL(s beam.Scope, prefix string, shards int, embeddings beam.PCollection) (deadLetters beam.PCollection) {
	s = s.Scope("gembedbeam.WriteJSONL")
	if shards < 1 {
		panic(fmt.Sprintf("gembedbeam.WriteJSONL: %d shards", shards))
	}
	lines, bad := beam.ParDo2(s, &formatEmbeddingFn{Shards: shards}, embeddings)
	writeShards(s, ShardNames(prefix, shards), lines)
	return bad
}

// WriteDeadLetters writes dead letters (PCollection<KV<string, string>> of id
// → error) as {"id","error"} lines into one file, sorted by id; the file is
// written (empty) even when there is none.
func WriteDeadLetters(s beam.Scope, filename string, deadLetters beam.PCollection) {
	s = s.Scope("gembedbeam.WriteDeadLetters")
	writeShards(s, []string{filename}, beam.ParDo(s, &formatDeadLetterFn{}, deadLetters))
}

// ShardNames are the files WriteJSONL writes.
func ShardNames(prefix string, shards int) []string {
	names := make([]string, shards)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%05d-of-%05d.jsonl", prefix, i, shards)
	}
	return names
}

func writeShards(s beam.Scope, names []string, lines beam.PCollection) {
	filesystem.ValidateScheme(names[0])
	markers := beam.ParDo(s, &shardMarkersFn{Shards: len(names)}, beam.Impulse(s))
	grouped := beam.GroupByKey(s, beam.Flatten(s, lines, markers))
	beam.ParDo0(s, &writeShardFn{Names: names}, grouped)
}

// shardOf spreads ids over shards, the same way in every process.
func shardOf(id string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(shards))
}

type formatEmbeddingFn struct {
	Shards int `json:"shards"`
}

func (f *formatEmbeddingFn) ProcessElement(id string, v []float32, emit func(int, keyedLine), fail func(string, string)) {
	b, err := records.EmbeddingLine(id, v)
	if err != nil {
		fail(id, fmt.Sprintf("writing the vector: %v", err))
		return
	}
	emit(shardOf(id, f.Shards), keyedLine{ID: id, Line: string(b)})
}

type formatDeadLetterFn struct{}

func (f *formatDeadLetterFn) ProcessElement(id, msg string, emit func(int, keyedLine)) {
	b, _ := records.DeadLetterLine(id, msg) // strings always marshal
	emit(0, keyedLine{ID: id, Line: string(b)})
}

// shardMarkersFn makes sure every shard is written, even an empty one, so
// that no stale file of an earlier run survives a re-run.
type shardMarkersFn struct {
	Shards int `json:"shards"`
}

func (f *shardMarkersFn) ProcessElement(_ []byte, emit func(int, keyedLine)) {
	for i := range f.Shards {
		emit(i, keyedLine{})
	}
}

type writeShardFn struct {
	Names []string `json:"names"`
}

func (f *writeShardFn) ProcessElement(ctx context.Context, shard int, iter func(*keyedLine) bool) error {
	if shard < 0 || shard >= len(f.Names) {
		return fmt.Errorf("shard %d of %d", shard, len(f.Names))
	}
	var lines []keyedLine
	var kl keyedLine
	for iter(&kl) {
		if kl.Line != "" {
			lines = append(lines, kl)
		}
	}
	// Sorting by the whole line after the id makes the kept duplicate (the
	// same id read twice) independent of the order elements arrived in.
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].ID != lines[j].ID {
			return lines[i].ID < lines[j].ID
		}
		return lines[i].Line < lines[j].Line
	})
	name := f.Names[shard]
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for i, l := range lines {
		if i > 0 && l.ID == lines[i-1].ID {
			duplicateCounter.Inc(ctx, 1)
			continue
		}
		bw.WriteString(l.Line)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		w.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

var duplicateCounter = beam.NewCounter("gembed", "duplicate_ids_dropped")
