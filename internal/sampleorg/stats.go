package sampleorg

import "maps"

// RequestCounts counts requests received, by endpoint, whatever their outcome
// (auth errors, 429s and injected faults included).
type RequestCounts struct {
	Token      int64 // POST /ims/token/v3
	List       int64 // GET /data/dataviews
	DataView   int64 // GET /data/dataviews/{id}
	Metrics    int64 // GET /data/dataviews/{id}/metrics
	Dimensions int64 // GET /data/dataviews/{id}/dimensions
	Other      int64 // any other path (answered 404)
}

// Total is the number of requests of every kind.
func (c RequestCounts) Total() int64 {
	return c.Token + c.List + c.DataView + c.Metrics + c.Dimensions + c.Other
}

// CJA is the number of requests to the CJA endpoints (all but Token and Other).
func (c RequestCounts) CJA() int64 {
	return c.List + c.DataView + c.Metrics + c.Dimensions
}

// Stats are the simulator's counters since New or ResetStats. Tests use them
// to hold the client to its promises (requests per data view, no 429 storms,
// bounded concurrency).
type Stats struct {
	Requests RequestCounts
	// ByStatus counts responses written, by HTTP status. Connection resets
	// and requests whose context ended before an answer are not responses.
	ByStatus map[int]int64
	// Throttled counts 429s sent, from the rate limit or from faults.
	Throttled int64
	// Faults counts requests a FaultFunc returned a fault for.
	Faults int64
	// TokensIssued counts access tokens granted by IMS.
	TokensIssued int64
	// RequestsByDataView counts requests naming each data view (data view,
	// metrics and dimensions endpoints, pages and retries included).
	RequestsByDataView map[string]int64
	// MaxInFlight is the most requests being handled at one time.
	MaxInFlight int
	// MaxDataViewsInFlight is the most distinct data views with at least one
	// outstanding request at one time. A client that fetches a data view's
	// parts concurrently keeps it in flight throughout; one that fetches
	// them one after another may drop to zero between requests, so this can
	// undercount but never overcount the client's own notion of in flight.
	MaxDataViewsInFlight int
	// InFlight is the number of requests being handled now.
	InFlight int
	// InFlightByDataView is the number of outstanding requests per data view
	// now (only data views with at least one).
	InFlightByDataView map[string]int
}

func newStats() Stats {
	return Stats{ByStatus: map[int]int64{}, RequestsByDataView: map[string]int64{}}
}

// Stats returns a snapshot of the counters; it shares nothing with s.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = maps.Clone(s.stats.ByStatus)
	st.RequestsByDataView = maps.Clone(s.stats.RequestsByDataView)
	st.InFlightByDataView = maps.Clone(s.inFlight)
	return st
}

// ResetStats zeroes the counters. High-water marks restart from what is in
// flight now, so requests still outstanding are not forgotten.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	inFlight := s.stats.InFlight
	s.stats = newStats()
	s.stats.InFlight = inFlight
	s.stats.MaxInFlight = inFlight
	s.stats.MaxDataViewsInFlight = len(s.inFlight)
}

// begin records the arrival of a request; end must follow.
func (s *Server) begin(kind endpoint, dvID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case epToken:
		s.stats.Requests.Token++
	case epList:
		s.stats.Requests.List++
	case epDataView:
		s.stats.Requests.DataView++
	case epMetrics:
		s.stats.Requests.Metrics++
	case epDimensions:
		s.stats.Requests.Dimensions++
	default:
		s.stats.Requests.Other++
	}
	s.stats.InFlight++
	s.stats.MaxInFlight = max(s.stats.MaxInFlight, s.stats.InFlight)
	if dvID != "" {
		s.stats.RequestsByDataView[dvID]++
		s.inFlight[dvID]++
		s.stats.MaxDataViewsInFlight = max(s.stats.MaxDataViewsInFlight, len(s.inFlight))
	}
}

// end records that a request begun with begin is finished.
func (s *Server) end(dvID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.InFlight--
	if dvID != "" {
		if s.inFlight[dvID]--; s.inFlight[dvID] <= 0 {
			delete(s.inFlight, dvID)
		}
	}
}

// counted records a response about to be written.
func (s *Server) counted(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.ByStatus[status]++
	if status == 429 {
		s.stats.Throttled++
	}
}

func (s *Server) countFault() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Faults++
}
