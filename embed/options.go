package embed

import (
	"fmt"
	"net/http"

	"github.com/gembed-dev/gembed/hub"
)

// DefaultMaxLength is the maximum number of tokens per input (prompt and
// final <|endoftext|> included) unless WithMaxLength says otherwise: the
// Qwen3-Embedding model card's setting. It is lowered to the model's
// max_position_embeddings when that is smaller.
const DefaultMaxLength = 8192

// DefaultBatchTokens is the default budget of one forward batch, counted in
// padded tokens (number of sequences × longest sequence). The CLI's
// --batch-tokens and --max-batch-tokens and the server's MaxBatchTokens
// default to it too: one number, one place.
const DefaultBatchTokens = 8192

// DefaultModel is the model used when none is named.
const DefaultModel = "Qwen/Qwen3-Embedding-0.6B"

// Option configures New.
type Option func(*settings)

type settings struct {
	revision   string
	cacheDir   string
	token      string
	offline    bool
	endpoint   string
	httpClient *http.Client
	hubClient  *hub.Client

	dimensions  int
	promptName  string
	instruction string
	maxLength   int
	noTruncate  bool
	normalize   bool
	batchTokens int
	threads     int
	pooling     Pooling
	dtype       DType
	progress    func(Progress)
}

func defaultSettings() settings {
	return settings{normalize: true, batchTokens: DefaultBatchTokens}
}

// OptionError is an option value out of range. The CLI and the server
// render it in their own words (--threads, "dimensions").
type OptionError struct {
	Option string // "dimensions", "max-length", "batch-tokens", "threads"
	Value  int
	Want   string // what would be valid
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("embed: %s %d: want %s", e.Option, e.Value, e.Want)
}

// CheckOption validates one numeric option as New does: the single rule
// for the library, the CLI and the server. Zero means "the default" for
// every one of them; a negative value is an *OptionError.
func CheckOption(option string, value int) error {
	if value >= 0 {
		return nil
	}
	want := "0 (the default) or more"
	switch option {
	case "dimensions":
		want = "0 (all) or more"
	case "threads":
		want = "0 (all cores) or more"
	}
	return &OptionError{Option: option, Value: value, Want: want}
}

func (s settings) validate() error {
	for _, o := range []struct {
		name  string
		value int
	}{{"dimensions", s.dimensions}, {"max-length", s.maxLength}, {"batch-tokens", s.batchTokens}, {"threads", s.threads}} {
		if err := CheckOption(o.name, o.value); err != nil {
			return err
		}
	}
	return nil
}

// WithRevision selects a Hub revision (branch, tag or commit); default "main".
func WithRevision(rev string) Option { return func(s *settings) { s.revision = rev } }

// WithCacheDir overrides the Hugging Face cache folder (default from
// HF_HUB_CACHE, HF_HOME or ~/.cache/huggingface/hub).
func WithCacheDir(dir string) Option { return func(s *settings) { s.cacheDir = dir } }

// WithToken sets the Hub access token (default from HF_TOKEN or the token file).
func WithToken(token string) Option { return func(s *settings) { s.token = token } }

// WithOffline forbids network requests: the model must be in the cache already.
func WithOffline(offline bool) Option { return func(s *settings) { s.offline = offline } }

// WithEndpoint overrides the Hub endpoint (default from HF_ENDPOINT).
func WithEndpoint(url string) Option { return func(s *settings) { s.endpoint = url } }

// WithHTTPClient sets the HTTP client used for Hub downloads.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.httpClient = c } }

// WithDimensions keeps only the first n values of every vector (Matryoshka
// representation learning) and renormalizes them. n must be between 1 and
// the model's hidden size; 0 keeps all.
func WithDimensions(n int) Option { return func(s *settings) { s.dimensions = n } }

// WithPromptName makes Embed prepend the named prompt from
// config_sentence_transformers.json (for example "query") to every text.
// Without it, Embed uses the model's default_prompt_name, if any.
func WithPromptName(name string) Option { return func(s *settings) { s.promptName = name } }

// WithInstruction makes EmbedQueries use a custom task instead of the
// model's "query" prompt: "Instruct: " + task + "\nQuery:" + query.
func WithInstruction(task string) Option { return func(s *settings) { s.instruction = task } }

// WithMaxLength sets the maximum number of tokens per input, prompt and
// special tokens included (default DefaultMaxLength). Longer inputs are
// truncated, keeping the final <|endoftext|>, and the truncation is reported
// in Result.Inputs; see WithNoTruncate.
func WithMaxLength(n int) Option { return func(s *settings) { s.maxLength = n } }

// WithNoTruncate turns an input longer than the maximum length into an
// error (*TooLongError) instead of truncating it.
func WithNoTruncate(noTruncate bool) Option { return func(s *settings) { s.noTruncate = noTruncate } }

// WithNormalize chooses whether vectors are L2-normalized at the end
// (default true). A Normalize module the model's modules.json lists runs
// regardless, as in sentence-transformers; false then only skips the
// renormalization after WithDimensions.
func WithNormalize(normalize bool) Option { return func(s *settings) { s.normalize = normalize } }

// WithBatchTokens sets the budget of one forward sub-batch in padded tokens
// (sequences × their padded length; default DefaultBatchTokens), which
// bounds activation memory. A sequence longer than the budget runs alone.
// Progress is reported after every sub-batch.
func WithBatchTokens(n int) Option { return func(s *settings) { s.batchTokens = n } }

// WithThreads limits the number of cores the model uses (0 = all; a
// negative number is an *OptionError from New).
func WithThreads(n int) Option { return func(s *settings) { s.threads = n } }

// WithPooling replaces the pooling of the model's 1_Pooling/config.json
// (TEI's --pooling); see ParsePooling.
func WithPooling(p Pooling) Option { return func(s *settings) { s.pooling = p } }

// ParsePooling checks a pooling name: cls, mean or lasttoken (TEI's
// last-token spelling "last_token" too).
func ParsePooling(name string) (Pooling, error) {
	switch name {
	case string(PoolCLS), string(PoolMean), string(PoolLastToken):
		return Pooling(name), nil
	case "last_token", "last-token":
		return PoolLastToken, nil
	}
	return "", fmt.Errorf("pooling %q: want cls, mean or lasttoken", name)
}

// WithProgress receives a Progress event after every batch of every call.
func WithProgress(f func(Progress)) Option { return func(s *settings) { s.progress = f } }

// Progress reports how far a call has come.
type Progress struct {
	Done, Total             int // inputs
	DoneTokens, TotalTokens int // tokens
}
