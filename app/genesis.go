package app

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// GenesisSigner is the signer named in the records written at genesis.
const GenesisSigner = "genesis"

var roleByName = map[string]tlv1.Role{
	"department": tlv1.ROLE_DEPARTMENT,
	"enterprise": tlv1.ROLE_ENTERPRISE,
	"certifier":  tlv1.ROLE_CERTIFIER,
	"auditor":    tlv1.ROLE_AUDITOR,
}

// applyGenesis registers the founding departments and the initial
// participants, in the order the genesis file lists them, and stores the
// parameters.
func applyGenesis(o *overlay, st *genesis.AppState, timeMs int64) error {
	params, err := json.Marshal(st.Params)
	if err != nil {
		return fmt.Errorf("encode params: %w", err)
	}
	o.set(paramsKey, params)
	for _, d := range st.Departments {
		p := &tlv1.Participant{Id: d.ID, Name: d.Name, Role: tlv1.ROLE_DEPARTMENT, Department: d.ID, DivisionCode: d.DivisionCode}
		if err := register(o, p, d.AdminKeys, timeMs); err != nil {
			return err
		}
	}
	for _, gp := range st.Participants {
		role, ok := roleByName[gp.Role]
		if !ok {
			return fmt.Errorf("participant %q: unknown role %q", gp.ID, gp.Role)
		}
		p := &tlv1.Participant{Id: gp.ID, Name: gp.Name, Role: role, Department: gp.Department,
			CreditCode: gp.CreditCode, DivisionCode: gp.DivisionCode}
		if err := register(o, p, gp.Keys, timeMs); err != nil {
			return err
		}
	}
	return nil
}

// register writes a participant and its keys and appends the registration
// record to the participant's own history (subject "participant:<id>").
func register(o *overlay, p *tlv1.Participant, keys [][]byte, timeMs int64) error {
	p.Status = tlv1.PARTICIPANT_STATUS_ACTIVE
	for _, pub := range keys {
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("participant %q: key is %d bytes, want %d", p.Id, len(pub), ed25519.PublicKeySize)
		}
		id := KeyID(pub)
		p.Keys = append(p.Keys, id)
		k := &tlv1.Key{Id: id, PublicKey: pub, Participant: p.Id, Status: tlv1.KEY_STATUS_ACTIVE}
		if err := putProto(o, keyKey(id), k); err != nil {
			return err
		}
	}
	if err := putProto(o, participantKey(p.Id), p); err != nil {
		return err
	}
	rec := &tlv1.Record{TimeMs: timeMs, Signer: GenesisSigner, Body: &tlv1.Record_ParticipantRegistered{ParticipantRegistered: p}}
	_, err := o.appendRecord(rec, []string{ParticipantSubject(p.Id)})
	return err
}

// ParticipantSubject is the history subject of a participant's own records.
func ParticipantSubject(id string) string { return "participant:" + id }
