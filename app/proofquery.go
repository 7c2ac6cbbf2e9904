package app

// proofQueries are the query paths of the proof service (issue 5):
// consistency proofs and CometBFT ProofOps.
func proofQueries() map[string]queryHandler { return nil }
