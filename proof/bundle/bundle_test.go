// SPDX-License-Identifier: Apache-2.0

package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/internal/reftree"
	"github.com/traceledger/traceledger/proof/internal/synth"
	"github.com/traceledger/traceledger/proof/light"
	"github.com/traceledger/traceledger/proof/prooftest"
	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

const testChain = "bundle-test"

var testStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// chainWithState builds a chain of n heights signed by vals whose header
// state.height+1 commits to the state.
func chainWithState(s *synth.State, vals []prooftest.Validator, n int64) *prooftest.Chain {
	c := prooftest.NewChain(testChain, testStart)
	for h := int64(1); h <= n; h++ {
		app := proof.MapValueHash(fmt.Appendf(nil, "app %d", h))
		if h == s.Height+1 {
			app = s.AppHash()
		}
		c.Append(vals, nil, app[:], nil)
	}
	return c
}

func genesisRoot(t testing.TB, vals []prooftest.Validator) light.TrustRoot {
	t.Helper()
	doc := &types.GenesisDoc{ChainID: testChain, InitialHeight: 1}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, types.GenesisValidator{PubKey: v.Key.PubKey(), Power: v.Power})
	}
	root, err := light.GenesisTrustRoot(doc)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// honestBundle is a bundle of synth.Subject at height 4 with headers 1..6.
func honestBundle(t testing.TB) (*Bundle, light.TrustRoot, *synth.State) {
	t.Helper()
	s := synth.New(t, 4)
	vals := prooftest.NewValidators("genesis", 4, 10)
	c := chainWithState(s, vals, 5)
	values := []*traceledgerv1.ProvenValue{s.Value("recall/"+synth.Subject, nil), s.Value("participant/farm", []byte("farm record"))}
	b, err := New(testChain, synth.Subject, Trust{Kind: "genesis", Height: 1}, s.History(t, synth.Subject), values, c.Blocks, testStart)
	if err != nil {
		t.Fatal(err)
	}
	return b, genesisRoot(t, vals), s
}

// roundTrip encodes and strictly decodes a bundle.
func roundTrip(t testing.TB, b *Bundle) *Bundle {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBundleHonest(t *testing.T) {
	b, root, _ := honestBundle(t)
	rep, err := Verify(roundTrip(t, b), root, light.HeaderOptions{})
	if err != nil {
		t.Fatalf("honest bundle: %v", err)
	}
	if !rep.Verified || !rep.Complete || !rep.HasHistory || rep.Count != 4 || len(rep.Records) != 4 {
		t.Fatalf("report: %+v", rep)
	}
	for i, r := range rep.Records {
		if !r.Verified || r.Index != synth.SubjectIndexes()[i] || r.Kind != "event" || !strings.Contains(r.Proven, "state height 4") {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if rep.Header.Height != 5 || rep.Header.Signed != 4 || rep.Header.SignedPower != 40 || len(rep.HeaderPath) != 5 {
		t.Fatalf("header: %+v path %v", rep.Header, rep.HeaderPath)
	}
	if len(rep.Values) != 2 || rep.Values[0].Present || !rep.Values[1].Present || !rep.Values[0].Verified || !rep.Values[1].Verified {
		t.Fatalf("values: %+v", rep.Values)
	}
}

func TestBundleAbsentIdentifier(t *testing.T) {
	s := synth.New(t, 2)
	vals := prooftest.NewValidators("genesis", 4, 10)
	c := chainWithState(s, vals, 3)
	unknown := "https://id.gs1.org/01/56901234000127/10/NOSUCH" // canonical
	b, err := New(testChain, unknown, Trust{Kind: "genesis", Height: 1}, s.History(t, unknown), nil, c.Blocks, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(roundTrip(t, b), genesisRoot(t, vals), light.HeaderOptions{})
	if err != nil || rep.HasHistory || !rep.Complete || len(rep.Records) != 0 {
		t.Fatalf("absent identifier: %v %+v", err, rep)
	}
	// The same lot as an EPC URI: a genuine absence proof of that key, but
	// histories are never filed under it, so it is not evidence.
	urn := "urn:epc:class:lgtin:6901234.500012.NOSUCH"
	nb, err := New(testChain, urn, Trust{Kind: "genesis", Height: 1}, s.History(t, urn), nil, c.Blocks, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(roundTrip(t, nb), genesisRoot(t, vals), light.HeaderOptions{}); err == nil || rep.Verified || !strings.Contains(err.Error(), unknown) {
		t.Fatalf("absence of a non-canonical spelling: %v %+v", err, rep)
	}
	// Claiming the absence of a subject that has records fails.
	b.Identifier = synth.Subject
	b.Head = ValueOf(s.Value(traceledgerv1.HeadKey(synth.Subject), nil))
	if _, err := Verify(b, genesisRoot(t, vals), light.HeaderOptions{}); !errors.Is(err, proof.ErrKeyPresent) {
		t.Fatalf("hidden history: got %v, want proof.ErrKeyPresent", err)
	}
}

// verifyDecoded verifies b with already decoded light blocks (the JSON
// decoding is tested elsewhere; tamper tests run thousands of times).
func verifyDecoded(b *Bundle, blocks []*types.LightBlock, root light.TrustRoot) error {
	rep := &Report{}
	rep, err := verifyBlocks(b, blocks, root, light.HeaderOptions{}, rep)
	if err == nil && !rep.Verified {
		return errors.New("report not verified")
	}
	return err
}

// flipAll flips, one at a time, each byte of each buffer field returns (in
// place, restored afterwards) and expects verification to fail. It returns
// the number of changes tried.
func flipAll(t *testing.T, what string, b *Bundle, blocks []*types.LightBlock, root light.TrustRoot, field func(*Bundle) [][]byte) int {
	t.Helper()
	n := 0
	for fi, buf := range field(b) {
		for j := range buf {
			buf[j] ^= 0x01
			err := verifyDecoded(b, blocks, root)
			buf[j] ^= 0x01
			if err == nil {
				t.Fatalf("%s: flipping byte %d of item %d still verifies", what, j, fi)
			}
			n++
		}
	}
	if err := verifyDecoded(b, blocks, root); err != nil {
		t.Fatalf("%s: not restored: %v", what, err)
	}
	return n
}

// smallBundle is honestBundle with fewer headers (state height 2, headers
// 1..3), to keep the byte-by-byte tamper tests fast.
func smallBundle(t testing.TB) (*Bundle, []*types.LightBlock, light.TrustRoot, *synth.State) {
	t.Helper()
	s := synth.New(t, 2)
	vals := prooftest.NewValidators("genesis", 4, 10)
	c := chainWithState(s, vals, 3)
	values := []*traceledgerv1.ProvenValue{s.Value("recall/"+synth.Subject, nil), s.Value("participant/farm", []byte("farm record"))}
	b, err := New(testChain, synth.Subject, Trust{Kind: "genesis", Height: 1}, s.History(t, synth.Subject), values, c.Blocks, testStart)
	if err != nil {
		t.Fatal(err)
	}
	b = roundTrip(t, b)
	blocks, err := b.DecodeLightBlocks()
	if err != nil {
		t.Fatal(err)
	}
	root := genesisRoot(t, vals)
	if err := verifyDecoded(b, blocks, root); err != nil {
		t.Fatal(err)
	}
	return b, blocks, root, s
}

// TestBundleTamperEveryByte flips every byte of every record, path, root,
// map proof and map value: each single change must fail verification.
func TestBundleTamperEveryByte(t *testing.T) {
	b, blocks, root, _ := smallBundle(t)
	total := 0
	total += flipAll(t, "record", b, blocks, root, func(b *Bundle) [][]byte {
		var out [][]byte
		for _, r := range b.Records {
			out = append(out, r.Record)
		}
		return out
	})
	total += flipAll(t, "inclusion path", b, blocks, root, func(b *Bundle) [][]byte {
		var out [][]byte
		for _, r := range b.Records {
			for _, h := range r.Inclusion {
				out = append(out, h)
			}
		}
		return out
	})
	total += flipAll(t, "state root", b, blocks, root, func(b *Bundle) [][]byte {
		return [][]byte{b.State.LogRoot, b.State.MapRoot, b.State.RecordsRoot}
	})
	total += flipAll(t, "head", b, blocks, root, func(b *Bundle) [][]byte {
		out := [][]byte{b.Head.Value, b.Head.Proof.EmptySiblings, b.Head.Proof.LeafKeyHash, b.Head.Proof.LeafValueHash}
		for _, h := range b.Head.Proof.Siblings {
			out = append(out, h)
		}
		return out
	})
	total += flipAll(t, "further map entry", b, blocks, root, func(b *Bundle) [][]byte {
		var out [][]byte
		for _, v := range b.Values {
			out = append(out, v.Value, v.Proof.EmptySiblings, v.Proof.LeafKeyHash, v.Proof.LeafValueHash)
			for _, h := range v.Proof.Siblings {
				out = append(out, h)
			}
		}
		return out
	})
	// Sizes, heights, indexes and names.
	for i, mut := range []func(*Bundle){
		func(b *Bundle) { b.State.LogSize++ },
		func(b *Bundle) { b.State.LogSize-- },
		func(b *Bundle) { b.State.Height++ },
		func(b *Bundle) { b.State.Height-- },
		func(b *Bundle) { b.Records[1].Index++ },
		func(b *Bundle) { b.Head.Proof.Depth++ },
		func(b *Bundle) { b.Head.Key += "x" },
		func(b *Bundle) { b.Values[1].Key += "x" },
		func(b *Bundle) { b.Identifier += "x" },
		func(b *Bundle) { b.ChainID += "x" },
	} {
		probe := roundTrip(t, b)
		mut(probe)
		if err := verifyDecoded(probe, blocks, root); err == nil {
			t.Fatalf("mutation %d still verifies", i)
		}
		total++
	}
	t.Logf("%d single changes, all rejected", total)
}

// lightBlockFields are the byte fields of a light block a tamper test flips:
// header hashes, the commit's block id, every signature and validator
// address. (Validator keys: see TestBundleTamperHeaders.)
func lightBlockFields(lb *types.LightBlock) [][]byte {
	h := lb.Header
	out := [][]byte{h.LastBlockID.Hash, h.LastBlockID.PartSetHeader.Hash, h.LastCommitHash, h.DataHash, h.ValidatorsHash, h.NextValidatorsHash, h.ConsensusHash,
		h.AppHash, h.LastResultsHash, h.EvidenceHash, h.ProposerAddress, lb.Commit.BlockID.Hash, lb.Commit.BlockID.PartSetHeader.Hash}
	for _, s := range lb.Commit.Signatures {
		out = append(out, s.Signature, s.ValidatorAddress)
	}
	for _, v := range lb.ValidatorSet.Validators {
		out = append(out, v.Address)
	}
	return out
}

// TestBundleTamperHeaders flips every byte of every header hash, commit
// block id, signature and validator address, and of every validator key,
// of every light block: each must fail verification.
func TestBundleTamperHeaders(t *testing.T) {
	b, blocks, root, _ := smallBundle(t)
	n := 0
	for i, lb := range blocks {
		for fi, f := range lightBlockFields(lb) {
			if len(f) == 0 && lb.Height > 1 {
				t.Fatalf("light block %d: field %d is empty", i, fi)
			}
			for j := range f {
				f[j] ^= 0x01
				err := verifyDecoded(b, blocks, root)
				f[j] ^= 0x01
				if err == nil {
					t.Fatalf("light block %d field %d byte %d: still verifies", i, fi, j)
				}
				n++
			}
		}
		// Validator keys: a key made of the flipped bytes.
		for vi, v := range lb.ValidatorSet.Validators {
			orig := v.PubKey
			raw := orig.Bytes()
			for j := range raw {
				flipped := bytes.Clone(raw)
				flipped[j] ^= 0x01
				v.PubKey = ed25519.PubKey(flipped)
				err := verifyDecoded(b, blocks, root)
				v.PubKey = orig
				if err == nil {
					t.Fatalf("light block %d validator %d key byte %d: still verifies", i, vi, j)
				}
				n++
			}
		}
		// The header time and height, a vote time, a voting power.
		for mi, mut := range []func(lb *types.LightBlock) func(){
			func(lb *types.LightBlock) func() {
				t0 := lb.Header.Time
				lb.Header.Time = t0.Add(time.Nanosecond)
				return func() { lb.Header.Time = t0 }
			},
			func(lb *types.LightBlock) func() { lb.Header.Height++; return func() { lb.Header.Height-- } },
			func(lb *types.LightBlock) func() {
				t0 := lb.Commit.Signatures[0].Timestamp
				lb.Commit.Signatures[0].Timestamp = t0.Add(time.Millisecond)
				return func() { lb.Commit.Signatures[0].Timestamp = t0 }
			},
			func(lb *types.LightBlock) func() {
				lb.ValidatorSet.Validators[0].VotingPower++
				return func() { lb.ValidatorSet.Validators[0].VotingPower-- }
			},
			func(lb *types.LightBlock) func() {
				lb.Header.ChainID += "x"
				return func() { lb.Header.ChainID = testChain }
			},
		} {
			restore := mut(lb)
			err := verifyDecoded(b, blocks, root)
			restore()
			if err == nil {
				t.Fatalf("light block %d: header mutation %d still verifies", i, mi)
			}
			n++
		}
	}
	if err := verifyDecoded(b, blocks, root); err != nil {
		t.Fatalf("not restored: %v", err)
	}
	// Dropping, duplicating or reordering light blocks.
	for name, mut := range map[string]func([]json.RawMessage) []json.RawMessage{
		"drop the top header":     func(l []json.RawMessage) []json.RawMessage { return l[:len(l)-1] },
		"drop the genesis header": func(l []json.RawMessage) []json.RawMessage { return l[1:] },
		"duplicate":               func(l []json.RawMessage) []json.RawMessage { return append(l[:2:2], l[1:]...) },
		"reorder":                 func(l []json.RawMessage) []json.RawMessage { l[1], l[2] = l[2], l[1]; return l },
	} {
		probe := roundTrip(t, b)
		probe.LightBlocks = mut(probe.LightBlocks)
		if _, err := Verify(probe, root, light.HeaderOptions{}); err == nil {
			t.Fatalf("%s: still verifies", name)
		}
	}
	t.Logf("%d header changes, all rejected", n)
}

// TestBundleCompleteness: hiding, adding, duplicating or reordering a
// record, even with valid inclusion proofs, is caught by the chain hash.
func TestBundleCompleteness(t *testing.T) {
	b, root, s := honestBundle(t)
	other := Record{Index: 3, Record: s.Records[3], Inclusion: toHexes(reftree.Path(3, s.LogLeaves))}
	for name, mut := range map[string]func(*Bundle){
		"hide the last":          func(b *Bundle) { b.Records = b.Records[:3] },
		"hide one in the middle": func(b *Bundle) { b.Records = append(b.Records[:1], b.Records[2:]...) },
		"reorder":                func(b *Bundle) { b.Records[1], b.Records[2] = b.Records[2], b.Records[1] },
		"add another record":     func(b *Bundle) { b.Records = append(b.Records[:2], append([]Record{other}, b.Records[2:]...)...) },
		"duplicate":              func(b *Bundle) { b.Records = append(b.Records, b.Records[3]) },
		"replace one":            func(b *Bundle) { b.Records[1] = other },
	} {
		t.Run(name, func(t *testing.T) {
			probe := roundTrip(t, b)
			mut(probe)
			rep, err := Verify(probe, root, light.HeaderOptions{})
			if err == nil || rep.Complete || rep.Verified {
				t.Fatalf("still verifies: %+v", rep)
			}
			if !errors.Is(err, proof.ErrChainMismatch) {
				t.Fatalf("got %v, want a chain mismatch", err)
			}
		})
	}
}

func TestBundleTrustRoots(t *testing.T) {
	b, root, _ := honestBundle(t)
	blocks, _ := b.DecodeLightBlocks()
	tests := []struct {
		name string
		root light.TrustRoot
		ok   bool
	}{
		{"genesis", root, true},
		{"trusted header 3", light.HeightTrustRoot(testChain, 3, blocks[2].Hash()), true},
		{"trusted header 5 (the top)", light.HeightTrustRoot(testChain, 5, blocks[4].Hash()), true},
		{"wrong hash", light.HeightTrustRoot(testChain, 3, blocks[3].Hash()), false},
		{"height not in the bundle", light.HeightTrustRoot(testChain, 9, blocks[4].Hash()), false},
		{"other genesis validators", genesisRoot(t, prooftest.NewValidators("other", 4, 10)), false},
		{"other chain", light.HeightTrustRoot("other-chain", 3, blocks[2].Hash()), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(roundTrip(t, b), tc.root, light.HeaderOptions{})
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	// A header older than the trusting period before the top header.
	if _, err := Verify(b, root, light.HeaderOptions{TrustingPeriod: 2 * time.Second}); err == nil {
		t.Fatal("expired trust accepted")
	}
	// Wall-clock checking: headers from the future are rejected.
	if _, err := Verify(b, root, light.HeaderOptions{Now: testStart.Add(-time.Hour)}); err == nil {
		t.Fatal("headers from the future accepted")
	}
}

// TestBundleAcrossValidatorSetChange: the genesis set hands over to a
// disjoint set; a bundle made after the change verifies from the genesis
// trust root only with the light blocks of the hand-over, and one made
// before the change still verifies after it.
func TestBundleAcrossValidatorSetChange(t *testing.T) {
	s := synth.New(t, 6)
	v1 := prooftest.NewValidators("genesis", 4, 10)
	v2 := prooftest.NewValidators("successor", 4, 10)
	c := prooftest.NewChain(testChain, testStart)
	for h := int64(1); h <= 9; h++ {
		vals, next := v1, v1
		switch {
		case h == 3:
			next = v2 // header 3 announces the new set for height 4
		case h >= 4:
			vals, next = v2, v2
		}
		app := proof.MapValueHash(fmt.Appendf(nil, "app %d", h))
		if h == s.Height+1 {
			app = s.AppHash()
		}
		c.Append(vals, next, app[:], nil)
	}
	root := genesisRoot(t, v1)
	hist := s.History(t, synth.Subject)
	make := func(heights ...int64) *Bundle {
		var blocks []*types.LightBlock
		for _, h := range heights {
			blocks = append(blocks, c.At(h))
		}
		b, err := New(testChain, synth.Subject, Trust{Kind: "genesis", Height: 1}, hist, nil, blocks, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return roundTrip(t, b)
	}
	if _, err := Verify(make(1, 2, 3, 4, 7), root, light.HeaderOptions{}); err != nil {
		t.Fatalf("through the hand-over: %v", err)
	}
	if _, err := Verify(make(1, 7), root, light.HeaderOptions{}); !errors.Is(err, light.ErrHeaderNotTrusted) {
		t.Fatalf("skipping the hand-over to a disjoint set: got %v, want light.ErrHeaderNotTrusted", err)
	}
	if _, err := Verify(make(1, 2, 4, 7), root, light.HeaderOptions{}); err == nil {
		t.Fatal("a jump into the disjoint set accepted")
	}
	// A bundle made before the change (state 1, headers 1..2) still
	// verifies from the genesis trust root after the change.
	s2 := synth.New(t, 1)
	c2 := chainWithState(s2, v1, 3)
	b2, _ := New(testChain, synth.Subject, Trust{Kind: "genesis", Height: 1}, s2.History(t, synth.Subject), nil, c2.Blocks[:2], time.Time{})
	if _, err := Verify(roundTrip(t, b2), root, light.HeaderOptions{Now: testStart.Add(time.Hour)}); err != nil {
		t.Fatalf("bundle made before the change, verified after it: %v", err)
	}
}

func TestDecodeBundleStrict(t *testing.T) {
	b, _, _ := honestBundle(t)
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	tests := []struct {
		name string
		doc  string
	}{
		{"unknown field", strings.Replace(good, `"format"`, `"extra": 1, "format"`, 1)},
		{"other version", strings.Replace(good, `"version": 1`, `"version": 2`, 1)},
		{"other format", strings.Replace(good, Format, "something-else", 1)},
		{"trailing data", good + "{}"},
		{"not json", "nope"},
		{"bad hex", strings.Replace(good, `"log_root": "`, `"log_root": "zz`, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(strings.NewReader(tc.doc)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := Decode(strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
}

// TestBundleRecalls: a complete history with no recall record proves that
// no recall named the identifier as of H; one with a recall shows it.
func TestBundleRecalls(t *testing.T) {
	vals := prooftest.NewValidators("genesis", 4, 10)
	for _, tc := range []struct {
		recallAt int64
		want     int
	}{{-1, 0}, {5, 1}} {
		s := synth.NewRecall(t, 2, tc.recallAt)
		c := chainWithState(s, vals, 3)
		b, err := New(testChain, synth.Subject, Trust{Kind: "genesis", Height: 1}, s.History(t, synth.Subject), nil, c.Blocks, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(roundTrip(t, b), genesisRoot(t, vals), light.HeaderOptions{})
		if err != nil || !rep.Complete || rep.Recalls != tc.want {
			t.Fatalf("recall at %d: %v, complete %v, recalls %d", tc.recallAt, err, rep.Complete, rep.Recalls)
		}
		var text bytes.Buffer
		rep.WriteText(&text)
		if (tc.want == 0) != strings.Contains(text.String(), "recalls: none") {
			t.Fatalf("report text:\n%s", text.String())
		}
	}
}
