// SPDX-License-Identifier: Apache-2.0

package lightblock_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/light"
	"github.com/traceledger/traceledger/proof/lightblock"
	"github.com/traceledger/traceledger/proof/prooftest"
)

const chainID = "lightblock-test"

var start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// scenario is a chain and the genesis validators trust starts from.
type scenario struct {
	name    string
	genesis []prooftest.Validator
	chain   *prooftest.Chain
}

func appHash(h int64) []byte {
	s := proof.MapValueHash(fmt.Appendf(nil, "app %d", h))
	return s[:]
}

// scenarios are chains of CometBFT light blocks made with CometBFT's own
// types: equal and unequal powers, absent signers, a hand-over to a
// disjoint validator set and a partial one.
func scenarios() []scenario {
	var out []scenario
	{
		v := prooftest.NewValidators("equal", 4, 10)
		c := prooftest.NewChain(chainID, start)
		for h := int64(1); h <= 6; h++ {
			c.Append(v, nil, appHash(h), nil)
		}
		out = append(out, scenario{"four equal validators", v, c})
	}
	{
		v := prooftest.NewValidators("unequal", 5, 1)
		for i := range v {
			v[i].Power = int64(1 + 7*i)
		}
		c := prooftest.NewChain(chainID, start)
		for h := int64(1); h <= 5; h++ {
			// The two strongest sign: 29+22 = 51 of 75 > 50.
			c.Append(v, nil, appHash(h), []prooftest.Validator{v[4], v[3]})
		}
		out = append(out, scenario{"unequal powers, two of five sign", v, c})
	}
	{
		v := prooftest.NewValidators("absent", 4, 10)
		c := prooftest.NewChain(chainID, start)
		c.Append(v, nil, appHash(1), nil)
		c.Append(v, nil, appHash(2), v[:3])
		c.Append(v, nil, appHash(3), v[:2]) // 20 of 40: not enough
		c.Append(v, nil, appHash(4), nil)
		out = append(out, scenario{"absent signers", v, c})
	}
	{
		v1 := prooftest.NewValidators("handover-a", 4, 10)
		v2 := prooftest.NewValidators("handover-b", 4, 10)
		c := prooftest.NewChain(chainID, start)
		for h := int64(1); h <= 7; h++ {
			vals, next := v1, v1
			switch {
			case h == 3:
				next = v2
			case h >= 4:
				vals, next = v2, v2
			}
			c.Append(vals, next, appHash(h), nil)
		}
		out = append(out, scenario{"hand-over to a disjoint set", v1, c})
	}
	{
		v1 := prooftest.NewValidators("partial", 4, 10)
		v2 := append(append([]prooftest.Validator{}, v1[:3]...), prooftest.NewValidators("partial-new", 2, 10)...)
		c := prooftest.NewChain(chainID, start)
		for h := int64(1); h <= 6; h++ {
			vals, next := v1, v1
			switch {
			case h == 2:
				next = v2
			case h >= 3:
				vals, next = v2, v2
			}
			c.Append(vals, next, appHash(h), nil)
		}
		out = append(out, scenario{"partial hand-over", v1, c})
	}
	return out
}

// genesisDoc is the compact CometBFT genesis document of vals.
func genesisDoc(t testing.TB, vals []prooftest.Validator) ([]byte, *types.GenesisDoc) {
	t.Helper()
	doc := &types.GenesisDoc{ChainID: chainID, InitialHeight: 1, GenesisTime: start}
	for i, v := range vals {
		doc.Validators = append(doc.Validators, types.GenesisValidator{PubKey: v.Key.PubKey(), Power: v.Power, Name: fmt.Sprint("v", i)})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		t.Fatal(err)
	}
	raw, err := cmtjson.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), doc
}

// both verifies the JSON light blocks with CometBFT (cmtjson, proof/light)
// and with package lightblock.
func both(t testing.TB, genesis []byte, doc *types.GenesisDoc, raws [][]byte) (cmtErr, ourErr error) {
	t.Helper()
	root, err := light.GenesisTrustRoot(doc)
	if err != nil {
		t.Fatal(err)
	}
	var cblocks []*types.LightBlock
	for i, raw := range raws {
		var lb types.LightBlock
		if err := cmtjson.Unmarshal(raw, &lb); err != nil {
			cmtErr = fmt.Errorf("decode %d: %w", i, err)
			break
		}
		if lb.SignedHeader == nil || lb.Header == nil || lb.Commit == nil || lb.ValidatorSet == nil {
			cmtErr = fmt.Errorf("light block %d incomplete", i)
			break
		}
		cblocks = append(cblocks, &lb)
	}
	if cmtErr == nil {
		cmtErr = func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			_, err = light.VerifyHeaderChain(root, cblocks, light.HeaderOptions{})
			return err
		}()
	}
	ours, err := lightblock.GenesisTrustRoot(genesis)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*lightblock.LightBlock
	for i, raw := range raws {
		lb, err := lightblock.Decode(raw)
		if err != nil {
			return cmtErr, fmt.Errorf("decode %d: %w", i, err)
		}
		blocks = append(blocks, lb)
	}
	_, ourErr = lightblock.VerifyChain(ours, blocks, lightblock.Options{})
	return cmtErr, ourErr
}

func marshalAll(t testing.TB, blocks []*types.LightBlock) [][]byte {
	t.Helper()
	out := make([][]byte, len(blocks))
	for i, lb := range blocks {
		raw, err := cmtjson.Marshal(lb)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = raw
	}
	return out
}

// TestHashesAgree: header hashes, validator set hashes, the genesis set
// and the vote sign bytes are CometBFT's.
func TestHashesAgree(t *testing.T) {
	for _, sc := range scenarios() {
		genesis, doc := genesisDoc(t, sc.genesis)
		root, err := lightblock.GenesisTrustRoot(genesis)
		if err != nil {
			t.Fatal(err)
		}
		croot, _ := light.GenesisTrustRoot(doc)
		if !bytes.Equal(root.Validators.Hash(), croot.GenesisValidators.Hash()) {
			t.Errorf("%s: genesis validator set hash %X, CometBFT %X", sc.name, root.Validators.Hash(), croot.GenesisValidators.Hash())
		}
		for _, clb := range sc.chain.Blocks {
			raw, _ := cmtjson.Marshal(clb)
			lb, err := lightblock.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := lb.Header.Hash(), clb.Header.Hash(); !bytes.Equal(got, want) {
				t.Errorf("%s: header %d hash %X, CometBFT %X", sc.name, clb.Height, got, want)
			}
			if got, want := lb.Validators.Hash(), clb.ValidatorSet.Hash(); !bytes.Equal(got, want) {
				t.Errorf("%s: validator set %d hash %X, CometBFT %X", sc.name, clb.Height, got, want)
			}
		}
	}
	// Edge cases of the encoding: a first header (zero last block id),
	// empty fields, a non-zero round.
	v := prooftest.NewValidators("edge", 3, 10)
	set := prooftest.Set(v)
	h := prooftest.Header(chainID, 1, start.Add(123456789), types.BlockID{}, set, set, nil)
	h.LastCommitHash, h.DataHash = nil, nil
	c := prooftest.Sign(chainID, h, set, v)
	c.Round = 3
	lb := &types.LightBlock{SignedHeader: &types.SignedHeader{Header: h, Commit: c}, ValidatorSet: set}
	raw, _ := cmtjson.Marshal(lb)
	ours, err := lightblock.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours.Header.Hash(), h.Hash()) {
		t.Errorf("edge header hash %X, CometBFT %X", ours.Header.Hash(), h.Hash())
	}
	// A signature over the round-3 vote verifies only with the right sign
	// bytes: re-sign it and check it.
	for i := range c.Signatures {
		vote := c.GetVote(int32(i))
		sig, err := v[indexOf(v, set.Validators[i].Address)].Key.Sign(types.VoteSignBytes(chainID, vote.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		c.Signatures[i].Signature = sig
	}
	raw, _ = cmtjson.Marshal(lb)
	ours, _ = lightblock.Decode(raw)
	var oursSet lightblock.ValidatorSet = ours.Validators
	if err := lightblock.VerifyCommitLight(chainID, &oursSet, ours.Commit.BlockID, 1, &ours.Commit, true); err != nil {
		t.Errorf("round-3 commit: %v", err)
	}
	if err := set.VerifyCommitLightAllSignatures(chainID, c.BlockID, 1, c); err != nil {
		t.Errorf("CometBFT on the round-3 commit: %v", err)
	}
}

func indexOf(v []prooftest.Validator, addr []byte) int {
	for i, x := range v {
		if bytes.Equal(x.Key.PubKey().Address(), addr) {
			return i
		}
	}
	return -1
}

// TestVerifyAgrees: on every scenario and on several subsets of its
// blocks (all, first and last, a skip), both verifiers accept or both
// refuse.
func TestVerifyAgrees(t *testing.T) {
	for _, sc := range scenarios() {
		genesis, doc := genesisDoc(t, sc.genesis)
		n := len(sc.chain.Blocks)
		subsets := [][]int{}
		all := []int{}
		for i := range n {
			all = append(all, i)
		}
		subsets = append(subsets, all, []int{0, n - 1}, []int{0, 2, n - 1}, []int{0, 1}, []int{1, 2}, []int{0, n - 2, n - 1})
		accepted := 0
		for _, sub := range subsets {
			var blocks []*types.LightBlock
			for _, i := range sub {
				blocks = append(blocks, sc.chain.Blocks[i])
			}
			cerr, oerr := both(t, genesis, doc, marshalAll(t, blocks))
			if (cerr == nil) != (oerr == nil) {
				t.Errorf("%s, blocks %v: CometBFT says %v, lightblock says %v", sc.name, sub, cerr, oerr)
			}
			if cerr == nil {
				accepted++
			}
		}
		if accepted == 0 {
			t.Errorf("%s: no subset verified: the test checks nothing", sc.name)
		}
	}
}

// mutations returns variants of a light block's JSON with one leaf value
// changed: a hex or base64 string with one bit flipped, an integer plus
// one, a time one nanosecond later, a string with a character appended.
func mutations(t testing.TB, raw []byte) [][]byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var walk func(v any, set func(any))
	emit := func(set func(any), nv any) {
		set(nv)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	walk = func(v any, set func(any)) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, func(nv any) { x[k] = nv })
			}
		case []any:
			for i, e := range x {
				walk(e, func(nv any) { x[i] = nv })
			}
		case float64:
			emit(set, x+1)
			set(x)
		case string:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				emit(set, strconv.FormatInt(n+1, 10))
			} else if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
				emit(set, tm.Add(time.Nanosecond).Format(time.RFC3339Nano))
			} else if b, err := hex.DecodeString(x); err == nil && len(b) > 0 {
				b[len(b)/2] ^= 1
				emit(set, fmt.Sprintf("%X", b))
			} else if b, err := base64.StdEncoding.DecodeString(x); err == nil && len(b) > 0 {
				b[len(b)/2] ^= 1
				emit(set, base64.StdEncoding.EncodeToString(b))
			} else {
				emit(set, x+"x")
			}
			set(x)
		}
	}
	walk(doc, nil)
	return out
}

// TestTamperAgrees changes every leaf value of every light block of two
// scenarios, one at a time: both verifiers must give the same verdict,
// and most changes must be refused.
func TestTamperAgrees(t *testing.T) {
	for _, sc := range scenarios()[2:4] {
		genesis, doc := genesisDoc(t, sc.genesis)
		blocks := sc.chain.Blocks
		if sc.name == "absent signers" {
			blocks = []*types.LightBlock{blocks[0], blocks[1], blocks[3]} // skip the under-signed block
		}
		raws := marshalAll(t, blocks)
		if cerr, oerr := both(t, genesis, doc, raws); cerr != nil || oerr != nil {
			t.Fatalf("%s: honest chain: CometBFT %v, lightblock %v", sc.name, cerr, oerr)
		}
		total, refused := 0, 0
		for i := range raws {
			for _, m := range mutations(t, raws[i]) {
				tampered := append([][]byte{}, raws...)
				tampered[i] = m
				cerr, oerr := both(t, genesis, doc, tampered)
				total++
				if cerr != nil {
					refused++
				}
				if (cerr == nil) != (oerr == nil) {
					t.Errorf("%s, block %d changed to %s:\nCometBFT: %v\nlightblock: %v", sc.name, i, m, cerr, oerr)
				}
			}
		}
		t.Logf("%s: %d changes, %d refused by both", sc.name, total, refused)
		if refused < total/2 {
			t.Errorf("%s: only %d of %d changes refused", sc.name, refused, total)
		}
	}
}

// TestWrongKeys: a header signed by keys outside the validator set, with
// the set swapped in, and a forged header signed by the right keys over
// another app hash but presented as the chain's, are refused by both.
func TestWrongKeys(t *testing.T) {
	v := prooftest.NewValidators("keys", 4, 10)
	outsiders := prooftest.NewValidators("outsiders", 4, 10)
	c := prooftest.NewChain(chainID, start)
	for h := int64(1); h <= 4; h++ {
		c.Append(v, nil, appHash(h), nil)
	}
	genesis, doc := genesisDoc(t, v)
	cases := map[string]*types.LightBlock{
		"outsiders' set":             c.Forge(4, outsiders, appHash(99), nil),
		"outsiders sign for the set": forgeSigned(c, 4, v, outsiders),
	}
	for name, forged := range cases {
		blocks := append(append([]*types.LightBlock{}, c.Blocks[:3]...), forged)
		cerr, oerr := both(t, genesis, doc, marshalAll(t, blocks))
		if cerr == nil || oerr == nil {
			t.Errorf("%s: CometBFT %v, lightblock %v: both must refuse", name, cerr, oerr)
		}
		// Non-adjacent too.
		cerr, oerr = both(t, genesis, doc, marshalAll(t, []*types.LightBlock{c.Blocks[0], forged}))
		if cerr == nil || oerr == nil {
			t.Errorf("%s, skipping: CometBFT %v, lightblock %v: both must refuse", name, cerr, oerr)
		}
	}
}

// forgeSigned is header height of c, its app hash changed, with the
// chain's validator set but signed by other keys.
func forgeSigned(c *prooftest.Chain, height int64, vals, signers []prooftest.Validator) *types.LightBlock {
	orig := c.At(height)
	h := *orig.Header
	h.AppHash = appHash(98)
	set := prooftest.Set(vals)
	commit := prooftest.Sign(chainID, &h, prooftest.Set(signers), signers)
	// The commit's addresses are the signers'; put the set's addresses in
	// so only the signatures are wrong.
	for i := range commit.Signatures {
		commit.Signatures[i].ValidatorAddress = set.Validators[i].Address
	}
	return &types.LightBlock{SignedHeader: &types.SignedHeader{Header: &h, Commit: commit}, ValidatorSet: set}
}

// TestWriteSeedCorpus keeps testdata/fuzz/FuzzVerifyChain in step with the
// scenarios when TRACELEDGER_WRITE_CORPUS is set.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("TRACELEDGER_WRITE_CORPUS") == "" {
		t.Skip("set TRACELEDGER_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerifyChain")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, sc := range scenarios()[:2] {
		raws := marshalAll(t, sc.chain.Blocks[:3])
		genesis, _ := genesisDoc(t, sc.genesis)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", genesis, bytes.Join(raws, []byte("\n")))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
