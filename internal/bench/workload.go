// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// EventsPerSubject is how many consecutive events of a lane share one
// subject (a lot's life: planting, harvest, shipping, receiving, retail).
const EventsPerSubject = 5

// Generator builds the transactions of one lane, in sequence order.
type Generator interface {
	// Next returns the lane's next n transactions.
	Next(n int) ([]PreTx, error)
}

// eventGen signs TraceLedger transactions of perTx RecordEvent messages
// each with one enterprise key.
type eventGen struct {
	chainID string
	key     ed25519.PrivateKey
	keyID   string
	lane    int
	perTx   int
	seq     uint64
	event   uint64 // events built so far
	epoch   time.Time
	// run makes subjects unique across runs on one ledger.
	run string
}

// NewEventGen returns a generator of transactions carrying perTx events
// each, signed by key starting at sequence seq. Subjects are valid SGTIN
// EPC URIs (see Subject), EventsPerSubject events each.
func NewEventGen(chainID string, key ed25519.PrivateKey, lane, perTx int, seq uint64, run string) Generator {
	return &eventGen{chainID: chainID, key: key, keyID: tlv1.KeyID(key.Public().(ed25519.PublicKey)), lane: lane, perTx: perTx, seq: seq,
		epoch: time.Now().Add(-time.Hour), run: run}
}

// Subject is the subject of a lane's n-th event: an SGTIN whose item
// reference is the lane and whose serial names the run (the ledger checks
// the EPC URI syntax, so the run, which may hold letters, is in the serial).
func Subject(run string, lane int, n uint64) string {
	return fmt.Sprintf("urn:epc:id:sgtin:6901234.%06d.%s-%d", lane, run, n/EventsPerSubject)
}

func (g *eventGen) Next(n int) ([]PreTx, error) {
	out := make([]PreTx, n)
	types := []string{"planting", "harvest", "shipping", "receiving", "retail"}
	for i := range out {
		msgs := make([]*tlv1.Msg, g.perTx)
		for m := range msgs {
			var seed [16]byte
			binary.BigEndian.PutUint64(seed[:8], uint64(g.lane))
			binary.BigEndian.PutUint64(seed[8:], g.event)
			payload := sha256.Sum256(append([]byte(g.run), seed[:]...))
			msgs[m] = &tlv1.Msg{Sum: &tlv1.Msg_RecordEvent{RecordEvent: &tlv1.RecordEvent{
				Subject:       Subject(g.run, g.lane, g.event),
				EventType:     types[g.event%EventsPerSubject],
				EventTimeMs:   g.epoch.UnixMilli(),
				PayloadSha256: payload[:],
				Note:          "bench",
			}}}
			g.event++
		}
		body := tlv1.TxBody{ChainId: g.chainID, Signer: g.keyID, Sequence: g.seq, Messages: msgs}
		bb, err := body.Marshal()
		if err != nil {
			return nil, fmt.Errorf("bench: encode tx body: %w", err)
		}
		tx := tlv1.Tx{BodyBytes: bb, Signature: ed25519.Sign(g.key, tlv1.SignBytes(bb))}
		raw, err := tx.Marshal()
		if err != nil {
			return nil, fmt.Errorf("bench: encode tx: %w", err)
		}
		out[i] = NewPreTx(raw, g.perTx)
		out[i].Seq = g.seq
		g.seq++
	}
	return out, nil
}

// kvGen builds kvstore transactions "k<lane>-<n>=<padding>" of exactly
// size bytes (distinct keys, so every one is a new entry).
type kvGen struct {
	lane int
	size int
	n    uint64
	run  string
}

// NewKVGen returns a generator of kvstore transactions of size bytes.
func NewKVGen(lane, size int, run string) Generator {
	return &kvGen{lane: lane, size: size, run: run}
}

func (g *kvGen) Next(n int) ([]PreTx, error) {
	out := make([]PreTx, n)
	for i := range out {
		key := fmt.Sprintf("%sk%03d-%d=", g.run, g.lane, g.n)
		if len(key)+1 > g.size {
			return nil, fmt.Errorf("bench: kvstore tx size %d is too small for key %q", g.size, key)
		}
		tx := make([]byte, g.size)
		copy(tx, key)
		for j := len(key); j < g.size; j++ {
			tx[j] = 'a' + byte((j+int(g.n))%26)
		}
		out[i] = NewPreTx(tx, 1)
		g.n++
	}
	return out, nil
}
