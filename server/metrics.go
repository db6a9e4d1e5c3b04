package server

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	inflight     prometheus.Gauge
	queueTokens  prometheus.Gauge
	queueInputs  prometheus.Gauge
	batchInputs  prometheus.Histogram
	batchTokens  prometheus.Histogram
	batchSeconds prometheus.Histogram
	tokens       *prometheus.CounterVec
	inputs       *prometheus.CounterVec
	rejected     *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gembed_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gembed_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14)}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gembed_requests_in_flight", Help: "Embedding requests being handled."}),
		queueTokens: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gembed_queue_tokens", Help: "Tokens waiting for the model."}),
		queueInputs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gembed_queue_inputs", Help: "Inputs waiting for the model."}),
		batchInputs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gembed_batch_inputs", Help: "Inputs per model call.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		batchTokens: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gembed_batch_tokens", Help: "Tokens per model call.",
			Buckets: prometheus.ExponentialBuckets(8, 2, 14)}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gembed_batch_duration_seconds", Help: "Duration of model calls.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14)}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gembed_tokens_total", Help: "Tokens embedded, by route."}, []string{"route"}),
		inputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gembed_inputs_total", Help: "Inputs embedded, by route."}, []string{"route"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gembed_rejected_total", Help: "Requests refused before the model, by reason."}, []string{"reason"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight, m.queueTokens, m.queueInputs,
		m.batchInputs, m.batchTokens, m.batchSeconds, m.tokens, m.inputs, m.rejected)
	return m
}
