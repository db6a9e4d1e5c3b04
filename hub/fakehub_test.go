package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHub is an in-process stand-in for huggingface.co and its CDN that
// answers the way the real ones do: the listing API, HEAD/GET on resolve
// with X-Repo-Commit, ETag (git sha1) for small files and a redirect to the
// CDN with X-Linked-Etag/X-Linked-Size for LFS files, X-Error-Code headers,
// and a CDN that serves byte ranges. Knobs inject the failures the client
// must survive.
type fakeHub struct {
	hub, cdn *httptest.Server

	mu    sync.Mutex
	repos map[string]*fakeRepo
	blobs map[string][]byte // sha256 → bytes, served by the CDN

	relativeRedirect  bool             // resolve answers 307 to a relative /api/resolve-cache URL first
	cutOnce           map[string]int64 // LFS file → cut the connection after N bytes, once
	stallOnce         map[string]int64 // LFS file → stop sending after N bytes (connection kept open), once
	corrupt           map[string]bool  // LFS file → flip a byte, always
	ignoreRange       bool             // the CDN answers 200 to Range requests
	status            int              // every Hub request answers this status (0: normal)
	chunkDelay        time.Duration    // CDN pause per 32 KiB
	holdUntilHeads    int              // the CDN waits until the model file has had this many HEADs
	holdUntilInflight int              // each CDN response waits (≤ 5 s) until this many are in flight

	// what the servers saw
	listings, heads int
	headsByFile     map[string]int
	cdnGets         map[string]int // LFS file → GETs without Range
	cdnRanges       []string       // Range headers the CDN saw
	authOnCDN       bool
	cdnHeads        int // a HEAD followed the cross-host redirect: wrong
	inflight        int // CDN requests being served
	maxInflight     int
	hubGets         map[string]int // small file → GETs
}

type fakeRepo struct {
	id      string
	commit  string
	refs    map[string]string // branch/tag → commit
	files   map[string]fakeFile
	extra   []string // sibling names listed without a file (e.g. "../evil")
	gated   bool     // needs token "good"
	private bool     // needs token "good", else looks missing
}

type fakeFile struct {
	data []byte
	lfs  bool
}

func newFakeHub(t testing.TB) *fakeHub {
	fh := &fakeHub{
		repos:       map[string]*fakeRepo{},
		blobs:       map[string][]byte{},
		cutOnce:     map[string]int64{},
		stallOnce:   map[string]int64{},
		corrupt:     map[string]bool{},
		headsByFile: map[string]int{},
		cdnGets:     map[string]int{},
		hubGets:     map[string]int{},
	}
	fh.hub = httptest.NewServer(http.HandlerFunc(fh.serveHub))
	fh.cdn = httptest.NewServer(http.HandlerFunc(fh.serveCDN))
	t.Cleanup(func() {
		fh.hub.Close()
		fh.cdn.Close()
	})
	return fh
}

// settle shuts both servers down, which waits for every handler to return:
// a download that failed cancels its other requests, whose handlers may still
// be counting when Download returns. After settle the counters can be read.
func (fh *fakeHub) settle() {
	fh.hub.Close()
	fh.cdn.Close()
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func gitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func fakeCommit(seed string) string { return gitBlobSHA1([]byte("commit " + seed)) }

// addRepo registers a repo whose "main" points at a commit derived from id.
func (fh *fakeHub) addRepo(id string, files map[string]fakeFile) *fakeRepo {
	fh.mu.Lock()
	defer fh.mu.Unlock()
	r := &fakeRepo{id: id, commit: fakeCommit(id), files: files}
	r.refs = map[string]string{"main": r.commit}
	for _, f := range files {
		if f.lfs {
			fh.blobs[sha256Hex(f.data)] = f.data
		}
	}
	fh.repos[id] = r
	return r
}

// embeddingRepo is a typical sentence-transformers Qwen3 embedding repo,
// with files gembed must skip (README, pytorch weights, onnx).
func embeddingRepo(modelSize int) map[string]fakeFile {
	rng := rand.New(rand.NewSource(int64(modelSize)))
	model := make([]byte, modelSize)
	rng.Read(model)
	return map[string]fakeFile{
		".gitattributes":                    {data: []byte("*.safetensors filter=lfs\n")},
		"README.md":                         {data: []byte("# model\n")},
		"config.json":                       {data: []byte(`{"model_type":"qwen3","hidden_size":64}`)},
		"tokenizer.json":                    {data: []byte(`{"version":"1.0","model":{"type":"BPE"}}`)},
		"tokenizer_config.json":             {data: []byte(`{"pad_token":"<|endoftext|>"}`)},
		"vocab.json":                        {data: []byte(`{"a":0}`)},
		"merges.txt":                        {data: []byte("#version: 0.2\n")},
		"modules.json":                      {data: []byte(`[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"}]`)},
		"1_Pooling/config.json":             {data: []byte(`{"pooling_mode_lasttoken":true}`)},
		"config_sentence_transformers.json": {data: []byte(`{"prompts":{"query":"Instruct: "}}`)},
		"model.safetensors":                 {data: model, lfs: true},
		"pytorch_model.bin":                 {data: []byte("torch weights"), lfs: true},
		"onnx/model.onnx":                   {data: []byte("onnx weights"), lfs: true},
	}
}

func (fh *fakeHub) repoFor(path string) (*fakeRepo, string, bool) {
	for id, r := range fh.repos {
		if rest, ok := strings.CutPrefix(path, id+"/"); ok {
			return r, rest, true
		}
	}
	return nil, "", false
}

func (r *fakeRepo) commitFor(rev string) (string, bool) {
	if c, ok := r.refs[rev]; ok {
		return c, true
	}
	if rev == r.commit {
		return rev, true
	}
	return "", false
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	http.Error(w, msg, status)
}

func (fh *fakeHub) serveHub(w http.ResponseWriter, r *http.Request) {
	fh.mu.Lock()
	defer fh.mu.Unlock()
	if fh.status != 0 {
		if fh.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		hubError(w, fh.status, "", "injected")
		return
	}
	p := r.URL.EscapedPath()
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")

	// listing: /api/models/REPO/revision/REV
	if rest, ok := strings.CutPrefix(p, "/api/models/"); ok {
		fh.listings++
		repoPart, revEsc, ok := strings.Cut(rest, "/revision/")
		repo := fh.repos[repoPart]
		if !ok || repo == nil || (repo.private && token != "good") {
			if token == "" {
				hubError(w, 401, "RepoNotFound", "Repository not found")
			} else {
				hubError(w, 404, "RepoNotFound", "Repository not found")
			}
			return
		}
		rev, _ := url.PathUnescape(revEsc)
		commit, ok := repo.commitFor(rev)
		if !ok {
			hubError(w, 404, "RevisionNotFound", "Invalid rev id: "+rev)
			return
		}
		type sibling struct {
			RFilename string `json:"rfilename"`
		}
		out := struct {
			ID       string    `json:"id"`
			SHA      string    `json:"sha"`
			Private  bool      `json:"private"`
			Siblings []sibling `json:"siblings"`
		}{ID: repo.id, SHA: commit, Private: repo.private}
		for name := range repo.files {
			out.Siblings = append(out.Siblings, sibling{name})
		}
		for _, name := range repo.extra {
			out.Siblings = append(out.Siblings, sibling{name})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
		return
	}

	// /REPO/resolve/REV/PATH, or after a relative redirect
	// /api/resolve-cache/models/REPO/COMMIT/PATH
	var repo *fakeRepo
	var revEsc, fileEsc string
	viaCache := false
	if rest, ok := strings.CutPrefix(p, "/api/resolve-cache/models/"); ok {
		var rp string
		repo, rp, ok = fh.repoFor(rest)
		if !ok {
			hubError(w, 404, "RepoNotFound", "Repository not found")
			return
		}
		revEsc, fileEsc, _ = strings.Cut(rp, "/")
		viaCache = true
	} else {
		repoPart, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/resolve/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		repo = fh.repos[repoPart]
		revEsc, fileEsc, _ = strings.Cut(rest, "/")
	}
	if repo == nil || (repo.private && token != "good") {
		hubError(w, 401, "RepoNotFound", "Repository not found")
		return
	}
	if repo.gated && token != "good" {
		if token == "" {
			hubError(w, 401, "GatedRepo", "Access to model "+repo.id+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
		} else {
			hubError(w, 403, "GatedRepo", "Access to model "+repo.id+" is restricted and you are not in the authorized list.")
		}
		return
	}
	rev, _ := url.PathUnescape(revEsc)
	name, _ := url.PathUnescape(fileEsc)
	commit, ok := repo.commitFor(rev)
	if !ok {
		hubError(w, 404, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	f, ok := repo.files[name]
	if !ok {
		hubError(w, 404, "EntryNotFound", name+" does not exist on "+rev)
		return
	}
	if r.Method == http.MethodHead {
		fh.heads++
		fh.headsByFile[name]++
	}
	if fh.relativeRedirect && !viaCache {
		w.Header().Set("Location", "/api/resolve-cache/models/"+repo.id+"/"+commit+"/"+fileEsc)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	w.Header().Set("X-Repo-Commit", commit)
	if f.lfs {
		sum := sha256Hex(f.data)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.data)))
		// The redirect's own ETag is not the file's: the client must
		// prefer X-Linked-Etag.
		w.Header().Set("ETag", `W/"1a2b-notthefile"`)
		w.Header().Set("Location", fh.cdn.URL+"/repos/aa/bb/"+sum+"?X-Amz-Signature=sig&name="+url.QueryEscape(name))
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+gitBlobSHA1(f.data)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		fh.hubGets[name]++
		data := f.data
		if fh.corrupt[name] {
			data = append([]byte(nil), data...)
			data[0] ^= 0x20
		}
		w.Write(data)
	}
}

func (fh *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	sum := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	name := r.URL.Query().Get("name")
	fh.mu.Lock()
	if r.Header.Get("Authorization") != "" {
		fh.authOnCDN = true
	}
	data, ok := fh.blobs[sum]
	if !ok || r.URL.Query().Get("X-Amz-Signature") != "sig" {
		fh.mu.Unlock()
		http.Error(w, "AccessDenied", http.StatusForbidden)
		return
	}
	rng := r.Header.Get("Range")
	if r.Method != http.MethodGet {
		fh.cdnHeads++
	} else if rng != "" {
		fh.cdnRanges = append(fh.cdnRanges, rng)
	} else {
		fh.cdnGets[name]++
	}
	cut, doCut := fh.cutOnce[name]
	if doCut {
		delete(fh.cutOnce, name)
	}
	stall, doStall := fh.stallOnce[name]
	if doStall {
		delete(fh.stallOnce, name)
		cut, doCut = stall, true
	}
	fh.inflight++
	fh.maxInflight = max(fh.maxInflight, fh.inflight)
	defer func() {
		fh.mu.Lock()
		fh.inflight--
		fh.mu.Unlock()
	}()
	if fh.corrupt[name] {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	ignoreRange, delay, hold, holdInflight := fh.ignoreRange, fh.chunkDelay, fh.holdUntilHeads, fh.holdUntilInflight
	fh.mu.Unlock()

	// Overlap made certain rather than left to the scheduler: on a loaded
	// machine one short download can finish before the next one starts.
	if holdInflight > 0 {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			fh.mu.Lock()
			n := fh.inflight
			fh.mu.Unlock()
			if n >= holdInflight {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	if hold > 0 && name == "model.safetensors" {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			fh.mu.Lock()
			n := fh.headsByFile[name]
			fh.mu.Unlock()
			if n >= hold {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	start := int64(0)
	status := http.StatusOK
	if rng != "" && !ignoreRange {
		s, ok := strings.CutPrefix(rng, "bytes=")
		s, _, _ = strings.Cut(s, "-")
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil || n >= int64(len(data)) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, status = n, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, len(data)-1, len(data)))
	}
	body := data[start:]
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("ETag", `"`+sum+`"`)
	w.WriteHeader(status)
	if doCut && cut < int64(len(body)) {
		body = body[:cut]
	}
	for len(body) > 0 {
		n := min(len(body), 32<<10)
		if _, err := w.Write(body[:n]); err != nil {
			return // the client went away
		}
		body = body[n:]
		if delay > 0 {
			w.(http.Flusher).Flush()
			time.Sleep(delay)
		}
	}
	if doStall {
		w.(http.Flusher).Flush()
		<-r.Context().Done() // hang until the client gives up
		return
	}
	if doCut {
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut the connection mid-body
	}
}
