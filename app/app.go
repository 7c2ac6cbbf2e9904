// SPDX-License-Identifier: Apache-2.0

// Package app is TraceLedger's ABCI 2.0 state machine: it decodes and
// authenticates transactions, executes their messages, appends every accepted
// change to an RFC 6962 log, keeps current values in an authenticated map (a
// hashed-key sparse Merkle tree), persists both in badger at Commit, and
// answers queries with proofs against the app hash.
//
// The block cycle, as CometBFT drives it:
//
//	CheckTx        cheap rejection for the mempool (committed state + pending sequences)
//	FinalizeBlock  executes the block in memory and returns the new app hash; persists nothing
//	Commit         writes the block's state, the roots and the height in one versioned batch
//	Info           reports the last committed height and app hash for the handshake
//
// Determinism: no map is iterated where order matters, no wall clock is read
// in FinalizeBlock (block time only), no randomness.
package app

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/app/smt"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/proof"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Version is the application protocol version reported to CometBFT.
// Version 2 files every history under the identifier's canonical form
// (identifier.go), makes record_event idempotent, stores the chain
// parameters as protobuf, remembers validator keys and decodes
// transactions strictly (docs/PROOFS.md lists what changed). Version 3
// lets every participant record an EPCIS event once: "event/<hash id>"
// holds an EPCISEventIndex listing each recording with its signer, a
// duplicate is the same participant's second recording, and one hash ID
// takes at most tlv1.MaxEventRecorders recordings (issue 16, finding 4).
// Version 4 adds encryption keys and disclosure (issue 18,
// docs/DISCLOSURE.md): the messages add_encryption_key,
// revoke_encryption_key, disclose, request_disclosure and
// refuse_disclosure, the map keys "enckey/", "enckeys/" and "discreq/",
// and the history scheme "disclosure:"; existing messages are unchanged.
//
// Version 5 adds the schedule_upgrade proposal kind and its map values
// (upgrade/plan, upgrade/done/<name>) and log records (upgrade_scheduled,
// upgrade_applied); see app/upgrade.go. A state upgraded by a governed
// upgrade reports that upgrade's app version instead (App.AppVersion).
//
// Version 6 hashes the CBV master-data namespace alike in XML and JSON-LD
// (issue 14, epcis/doc.go "Namespaces"): an extension or ILMD field in
// the XML namespace urn:epcglobal:cbv:mda is written
// {urn:epcglobal:cbv:mda:}name in the pre-hash, so a public event carrying
// one has a new Event Hash ID, and a record_epcis_event claiming the old
// one is refused (code tlv1.CodeEPCISHashMismatch). Events without such a
// field keep their IDs; the map and log layout is unchanged.
const Version uint64 = 6

// crashPoint names a place in the block cycle where a test stops the app
// (TestCrashRecovery); the application never stops there on its own.
type crashPoint string

// The crash points a test hook can fire at.
const (
	crashAfterFinalize    crashPoint = "after-finalize"
	crashBeforeWrite      crashPoint = "commit-before-write"
	crashBeforeMarker     crashPoint = "commit-after-write-before-marker"
	crashAfterCommitWrite crashPoint = "commit-after-marker"
)

// errCrash is returned when a test's crash hook stops the app.
var errCrash = fmt.Errorf("app stopped by crash hook")

// Options configure an App.
type Options struct {
	// Dir is the badger directory (<home>/data/app.badger).
	Dir string
	// Logger receives operational messages; nil discards them.
	Logger log.Logger
	// SnapshotInterval takes a state-sync snapshot every so many heights
	// (0: none); SnapshotKeepRecent snapshots are kept (0: 2); SnapshotDir
	// holds them (default: app.snapshots beside Dir). See snapshot.go.
	SnapshotInterval   uint64
	SnapshotKeepRecent int
	SnapshotDir        string
	// Upgrades are registered in addition to the binary's own
	// (app/upgrade.go): tests and demonstrations build "the new binary"
	// with them.
	Upgrades []Upgrade
	// AllowEarlyUpgradeBinary lets a binary whose registered upgrade is not
	// due in the next block start anyway, to replay older blocks under the
	// old rules (a node that missed an upgrade catching up).
	AllowEarlyUpgradeBinary bool
}

// testHooks are the settings only this package's tests use (through
// newApp); New sets none of them, so they are not part of Options.
type testHooks struct {
	// inMemory keeps the database in memory (Options.Dir is ignored).
	inMemory bool
	// crash, if set, is called at each crash point; returning true stops
	// the block cycle there with errCrash.
	crash func(crashPoint) bool
}

// committed is the state as of one committed height; immutable once built.
type committed struct {
	info   *tlv1.CommitInfo
	tree   *smt.Tree
	params genesis.Params
	// appVersion is the app version of the latest upgrade done, 0 when none.
	appVersion uint64
}

// pendingBlock is a block executed by FinalizeBlock (or the genesis state
// from InitChain) waiting for Commit.
type pendingBlock struct {
	parent *pendingBlock // the uncommitted genesis, for the first block only
	o      *overlay
	tree   *smt.Tree
	log    *treeAppender
	recs   *treeAppender // the records tree (app/proofquery.go)
	info   *tlv1.CommitInfo
	params genesis.Params
	// appVersion is set when the block ran an upgrade (app/upgrade.go).
	appVersion uint64
}

// App is the TraceLedger ABCI application. Its consensus methods are called
// by one goroutine at a time; queries and CheckTx may run concurrently.
type App struct {
	abci.BaseApplication

	st     *store
	logger log.Logger
	hook   func(crashPoint) bool

	mu   sync.RWMutex
	cur  *committed // latest committed height (nil before the first Commit)
	prev *committed // the height before it

	genesisBlock *pendingBlock // InitChain's state, until the first Commit
	block        *pendingBlock // FinalizeBlock's result, until Commit

	handlers handlers
	queries  map[string]queryHandler

	checkMu sync.Mutex
	pool    *mempoolState // CheckTx's pending sequences and caches, under checkMu
	sigs    *sigCache
	sigv    *sigVerifier // Ed25519 with crypto/ed25519's rules, faster (ed25519.go)

	snaps *snapshotter // state-sync snapshots (snapshot.go)

	upgrades   registry      // the upgrades this binary registers (app/upgrade.go)
	appVersion atomic.Uint64 // the committed state's app version, for Info
	haltOnce   sync.Once
	halted     chan struct{} // closed when the app stopped the chain (Halted)
	haltErr    error
}

var _ abci.Application = (*App)(nil)

// New opens the application's database and restores the last committed
// state (rebuilding the map's hash index from the stored values).
func New(opts Options) (*App, error) { return newApp(opts, testHooks{}) }

// newApp is New with the hooks of a test.
func newApp(opts Options, hooks testHooks) (*App, error) {
	logger := opts.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	st, err := openStore(opts.Dir, hooks.inMemory)
	if err != nil {
		return nil, err
	}
	ups, err := newRegistry(opts.Upgrades)
	if err != nil {
		st.close()
		return nil, err
	}
	a := &App{st: st, logger: logger, hook: hooks.crash, pool: newMempoolState(), sigs: newSigCache(1 << 16), sigv: newSigVerifier(), handlers: newHandlers(), queries: newQueries(),
		snaps: newSnapshotter(opts), upgrades: ups, halted: make(chan struct{})}
	a.appVersion.Store(Version)
	if err := a.snaps.loadRestored(st); err != nil {
		st.close()
		return nil, err
	}
	ci, err := st.lastCommit()
	if err != nil {
		st.close()
		return nil, err
	}
	if ci != nil {
		c, err := a.loadCommitted(ci)
		if err != nil {
			st.close()
			return nil, err
		}
		a.cur = c
		if c.appVersion != 0 {
			a.appVersion.Store(c.appVersion)
		}
		v := a.st.viewAt(ci.Height)
		err = a.checkStartable(committedMap{v: v, tree: c.tree}, ci.Height, c.appVersion, opts.AllowEarlyUpgradeBinary)
		v.discard()
		if err != nil {
			st.close()
			return nil, err
		}
		logger.Info("restored app state", "height", ci.Height, "log_size", ci.LogSize, "map_size", c.tree.Len())
	}
	return a, nil
}

// loadCommitted rebuilds the in-memory hash index of the map at ci.Height.
func (a *App) loadCommitted(ci *tlv1.CommitInfo) (*committed, error) {
	v := a.st.viewAt(ci.Height)
	defer v.discard()
	var leaves []smt.Leaf
	var params genesis.Params
	var appVersion uint64
	err := v.forEachMapEntry(func(key string, value []byte) error {
		leaves = append(leaves, smt.Leaf{KeyHash: proof.MapKeyHash([]byte(key)), ValueHash: proof.MapValueHash(value)})
		if strings.HasPrefix(key, tlv1.PrefixUpgradeDone) {
			var d tlv1.UpgradeDone
			if err := d.Unmarshal(value); err != nil {
				return fmt.Errorf("decode %s: %w", key, err)
			}
			appVersion = max(appVersion, d.AppVersion)
		}
		if key == tlv1.KeyParams {
			var err error
			params, err = decodeParams(value)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read map at height %d: %w", ci.Height, err)
	}
	tree, err := smt.Build(leaves)
	if err != nil {
		return nil, fmt.Errorf("rebuild map at height %d: %w", ci.Height, err)
	}
	root := tree.Root()
	if !bytes.Equal(root[:], ci.MapRoot) {
		return nil, fmt.Errorf("app database is corrupt: map root at height %d is %X, the commit marker says %X", ci.Height, root, ci.MapRoot)
	}
	return &committed{info: ci, tree: tree, params: params, appVersion: appVersion}, nil
}

// Close waits for a snapshot being written and closes the database.
func (a *App) Close() error {
	a.snaps.wait()
	return a.st.close()
}

// crash reports whether the test hook stops the cycle at p.
func (a *App) crash(p crashPoint) bool { return a.hook != nil && a.hook(p) }

// latest returns the latest committed state (nil before the first Commit).
func (a *App) latest() *committed {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cur
}

// Info reports the last committed height and app hash, so that CometBFT's
// handshake replays exactly the blocks the app has not committed.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	resp := &abci.ResponseInfo{Data: a.infoData(), Version: "1", AppVersion: a.appVersion.Load()}
	if c := a.latest(); c != nil {
		resp.LastBlockHeight = c.info.Height
		resp.LastBlockAppHash = c.info.AppHash
	}
	return resp, nil
}

// InitChain loads the genesis app_state: departments, participants and
// parameters become map entries, each registration a log record. Nothing
// is persisted until the first Commit.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	st, err := decodeAppState(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	o := newOverlay(emptyReader{}, 0)
	timeMs := req.Time.UnixMilli()
	if err := checkGenesisValidators(req.Validators, st); err != nil {
		return nil, err
	}
	if err := applyGenesis(o, st, timeMs); err != nil {
		return nil, fmt.Errorf("apply genesis: %w", err)
	}
	info := &tlv1.CommitInfo{Height: req.InitialHeight - 1, TimeMs: timeMs, ChainId: req.ChainId}
	pb, err := finishBlock(nil, o, smt.New(), emptyTree("log"), emptyTree("records tree"), info, st.Params)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.genesisBlock = pb
	a.mu.Unlock()
	a.logger.Info("genesis loaded", "departments", len(st.Departments), "participants", len(st.Participants), "app_hash", fmt.Sprintf("%X", pb.info.AppHash))
	return &abci.ResponseInitChain{AppHash: pb.info.AppHash}, nil
}

// decodeAppState strictly decodes and validates genesis app_state.
func decodeAppState(bz []byte) (*genesis.AppState, error) {
	st, err := genesis.AppStateFrom(&types.GenesisDoc{AppState: bz})
	if err != nil {
		return nil, err
	}
	if err := genesis.Validate(*st); err != nil {
		return nil, fmt.Errorf("genesis app_state: %w", err)
	}
	return st, nil
}

// finishBlock hashes the block's map changes into the tree, its records into
// the log, and fills in the roots and app hash of info.
func finishBlock(parent *pendingBlock, o *overlay, base *smt.Tree, lg, recs *treeAppender, info *tlv1.CommitInfo, params genesis.Params) (*pendingBlock, error) {
	tree, err := base.Update(o.treeChanges())
	if err != nil {
		return nil, fmt.Errorf("update map: %w", err)
	}
	for _, lh := range o.leafHashes {
		if err := lg.append(lh); err != nil {
			return nil, err
		}
	}
	if err := appendRecords(recs, o); err != nil {
		return nil, err
	}
	logRoot, err := lg.root()
	if err != nil {
		return nil, err
	}
	recordsRoot, err := recs.root()
	if err != nil {
		return nil, err
	}
	mapRoot := tree.Root()
	appHash := proof.AppHash(lg.size(), logRoot, mapRoot, recordsRoot)
	info.LogSize = lg.size()
	info.LogRoot = logRoot[:]
	info.MapRoot = mapRoot[:]
	info.AppHash = appHash[:]
	info.LogRange = lg.hashes()
	info.MapSize = uint64(tree.Len())
	info.RecordsRoot = recordsRoot[:]
	info.RecordsRange = recs.hashes()
	return &pendingBlock{parent: parent, o: o, tree: tree, log: lg, recs: recs, info: info, params: params}, nil
}

// blockBase is the state a new block builds on: the latest commit, or the
// uncommitted genesis before the first Commit.
type blockBase struct {
	reader  mapReader
	release func() // releases reader's badger snapshot
	tree    *smt.Tree
	log     *treeAppender
	recs    *treeAppender
	parent  *pendingBlock // the uncommitted genesis, for the first block only
	params  genesis.Params
}

// base returns the state the next block builds on. Callers must call
// release on success.
func (a *App) base() (*blockBase, error) {
	var b blockBase
	var info *tlv1.CommitInfo
	if g := a.genesisBlock; g != nil {
		b = blockBase{reader: g.o, release: func() {}, tree: g.tree, parent: g, params: g.params}
		info = g.info
	} else {
		c := a.latest()
		if c == nil {
			return nil, fmt.Errorf("no state: InitChain was not called and nothing is committed")
		}
		v := a.st.viewAt(c.info.Height)
		b = blockBase{reader: committedMap{v: v, tree: c.tree}, release: v.discard, tree: c.tree, params: c.params}
		info = c.info
	}
	var err error
	if b.log, err = newTreeAppender("log", info.LogSize, info.LogRange); err == nil {
		b.recs, err = newTreeAppender("records tree", info.LogSize, info.RecordsRange)
	}
	if err != nil {
		b.release()
		return nil, err
	}
	return &b, nil
}

// FinalizeBlock executes the decided block in memory. Every transaction
// is re-validated; a rejected one gets its code in its result and changes
// nothing. The new app hash is returned; Commit persists it.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	b, err := a.base()
	if err != nil {
		return nil, err
	}
	defer b.release()
	reader, tree, lg, recs, parent, params := b.reader, b.tree, b.log, b.recs, b.parent, b.params
	chainID := a.chainID()
	a.preverifySignatures(reader, req.Txs, chainID) // bench (issue 8): parallel, outcome-neutral; see sigverify.go
	blk := newOverlay(reader, lg.size())
	timeMs := req.Time.UnixMilli()
	up, err := a.beginBlockUpgrade(blk, req.Height, timeMs)
	if err != nil {
		return nil, a.halt(err)
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		results[i] = a.deliverTx(blk, raw, req.Height, timeMs, chainID, params)
	}
	valUpdates, events, err := endBlock(&blockCtx{o: blk, height: req.Height, timeMs: timeMs, params: params})
	if err != nil {
		return nil, fmt.Errorf("end of block %d: %w", req.Height, err)
	}
	if p, ok, err := paramsIn(blk); err != nil {
		return nil, err
	} else if ok {
		params = p // a governance change takes effect from the next block
	}
	info := &tlv1.CommitInfo{Height: req.Height, TimeMs: timeMs, ChainId: chainID}
	pb, err := finishBlock(parent, blk, tree, lg, recs, info, params)
	if err != nil {
		return nil, err
	}
	pb.appVersion = up.version
	a.block = pb
	if a.crash(crashAfterFinalize) {
		return nil, errCrash
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: pb.info.AppHash, ValidatorUpdates: valUpdates,
		Events: append(up.events, events...), ConsensusParamUpdates: up.params}, nil
}

func (a *App) chainID() string {
	if g := a.genesisBlock; g != nil {
		return g.info.ChainId
	}
	if c := a.latest(); c != nil {
		return c.info.ChainId
	}
	return ""
}

// deliverTx executes one transaction atomically on top of blk.
func (a *App) deliverTx(blk *overlay, raw []byte, height, timeMs int64, chainID string, params genesis.Params) *abci.ExecTxResult {
	d, err := decodeTx(a.handlers, raw, chainID, params.MaxTxBytes, params.MaxMsgsPerTx)
	if err != nil {
		return txResult(err)
	}
	key, signer, err := authTx(blk, d, func(k *tlv1.Key) uint64 { return k.Sequence }, a.sigs.verified, a.sigv.verify)
	if err != nil {
		return txResult(err)
	}
	o := newOverlay(blk, blk.nextIndex())
	// The sequence is spent first, so a message that changes the signing
	// key itself (rotate_key, revoke_key) sees and keeps it.
	key.Sequence++
	if err := putProto(o, tlv1.KeyKey(key.Id), key); err != nil {
		return txResult(err)
	}
	var events []abci.Event
	for i, m := range d.body.Messages {
		mh := d.handlers[i]
		if err := mh.authorize(signer); err != nil {
			return txResult(msgErr(i, err))
		}
		c := &execCtx{o: o, height: height, timeMs: timeMs, txHash: d.hash, msgIndex: uint32(i), signer: signer, signerKey: key.Id,
			params: params, maxFutureMs: params.MaxEventFutureSkewSeconds * 1000}
		recs, err := mh.exec(c, m)
		if err != nil {
			return txResult(msgErr(i, err))
		}
		events = append(events, recordABCIEvents(mh.name, recs)...)
	}
	o.mergeInto(blk)
	return &abci.ExecTxResult{Code: uint32(tlv1.CodeOK), Events: events}
}

func msgErr(i int, err error) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Msg = fmt.Sprintf("messages[%d]: %s", i, e.Msg)
		c.Facts.Message = factU32(i)
		return &c
	}
	return fmt.Errorf("messages[%d]: %w", i, err)
}

// recordABCIEvent describes one appended record.
func recordABCIEvent(kind string, r recordedEvent) abci.Event {
	attrs := []abci.EventAttribute{
		{Key: tlv1.AttrKind, Value: kind, Index: true},
		{Key: tlv1.AttrIndex, Value: strconv.FormatUint(r.index, 10), Index: true},
	}
	for _, s := range r.subjects {
		attrs = append(attrs, abci.EventAttribute{Key: tlv1.AttrSubject, Value: s, Index: true})
	}
	return abci.Event{Type: tlv1.EventRecord, Attributes: attrs}
}

// recordABCIEvents describes the records one message appended.
func recordABCIEvents(kind string, recs []recordedEvent) []abci.Event {
	switch len(recs) {
	case 0:
		return nil
	case 1:
		return []abci.Event{recordABCIEvent(kind, recs[0])}
	}
	// One message appends its records one after another.
	return []abci.Event{{Type: tlv1.EventRecords, Attributes: []abci.EventAttribute{
		{Key: tlv1.AttrKind, Value: kind, Index: true},
		{Key: tlv1.AttrFirstIndex, Value: strconv.FormatUint(recs[0].index, 10), Index: true},
		{Key: tlv1.AttrCount, Value: strconv.Itoa(len(recs))},
	}}}
}

func txResult(err error) *abci.ExecTxResult {
	code := CodeOf(err)
	return &abci.ExecTxResult{Code: uint32(code), Codespace: tlv1.Codespace, Log: err.Error(), Data: rejectionData(err)}
}

// Commit persists the block executed by FinalizeBlock: map values, log
// records and nodes, history index and the commit marker, all at the
// block's height, in one batch.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	pb := a.block
	if pb == nil {
		return nil, fmt.Errorf("commit without a finalized block")
	}
	if a.crash(crashBeforeWrite) {
		return nil, errCrash
	}
	w := &write{}
	if pb.parent != nil {
		pb.parent.stage(w)
	}
	pb.stage(w)
	err := a.st.commit(w, pb.info, func() error {
		if a.crash(crashBeforeMarker) {
			return errCrash
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	next := &committed{info: pb.info, tree: pb.tree, params: pb.params, appVersion: pb.appVersion}
	if next.appVersion == 0 && a.cur != nil {
		next.appVersion = a.cur.appVersion
	}
	if next.appVersion != 0 {
		a.appVersion.Store(next.appVersion)
	}
	a.mu.Lock()
	a.prev, a.cur = a.cur, next
	a.genesisBlock = nil
	a.mu.Unlock()
	a.block = nil
	a.afterCommit(pb.info.Height) // a snapshot, on its own goroutine

	// The mempool is rechecked against the new state from scratch; the
	// values CheckTx cached move to the new height.
	from := int64(-1)
	if pb.parent == nil && a.prev != nil {
		from = a.prev.info.Height
	}
	a.checkMu.Lock()
	a.pool.committedBlock(from, pb.info.Height, pb.o.writes)
	a.checkMu.Unlock()

	if a.crash(crashAfterCommitWrite) {
		return nil, errCrash
	}
	return &abci.ResponseCommit{}, nil
}

// stage adds the block's storage writes to w, in a deterministic order.
func (pb *pendingBlock) stage(w *write) {
	for _, k := range pb.o.sortedWriteKeys() {
		if v := pb.o.writes[k]; v == nil {
			w.del(mapKey(k))
		} else {
			w.set(mapKey(k), v)
		}
	}
	for i, rec := range pb.o.records {
		idx := pb.o.firstIndex + uint64(i)
		w.set(recordKey(idx), rec)
		w.set(leafKey(pb.o.leafHashes[i]), u64(idx))
	}
	for _, n := range pb.log.nodes {
		w.set(nodeKey(n.level, n.index), n.hash)
	}
	for _, n := range pb.recs.nodes {
		w.set(recordsNodeKey(n.level, n.index), n.hash)
	}
	for _, h := range pb.o.history {
		w.set(historyKey(h.subject, h.n), u64(h.index))
	}
}

// CheckTx admits a transaction to the mempool after the cheap stateless
// checks, the signer and sequence checks against committed state plus the
// mempool's pending sequences, the messages' own rules, the signature, and
// authorization, in that order (cheap before expensive). A re-check of a
// transaction this node admitted before repeats only the stateful checks
// (see admission.go).
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	cs, err := a.checkState()
	if err != nil {
		return checkResult(err), nil
	}
	wantSeq := func(k *tlv1.Key) uint64 { // under checkMu
		if s, ok := a.pool.pendingSeq[k.Id]; ok {
			return s
		}
		return k.Sequence
	}
	var d *decodedTx
	if req.Type != abci.CheckTxType_Recheck {
		// Cheap checks before expensive ones (docs/ERRORS.md, "Order of
		// checks"): the stateless frame, then signer, key, participant and
		// sequence, and only then canonical form, the messages' own rules
		// (an EPCIS event's hash is recomputed) and, under the lock, the
		// signature.
		if d, err = decodeTxCheap(a.handlers, req.Tx, cs.chainID, cs.params.MaxTxBytes, cs.params.MaxMsgsPerTx); err != nil {
			return checkResult(err), nil
		}
		a.checkMu.Lock()
		r, release := a.checkReader(cs)
		_, _, err = authSigner(r, d.body.Signer, d.body.Sequence, wantSeq)
		release()
		a.checkMu.Unlock()
		if err != nil {
			return checkResult(err), nil
		}
		if err := d.canonical(); err != nil {
			return checkResult(err), nil
		}
		if err := d.validateMsgs(); err != nil {
			return checkResult(err), nil
		}
	}
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	r, release := a.checkReader(cs)
	defer release()
	if d == nil {
		ad, _ := a.pool.admitted.get(string(TxHash(req.Tx)))
		if ad != nil && int64(len(req.Tx)) <= cs.params.MaxTxBytes && uint32(len(ad.handlers)) <= cs.params.MaxMsgsPerTx {
			if err := recheck(r, ad, wantSeq); err != nil {
				return checkResult(err), nil
			}
			a.pool.pendingSeq[ad.signer] = ad.sequence + 1
			return &abci.ResponseCheckTx{Code: uint32(tlv1.CodeOK), GasWanted: 1}, nil
		}
		if d, err = decodeTx(a.handlers, req.Tx, cs.chainID, cs.params.MaxTxBytes, cs.params.MaxMsgsPerTx); err != nil {
			return checkResult(err), nil
		}
	}
	_, signer, err := authTx(r, d, wantSeq, a.sigs.verified, a.sigv.verify)
	if err != nil {
		return checkResult(err), nil
	}
	if err := authorizeAll(d.handlers, signer); err != nil {
		return checkResult(err), nil
	}
	a.sigs.add(d.hash, d.body.Signer)
	a.pool.admitted.add(string(d.hash), &admission{signer: d.body.Signer, sequence: d.body.Sequence, handlers: d.handlers})
	a.pool.pendingSeq[d.body.Signer] = d.body.Sequence + 1
	return &abci.ResponseCheckTx{Code: uint32(tlv1.CodeOK), GasWanted: 1}, nil
}

// checkStateOf is the state CheckTx checks against.
type checkStateOf struct {
	chainID string
	params  genesis.Params
	height  int64    // committed height, when genesis is nil
	genesis *overlay // InitChain's state before the first Commit
}

// checkState is the state CheckTx checks against: the latest commit, or
// the genesis state between InitChain and the first Commit (transactions can
// arrive before the first block).
func (a *App) checkState() (checkStateOf, error) {
	a.mu.RLock()
	c, g := a.cur, a.genesisBlock
	a.mu.RUnlock()
	switch {
	case c != nil:
		return checkStateOf{chainID: c.info.ChainId, params: c.params, height: c.info.Height}, nil
	case g != nil:
		return checkStateOf{chainID: g.info.ChainId, params: g.params, genesis: g.o}, nil
	default:
		return checkStateOf{}, rejectf(tlv1.CodeInternal, "node has no state yet (InitChain has not run); retry shortly")
	}
}

// checkReader reads the state cs names: committed values through the
// mempool's value cache (the caller holds checkMu), or the genesis overlay.
func (a *App) checkReader(cs checkStateOf) (mapReader, func()) {
	if cs.genesis != nil {
		return cs.genesis, func() {}
	}
	r := &committedReader{m: a.pool, height: cs.height, open: func() *view { return a.st.viewAt(cs.height) }}
	return r, r.close
}

func checkResult(err error) *abci.ResponseCheckTx {
	return &abci.ResponseCheckTx{Code: uint32(CodeOf(err)), Codespace: tlv1.Codespace, Log: err.Error(), Data: rejectionData(err)}
}
