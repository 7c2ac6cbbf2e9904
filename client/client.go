// SPDX-License-Identifier: Apache-2.0

// Package client is the Go SDK of TraceLedger: it builds and signs
// transactions, broadcasts them and waits for commit, and runs typed queries
// whose answers it verifies (Merkle proofs to the app hash, app hash to a
// header that CometBFT's light client checks from the genesis validator set)
// before returning them. It never imports the application or node packages.
package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Client talks to one node and verifies what it answers.
type Client struct {
	rpc      *rpchttp.HTTP
	genesis  *types.GenesisDoc
	url      string
	mu       sync.Mutex
	verifier *HeaderVerifier
	witness  []string
	seqs     map[string]uint64 // key id -> next sequence this client will use
	chainOK  bool              // the node's chain id was found to be the genesis's
	maxAge   time.Duration     // freshness bound of latest answers (fresh.go)
	now      func() time.Time  // the clock freshness is judged by; nil: time.Now
	bc       Broadcaster       // where transactions go; nil: the node's RPC
	// onConflict is told of witness conflicts (OnWitnessConflict).
	onConflict func(WitnessConflict)
}

// ChainIDMismatchError is a node of another chain than the trust root's:
// nothing it says can verify, and transactions signed for this chain are
// not valid there. It wraps ErrNotVerified.
type ChainIDMismatchError struct {
	// Node is the node's URL, NodeChainID the chain it runs, LocalChainID
	// the chain of the genesis document (the trust root) the client uses.
	Node, NodeChainID, LocalChainID string
}

func (e *ChainIDMismatchError) Error() string {
	return fmt.Sprintf("chain id mismatch: node %s is on chain %q, your home/genesis says %q", e.Node, e.NodeChainID, e.LocalChainID)
}

// Unwrap makes a chain id mismatch a verification failure.
func (e *ChainIDMismatchError) Unwrap() error { return ErrNotVerified }

// AbsentError is a verified negative answer: What is proven not to be on
// the ledger at state height Height.
type AbsentError struct {
	What   string
	Height int64
}

func (e *AbsentError) Error() string {
	return fmt.Sprintf("%s is not on the ledger (absence proven at state height %d)", e.What, e.Height)
}

// checkChain asks the node once which chain it runs and returns a
// *ChainIDMismatchError when it is not the genesis document's.
func (c *Client) checkChain(ctx context.Context) error {
	c.mu.Lock()
	ok := c.chainOK
	c.mu.Unlock()
	if ok {
		return nil
	}
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return fmt.Errorf("ask %s for its status: %w", c.url, err)
	}
	if st.NodeInfo.Network != c.genesis.ChainID {
		return &ChainIDMismatchError{Node: c.url, NodeChainID: st.NodeInfo.Network, LocalChainID: c.genesis.ChainID}
	}
	c.mu.Lock()
	c.chainOK = true
	c.mu.Unlock()
	return nil
}

// New connects to the node at nodeURL (e.g. http://127.0.0.1:26657).
// Answers are verified against the genesis document doc, the trust root;
// witnessURLs are further nodes the light client cross-checks headers with.
func New(nodeURL string, doc *types.GenesisDoc, witnessURLs ...string) (*Client, error) {
	c, err := rpchttp.New(nodeURL, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", nodeURL, err)
	}
	return &Client{rpc: c, genesis: doc, url: nodeURL, witness: witnessURLs, seqs: map[string]uint64{}}, nil
}

// RPC exposes the underlying CometBFT RPC client.
func (c *Client) RPC() *rpchttp.HTTP { return c.rpc }

// ChainID is the chain id of the genesis the client trusts.
func (c *Client) ChainID() string { return c.genesis.ChainID }

// headerVerifier starts the light client on first use.
// It first checks that the node runs the genesis's chain.
func (c *Client) headerVerifier(ctx context.Context) (*HeaderVerifier, error) {
	if err := c.checkChain(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.verifier != nil {
		return c.verifier, nil
	}
	v, err := NewHeaderVerifier(ctx, c.genesis, c.url, c.witness)
	if err != nil {
		return nil, err
	}
	v.onConflict = c.onConflict
	c.verifier = v
	return v, nil
}

// Signer signs transactions with one Ed25519 key.
type Signer struct {
	Key ed25519.PrivateKey
}

// KeyID is the signer's key id.
func (s Signer) KeyID() string { return tlv1.KeyID(s.Key.Public().(ed25519.PublicKey)) }

// Committed is the outcome of a transaction included in a block.
type Committed struct {
	Hash   []byte
	Height int64
	// Indexes are the log indexes of the records the transaction appended,
	// as the node reports them.
	Indexes []uint64
	// Proven is what the confirmation of the commit rests on: Submit and
	// Import read back the first record (or, for a transaction naming
	// none, the signer's sequence) with a verified query. Zero when the
	// outcome is only the node's word (WaitTx alone).
	Proven Proven
}

// TxError is a transaction the network rejected, with its stable code.
type TxError struct {
	Code      uint32
	Codespace string
	Log       string
	// Stage is "check" (refused by the mempool) or "deliver" (rejected in
	// the block).
	Stage string
	// Rejection is the refusal's machine-readable facts (the failing
	// message and batch event, the next sequence, the record a duplicate
	// repeats), decoded from the result's data; nil when the result carries
	// none (a refusal by CometBFT itself). Read facts from here, never
	// from Log, whose wording may change.
	Rejection *tlv1.Rejection
}

// newTxError builds the error of a refused transaction from its result.
func newTxError(stage string, code uint32, codespace, log string, data []byte) *TxError {
	return &TxError{Code: code, Codespace: codespace, Log: log, Stage: stage, Rejection: tlv1.RejectionOf(codespace, code, data)}
}

// AlreadyRecorded reports whether err refuses a transaction because what
// it records is already on the ledger (event_duplicate, or an EPCIS event
// with a recorded Event Hash ID), and the log index of that record.
func AlreadyRecorded(err error) (index uint64, ok bool) {
	var te *TxError
	if !errors.As(err, &te) || te.Rejection == nil || te.Rejection.ExistingIndex == nil {
		return 0, false
	}
	switch tlv1.Code(te.Code) {
	case tlv1.CodeEventDuplicate, tlv1.CodeEPCISDuplicateEvent:
		return *te.Rejection.ExistingIndex, true
	}
	return 0, false
}

func (e *TxError) Error() string {
	return fmt.Sprintf("transaction rejected at %s: %s code %d: %s", e.Stage, e.Codespace, e.Code, e.Log)
}

// BuildTx signs messages as body with the given sequence.
func BuildTx(chainID string, s Signer, sequence uint64, msgs ...*tlv1.Msg) ([]byte, error) {
	body := tlv1.TxBody{ChainId: chainID, Signer: s.KeyID(), Sequence: sequence, Messages: msgs}
	bb, err := body.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode tx body: %w", err)
	}
	tx := tlv1.Tx{BodyBytes: bb, Signature: ed25519.Sign(s.Key, tlv1.SignBytes(bb))}
	return tx.Marshal()
}

// nextSequence returns the sequence to use for s, reading the committed one
// from the node the first time.
func (c *Client) nextSequence(ctx context.Context, s Signer) (uint64, error) {
	id := s.KeyID()
	c.mu.Lock()
	seq, ok := c.seqs[id]
	c.mu.Unlock()
	if ok {
		return seq, nil
	}
	if err := c.checkChain(ctx); err != nil {
		return 0, err
	}
	// Unproven on purpose: the sequence is a hint, the node refuses a
	// wrong one (and the refusal makes the client read it again).
	vr, _, err := queryAnswer[tlv1.ValueResponse](ctx, c, tlv1.PathValue, &tlv1.ValueRequest{Key: tlv1.KeyKey(id)}, 0)
	if err != nil {
		return 0, fmt.Errorf("read sequence of key %s: %w", id, err)
	}
	if vr.Value == nil || len(vr.Value.Value) == 0 {
		return 0, fmt.Errorf("key %s is not registered on this network: ask your department to register it", id)
	}
	var k tlv1.Key
	if err := k.Unmarshal(vr.Value.Value); err != nil {
		return 0, fmt.Errorf("decode key %s: %w", id, err)
	}
	return k.Sequence, nil
}

// Submit signs msgs as one transaction, broadcasts it, waits until it is
// committed, and confirms the commit with a verified read (commit.go): the
// node's word that it committed is not taken alone. A rejection returns a
// *TxError; a claimed commit that does not verify a *CommitNotVerifiedError
// (wrapping ErrNotVerified); the local sequence is then re-read from the
// node on the next call. The transaction goes through the client's
// Broadcaster (the node's RPC unless UseBroadcaster chose another).
func (c *Client) Submit(ctx context.Context, s Signer, msgs ...*tlv1.Msg) (*Committed, error) {
	out, sent, err := c.broadcast(ctx, s, true, msgs...)
	if err != nil {
		return nil, err
	}
	if out.Height <= 0 {
		if out, err = c.WaitTx(ctx, sent.hash); err != nil {
			c.forgetSequence(sent.keyID)
			return nil, err
		}
	}
	if err := c.verifyCommit(ctx, sent, out); err != nil {
		c.forgetSequence(sent.keyID)
		return nil, err
	}
	return out, nil
}

// broadcast signs msgs as one transaction with s's next sequence and hands
// it to the Broadcaster (with commit, one that can wait for the block
// does), returning its outcome (Height 0 when not waited for). When it is
// refused (a *TxError of stage "check", or "deliver" after a wait) or the
// transport fails, the local sequence is forgotten (re-read from the node
// on next use). When it is accepted, the next sequence is recorded as this
// one plus one, so that further transactions can be broadcast before this
// one commits. The transaction's hash is computed here from the signed
// bytes; a transport that names another is not believed (ErrNotVerified).
func (c *Client) broadcast(ctx context.Context, s Signer, commit bool, msgs ...*tlv1.Msg) (*Committed, sentTx, error) {
	seq, err := c.nextSequence(ctx, s)
	if err != nil {
		return nil, sentTx{}, err
	}
	txBytes, err := BuildTx(c.genesis.ChainID, s, seq, msgs...)
	if err != nil {
		return nil, sentTx{}, err
	}
	sent := sentTx{hash: txHashOf(txBytes), keyID: s.KeyID(), sequence: seq}
	out, err := c.broadcaster().BroadcastTx(ctx, txBytes, commit)
	if err == nil && !bytes.Equal(out.Hash, sent.hash) {
		err = fmt.Errorf("%w: the transport accepted transaction %X as %X", ErrNotVerified, sent.hash, out.Hash)
	}
	if err != nil {
		c.forgetSequence(sent.keyID)
		return nil, sentTx{}, err
	}
	c.mu.Lock()
	c.seqs[sent.keyID] = seq + 1
	c.mu.Unlock()
	return out, sent, nil
}

func (c *Client) forgetSequence(id string) {
	c.mu.Lock()
	delete(c.seqs, id)
	c.mu.Unlock()
}

// WaitTx waits until the transaction with hash is in a committed block and
// returns its outcome, as the node's tx RPC reports it: nothing in that
// answer is proven (Submit and Import confirm it with a verified read).
func (c *Client) WaitTx(ctx context.Context, hash []byte) (*Committed, error) {
	for {
		r, err := c.rpc.Tx(ctx, hash, false)
		if err == nil {
			if r.TxResult.Code != 0 {
				return nil, newTxError("deliver", r.TxResult.Code, r.TxResult.Codespace, r.TxResult.Log, r.TxResult.Data)
			}
			return &Committed{Hash: hash, Height: r.Height, Indexes: RecordIndexes(r.TxResult.Events)}, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for tx %s to commit: %w (last error: %v)", hex.EncodeToString(hash), ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RecordIndexes lists the log indexes the events of a transaction's result
// name: one per traceledger.record event, a range per traceledger.records
// event (a batch).
func RecordIndexes(events []abci.Event) []uint64 {
	const (
		maxRange = 1 << 20 // more than any message appends
	)
	var out []uint64
	for _, e := range events {
		attr := func(key string) (uint64, bool) {
			for _, a := range e.Attributes {
				if a.Key == key {
					v, err := strconv.ParseUint(a.Value, 10, 64)
					return v, err == nil
				}
			}
			return 0, false
		}
		switch e.Type {
		case tlv1.EventRecord:
			if i, ok := attr(tlv1.AttrIndex); ok {
				out = append(out, i)
			}
		case tlv1.EventRecords:
			first, ok1 := attr(tlv1.AttrFirstIndex)
			n, ok2 := attr(tlv1.AttrCount)
			if ok1 && ok2 && n <= maxRange {
				for i := range n {
					out = append(out, first+i)
				}
			}
		}
	}
	return out
}

// QueryError is a query the node refused, with its stable code.
type QueryError struct {
	Code uint32
	Log  string
}

func (e *QueryError) Error() string { return fmt.Sprintf("query refused (code %d): %s", e.Code, e.Log) }

// Proven says what a verified answer rests on.
type Proven struct {
	// Height is the state height H; Header is the verified header H+1 whose
	// app hash commits to the answer.
	Height int64
	Header *types.SignedHeader
}

// verifyRoots checks the answer's roots name height and are committed.
func (c *Client) verifyRoots(ctx context.Context, roots *tlv1.StateRoots, height int64) (Proven, error) {
	if roots == nil || roots.Height != height {
		return Proven{}, fmt.Errorf("%w: answer roots are not for the answered height %d", ErrNotVerified, height)
	}
	v, err := c.headerVerifier(ctx)
	if err != nil {
		return Proven{}, err
	}
	h, err := v.VerifyRoots(ctx, roots)
	if err != nil {
		return Proven{}, err
	}
	return Proven{Height: height, Header: h}, nil
}

// History returns the verified, complete history of subject, asked for
// under its canonical form (CanonicalSubject; the history's Subject says
// which), with its roots checked against a header the light client
// verified. An unknown subject returns a history with a nil Head, proven
// absent. A long history is read in pages (HistoryPagesOf); Proven is the
// newest page's, which holds the head.
func (c *Client) History(ctx context.Context, subject string) (*VerifiedHistory, Proven, error) {
	hp, err := c.HistoryPagesOf(ctx, subject)
	if err != nil {
		return nil, Proven{}, err
	}
	recs, _, _ := hp.Records()
	return &VerifiedHistory{Subject: hp.Subject, Head: hp.Head, Records: recs}, hp.Proven(), nil
}

// Record returns the verified record at a log index.
func (c *Client) Record(ctx context.Context, index uint64) (*VerifiedRecord, Proven, error) {
	return c.record(ctx, &tlv1.RecordRequest{Index: index})
}

// RecordByHash returns the verified record with the given leaf hash.
func (c *Client) RecordByHash(ctx context.Context, leafHash []byte) (*VerifiedRecord, Proven, error) {
	return c.record(ctx, &tlv1.RecordRequest{LeafHash: leafHash})
}

func (c *Client) record(ctx context.Context, req *tlv1.RecordRequest) (*VerifiedRecord, Proven, error) {
	vr, _, p, err := verifiedQuery(ctx, c, tlv1.PathRecord, req, func(resp *tlv1.RecordResponse) (*VerifiedRecord, error) {
		vr, err := verifyRecord(resp.Roots, resp.Record)
		if err != nil {
			return nil, err
		}
		if len(req.LeafHash) > 0 && string(vr.LeafHash[:]) != string(req.LeafHash) {
			return nil, fmt.Errorf("%w: answer is record %X, asked for %X", ErrNotVerified, vr.LeafHash, req.LeafHash)
		}
		if len(req.LeafHash) == 0 && vr.Index != req.Index {
			return nil, fmt.Errorf("%w: answer is record %d, asked for %d", ErrNotVerified, vr.Index, req.Index)
		}
		return vr, nil
	})
	return vr, p, err
}

// Participant returns the verified participant, or nil if it is proven not
// to be registered.
func (c *Client) Participant(ctx context.Context, id string) (*tlv1.Participant, Proven, error) {
	return valueOf[tlv1.Participant](ctx, c, tlv1.ParticipantKey(id), "participant")
}

// Value returns the verified map value at key (nil when proven absent).
func (c *Client) Value(ctx context.Context, key string) ([]byte, Proven, error) {
	v, _, p, err := verifiedQuery(ctx, c, tlv1.PathValue, &tlv1.ValueRequest{Key: key}, func(resp *tlv1.ValueResponse) ([]byte, error) {
		if err := verifyValue(resp.Roots, key, resp.Value); err != nil {
			return nil, err
		}
		if len(resp.Value.Value) == 0 {
			return nil, nil // proven absent (an explicit empty value decodes as non-nil)
		}
		return resp.Value.Value, nil
	})
	return v, p, err
}

// Status is the chain's verified committed state: ChainID and Roots are
// verified (the roots against a header the light client checked).
type Status struct {
	ChainID string
	Roots   *tlv1.StateRoots
	// MapSize is the number of map keys as the node reports it. Nothing
	// commits to it (it is not under the app hash): a hint, not evidence.
	MapSize uint64
}

// Status returns the verified chain status.
func (c *Client) Status(ctx context.Context) (*Status, Proven, error) {
	st, _, p, err := verifiedQuery(ctx, c, tlv1.PathStatus, nil, func(resp *tlv1.StatusResponse) (*Status, error) {
		if resp.ChainId != c.genesis.ChainID {
			return nil, &ChainIDMismatchError{Node: c.url, NodeChainID: resp.ChainId, LocalChainID: c.genesis.ChainID}
		}
		return &Status{ChainID: resp.ChainId, Roots: resp.Roots, MapSize: resp.MapSize}, nil
	})
	return st, p, err
}

// WaitForHeight blocks until the node's application has committed height
// h (a node that has just started answers queries only after its first
// block). It asks the application (abci_info), not the block store: CometBFT
// stores a block before the application commits it.
func (c *Client) WaitForHeight(ctx context.Context, h int64) error {
	for {
		info, err := c.rpc.ABCIInfo(ctx)
		if err == nil && info.Response.LastBlockHeight >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for height %d: %w (last error: %v)", h, ctx.Err(), err)
			}
			return fmt.Errorf("waiting for height %d: %w", h, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
