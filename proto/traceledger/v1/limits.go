// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

// Limits of the EPCIS messages, history answers and queries that a client must respect to
// be accepted (the state machine refuses more with CodeEPCISBatchSize and
// CodeInvalidQuery).
const (
	// MaxBatchEvents is the most events one RecordEventBatch may carry.
	MaxBatchEvents = 1000
	// MaxKnownQuery is the most hash IDs one /epcis/known query may ask about.
	MaxKnownQuery = 10000
	// MaxHistoryRecords is the most records an unpaged history answer
	// carries: a longer history is read in pages (HistoryRequest.limit).
	MaxHistoryRecords = 10000
	// MaxHistoryPage is the most records one history page carries; a
	// larger limit is served as this many.
	MaxHistoryPage = 1000
	// MaxHistorySuffix is the most leaf hashes (32 bytes each, 3.2 MB in
	// all) a history page carries to link it to the head: a page that
	// ends further than this before the newest record is refused; ask it
	// with an anchor (walking from the newest page back) instead.
	MaxHistorySuffix = 100000
	// MaxEventRecorders is the most participants that may record one Event
	// Hash ID (each once; CodeEPCISEventRecorders beyond). Any participant
	// may record any event, so that nobody can take a partner's event by
	// recording it first; the bound keeps the "event/<hash id>" map value
	// (about 45 bytes and the participant id a recording), which every
	// further recording reads and rewrites, and the /epcis/event answer
	// (one proven record a recording) small however many record it. The
	// members of a supply chain that see one event are a handful; filling
	// the list takes this many registered participants, each named in it
	// and accountable to its department.
	MaxEventRecorders = 32
)
