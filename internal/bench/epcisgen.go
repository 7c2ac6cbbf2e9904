// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// epcisTemplate is a one-event EPCIS 2.0 document (an ObjectEvent naming
// one SGTIN, a commissioning at a read point) from which hashed events are
// derived.
func epcisTemplate(at time.Time) string {
	return fmt.Sprintf(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": %q,
  "epcisBody": {"eventList": [{
    "type": "ObjectEvent", "eventTime": %q, "eventTimeZoneOffset": "+08:00",
    "epcList": ["urn:epc:id:sgtin:6901234.000012.1"], "action": "ADD",
    "bizStep": "commissioning", "disposition": "active",
    "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"}}]}}`,
		at.UTC().Format(time.RFC3339), at.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// batchGen signs TraceLedger transactions of one RecordEventBatch message
// of perTx hashed EPCIS events each (issue 4's batch message: all or
// nothing). Every event has its own Event Hash ID and payload hash and
// names one SGTIN; EventsPerSubject consecutive events share it.
type batchGen struct {
	chainID string
	key     ed25519.PrivateKey
	keyID   string
	lane    int
	perTx   int
	seq     uint64
	event   uint64
	run     string
	tmpl    *tlv1.RecordEPCISEvent
}

// NewEPCISBatchGen returns a generator of RecordEventBatch transactions of
// perTx hashed events each, signed by key from sequence seq.
func NewEPCISBatchGen(chainID string, key ed25519.PrivateKey, lane, perTx int, seq uint64, run string) (Generator, error) {
	pes, err := client.PrepareImport([]byte(epcisTemplate(time.Now().Add(-time.Hour))), epcis.FormatAuto, client.ImportHashed)
	if err != nil {
		return nil, fmt.Errorf("bench: EPCIS template: %w", err)
	}
	if len(pes) != 1 || pes[0].Msg.GetHashed() == nil || len(pes[0].Msg.GetHashed().Identifiers) == 0 {
		return nil, fmt.Errorf("bench: EPCIS template did not give one hashed event with an identifier")
	}
	return &batchGen{chainID: chainID, key: key, keyID: tlv1.KeyID(key.Public().(ed25519.PublicKey)), lane: lane, perTx: perTx, seq: seq, run: run, tmpl: pes[0].Msg}, nil
}

// EPCISSubject is the SGTIN of a lane's n-th batched event: numeric serials
// (run, lane, subject number), so that the identifier is a valid EPC URI.
func EPCISSubject(run string, lane int, n uint64) string {
	h := sha256.Sum256([]byte(run))
	return fmt.Sprintf("urn:epc:id:sgtin:6901234.000012.%d%04d%d", binary.BigEndian.Uint16(h[:2])%1000, lane, n/EventsPerSubject)
}

func (g *batchGen) Next(n int) ([]PreTx, error) {
	out := make([]PreTx, n)
	for i := range out {
		evs := make([]*tlv1.RecordEPCISEvent, g.perTx)
		for m := range evs {
			bz, err := g.tmpl.Marshal()
			if err != nil {
				return nil, err
			}
			var e tlv1.RecordEPCISEvent
			if err := e.Unmarshal(bz); err != nil {
				return nil, err
			}
			var seed [8]byte
			binary.BigEndian.PutUint64(seed[:], g.event)
			digest := sha256.Sum256(append([]byte(fmt.Sprintf("%s/%d/", g.run, g.lane)), seed[:]...))
			e.HashId = "ni:///sha-256;" + hex.EncodeToString(digest[:]) + "?ver=CBV2.0"
			hs := e.GetHashed()
			hs.Identifiers = []*tlv1.EventIdentifier{{Id: EPCISSubject(g.run, g.lane, g.event), Role: hs.Identifiers[0].Role}}
			payload := sha256.Sum256(digest[:])
			hs.PayloadSha256 = payload[:]
			evs[m] = &e
			g.event++
		}
		msg := &tlv1.Msg{Sum: &tlv1.Msg_RecordEventBatch{RecordEventBatch: &tlv1.RecordEventBatch{Events: evs}}}
		body := tlv1.TxBody{ChainId: g.chainID, Signer: g.keyID, Sequence: g.seq, Messages: []*tlv1.Msg{msg}}
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
