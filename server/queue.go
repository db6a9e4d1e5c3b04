package server

import (
	"context"
	"sync"
	"time"
)

// job is one request's inputs waiting for vectors.
type job struct {
	ctx     context.Context
	seqs    [][]int
	vecs    [][]float32
	left    int
	err     error
	done    chan struct{}
	tokens  int
	started bool
}

type queued struct {
	job *job
	idx int
}

// queue batches inputs of all requests: workers take queued inputs in
// arrival order up to maxBatch tokens per model call. Admission is bounded
// by maxTokens waiting tokens.
type queue struct {
	mu        sync.Mutex
	cond      *sync.Cond
	items     []queued
	tokens    int
	maxTokens int
	maxBatch  int
	closed    bool
	m         *metrics

	ctx     context.Context // canceled when a shutdown gives up waiting
	cancel  context.CancelFunc
	workers sync.WaitGroup
}

func newQueue(maxTokens, maxBatch int, m *metrics) *queue {
	q := &queue{maxTokens: maxTokens, maxBatch: maxBatch, m: m}
	q.cond = sync.NewCond(&q.mu)
	q.ctx, q.cancel = context.WithCancel(context.Background())
	return q
}

func (q *queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// submit queues seqs and waits for their vectors, ctx's end or shutdown.
func (q *queue) submit(ctx context.Context, seqs [][]int) ([][]float32, error) {
	j := &job{ctx: ctx, seqs: seqs, vecs: make([][]float32, len(seqs)), left: len(seqs), done: make(chan struct{})}
	for _, s := range seqs {
		j.tokens += len(s)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return nil, errShutdown
	case q.tokens > 0 && q.tokens+j.tokens > q.maxTokens:
		q.mu.Unlock()
		q.m.rejected.WithLabelValues("overloaded").Inc()
		return nil, errOverloaded
	}
	for i := range seqs {
		q.items = append(q.items, queued{j, i})
	}
	q.tokens += j.tokens
	q.gauges()
	q.mu.Unlock()
	q.cond.Broadcast()

	select {
	case <-j.done:
		return j.vecs, j.err
	case <-ctx.Done():
		// The worker drops our remaining inputs when it reaches them.
		return nil, ctx.Err()
	}
}

func (q *queue) gauges() {
	q.m.queueTokens.Set(float64(q.tokens))
	q.m.queueInputs.Set(float64(len(q.items)))
}

// take waits for work and removes up to maxBatch tokens of live inputs;
// nil means the queue is closed and empty.
func (q *queue) take() []queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.items) == 0 {
			if q.closed {
				return nil
			}
			q.cond.Wait()
		}
		var batch []queued
		tokens := 0
		for len(q.items) > 0 {
			it := q.items[0]
			n := len(it.job.seqs[it.idx])
			if it.job.ctx.Err() != nil || it.job.left == 0 { // its request is gone or failed
				q.items = q.items[1:]
				q.tokens -= n
				continue
			}
			if len(batch) > 0 && tokens+n > q.maxBatch {
				break
			}
			batch = append(batch, it)
			tokens += n
			q.items = q.items[1:]
			q.tokens -= n
		}
		if len(q.items) == 0 {
			q.items = nil // let the backing array go
		}
		q.gauges()
		if len(batch) > 0 {
			return batch
		}
	}
}

func (q *queue) startWorker(run func(context.Context, [][]int) ([][]float32, error)) {
	q.workers.Add(1)
	go func() {
		defer q.workers.Done()
		for {
			batch := q.take()
			if batch == nil {
				return
			}
			seqs := make([][]int, len(batch))
			tokens := 0
			for i, it := range batch {
				seqs[i] = it.job.seqs[it.idx]
				tokens += len(seqs[i])
			}
			q.m.batchInputs.Observe(float64(len(seqs)))
			q.m.batchTokens.Observe(float64(tokens))
			start := time.Now()
			vecs, err := run(q.ctx, seqs)
			q.m.batchSeconds.Observe(time.Since(start).Seconds())
			q.deliver(batch, vecs, err)
		}
	}()
}

func (q *queue) deliver(batch []queued, vecs [][]float32, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, it := range batch {
		j := it.job
		if j.left == 0 { // already failed
			continue
		}
		if err != nil {
			j.err = err
			j.left = 0
			close(j.done)
			continue
		}
		j.vecs[it.idx] = vecs[i]
		j.left--
		if j.left == 0 {
			close(j.done)
		}
	}
}

func (q *queue) shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	select {
	case <-done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		<-done
		return ctx.Err()
	}
}
