// SPDX-License-Identifier: Apache-2.0

package client

import (
	"encoding/json"
	prooflight "github.com/traceledger/traceledger/proof/light"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzVerifyEventResponse feeds arbitrary answers to the event and anchor
// verifiers: they must never panic, and an answer they accept must be about
// the event (or root) asked for, each recording signed by the participant
// the index names. The committed corpus holds genuine answers of an
// in-memory app (an event recorded by two participants, an anchor, an
// absence).
func FuzzVerifyEventResponse(f *testing.F) {
	const id = "ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000?ver=CBV2.0"
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp tlv1.EventResponse
		if resp.Unmarshal(data) != nil {
			return
		}
		if ve, err := VerifyEventResponse(id, &resp); err == nil && ve != nil {
			if len(ve.Recordings) == 0 {
				t.Fatal("verified an event with no recording")
			}
			for _, r := range ve.Recordings {
				if r.EPCIS.HashId != id || r.Record.Signer != r.Signer {
					t.Fatalf("verified a record of %s by %s for %s by %s", r.EPCIS.HashId, r.Record.Signer, id, r.Signer)
				}
			}
		}
		root := make([]byte, 32)
		if va, err := VerifyAnchorResponse(root, &resp); err == nil && va != nil && string(va.Anchor.Root) != string(root) {
			t.Fatal("verified an anchor of another root")
		}
	})
}

// FuzzVerifyAnchorProof feeds arbitrary JSON to the offline anchor proof
// checker and the leaves reader. No input may verify against a trust root
// (a header hash nobody has signed a chain to): verification rests on
// signatures the fuzzer cannot make.
func FuzzVerifyAnchorProof(f *testing.F) {
	p, _ := json.Marshal(AnchorProof{Format: AnchorProofFormat, Version: AnchorProofVersion, ChainID: "fuzz",
		EventHashID: "ni:///sha-256;00?ver=CBV2.0", Path: []string{"00"}})
	f.Add(p)
	root := prooflight.HeightTrustRoot("fuzz", 1, make([]byte, 32))
	f.Add([]byte("ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000?ver=CBV2.0\n# x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ap AnchorProof
		if json.Unmarshal(data, &ap) == nil {
			if err := VerifyAnchorProof(&ap, root, prooflight.HeaderOptions{}); err == nil {
				t.Fatal("a fuzzed anchor proof verified")
			}
		}
		if ids, err := ReadAnchorLeaves(data); err == nil && len(ids) == 0 {
			t.Fatal("no leaves and no error")
		}
	})
}
