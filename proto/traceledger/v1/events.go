// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

// ABCI event types of appended records, and their attribute keys.
const (
	// EventRecord describes one record: kind, index, and each subject
	// (indexed, so CometBFT's tx indexer can find a transaction by
	// subject).
	EventRecord = "traceledger.record"
	// EventRecords describes the records a message appended when it
	// appended more than one (a batch): kind, first_index, count. Their
	// subjects are in the records themselves (the /history query finds
	// them with proofs); listing them here would make every batch's
	// results, its indexing and every client reading the block's results
	// cost as much as the records (issue 8).
	EventRecords = "traceledger.records"
)

// Attribute keys of EventRecord and EventRecords.
const (
	AttrKind       = "kind"        // the stable name of the message that appended the records
	AttrIndex      = "index"       // EventRecord: the record's log index
	AttrSubject    = "subject"     // EventRecord: one per subject
	AttrFirstIndex = "first_index" // EventRecords: the first record's log index
	AttrCount      = "count"       // EventRecords: how many records follow it
)

// EventTypes lists the ABCI event types the application emits.
var EventTypes = []string{EventRecord, EventRecords}
