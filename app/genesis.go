// SPDX-License-Identifier: Apache-2.0

package app

import (
	"crypto/ed25519"
	"fmt"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/traceledger/traceledger/genesis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// GenesisSigner is the signer named in the records written at genesis.
const GenesisSigner = "genesis"

// applyGenesis registers the founding departments and the initial
// participants, in the order the genesis file lists them, and stores the
// parameters and the governance state: each department's validator
// ("department/<id>"), the set of active departments ("gov/departments")
// and the proposal counter ("gov/state").
func applyGenesis(o *overlay, st *genesis.AppState, timeMs int64) error {
	params, err := encodeParams(st.Params)
	if err != nil {
		return err
	}
	o.set(tlv1.KeyParams, params)
	rec := func() *tlv1.Record { return &tlv1.Record{TimeMs: timeMs, Signer: GenesisSigner} }
	set := &tlv1.DepartmentSet{}
	for _, d := range st.Departments {
		if reservedID(d.ID) {
			return fmt.Errorf("department %q: the id is reserved", d.ID)
		}
		p := &tlv1.Participant{Id: d.ID, Name: d.Name, Role: tlv1.ROLE_DEPARTMENT, Department: d.ID, DivisionCode: d.DivisionCode}
		if _, err := register(o, p, d.AdminKeys, rec(), 0); err != nil {
			return err
		}
		if len(d.ValidatorPubKey) != ed25519.PublicKeySize || d.Power <= 0 {
			return fmt.Errorf("department %q: validator key of %d bytes with power %d", d.ID, len(d.ValidatorPubKey), d.Power)
		}
		recordValidatorKey(o, d.ValidatorPubKey, d.ID)
		dv := &tlv1.Department{Id: d.ID, ValidatorPubKey: d.ValidatorPubKey, Power: d.Power, Status: tlv1.DEPARTMENT_STATUS_ACTIVE}
		if err := putProto(o, tlv1.DepartmentKey(d.ID), dv); err != nil {
			return err
		}
		set.Ids = append(set.Ids, d.ID)
	}
	slices.Sort(set.Ids)
	if err := putProto(o, tlv1.KeyDepartments, set); err != nil {
		return err
	}
	if err := putProto(o, tlv1.KeyGovernanceState, &tlv1.GovernanceState{NextProposalId: 1}); err != nil {
		return err
	}
	for _, gp := range st.Participants {
		role, ok := tlv1.RoleByName(gp.Role)
		if !ok || role == tlv1.ROLE_DEPARTMENT {
			return fmt.Errorf("participant %q: unknown role %q", gp.ID, gp.Role)
		}
		if reservedID(gp.ID) {
			return fmt.Errorf("participant %q: the id is reserved", gp.ID)
		}
		p := &tlv1.Participant{Id: gp.ID, Name: gp.Name, Role: role, Department: gp.Department,
			CreditCode: gp.CreditCode, DivisionCode: gp.DivisionCode}
		if _, err := register(o, p, gp.Keys, rec(), 0); err != nil {
			return err
		}
	}
	return nil
}

// register writes a new participant, its keys and its credit-code index
// entry, and appends the registration record rec (stamped by the caller) to
// the participant's own history (subject "participant:<id>"). It returns
// the record's log index. Callers check for duplicates first; register
// reports any it finds as plain errors.
func register(o *overlay, p *tlv1.Participant, keys [][]byte, rec *tlv1.Record, height int64) (uint64, error) {
	p.Status = tlv1.PARTICIPANT_STATUS_ACTIVE
	p.RegisteredHeight = height
	p.StatusHeight = height
	if v, err := o.mapValue(tlv1.ParticipantKey(p.Id)); err != nil {
		return 0, err
	} else if v != nil {
		return 0, fmt.Errorf("participant %q is registered twice", p.Id)
	}
	for _, pub := range keys {
		if len(pub) != ed25519.PublicKeySize {
			return 0, fmt.Errorf("participant %q: key is %d bytes, want %d", p.Id, len(pub), ed25519.PublicKeySize)
		}
		id := tlv1.KeyID(pub)
		if v, err := o.mapValue(tlv1.KeyKey(id)); err != nil {
			return 0, err
		} else if v != nil {
			return 0, fmt.Errorf("participant %q: key %s is registered twice", p.Id, id)
		}
		p.Keys = append(p.Keys, id)
		k := &tlv1.Key{Id: id, PublicKey: pub, Participant: p.Id, Status: tlv1.KEY_STATUS_ACTIVE, AddedHeight: height}
		if err := putProto(o, tlv1.KeyKey(id), k); err != nil {
			return 0, err
		}
	}
	if p.CreditCode != "" {
		ck := tlv1.CreditCodeKey(p.CreditCode)
		if v, err := o.mapValue(ck); err != nil {
			return 0, err
		} else if v != nil {
			return 0, fmt.Errorf("participant %q: credit code %s is already registered to %q", p.Id, p.CreditCode, v)
		}
		o.set(ck, []byte(p.Id))
	}
	if err := putProto(o, tlv1.ParticipantKey(p.Id), p); err != nil {
		return 0, err
	}
	rec.Body = &tlv1.Record_ParticipantRegistered{ParticipantRegistered: p}
	return o.appendRecord(rec, []string{tlv1.ParticipantSubject(p.Id)})
}

// ValidateGenesisState checks an app state as InitChain would load it: the
// rules of genesis.Validate, then the state machine's own (credit codes
// unique across participants, reserved ids). `traceledger genesis validate`
// runs it so a department learns of a problem before starting its node.
func ValidateGenesisState(st genesis.AppState) error {
	if err := genesis.Validate(st); err != nil {
		return err
	}
	if err := applyGenesis(newOverlay(emptyReader{}, 0), &st, 0); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	return nil
}

// checkGenesisValidators checks that CometBFT's genesis validators (given to
// InitChain) are exactly the departments' validator keys and powers: the
// validator updates of governance are computed from the departments, so
// the two sets must start equal. An empty list (tests that drive the app
// directly) is not checked.
func checkGenesisValidators(vals []abci.ValidatorUpdate, st *genesis.AppState) error {
	if len(vals) == 0 {
		return nil
	}
	want := map[string]int64{}
	for _, d := range st.Departments {
		want[string(d.ValidatorPubKey)] = d.Power
	}
	if len(vals) != len(want) {
		return fmt.Errorf("genesis has %d validators but %d departments: the validators must be exactly the departments", len(vals), len(want))
	}
	for i, v := range vals {
		pk := v.PubKey.GetEd25519()
		power, ok := want[string(pk)]
		switch {
		case len(pk) != ed25519.PublicKeySize:
			return fmt.Errorf("genesis validators[%d] is not an Ed25519 key", i)
		case !ok:
			return fmt.Errorf("genesis validators[%d] (%s) is no department's validator key", i, tlv1.KeyID(pk))
		case power != v.Power:
			return fmt.Errorf("genesis validators[%d] (%s) has power %d, its department %d", i, tlv1.KeyID(pk), v.Power, power)
		}
	}
	return nil
}
