// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

// Limits of the EPCIS messages and queries that a client must respect to
// be accepted (the state machine refuses more with CodeEPCISBatchSize and
// CodeInvalidQuery).
const (
	// MaxBatchEvents is the most events one RecordEventBatch may carry.
	MaxBatchEvents = 1000
	// MaxKnownQuery is the most hash IDs one /epcis/known query may ask about.
	MaxKnownQuery = 10000
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
