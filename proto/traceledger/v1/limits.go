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
)
