// SPDX-License-Identifier: Apache-2.0

package light

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/prooftest"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

const testChain = "light-test"

var testStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// chain returns headers 1..n signed by four validators, header 3 carrying
// the app hash of roots (state height 2), and the genesis trust root.
func chain(t *testing.T, roots *traceledgerv1.StateRoots, n int64) (*prooftest.Chain, TrustRoot) {
	t.Helper()
	app, err := proof.AppHashOf(roots)
	if err != nil {
		t.Fatal(err)
	}
	vals := prooftest.NewValidators("genesis", 4, 10)
	c := prooftest.NewChain(testChain, testStart)
	for h := int64(1); h <= n; h++ {
		a := bytes.Repeat([]byte{byte(h)}, 32)
		if h == roots.Height+1 {
			a = app[:]
		}
		c.Append(vals, nil, a, nil)
	}
	doc := &types.GenesisDoc{ChainID: testChain, InitialHeight: 1}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, types.GenesisValidator{PubKey: v.Key.PubKey(), Power: v.Power})
	}
	root, err := GenesisTrustRoot(doc)
	if err != nil {
		t.Fatal(err)
	}
	return c, root
}

func testRoots() *traceledgerv1.StateRoots {
	h := bytes.Repeat([]byte{7}, 32)
	return &traceledgerv1.StateRoots{Height: 2, LogSize: 5, LogRoot: h, MapRoot: h, RecordsRoot: h}
}

func TestVerifyRootsInHeader(t *testing.T) {
	roots := testRoots()
	c, root := chain(t, roots, 4)
	verified, err := VerifyHeaderChain(root, c.Blocks, HeaderOptions{})
	if err != nil || len(verified) != 4 {
		t.Fatalf("header chain: %d blocks, %v", len(verified), err)
	}
	otherRoots := testRoots()
	otherRoots.LogSize++
	tests := []struct {
		name  string
		roots *traceledgerv1.StateRoots
		h     *types.SignedHeader
		want  error
	}{
		{"header H+1", roots, c.At(3).SignedHeader, nil},
		{"header H", roots, c.At(2).SignedHeader, proof.ErrMalformedProof},
		{"header H+2", roots, c.At(4).SignedHeader, proof.ErrMalformedProof},
		{"other roots", otherRoots, c.At(3).SignedHeader, proof.ErrRootMismatch},
		{"no header", roots, nil, ErrHeaderNotTrusted},
		{"empty header", roots, &types.SignedHeader{}, ErrHeaderNotTrusted},
		{"nil roots, no header", nil, nil, proof.ErrMalformedProof},
		{"nil roots", nil, c.At(3).SignedHeader, proof.ErrMalformedProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyRootsInHeader(tc.roots, tc.h)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyHeaderChainRejects(t *testing.T) {
	c, root := chain(t, testRoots(), 4)
	others := prooftest.NewValidators("other", 4, 10)
	forged := c.Forge(3, others, bytes.Repeat([]byte{9}, 32), others) // signed by a set the chain never handed over to
	tests := []struct {
		name   string
		root   TrustRoot
		blocks []*types.LightBlock
	}{
		{"no block at the trust root", root, c.Blocks[1:]},
		{"descending heights", root, []*types.LightBlock{c.At(1), c.At(3), c.At(2)}},
		{"a nil block", root, []*types.LightBlock{c.At(1), nil}},
		{"forged header 3", root, []*types.LightBlock{c.At(1), c.At(2), forged}},
		{"wrong trusted hash", HeightTrustRoot(testChain, 2, c.At(1).Hash()), c.Blocks},
		{"other chain", HeightTrustRoot("other", 2, c.At(2).Hash()), c.Blocks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyHeaderChain(tc.root, tc.blocks, HeaderOptions{}); !errors.Is(err, ErrHeaderNotTrusted) {
				t.Fatalf("got %v, want ErrHeaderNotTrusted", err)
			}
		})
	}
	if got, err := VerifyHeaderChain(HeightTrustRoot(testChain, 2, c.At(2).Hash()), c.Blocks, HeaderOptions{}); err != nil || len(got) != 3 || got[0].Height != 2 {
		t.Fatalf("from trusted header 2: %d blocks, %v", len(got), err)
	}
}
