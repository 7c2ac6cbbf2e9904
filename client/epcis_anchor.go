// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/epcis"
	"github.com/traceledger/traceledger/proof"
	"github.com/traceledger/traceledger/proof/bundle"
	prooflight "github.com/traceledger/traceledger/proof/light"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// AnchorProofFormat and AnchorProofVersion identify the anchor proof
// format. Version 2 carries the light blocks from a trust root to the
// header that commits to the anchor (version 1 carried only an app hash,
// which anyone could recompute for a forged record).
const (
	AnchorProofFormat  = "traceledger-anchor-proof"
	AnchorProofVersion = 2
)

// Anchoring: a high-volume source (IoT sensors) records one AnchorRoot over
// up to 1,000,000 event hash IDs instead of the events; the enterprise
// keeps the leaves (the hash IDs, in order) and later proves any one event:
// leaf -> root (the RFC 6962 path from its tree) -> ledger (the anchor
// record in the log, its map entry, the app hash in a signed header).

// ReadAnchorLeaves reads the Event Hash IDs an anchor covers, in order:
// either a text file with one Event Hash ID per line (blank lines and lines
// starting with '#' are skipped), or an EPCIS 2.0 document (its events'
// hash IDs in document order).
func ReadAnchorLeaves(data []byte) ([]string, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[' || trimmed[0] == '<') {
		return epcis.HashDocument(bytes.NewReader(data), epcis.FormatAuto)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if !epcis.ValidHashID(s) {
			return nil, fmt.Errorf("line %d: %q is not an Event Hash ID (ni:///sha-256;<64 hex>?ver=CBV2.0)", line, truncateStr(s, 100))
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Event Hash IDs found")
	}
	return out, nil
}

func truncateStr(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// NewAnchorTree builds the Merkle tree over hash IDs (at most
// epcis.MaxAnchorLeaves).
func NewAnchorTree(hashIDs []string) (*epcis.AnchorTree, error) {
	if len(hashIDs) > epcis.MaxAnchorLeaves {
		return nil, fmt.Errorf("%d event hashes, an anchor covers at most %d", len(hashIDs), epcis.MaxAnchorLeaves)
	}
	digests := make([][32]byte, len(hashIDs))
	for i, id := range hashIDs {
		d, err := epcis.HashIDDigest(id)
		if err != nil {
			return nil, fmt.Errorf("leaf %d: %w", i, err)
		}
		digests[i] = d
	}
	return epcis.NewAnchorTree(digests)
}

// AnchorRootMsg is the message that anchors tree's root for source.
func AnchorRootMsg(tree *epcis.AnchorTree, source string, fromMs, toMs int64) *tlv1.Msg {
	root := tree.Root()
	return &tlv1.Msg{Sum: &tlv1.Msg_AnchorRoot{AnchorRoot: &tlv1.AnchorRoot{
		Root: root[:], LeafCount: uint64(tree.Size()), Source: source, FromTimeMs: fromMs, ToTimeMs: toMs}}}
}

// AnchorProof is a self-contained proof that an event hash is under an
// anchored root and that the root is on the ledger.
type AnchorProof struct {
	Format      string `json:"format"`
	Version     int    `json:"version"`
	EventHashID string `json:"eventHashId"`
	// LeafIndex, TreeSize, Root and Path: leaf -> root (RFC 6962, leaf hash
	// SHA-256(0x00 || digest of the hash ID), path from the leaf up).
	LeafIndex uint64   `json:"leafIndex"`
	TreeSize  uint64   `json:"treeSize"`
	Root      string   `json:"root"`
	Path      []string `json:"path"`
	// Source is the anchor's source identifier.
	Source string `json:"source"`
	// LogIndex, Record and Inclusion: root -> log (the AnchorRecord, its
	// bytes in base64, its RFC 6962 inclusion proof in the log).
	LogIndex  uint64   `json:"logIndex"`
	Record    string   `json:"record"`
	Inclusion []string `json:"inclusion"`
	// Roots (a marshalled StateRoots, base64) -> app hash; AppHash is the
	// app hash of header HeaderHeight.
	Roots        string `json:"roots"`
	StateHeight  int64  `json:"stateHeight"`
	HeaderHeight int64  `json:"headerHeight"`
	AppHash      string `json:"appHash"`
	ChainID      string `json:"chainId"`
	// Trust names the trust root the light blocks start from, and
	// LightBlocks (CometBFT's JSON encoding, ascending) lead from it to
	// header HeaderHeight: the verifier checks them against its own trust
	// root, so the app hash is one the departments signed.
	Trust       bundle.Trust      `json:"trust"`
	LightBlocks []json.RawMessage `json:"lightBlocks"`
}

// ProveAnchored proves that eventHashID is leaf of the tree over hashIDs and
// that the tree's root is anchored on the ledger, and adds the light blocks
// from trust (the zero value: the client's genesis) to the header that
// commits to the anchor record. The proof is verified with
// VerifyAnchorProof against trust before it is returned.
func (c *Client) ProveAnchored(ctx context.Context, hashIDs []string, eventHashID string, trust prooflight.TrustRoot) (*AnchorProof, error) {
	if trust.ChainID == "" {
		var err error
		if trust, err = prooflight.GenesisTrustRoot(c.genesis); err != nil {
			return nil, notVerified(err)
		}
	}
	idx := -1
	for i, id := range hashIDs {
		if id == eventHashID {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("%s is not among the %d anchored event hashes", eventHashID, len(hashIDs))
	}
	tree, err := NewAnchorTree(hashIDs)
	if err != nil {
		return nil, err
	}
	root := tree.Root()
	path, err := tree.Prove(idx)
	if err != nil {
		return nil, err
	}
	va, p, err := c.Anchor(ctx, root[:])
	if err != nil {
		return nil, err
	}
	if va == nil {
		return nil, &AbsentError{What: fmt.Sprintf("anchor of root %x", root), Height: p.Height}
	}
	if va.Anchor.LeafCount != uint64(tree.Size()) {
		return nil, fmt.Errorf("the ledger anchors root %x over %d leaves, the tree has %d", root, va.Anchor.LeafCount, tree.Size())
	}
	roots, err := va.Roots.Marshal()
	if err != nil {
		return nil, err
	}
	lp, err := lighthttp.New(trust.ChainID, c.url)
	if err != nil {
		return nil, fmt.Errorf("light block provider %s: %w", c.url, err)
	}
	blocks, err := HeaderPath(ctx, lp, trust, p.Header.Height)
	if err != nil {
		return nil, err
	}
	out := &AnchorProof{Format: AnchorProofFormat, Version: AnchorProofVersion,
		EventHashID: eventHashID, LeafIndex: uint64(idx), TreeSize: uint64(tree.Size()),
		Root: hex.EncodeToString(root[:]), Source: va.Anchor.Source, LogIndex: va.Index,
		Record: base64.StdEncoding.EncodeToString(va.RecordBytes), Roots: base64.StdEncoding.EncodeToString(roots),
		StateHeight: p.Height, HeaderHeight: p.Header.Height, AppHash: hex.EncodeToString(p.Header.AppHash),
		ChainID: c.genesis.ChainID}
	for _, h := range path {
		out.Path = append(out.Path, hex.EncodeToString(h))
	}
	for _, h := range va.Inclusion.Hashes {
		out.Inclusion = append(out.Inclusion, hex.EncodeToString(h))
	}
	out.Trust = bundle.Trust{Kind: "genesis", Height: trust.StartHeight()}
	if trust.GenesisValidators == nil {
		out.Trust = bundle.Trust{Kind: "header", Height: trust.Height, Hash: trust.Hash}
	}
	for _, lb := range blocks {
		raw, err := cmtjson.Marshal(lb)
		if err != nil {
			return nil, fmt.Errorf("encode light block %d: %w", lb.Height, err)
		}
		out.LightBlocks = append(out.LightBlocks, raw)
	}
	if err := VerifyAnchorProof(out, trust, prooflight.HeaderOptions{}); err != nil {
		return nil, err
	}
	return out, nil
}

// VerifyAnchorProof checks an AnchorProof offline against root, a trust
// root the verifier holds (the network's genesis, or a header it trusts):
// the light blocks lead from root to header HeaderHeight by CometBFT's
// light-client rules, that header's app hash is the one the Roots hash to,
// the record is in the log of Roots (Inclusion), it is the AnchorRecord of
// Root over TreeSize leaves, and the event's leaf is in the tree of Root
// (Path). Without a trust root nothing is verified: the proof's own app
// hash is only a claim.
func VerifyAnchorProof(p *AnchorProof, trust prooflight.TrustRoot, opts prooflight.HeaderOptions) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: anchor proof: %s", ErrNotVerified, fmt.Sprintf(format, args...))
	}
	if trust.ChainID == "" {
		return fmt.Errorf("%w: anchor proof: no trust root (a genesis file, or a trusted height and header hash): the proof's app hash alone proves nothing", ErrNotVerified)
	}
	if p.Format != AnchorProofFormat || p.Version != AnchorProofVersion {
		return fail("format %q version %d, want %q version %d (re-create it with 'traceledger anchor prove')", p.Format, p.Version, AnchorProofFormat, AnchorProofVersion)
	}
	if p.ChainID != trust.ChainID {
		return fail("the proof is for chain %q, the trust root for %q", p.ChainID, trust.ChainID)
	}
	digest, err := epcis.HashIDDigest(p.EventHashID)
	if err != nil {
		return fail("%v", err)
	}
	root, err := hex32(p.Root)
	if err != nil {
		return fail("root: %v", err)
	}
	path, err := hexList(p.Path)
	if err != nil {
		return fail("path: %v", err)
	}
	if err := proof.VerifyInclusion(epcis.AnchorLeafHash(digest), p.LeafIndex, p.TreeSize, path, root); err != nil {
		return fail("leaf -> root: %v", err)
	}
	recBytes, err := base64.StdEncoding.DecodeString(p.Record)
	if err != nil {
		return fail("record: %v", err)
	}
	var rec tlv1.Record
	if err := rec.Unmarshal(recBytes); err != nil {
		return fail("record does not decode: %v", err)
	}
	a := rec.GetAnchor().GetAnchor()
	if a == nil || !bytes.Equal(a.Root, root[:]) || a.LeafCount != p.TreeSize {
		return fail("record %d is not the anchor of root %s over %d leaves", p.LogIndex, p.Root, p.TreeSize)
	}
	rootsBytes, err := base64.StdEncoding.DecodeString(p.Roots)
	if err != nil {
		return fail("roots: %v", err)
	}
	var roots tlv1.StateRoots
	if err := roots.Unmarshal(rootsBytes); err != nil {
		return fail("roots do not decode: %v", err)
	}
	logRoot, err := hex32(hex.EncodeToString(roots.LogRoot))
	if err != nil {
		return fail("log root: %v", err)
	}
	incl, err := hexList(p.Inclusion)
	if err != nil {
		return fail("inclusion: %v", err)
	}
	if err := proof.VerifyInclusion(proof.LeafHash(recBytes), p.LogIndex, roots.LogSize, incl, logRoot); err != nil {
		return fail("record -> log: %v", err)
	}
	appHash, err := proof.AppHashOf(&roots)
	if err != nil {
		return fail("app hash: %v", err)
	}
	if hex.EncodeToString(appHash[:]) != strings.ToLower(p.AppHash) {
		return fail("roots hash to app hash %x, the proof names %s", appHash, p.AppHash)
	}
	if roots.Height != p.StateHeight || p.HeaderHeight != p.StateHeight+1 {
		return fail("state height %d and header height %d do not match the roots (height %d)", p.StateHeight, p.HeaderHeight, roots.Height)
	}
	// The app hash is only a claim until a header the trust root leads to
	// carries it.
	blocks := make([]*types.LightBlock, len(p.LightBlocks))
	for i, raw := range p.LightBlocks {
		var lb types.LightBlock
		if err := cmtjson.Unmarshal(raw, &lb); err != nil {
			return fail("light block %d: %v", i, err)
		}
		blocks[i] = &lb
	}
	verified, err := prooflight.VerifyHeaderChain(trust, blocks, opts)
	if err != nil {
		return fail("headers: %v", err)
	}
	top := verified[len(verified)-1]
	if top.Height != p.HeaderHeight {
		return fail("the light blocks end at height %d, not at header %d", top.Height, p.HeaderHeight)
	}
	if err := prooflight.VerifyRootsInHeader(&roots, top.SignedHeader); err != nil {
		return fail("the roots are not the ones header %d commits to: %v", top.Height, err)
	}
	return nil
}

func hex32(s string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, fmt.Errorf("%q is not 32 bytes of hex", truncateStr(s, 80))
	}
	copy(out[:], b)
	return out, nil
}

func hexList(ss []string) ([][]byte, error) {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("hash %d: %q is not 32 bytes of hex", i, truncateStr(s, 80))
		}
		out[i] = b
	}
	return out, nil
}
