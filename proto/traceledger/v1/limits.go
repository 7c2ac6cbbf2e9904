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
)
