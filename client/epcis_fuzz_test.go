// SPDX-License-Identifier: Apache-2.0

package client

import (
	"encoding/json"
	"testing"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// FuzzVerifyEventResponse feeds arbitrary answers to the event and anchor
// verifiers: they must never panic, and an answer they accept must be about
// the event (or root) asked for.
func FuzzVerifyEventResponse(f *testing.F) {
	const id = "ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000?ver=CBV2.0"
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp tlv1.EventResponse
		if resp.Unmarshal(data) != nil {
			return
		}
		if ve, err := VerifyEventResponse(id, &resp); err == nil && ve != nil && ve.EPCIS.HashId != id {
			t.Fatalf("verified a record of %s for %s", ve.EPCIS.HashId, id)
		}
		root := make([]byte, 32)
		if va, err := VerifyAnchorResponse(root, &resp); err == nil && va != nil && string(va.Anchor.Root) != string(root) {
			t.Fatal("verified an anchor of another root")
		}
	})
}

// FuzzVerifyAnchorProof feeds arbitrary JSON to the offline anchor proof
// checker and the leaves reader.
func FuzzVerifyAnchorProof(f *testing.F) {
	p, _ := json.Marshal(AnchorProof{EventHashID: "ni:///sha-256;00?ver=CBV2.0", Path: []string{"00"}})
	f.Add(p)
	f.Add([]byte("ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000?ver=CBV2.0\n# x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ap AnchorProof
		if json.Unmarshal(data, &ap) == nil {
			_ = VerifyAnchorProof(&ap)
		}
		if ids, err := ReadAnchorLeaves(data); err == nil && len(ids) == 0 {
			t.Fatal("no leaves and no error")
		}
	})
}
