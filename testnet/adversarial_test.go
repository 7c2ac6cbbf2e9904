// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// The adversarial suite (issue 16) attacks one four-department loopback
// network, as child processes, while a farm and a market record events
// through client.Submit the whole time. Each attack asserts its stable
// code; afterwards every honest transaction is looked up by its hash and
// by its record (exactly once), the four validators agree on the app hash,
// every transaction the chain accepted is either honest or one the suite
// expected an attacker or a department to get accepted, and the honest
// transactions, replayed alone through a fresh application, give the
// honest subjects byte-identical histories.
//
// The enterprises of the network, supervised by the departments in
// Init's turn: farm (agri), mart (livestock), shipper (market), rogue
// (drug), ghost (agri). farm and mart are the honest traffic, shipper an
// honest enterprise whose transactions a relay tampers with, rogue an
// enterprise whose key was stolen, ghost one its department suspends.
const (
	advFarm    = "farm"
	advMart    = "mart"
	advShipper = "shipper"
	advRogue   = "rogue"
	advGhost   = "ghost"
	// advMaxAge is the freshness bound of the clients that read through
	// a proxy: honest answers are a block or two old, the replayed one
	// much older.
	advMaxAge = 10 * time.Second
)

// adversary is the suite's state: the network, its keys, and what the
// chain is expected to accept besides the honest traffic.
type adversary struct {
	c       *processCluster
	doc     *types.GenesisDoc
	chainID string
	admin   map[string]ed25519.PrivateKey // department -> admin key
	ent     map[string]ed25519.PrivateKey // enterprise -> signing key
	cl      *client.Client                // verified client at agri, for the departments' acts
	url     string                        // agri's RPC, where attacks are sent

	mu       sync.Mutex
	accepted map[string]string // hex tx hash -> what, for committed transactions that are not honest traffic
	shipped  []SentTx          // shipper's honest transactions, committed
	refused  map[string]int    // "code name" -> refusals seen, for the summary
	shipSubj string
	// killedFrom and killedTo are the heights between which a validator
	// was down (kill9); the honest traffic must commit in between.
	killedFrom, killedTo int64
}

// newAdversary reads the keys of the network c and connects to agri.
func newAdversary(t *testing.T, c *processCluster) *adversary {
	t.Helper()
	nw := c.network()
	a := &adversary{c: c, doc: c.genesis(), chainID: nw.ChainID, admin: map[string]ed25519.PrivateKey{}, ent: map[string]ed25519.PrivateKey{},
		url: pick(c, vAgri)[0].RPCURL, accepted: map[string]string{}, refused: map[string]int{}}
	for _, v := range nw.Validators() {
		k, err := nw.AdminKey(v.Name, fastKDF...)
		if err != nil {
			t.Fatal(err)
		}
		a.admin[v.Name] = k
	}
	for _, e := range nw.Enterprises {
		k, err := nw.EnterpriseKey(e.ID, fastKDF...)
		if err != nil {
			t.Fatal(err)
		}
		a.ent[e.ID] = k
	}
	var err error
	if a.cl, err = client.New(a.url, a.doc); err != nil {
		t.Fatal(err)
	}
	a.shipSubj = "urn:epc:class:lgtin:6901234.500012.shp" + strconv.FormatInt(time.Now().UnixNano(), 36)
	return a
}

// TestAdversarial runs the attacks of issue 16 against one network with
// honest traffic running throughout. -short skips it (it starts a network
// of processes, as the other loopback tests do).
func TestAdversarial(t *testing.T) {
	ctx := loopbackCtx(t, 4*time.Minute)
	begin := time.Now()
	c := newProcessCluster(t, 0, advFarm, advMart, advShipper, advRogue, advGhost)
	a := newAdversary(t, c)
	stop := traffic(t, c, 2, 30*time.Millisecond, advFarm, advMart)
	defer stop()

	// The shipper's first event: a relay malleates it first (code 17), the
	// original commits under its own hash.
	t.Run("malleated transaction", func(t *testing.T) { a.malleated(ctx, t) })
	// A proxy records the shipper's history now, to replay it at the end.
	replay := newRPCProxy(t, a.url)
	t.Run("replaying proxy records", func(t *testing.T) { a.recordForReplay(ctx, t, replay) })
	t.Run("junk flood", func(t *testing.T) { a.junkFlood(ctx, t, a.url) })
	t.Run("forged signature", func(t *testing.T) { a.forged(ctx, t) })
	t.Run("replayed transaction", func(t *testing.T) { a.replayed(ctx, t) })
	t.Run("oversized and deeply nested", func(t *testing.T) { a.oversized(ctx, t) })
	t.Run("revoked key", func(t *testing.T) { a.revokedKey(ctx, t) })
	t.Run("suspended enterprise and jurisdiction", func(t *testing.T) { a.suspended(ctx, t) })
	t.Run("validator key as participant key", func(t *testing.T) { a.validatorKey(ctx, t) })
	t.Run("unaccredited and out-of-scope certifier", func(t *testing.T) { a.certifier(ctx, t) })
	t.Run("tampering proxy", func(t *testing.T) { a.tampering(ctx, t) })
	t.Run("kill -9 of one validator", func(t *testing.T) { a.kill9(ctx, t) })
	t.Run("replaying proxy is refused as stale", func(t *testing.T) { a.staleReplay(ctx, t, replay) })

	// After the attacks: every honest transaction committed exactly once.
	res := stop()
	res.Committed = append(res.Committed, a.shipped...)
	res.Subjects[advShipper] = a.shipSubj
	// verifyTraffic reads res again through stop: with the shipper's.
	verifyTraffic(ctx, t, c, stop, pick(c, vMarket)[0])
	a.checkByHash(ctx, t, res)
	if a.killedTo > 0 {
		n := 0
		for _, s := range res.Committed {
			if s.Height > a.killedFrom && s.Height <= a.killedTo {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no honest transaction committed at heights %d to %d, while a validator was down and junk flowed", a.killedFrom+1, a.killedTo)
		}
		t.Logf("%d honest transactions committed at heights %d to %d, while drug was down or catching up", n, a.killedFrom+1, a.killedTo)
	}
	checkAgreement(ctx, t, c.nodes())
	a.checkLedger(ctx, t, res)
	for _, n := range c.nodes() {
		checkNoPanic(t, c, n.Name)
	}
	a.mu.Lock()
	names := make([]string, 0, len(a.refused))
	for k := range a.refused {
		names = append(names, k)
	}
	slices.Sort(names)
	var sum strings.Builder
	for _, k := range names {
		fmt.Fprintf(&sum, "\n  %6d  %s", a.refused[k], k)
	}
	a.mu.Unlock()
	t.Logf("adversarial suite: %d honest transactions committed exactly once, %d other transactions accepted, refusals by code:%s\nsuite time %s (network start included)",
		len(res.Committed), len(a.accepted), sum.String(), time.Since(begin).Round(time.Second))
}

// ---------------------------------------------------------------- helpers

// count notes a refusal with code for the summary.
func (a *adversary) count(code tlv1.Code, n int) {
	a.mu.Lock()
	a.refused[fmt.Sprintf("%d %s", code, code)] += n
	a.mu.Unlock()
}

// wantRefusal checks that err is a refusal with code want.
func (a *adversary) wantRefusal(t *testing.T, what string, err error, want tlv1.Code) {
	t.Helper()
	var te *client.TxError
	if !errors.As(err, &te) {
		t.Fatalf("%s: got %v, want a refusal with code %d %s", what, err, want, want)
	}
	if tlv1.Code(te.Code) != want {
		t.Fatalf("%s: refused with code %d %s (%s), want %d %s", what, te.Code, tlv1.Code(te.Code), te.Log, want, want)
	}
	a.count(want, 1)
	t.Logf("%s: refused at %s with %d %s", what, te.Stage, te.Code, want)
}

// accept checks that a transaction that is not honest traffic committed,
// and remembers it: the ledger check allows exactly these.
func (a *adversary) accept(t *testing.T, what string, res *client.Committed, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	a.mu.Lock()
	a.accepted[hex.EncodeToString(res.Hash)] = what
	a.mu.Unlock()
}

// rawRefused broadcasts raw to url and checks that the mempool refuses it
// with want.
func (a *adversary) rawRefused(ctx context.Context, t *testing.T, url, what string, raw []byte, want tlv1.Code) {
	t.Helper()
	rc, err := rpcClient(url)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rc.BroadcastTxSync(ctx, raw)
	if err != nil {
		t.Fatalf("%s: broadcast: %v", what, err)
	}
	if tlv1.Code(res.Code) != want {
		t.Fatalf("%s: code %d %s (%s), want %d %s", what, res.Code, tlv1.Code(res.Code), res.Log, want, want)
	}
	a.count(want, 1)
	t.Logf("%s: refused with %d %s", what, res.Code, want)
}

// sequence reads the next sequence of a key (an unproven hint, as the
// client reads it).
func (a *adversary) sequence(ctx context.Context, t *testing.T, keyID string) uint64 {
	t.Helper()
	rc, err := rpcClient(a.url)
	if err != nil {
		t.Fatal(err)
	}
	bz, _ := (&tlv1.ValueRequest{Key: tlv1.KeyKey(keyID)}).Marshal()
	q, err := rc.ABCIQuery(ctx, tlv1.PathValue, bz)
	if err != nil || q.Response.Code != 0 {
		t.Fatalf("read key %s: %v %s", keyID, err, q.Response.Log)
	}
	var vr tlv1.ValueResponse
	var k tlv1.Key
	if err := vr.Unmarshal(q.Response.Value); err != nil || vr.Value == nil || k.Unmarshal(vr.Value.Value) != nil {
		t.Fatalf("key %s: no key in the answer (%v)", keyID, err)
	}
	return k.Sequence
}

// advEvent is a trace event of subject with a payload unique to tag.
func advEvent(subject, tag string) (*tlv1.Msg, [32]byte) {
	p := sha256.Sum256([]byte(subject + "/" + tag))
	return &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
		Subject: subject, EventType: "observation", EventTimeMs: time.Now().Add(-time.Minute).UnixMilli(), PayloadSha256: p[:],
	}}}, p
}

// freshKey is a key no one registered.
func freshKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// withField appends protobuf field num (bytes) with content to b: what a
// relay can add to a message without any key.
func withField(b []byte, num int, content []byte) []byte {
	out := append([]byte(nil), b...)
	out = binary.AppendUvarint(out, uint64(num)<<3|2)
	out = binary.AppendUvarint(out, uint64(len(content)))
	return append(out, content...)
}

// ---------------------------------------------------------------- attacks

// malleated (finding 3): a relay that sees the shipper's transaction adds
// what the signature does not cover, or re-encodes it, and submits its copy
// first. Every copy is refused with tx_not_canonical; the original then
// commits under its own hash, and the client that built it finds it so.
func (a *adversary) malleated(ctx context.Context, t *testing.T) {
	key := a.ent[advShipper]
	s := client.Signer{Key: key}
	seq := a.sequence(ctx, t, s.KeyID())
	msg, payload := advEvent(a.shipSubj, "shipped-1")
	raw, err := client.BuildTx(a.chainID, s, seq, msg)
	if err != nil {
		t.Fatal(err)
	}
	var tx tlv1.Tx
	if err := tx.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	// The outer fields in the other order: signature (2) before body (1).
	reordered := withField(withField(nil, 2, tx.Signature), 1, tx.BodyBytes)
	// body_bytes twice: a decoder keeps the last one, the signed one.
	repeated := withField(withField(nil, 1, []byte("decoy")), 1, tx.BodyBytes)
	repeated = withField(repeated, 2, tx.Signature)
	for _, m := range []struct {
		what string
		raw  []byte
	}{
		{"203 KB of unsigned content appended outside the signature", withField(raw, 15, bytes.Repeat([]byte{'x'}, 203<<10))},
		{"outer fields reordered", reordered},
		{"body_bytes repeated with a decoy first", repeated},
	} {
		a.rawRefused(ctx, t, a.url, "malleated copy: "+m.what, m.raw, tlv1.CodeTxNotCanonical)
	}
	a.submitShipper(ctx, t, raw, payload)
}

// submitShipper broadcasts the shipper's signed transaction raw and waits
// for it: an honest transaction, checked at the end like the traffic.
func (a *adversary) submitShipper(ctx context.Context, t *testing.T, raw []byte, payload [32]byte) {
	t.Helper()
	res, err := a.cl.RPC().BroadcastTxSync(ctx, raw)
	if err != nil || res.Code != 0 {
		t.Fatalf("the shipper's original transaction: %v code %d %s", err, res.Code, res.Log)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := a.cl.WaitTx(wctx, res.Hash)
	if err != nil {
		t.Fatalf("the shipper's original transaction: %v", err)
	}
	if want := sha256.Sum256(raw); !bytes.Equal(out.Hash, want[:]) {
		t.Fatalf("committed as %X, the original's hash is %X", out.Hash, want)
	}
	a.mu.Lock()
	a.shipped = append(a.shipped, SentTx{Worker: advShipper, Subject: a.shipSubj, Payloads: [][32]byte{payload}, Hash: out.Hash, Height: out.Height})
	a.mu.Unlock()
}

// junkFlood: transactions from unregistered keys, garbage bytes, wrong
// chain ids, empty and over-long message lists, many of each, from four
// senders at once while the honest traffic runs. Each gets its code.
func (a *adversary) junkFlood(ctx context.Context, t *testing.T, url string) {
	msg, _ := advEvent("urn:epc:class:lgtin:6901234.500012.junk", "junk")
	stranger := freshKey(t)
	many := make([]*tlv1.Msg, 1001)
	for i := range many {
		many[i], _ = advEvent("urn:epc:class:lgtin:6901234.500012.junk", strconv.Itoa(i))
	}
	kinds := []struct {
		what string
		n    int
		gen  func(r *mrand.Rand, i int) []byte
		want tlv1.Code
	}{
		{"signed by an unregistered key", 300, func(_ *mrand.Rand, i int) []byte {
			raw, _ := client.BuildTx(a.chainID, client.Signer{Key: stranger}, uint64(i), msg)
			return raw
		}, tlv1.CodeUnknownSigner},
		{"garbage bytes", 300, func(r *mrand.Rand, i int) []byte {
			b := make([]byte, 16+r.IntN(2000))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			return b
		}, tlv1.CodeTxDecode},
		{"another chain's transaction", 50, func(_ *mrand.Rand, i int) []byte {
			raw, _ := client.BuildTx("another-chain", client.Signer{Key: stranger}, uint64(i), msg)
			return raw
		}, tlv1.CodeWrongChainID},
		{"no message", 20, func(_ *mrand.Rand, i int) []byte {
			raw, _ := client.BuildTx(a.chainID, client.Signer{Key: stranger}, uint64(i))
			return raw
		}, tlv1.CodeEmptyTx},
		{"1001 messages", 5, func(_ *mrand.Rand, i int) []byte {
			raw, _ := client.BuildTx(a.chainID, client.Signer{Key: stranger}, uint64(i), many...)
			return raw
		}, tlv1.CodeTooManyMessages},
	}
	for ki, k := range kinds {
		start := time.Now()
		got := a.flood(ctx, t, url, k.n, uint64(ki), k.gen)
		for code, n := range got {
			if code != k.want {
				t.Errorf("%s: %d of %d refused with %d %s, want %d %s", k.what, n, k.n, code, code, k.want, k.want)
			}
		}
		a.count(k.want, got[k.want])
		t.Logf("%d transactions %s: all refused with %d %s (%s)", k.n, k.what, k.want, k.want, time.Since(start).Round(time.Millisecond))
	}
}

// flood sends n transactions made by gen to url from four senders and
// returns how many got each code. A broadcast error (a mempool that
// refuses before CheckTx) fails the test.
func (a *adversary) flood(ctx context.Context, t *testing.T, url string, n int, seed uint64, gen func(r *mrand.Rand, i int) []byte) map[tlv1.Code]int {
	t.Helper()
	const senders = 4
	var mu sync.Mutex
	got := map[tlv1.Code]int{}
	var errs []error
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := rpcClient(url)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			r := mrand.New(mrand.NewPCG(seed, uint64(w)))
			for i := w; i < n; i += senders {
				res, err := rc.BroadcastTxSync(ctx, gen(r, i))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					got[tlv1.Code(res.Code)]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d broadcasts failed, first: %v", len(errs), errs[0])
	}
	return got
}

// forged: the shipper's key id and its next sequence, signed by another
// key; many at once, none spends the sequence.
func (a *adversary) forged(ctx context.Context, t *testing.T) {
	s := client.Signer{Key: a.ent[advShipper]}
	seq := a.sequence(ctx, t, s.KeyID())
	forger := freshKey(t)
	msg, _ := advEvent(a.shipSubj, "forged")
	got := a.flood(ctx, t, a.url, 100, 7, func(_ *mrand.Rand, i int) []byte {
		body := tlv1.TxBody{ChainId: a.chainID, Signer: s.KeyID(), Sequence: seq, Messages: []*tlv1.Msg{msg}}
		bb, _ := body.Marshal()
		raw, _ := (&tlv1.Tx{BodyBytes: bb, Signature: ed25519.Sign(forger, tlv1.SignBytes(append(bb[:len(bb):len(bb)], byte(i))))}).Marshal()
		return raw
	})
	if got[tlv1.CodeBadSignature] != 100 {
		t.Fatalf("forged signatures: codes %v, want 100 of %d %s", got, tlv1.CodeBadSignature, tlv1.CodeBadSignature)
	}
	a.count(tlv1.CodeBadSignature, 100)
	if after := a.sequence(ctx, t, s.KeyID()); after != seq {
		t.Fatalf("the forgeries moved the shipper's sequence from %d to %d", seq, after)
	}
}

// replayed: the shipper's committed transaction, sent again to every
// node. The mempool's cache may refuse it before the application sees it;
// the application's own check (check_tx, which bypasses the cache) says
// sequence_replayed. It is committed once (checked at the end).
func (a *adversary) replayed(ctx context.Context, t *testing.T) {
	a.mu.Lock()
	if len(a.shipped) == 0 {
		a.mu.Unlock()
		t.Fatal("no committed transaction of the shipper to replay (the malleation step failed)")
	}
	sent := a.shipped[0]
	a.mu.Unlock()
	r, err := a.cl.RPC().Tx(ctx, sent.Hash, false)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(r.Tx)
	for _, n := range a.c.nodes() {
		rc, err := rpcClient(n.RPCURL)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rc.BroadcastTxSync(ctx, raw)
		switch {
		case err != nil && strings.Contains(err.Error(), "already exists in cache"):
			t.Logf("replay to %s: refused by the mempool's cache", n.Name)
		case err != nil:
			t.Fatalf("replay to %s: %v", n.Name, err)
		case tlv1.Code(res.Code) != tlv1.CodeSequenceReplayed:
			t.Fatalf("replay to %s: code %d %s, want %d", n.Name, res.Code, res.Log, tlv1.CodeSequenceReplayed)
		}
		ck, err := rc.CheckTx(ctx, raw)
		if err != nil {
			t.Fatalf("check_tx on %s: %v", n.Name, err)
		}
		if tlv1.Code(ck.Code) != tlv1.CodeSequenceReplayed {
			t.Fatalf("check_tx of the replay on %s: code %d %s, want %d", n.Name, ck.Code, ck.Log, tlv1.CodeSequenceReplayed)
		}
		a.count(tlv1.CodeSequenceReplayed, 1)
	}
}

// oversized: a transaction over params.max_tx_bytes (code 2), one over
// the node's RPC and mempool limits (refused before the application), and
// an EPCIS event whose generic elements nest 2,000 deep (code 60).
func (a *adversary) oversized(ctx context.Context, t *testing.T) {
	stranger := client.Signer{Key: freshKey(t)}
	big := func(n int) []byte {
		raw, err := client.BuildTx(a.chainID, stranger, 0, &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
			Subject: "urn:epc:class:lgtin:6901234.500012.big", EventType: "observation", EventTimeMs: time.Now().UnixMilli(), PayloadSha256: make([]byte, n)}}})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	a.rawRefused(ctx, t, a.url, "a 300 KB transaction", big(300<<10), tlv1.CodeTxTooLarge)
	huge := big(1500 << 10)
	rc, err := rpcClient(a.url)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := rc.BroadcastTxSync(ctx, huge); err == nil && res.Code == 0 {
		t.Fatalf("a 1.5 MB transaction was accepted into the mempool")
	} else {
		t.Logf("a 1.5 MB transaction: refused before the application (%v)", err)
	}

	deep := &tlv1.Element{Name: "leaf", Value: "x"}
	for range 2000 {
		deep = &tlv1.Element{Name: "n", Children: []*tlv1.Element{deep}}
	}
	id := sha256.Sum256([]byte("deep"))
	ev := &tlv1.RecordEPCISEvent{HashId: fmt.Sprintf("ni:///sha-256;%x?ver=CBV2.0", id), Kind: &tlv1.RecordEPCISEvent_Public{Public: &tlv1.EPCISEvent{
		Type: tlv1.EPCIS_EVENT_TYPE_OBJECT, EventTime: "2026-01-01T00:00:00Z", EventTimeZoneOffset: "+00:00", Action: "ADD",
		EpcList: []string{"urn:epc:id:sgtin:6901234.500012.1"}, Ilmd: []*tlv1.Element{deep},
	}}}
	raw, err := client.BuildTx(a.chainID, client.Signer{Key: a.ent[advRogue]}, 0, &tlv1.Msg{Sum: &tlv1.Msg_RecordEpcisEvent{RecordEpcisEvent: ev}})
	if err != nil {
		t.Fatal(err)
	}
	a.rawRefused(ctx, t, a.url, "an EPCIS event nested 2,000 deep", raw, tlv1.CodeEPCISInvalidEvent)
}

// revokedKey (a compromised enterprise key): the rogue's supervising
// department revokes its stolen key, registering a replacement; the stolen
// key is refused from then on (code 13), the replacement signs.
func (a *adversary) revokedKey(ctx context.Context, t *testing.T) {
	stolen := client.Signer{Key: a.ent[advRogue]}
	dept := client.Signer{Key: a.admin[vDrug]}
	repl := freshKey(t)
	res, err := a.cl.RevokeKey(ctx, dept, stolen.KeyID(), "key reported stolen", repl.Public().(ed25519.PublicKey))
	a.accept(t, "drug revokes rogue's stolen key", res, err)
	msg, _ := advEvent("urn:epc:class:lgtin:6901234.500012.rogue", "stolen")
	_, err = a.cl.Submit(ctx, stolen, msg)
	a.wantRefusal(t, "an event signed with the revoked key", err, tlv1.CodeKeyRevoked)
	msg, _ = advEvent("urn:epc:class:lgtin:6901234.500012.rogue", "replacement")
	res, err = a.cl.Submit(ctx, client.Signer{Key: repl}, msg)
	a.accept(t, "rogue's event signed with its replacement key", res, err)
	a.ent[advRogue+"-new"] = repl
}

// suspended (a malicious department, an enterprise on the blacklist): a
// department acts on another's enterprises (code 43); the ghost's own
// department suspends it, and it can then submit nothing (code 14).
func (a *adversary) suspended(ctx context.Context, t *testing.T) {
	other := client.Signer{Key: a.admin[vLivestock]}
	_, err := a.cl.Suspend(ctx, other, advFarm, "a department that does not supervise the farm")
	a.wantRefusal(t, "livestock suspends agri's farm", err, tlv1.CodeOutOfJurisdiction)
	_, err = a.cl.RevokeKey(ctx, other, client.Signer{Key: a.ent[advFarm]}.KeyID(), "not its enterprise", nil)
	a.wantRefusal(t, "livestock revokes the farm's key", err, tlv1.CodeOutOfJurisdiction)
	res, err := a.cl.Suspend(ctx, client.Signer{Key: a.admin[vAgri]}, advGhost, "blacklisted")
	a.accept(t, "agri suspends ghost", res, err)
	msg, _ := advEvent("urn:epc:class:lgtin:6901234.500012.ghost", "after suspension")
	_, err = a.cl.Submit(ctx, client.Signer{Key: a.ent[advGhost]}, msg)
	a.wantRefusal(t, "the suspended ghost records an event", err, tlv1.CodeParticipantInactive)
	_, err = a.cl.Reinstate(ctx, other, advGhost, "a department that does not supervise the ghost")
	a.wantRefusal(t, "livestock reinstates agri's ghost", err, tlv1.CodeOutOfJurisdiction)
}

// validatorKey (finding 5): a department's validator key never becomes a
// participant key, whether registered for a new participant or given as
// a revoked key's replacement.
func (a *adversary) validatorKey(ctx context.Context, t *testing.T) {
	drug := pick(a.c, vDrug)[0]
	_, err := a.cl.Register(ctx, client.Signer{Key: a.admin[vAgri]}, &tlv1.RegisterParticipant{
		Id: "mole", Name: "Auditor with a validator key", Role: tlv1.ROLE_AUDITOR, PublicKeys: [][]byte{drug.ValidatorPubKey}})
	a.wantRefusal(t, "agri registers an auditor with drug's validator key", err, tlv1.CodeDuplicateKey)
	if a.ent[advRogue+"-new"] == nil {
		t.Fatal("no replacement key for the rogue: the revoked-key step failed")
	}
	agri := pick(a.c, vAgri)[0]
	newKey := client.Signer{Key: a.ent[advRogue+"-new"]}
	_, err = a.cl.RevokeKey(ctx, client.Signer{Key: a.admin[vDrug]}, newKey.KeyID(), "swap in a validator key", agri.ValidatorPubKey)
	a.wantRefusal(t, "drug replaces rogue's key by agri's validator key", err, tlv1.CodeDuplicateKey)
}

// certifier (a malicious certifier): a registered certifier without an
// accreditation is refused (101); accredited by proposal for gap, it is
// refused for organic (102).
func (a *adversary) certifier(ctx context.Context, t *testing.T) {
	lab := freshKey(t)
	agri := client.Signer{Key: a.admin[vAgri]}
	res, err := a.cl.Register(ctx, agri, &tlv1.RegisterParticipant{Id: "lab", Name: "Testing laboratory", Role: tlv1.ROLE_CERTIFIER,
		CreditCode: testCreditCode(90), PublicKeys: [][]byte{lab.Public().(ed25519.PublicKey)}})
	a.accept(t, "agri registers the certifier lab", res, err)
	now := time.Now()
	issue := func(scheme, number string) error {
		ev := sha256.Sum256([]byte(number))
		_, _, err := a.cl.IssueAttestation(ctx, client.Signer{Key: lab}, "lab", &tlv1.IssueAttestation{Scheme: scheme, Standard: "GB/T 19630-2019",
			CertificateNumber: number, Subject: &tlv1.AttestationSubject{Enterprise: advFarm}, Scope: "vegetables", Mode: "initial",
			ValidFromMs: now.Add(-time.Hour).UnixMilli(), ValidUntilMs: now.AddDate(1, 0, 0).UnixMilli(), EvidenceSha256: ev[:]})
		return err
	}
	a.wantRefusal(t, "an unaccredited certifier issues a gap certificate", issue("gap", "GAP-1"), tlv1.CodeAttestUnaccredited)

	id, res, err := a.cl.Propose(ctx, agri, &tlv1.SubmitProposal{Title: "accredit lab for gap", Change: &tlv1.ProposalChange{
		Change: &tlv1.ProposalChange_AccreditCertifier{AccreditCertifier: &tlv1.AccreditCertifier{Certifier: "lab", Schemes: []string{"gap"},
			AccreditationNumber: "CNAS-L0001", ValidFromMs: now.Add(-time.Hour).UnixMilli(), ValidUntilMs: now.AddDate(2, 0, 0).UnixMilli()}}}})
	a.accept(t, "agri proposes lab's accreditation", res, err)
	var wg sync.WaitGroup
	votes := make([]error, 3)
	for i, d := range []string{vAgri, vLivestock, vMarket} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res *client.Committed
			res, votes[i] = a.cl.Vote(ctx, client.Signer{Key: a.admin[d]}, id, true)
			if votes[i] == nil {
				a.mu.Lock()
				a.accepted[hex.EncodeToString(res.Hash)] = d + " votes yes"
				a.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(votes...); err != nil {
		t.Fatal(err)
	}
	a.wantRefusal(t, "lab, accredited for gap, issues an organic certificate", issue("organic", "ORG-1"), tlv1.CodeAttestOutOfScope)
}

// tampering (a lying node, a network attacker): a proxy between the client
// and an honest node alters answers; the client refuses every altered one
// (ErrNotVerified) and accepts the same answers passed through unaltered.
func (a *adversary) tampering(ctx context.Context, t *testing.T) {
	history := func(url string) (*client.VerifiedHistory, error) {
		cl, err := client.New(url, a.doc)
		if err != nil {
			return nil, err
		}
		cl.SetMaxAnswerAge(advMaxAge)
		qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		h, _, err := cl.History(qctx, a.shipSubj)
		return h, err
	}
	alterHistory := func(f func(*tlv1.HistoryResponse)) func(string, map[string]any, map[string]any) {
		return func(method string, params, result map[string]any) {
			if method != "abci_query" || params["path"] != tlv1.PathHistory {
				return
			}
			resp, _ := result["response"].(map[string]any)
			v, _ := resp["value"].(string)
			raw, err := base64.StdEncoding.DecodeString(v)
			var hr tlv1.HistoryResponse
			if err != nil || hr.Unmarshal(raw) != nil {
				return
			}
			f(&hr)
			bz, _ := hr.Marshal()
			resp["value"] = base64.StdEncoding.EncodeToString(bz)
		}
	}
	for _, tc := range []struct {
		what  string
		alter func(method string, params, result map[string]any)
	}{
		{"passes answers through", nil},
		{"hides the last record", alterHistory(func(hr *tlv1.HistoryResponse) {
			if len(hr.Records) > 0 {
				hr.Records = hr.Records[:len(hr.Records)-1]
			}
		})},
		{"alters a record", alterHistory(func(hr *tlv1.HistoryResponse) {
			if len(hr.Records) > 0 && len(hr.Records[0].Record) > 0 {
				hr.Records[0].Record[len(hr.Records[0].Record)-1] ^= 1
			}
		})},
		{"claims another height", func(method string, params, result map[string]any) {
			if method != "abci_query" {
				return
			}
			if resp, ok := result["response"].(map[string]any); ok {
				if h, err := strconv.ParseInt(fmt.Sprint(resp["height"]), 10, 64); err == nil {
					resp["height"] = strconv.FormatInt(h-1, 10)
				}
			}
		}},
		{"forges headers' app hash", func(method string, params, result map[string]any) {
			sh, _ := result["signed_header"].(map[string]any)
			hdr, _ := sh["header"].(map[string]any)
			if method != "commit" || hdr == nil || fmt.Sprint(hdr["height"]) == "1" {
				return
			}
			hdr["app_hash"] = strings.Repeat("AB", 32)
		}},
	} {
		p := newRPCProxy(t, a.url)
		p.setAlter(tc.alter)
		h, err := history(p.URL())
		switch {
		case tc.alter == nil && err != nil:
			t.Fatalf("proxy that %s: %v", tc.what, err)
		case tc.alter == nil:
			t.Logf("proxy that %s: history verified, %d records", tc.what, len(h.Records))
		case err == nil:
			t.Fatalf("proxy that %s: the client accepted the answer (%d records)", tc.what, len(h.Records))
		case !errors.Is(err, client.ErrNotVerified):
			t.Fatalf("proxy that %s: %v, want an error wrapping client.ErrNotVerified", tc.what, err)
		default:
			if p.altered() == 0 {
				t.Fatalf("proxy that %s: altered nothing, yet the client refused: %v", tc.what, err)
			}
			t.Logf("proxy that %s: refused: %v", tc.what, err)
		}
	}
}

// recordForReplay has the replaying proxy record the shipper's history as
// it is now (one record).
func (a *adversary) recordForReplay(ctx context.Context, t *testing.T, p *rpcProxy) {
	p.recordPath(tlv1.PathHistory)
	cl, err := client.New(p.URL(), a.doc)
	if err != nil {
		t.Fatal(err)
	}
	cl.SetMaxAnswerAge(advMaxAge)
	h, _, err := cl.History(ctx, a.shipSubj)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != 1 {
		t.Fatalf("the shipper's history has %d records, want 1", len(h.Records))
	}
}

// staleReplay (finding 2): the shipper records a second event (a recall
// notice, say); the proxy answers with the history it recorded before.
// That answer is genuine, so it verifies, but its header is old: a client
// with a freshness bound refuses it (client.StaleError); without a bound
// it would be taken as current, which is what the bound is for.
func (a *adversary) staleReplay(ctx context.Context, t *testing.T, p *rpcProxy) {
	key := client.Signer{Key: a.ent[advShipper]}
	msg, payload := advEvent(a.shipSubj, "shipped-2")
	raw, err := client.BuildTx(a.chainID, key, a.sequence(ctx, t, key.KeyID()), msg)
	if err != nil {
		t.Fatal(err)
	}
	a.submitShipper(ctx, t, raw, payload)
	p.startReplay()
	recorded := p.recordedAt()
	if recorded.IsZero() {
		t.Fatal("the proxy recorded no answer")
	}
	// The replayed header must be older than the bound; by now it
	// usually is.
	if wait := time.Until(recorded.Add(advMaxAge + 2*time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	bounded, _ := client.New(p.URL(), a.doc)
	bounded.SetMaxAnswerAge(advMaxAge)
	_, _, err = bounded.History(ctx, a.shipSubj)
	var stale *client.StaleError
	if !errors.As(err, &stale) || !errors.Is(err, client.ErrNotVerified) {
		t.Fatalf("replayed history: %v, want a *client.StaleError wrapping ErrNotVerified", err)
	}
	t.Logf("replayed history refused: %v", err)
	unbounded, _ := client.New(p.URL(), a.doc)
	unbounded.SetMaxAnswerAge(-1)
	old, _, err := unbounded.History(ctx, a.shipSubj)
	if err != nil || len(old.Records) != 1 {
		t.Fatalf("the replayed answer without a freshness bound: %v (want it to verify, with 1 record)", err)
	}
	cur, _, err := a.cl.History(ctx, a.shipSubj)
	if err != nil || len(cur.Records) != 2 {
		t.Fatalf("the shipper's history from the node itself: %v, want 2 records", err)
	}
}

// kill9: kill -9 of one validator while the traffic and a junk flood run;
// the three others go on committing, and the victim restarts and catches
// up (the other loopback tests cover crash recovery at length).
func (a *adversary) kill9(ctx context.Context, t *testing.T) {
	rest := except(a.c, vDrug)
	from := maxOf(heights(ctx, rest))
	if err := a.c.kill(ctx, vDrug); err != nil {
		t.Fatal(err)
	}
	a.junkFlood(ctx, t, pick(a.c, vMarket)[0].RPCURL)
	d := waitAdvance(ctx, t, rest, 3)
	t.Logf("kill -9 of drug: the other three committed 3 more blocks in %s", d.Round(10*time.Millisecond))
	if err := a.c.start(ctx, vDrug); err != nil {
		t.Fatal(err)
	}
	d, h := waitCaughtUp(ctx, t, pick(a.c, vDrug)[0], rest)
	t.Logf("drug restarted and caught up to height %d in %s", h, d.Round(10*time.Millisecond))
	a.killedFrom, a.killedTo = from, h
}

// ---------------------------------------------------------------- checks

// checkByHash looks every honest committed transaction up by its hash on
// agri (the height the client was told, code 0) and finds its records in
// the subject's verified history under that hash and height.
func (a *adversary) checkByHash(ctx context.Context, t *testing.T, res *TrafficResult) {
	t.Helper()
	rc := a.cl.RPC()
	records := map[[32]byte][]*tlv1.Record{}
	for _, subj := range res.Subjects {
		h, _, err := a.cl.History(ctx, subj)
		if err != nil {
			t.Fatalf("history of %s: %v", subj, err)
		}
		for _, r := range h.Records {
			if ev := r.Record.GetEvent(); ev != nil && len(ev.PayloadSha256) == 32 {
				records[[32]byte(ev.PayloadSha256)] = append(records[[32]byte(ev.PayloadSha256)], r.Record)
			}
		}
	}
	for _, s := range res.Committed {
		r, err := rc.Tx(ctx, s.Hash, false)
		if err != nil {
			t.Fatalf("tx %X of %s: %v", s.Hash, s.Worker, err)
		}
		if r.Height != s.Height || r.TxResult.Code != 0 {
			t.Fatalf("tx %X of %s: height %d code %d, the client was told height %d code 0", s.Hash, s.Worker, r.Height, r.TxResult.Code, s.Height)
		}
		for _, p := range s.Payloads {
			recs := records[p]
			if len(recs) != 1 || !bytes.Equal(recs[0].TxHash, s.Hash) || recs[0].Height != s.Height {
				t.Fatalf("event %X of tx %X (%s): %d records, want one with the tx's hash and height", p, s.Hash, s.Worker, len(recs))
			}
		}
	}
}

// replayBlock is one block's honest transactions.
type replayBlock struct {
	height int64
	time   time.Time
	txs    [][]byte
}

// checkLedger reads every block up to the last common height and checks
// that each committed transaction is honest traffic (signed by the farm,
// the market or the shipper, every committed one of which it finds once)
// or one of those the suite expected to commit (departments' acts, the
// rogue's replacement key): nothing an attacker sent got in otherwise.
//
// Then it replays the honest transactions alone, in their blocks (same
// height and time), through app.New on a fresh badger directory: the run
// without the attacks. The honest subjects' histories there are
// byte-identical to the network's (every record, the head's count and
// chain hash). The whole app hash cannot be the same, and is not compared:
// the attackers' accepted records and the departments' acts are in the
// network's log, so log indexes and the roots differ; what the attacks may
// not touch — the honest records and their per-subject chains — is
// compared exactly.
func (a *adversary) checkLedger(ctx context.Context, t *testing.T, res *TrafficResult) {
	t.Helper()
	honestKeys := map[string]string{}
	for _, e := range []string{advFarm, advMart, advShipper} {
		honestKeys[client.Signer{Key: a.ent[e]}.KeyID()] = e
	}
	committed := map[string]int{}
	for _, s := range res.Committed {
		committed[hex.EncodeToString(s.Hash)] = 0
	}
	rc := a.cl.RPC()
	top := minOf(heights(ctx, a.c.nodes())) - 1
	var blocks []replayBlock
	accepted := 0
	for h := int64(1); h <= top; h++ {
		b, err := rc.Block(ctx, &h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		br, err := rc.BlockResults(ctx, &h)
		if err != nil {
			t.Fatalf("results of block %d: %v", h, err)
		}
		rb := replayBlock{height: h, time: b.Block.Time}
		for i, raw := range b.Block.Txs {
			if br.TxsResults[i].Code != 0 {
				continue
			}
			hash := hex.EncodeToString(raw.Hash())
			var tx tlv1.Tx
			var body tlv1.TxBody
			if err := tx.Unmarshal(raw); err != nil || body.Unmarshal(tx.BodyBytes) != nil {
				t.Fatalf("block %d tx %d: committed but does not decode", h, i)
			}
			if _, ok := honestKeys[body.Signer]; ok {
				rb.txs = append(rb.txs, raw)
				if n, ok := committed[hash]; ok {
					committed[hash] = n + 1
				}
				continue
			}
			a.mu.Lock()
			what, ok := a.accepted[hash]
			a.mu.Unlock()
			if !ok {
				t.Fatalf("block %d tx %d (%s, signer %s) was committed, but it is neither honest traffic nor an act the suite expected", h, i, hash, body.Signer)
			}
			accepted++
			t.Logf("block %d: accepted as expected: %s", h, what)
		}
		if len(rb.txs) > 0 {
			blocks = append(blocks, rb)
		}
	}
	for hash, n := range committed {
		if n != 1 {
			t.Fatalf("honest tx %s is in the blocks %d times, want once", hash, n)
		}
	}
	if accepted != len(a.accepted) {
		t.Fatalf("%d of the %d expected acts are in the blocks", accepted, len(a.accepted))
	}

	ap, err := app.New(app.Options{Dir: filepath.Join(t.TempDir(), "replay.badger")})
	if err != nil {
		t.Fatal(err)
	}
	defer ap.Close()
	if _, err := ap.InitChain(ctx, &abci.RequestInitChain{ChainId: a.doc.ChainID, Time: a.doc.GenesisTime, InitialHeight: max(a.doc.InitialHeight, 1), AppStateBytes: a.doc.AppState}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range blocks {
		out, err := ap.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: b.height, Time: b.time, Txs: b.txs})
		if err != nil {
			t.Fatalf("replay of block %d: %v", b.height, err)
		}
		for i, r := range out.TxResults {
			if r.Code != 0 {
				t.Fatalf("replay of block %d: honest tx %d refused with %d %s", b.height, i, r.Code, r.Log)
			}
		}
		if _, err := ap.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		n += len(b.txs)
	}
	subjects := make([]string, 0, len(res.Subjects))
	for _, s := range res.Subjects {
		subjects = append(subjects, s)
	}
	slices.Sort(subjects)
	for _, subj := range subjects {
		got, _, err := a.cl.History(ctx, subj)
		if err != nil {
			t.Fatal(err)
		}
		canon, err := client.CanonicalSubject(subj)
		if err != nil {
			t.Fatal(err)
		}
		bz, _ := (&tlv1.HistoryRequest{Subject: canon}).Marshal()
		q, err := ap.Query(ctx, &abci.RequestQuery{Path: tlv1.PathHistory, Data: bz})
		if err != nil || q.Code != 0 {
			t.Fatalf("replayed history of %s: %v %s", subj, err, q.Log)
		}
		var hr tlv1.HistoryResponse
		if err := hr.Unmarshal(q.Value); err != nil {
			t.Fatal(err)
		}
		want, err := client.VerifyHistory(canon, tlv1.HeadKey(canon), &hr)
		if err != nil {
			t.Fatalf("replayed history of %s: %v", subj, err)
		}
		if got.Head == nil || want.Head == nil || got.Head.Count != want.Head.Count || !bytes.Equal(got.Head.ChainHash, want.Head.ChainHash) {
			t.Fatalf("%s: the network's head %v, the run without attacks %v", subj, got.Head, want.Head)
		}
		for i := range got.Records {
			if !bytes.Equal(got.Records[i].Bytes, want.Records[i].Bytes) {
				t.Fatalf("%s: record %d differs from the run without attacks", subj, i)
			}
		}
	}
	t.Logf("ledger: %d blocks, %d honest transactions replayed without the attacks give the same %d histories; %d other accepted transactions, all expected",
		top, n, len(subjects), accepted)
}

// ---------------------------------------------------------------- proxy

// rpcProxy stands between a client and a node's CometBFT RPC as a network
// attacker or a lying node does: it passes every JSON-RPC call through,
// and can rewrite answers (alter) or answer an ABCI query of one path with
// the answer it recorded earlier (a replay of genuine, old data).
type rpcProxy struct {
	upstream string
	srv      *httptest.Server

	mu       sync.Mutex
	alter    func(method string, params, result map[string]any)
	changed  int
	path     string          // abci_query path to record and replay
	recorded json.RawMessage // the recorded result
	at       time.Time       // when it was recorded
	replay   bool
}

func newRPCProxy(t *testing.T, upstream string) *rpcProxy {
	p := &rpcProxy{upstream: upstream}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

// URL is where clients reach the proxy.
func (p *rpcProxy) URL() string { return p.srv.URL }

func (p *rpcProxy) setAlter(f func(method string, params, result map[string]any)) {
	p.mu.Lock()
	p.alter = f
	p.mu.Unlock()
}

func (p *rpcProxy) altered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

func (p *rpcProxy) recordPath(path string) {
	p.mu.Lock()
	p.path = path
	p.mu.Unlock()
}

func (p *rpcProxy) startReplay() {
	p.mu.Lock()
	p.replay = true
	p.mu.Unlock()
}

func (p *rpcProxy) recordedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at
}

func (p *rpcProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if res.StatusCode == http.StatusOK {
		out = p.rewrite(body, out)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.StatusCode)
	w.Write(out)
}

// rewrite applies the proxy's behaviour to one JSON-RPC answer.
func (p *rpcProxy) rewrite(reqBody, out []byte) []byte {
	var call struct {
		Method string         `json:"method"`
		Params map[string]any `json:"params"`
	}
	if json.Unmarshal(reqBody, &call) != nil {
		return out // a batch or not JSON-RPC: passed through
	}
	var ans map[string]json.RawMessage
	if json.Unmarshal(out, &ans) != nil || ans["result"] == nil {
		return out
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if call.Method == "abci_query" && p.path != "" && call.Params["path"] == p.path {
		switch {
		case p.replay && p.recorded != nil:
			ans["result"] = p.recorded
			p.changed++
			b, _ := json.Marshal(ans)
			return b
		case p.recorded == nil:
			p.recorded, p.at = ans["result"], time.Now()
		}
	}
	if p.alter == nil {
		return out
	}
	d := json.NewDecoder(bytes.NewReader(ans["result"]))
	d.UseNumber()
	var result map[string]any
	if d.Decode(&result) != nil {
		return out
	}
	before, _ := json.Marshal(result)
	p.alter(call.Method, call.Params, result)
	after, _ := json.Marshal(result)
	if bytes.Equal(before, after) {
		return out
	}
	p.changed++
	ans["result"] = after
	b, _ := json.Marshal(ans)
	return b
}
