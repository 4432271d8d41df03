package server

// initMetrics registers the state gauges and builds the /metrics handler
// once the store is open.
func (s *Server) initMetrics() {
	s.ops.metrics.reg.MustRegister(stateCollector{s})
	s.metricsHandler = s.newMetricsHandler()
}
