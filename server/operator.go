package server

import "net/http"

// operatorRoutes are the GET endpoints for operators, by path below the
// prefix. The main listeners serve them to authorized clients; the admin
// listener serves them to local users.
func (s *Server) operatorRoute(rest string) http.HandlerFunc {
	switch rest {
	case "/status":
		return s.serveStatus
	case "/checkin/preview":
		return s.servePreview
	case "/view":
		return s.serveView
	case "/view/live":
		return s.serveViewLive
	case "/metrics":
		return s.serveMetrics
	}
	return nil
}

// serveOperator answers an operator endpoint, or 404 for another path.
func (s *Server) serveOperator(w http.ResponseWriter, r *http.Request, rest string) {
	h := s.operatorRoute(rest)
	if h == nil {
		notFound(w)
		return
	}
	h(w, r)
}

// initMetrics registers the state gauges and builds the /metrics handler
// once the store is open.
func (s *Server) initMetrics() {
	s.ops.metrics.reg.MustRegister(stateCollector{s})
	s.metricsHandler = s.newMetricsHandler()
}
