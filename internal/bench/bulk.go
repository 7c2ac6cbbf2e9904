// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/types"

	"github.com/traceledger/traceledger/app"
	"github.com/traceledger/traceledger/genesis"
	"github.com/traceledger/traceledger/node"
	"github.com/traceledger/traceledger/testnet"
)

// BulkStats describes a bulk load.
type BulkStats struct {
	Events  int     `json:"events"`
	Blocks  int64   `json:"blocks"`
	Seconds float64 `json:"seconds"`
	// CopySeconds is the time to copy the database into every home.
	CopySeconds float64 `json:"copy_seconds"`
	AppHash     string  `json:"app_hash"`
}

// BulkLoad gives a freshly initialised (never started) TraceLedger network
// a ledger of events events. It is honest about what it measures: it runs
// the application itself, not the network — app.New on a scratch database,
// InitChain with the network's genesis, then FinalizeBlock and Commit of
// blocks of perBlock pre-signed transactions of 1,000 events each, signed
// by keys (every transaction decoded, authenticated, its signature
// verified, executed, appended to the log and the map, and persisted, as
// in a node; no consensus, no CometBFT block store, no mempool). It then
// copies that database into every home and rewrites the genesis document
// so that CometBFT starts at the next height on top of it: initial_height
// is the next height and app_hash the ledger's app hash (CometBFT's
// handshake then skips InitChain and checks the app hash, as after a
// genesis export). Seconds counts the application's work only.
func BulkLoad(ctx context.Context, cl *Cluster, events int, keys []ed25519.PrivateKey, run string, logf func(string, ...any)) (BulkStats, error) {
	const perTx, txPerBlock = 1000, 10
	var st BulkStats
	if cl.Kind != KindTraceLedger {
		return st, fmt.Errorf("bench: bulk load needs a TraceLedger network")
	}
	scratch := filepath.Join(cl.Dir, "bulk.badger")
	a, err := app.New(app.Options{Dir: scratch})
	if err != nil {
		return st, err
	}
	closed := false
	defer func() {
		if !closed {
			a.Close()
		}
	}()
	doc := cl.Genesis
	// Block times end before the genesis time, one millisecond apart per
	// block, so the network's own blocks come after them.
	blocks := int64((events + perTx*txPerBlock - 1) / (perTx * txPerBlock))
	t0 := doc.GenesisTime.Add(-time.Duration(blocks+1) * time.Millisecond)
	start := time.Now()
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: doc.ChainID, Time: t0, InitialHeight: 1, AppStateBytes: doc.AppState}); err != nil {
		return st, fmt.Errorf("bench: bulk InitChain: %w", err)
	}
	gens := make([]Generator, len(keys))
	for i, k := range keys {
		gens[i] = NewEventGen(doc.ChainID, k, 1000+i, perTx, 0, run+"b")
	}
	var hash []byte
	done := 0
	for h := int64(1); done < events; h++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		txs := make([][]byte, 0, txPerBlock)
		for t := 0; t < txPerBlock && done < events; t++ {
			p, err := gens[(int(h)*txPerBlock+t)%len(gens)].Next(1)
			if err != nil {
				return st, err
			}
			txs = append(txs, p[0].Raw)
			done += perTx
		}
		res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: h, Time: t0.Add(time.Duration(h) * time.Millisecond), Txs: txs})
		if err != nil {
			return st, fmt.Errorf("bench: bulk block %d: %w", h, err)
		}
		for i, r := range res.TxResults {
			if r.Code != 0 {
				return st, fmt.Errorf("bench: bulk block %d tx %d rejected: %s", h, i, r.Log)
			}
		}
		if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
			return st, fmt.Errorf("bench: bulk commit %d: %w", h, err)
		}
		hash, st.Blocks = res.AppHash, h
		if h%100 == 0 && logf != nil {
			logf("  bulk: %d events, height %d, %.0f events/s", done, h, float64(done)/time.Since(start).Seconds())
		}
	}
	st.Events = done
	closed = true
	if err := a.Close(); err != nil {
		return st, err
	}
	st.Seconds = time.Since(start).Seconds()
	st.AppHash = fmt.Sprintf("%X", hash)

	doc.InitialHeight = st.Blocks + 1
	doc.AppHash = hash
	c0 := time.Now()
	for _, n := range cl.Nodes {
		dst := node.AppDBDir(n.Home)
		if err := os.RemoveAll(dst); err != nil {
			return st, fmt.Errorf("bench: %w", err)
		}
		if out, err := exec.CommandContext(ctx, "cp", "-r", scratch, dst).CombinedOutput(); err != nil {
			return st, fmt.Errorf("bench: copy the bulk database to %s: %w\n%s", n.Home, err, out)
		}
		if err := genesis.Save(doc, filepath.Join(n.Home, "config", "genesis.json")); err != nil {
			return st, fmt.Errorf("bench: %w", err)
		}
		if err := saveGenesisState(n.Home, doc); err != nil {
			return st, err
		}
	}
	if err := genesis.Save(doc, filepath.Join(cl.Dir, testnet.GenesisFile)); err != nil {
		return st, fmt.Errorf("bench: %w", err)
	}
	st.CopySeconds = time.Since(c0).Seconds()
	return st, os.RemoveAll(scratch)
}

// saveGenesisState writes CometBFT's initial state (from doc) into the
// home's state database. A node normally derives it from the genesis and
// saves it in InitChain's path of the handshake; a node whose application
// is already past genesis skips that path and would find no state (no
// validators) after it, so the state is saved here beforehand.
func saveGenesisState(home string, doc *types.GenesisDoc) error {
	conf, err := node.LoadConfig(home)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	state, err := sm.MakeGenesisState(doc)
	if err != nil {
		return fmt.Errorf("bench: genesis state: %w", err)
	}
	db, err := dbm.NewDB("state", dbm.BackendType(conf.DBBackend), conf.DBDir())
	if err != nil {
		return fmt.Errorf("bench: open state database of %s: %w", home, err)
	}
	defer db.Close()
	if err := sm.NewStore(db, sm.StoreOptions{}).Save(state); err != nil {
		return fmt.Errorf("bench: save genesis state of %s: %w", home, err)
	}
	return nil
}
