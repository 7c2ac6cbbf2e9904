// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

import "strings"

// ABCI query paths of the application: the one list the node, the SDK, the
// auditor, the benchmarks and the HTTP layer share. Each comment names the
// request Data and the answer Value (docs/PROOFS.md).
const (
	PathStatus  = "/status"  // no request; StatusResponse
	PathRecord  = "/record"  // RecordRequest; RecordResponse
	PathHistory = "/history" // HistoryRequest; HistoryResponse
	PathValue   = "/value"   // ValueRequest; ValueResponse

	PathParticipants = "/participants" // ParticipantsRequest; ParticipantsResponse
	PathParticipant  = "/participant"  // ParticipantRequest; ParticipantResponse
	PathProposals    = "/proposals"    // ProposalsRequest; ProposalsResponse
	PathProposal     = "/proposal"     // ProposalRequest; ProposalResponse
	PathValidators   = "/validators"   // ValidatorsRequest; ValidatorsResponse

	PathEPCISEvent  = "/epcis/event"  // EventRequest; EventResponse
	PathEPCISAnchor = "/epcis/anchor" // AnchorRequest; EventResponse
	PathEPCISKnown  = "/epcis/known"  // KnownRequest; KnownResponse (no proof)

	// PathConsistency takes a ConsistencyRequest and answers a
	// ConsistencyResponse: the proof that the log (and the records tree) of
	// size1 leaves is a prefix of the current one.
	PathConsistency = "/consistency"
)

// Standard-format store paths /store/<name>/key, answered with CometBFT
// ProofOps (docs/PROOFS.md).
const (
	// StorePathPrefix starts every standard-format store path.
	StorePathPrefix = "/store/"
	// StorePathSuffix ends every standard-format store path.
	StorePathSuffix = "/key"
)

// StorePath is the standard-format query path of the named store, e.g.
// "/store/records/key".
func StorePath(store string) string { return StorePathPrefix + store + StorePathSuffix }

// ParseStorePath returns the store a standard-format path names; ok is
// false for any other path.
func ParseStorePath(path string) (store string, ok bool) {
	rest, ok := strings.CutPrefix(path, StorePathPrefix)
	if !ok {
		return "", false
	}
	store, ok = strings.CutSuffix(rest, StorePathSuffix)
	return store, ok && store != "" && !strings.Contains(store, "/")
}

// StoreRecords is the one standard-format store: the records tree, which
// is also the app-hash entry of that name (proof.AppHashRecordsKey).
const StoreRecords = "records"

// PathStoreRecords is the standard-format record query: Data is
// u64be(log index); the answer has Key = Data, Value = the record bytes and
// ProofOps of two "simple:v" ops (record -> records root -> app hash).
// Without a height it answers at the latest height whose app hash is
// already in a header (latest-1), so a light client can check it at once.
const PathStoreRecords = StorePathPrefix + StoreRecords + StorePathSuffix
