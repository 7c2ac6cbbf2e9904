// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// MaxFileSize is the largest genesis file Read accepts.
const MaxFileSize = 64 << 20

// EncodeAppState returns the canonical app_state encoding of st: compact
// encoding/json output, fields in declaration order, nil lists as [].
func EncodeAppState(st AppState) (json.RawMessage, error) {
	st = normalize(st)
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("genesis: encode app_state: %w", err)
	}
	return b, nil
}

// normalize returns a copy of st whose lists are non-nil, so that they
// encode as [] rather than null.
func normalize(st AppState) AppState {
	out := AppState{Params: st.Params}
	out.Departments = make([]Department, len(st.Departments))
	for i, d := range st.Departments {
		if d.AdminKeys == nil {
			d.AdminKeys = [][]byte{}
		}
		out.Departments[i] = d
	}
	out.Participants = make([]Participant, len(st.Participants))
	for i, p := range st.Participants {
		if p.Keys == nil {
			p.Keys = [][]byte{}
		}
		out.Participants[i] = p
	}
	return out
}

// AppStateFrom decodes the app_state of doc strictly: it must be one JSON
// object with no unknown fields and nothing after it. It does not apply the
// rules of Validate.
func AppStateFrom(doc *types.GenesisDoc) (*AppState, error) {
	if doc == nil {
		return nil, errors.New("genesis: nil document")
	}
	st, err := decodeAppState(doc.AppState)
	if err != nil {
		return nil, fmt.Errorf("genesis: app_state: %w", err)
	}
	return st, nil
}

func decodeAppState(raw []byte) (*AppState, error) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("missing")
	}
	if trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var st AppState
	if err := dec.Decode(&st); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return &st, nil
}

// validatorsOf derives the CometBFT validator set from the departments. A
// key of the wrong size gets no address; ValidateDoc reports it.
func validatorsOf(st AppState) []types.GenesisValidator {
	vals := make([]types.GenesisValidator, len(st.Departments))
	for i, d := range st.Departments {
		pk := cmted25519.PubKey(bytes.Clone(d.ValidatorPubKey))
		vals[i] = types.GenesisValidator{PubKey: pk, Power: d.Power, Name: d.ID}
		if len(pk) == cmted25519.PubKeySize {
			vals[i].Address = pk.Address()
		}
	}
	return vals
}

func checkChainID(chainID string) error {
	switch {
	case chainID == "":
		return errors.New("chain id is required")
	case len(chainID) > types.MaxChainIDLen:
		return fmt.Errorf("chain id is %d characters, at most %d allowed", len(chainID), types.MaxChainIDLen)
	}
	return nil
}

// New returns a draft genesis document with no departments or participants
// and the default parameters, to be filled with AddDepartment and
// AddParticipant. It does not pass ValidateDoc until a department is added.
func New(chainID string, genesisTime time.Time) (*types.GenesisDoc, error) {
	return build(chainID, genesisTime, AppState{Params: DefaultParams()})
}

// NewDoc returns the genesis document of a validated app state: the
// validators are the departments (Ed25519 keys, names = department ids),
// app_state is EncodeAppState(st), consensus parameters are CometBFT's
// defaults, the initial height is 1 and the time is genesisTime in UTC.
func NewDoc(chainID string, genesisTime time.Time, st AppState) (*types.GenesisDoc, error) {
	if err := Validate(st); err != nil {
		return nil, err
	}
	doc, err := build(chainID, genesisTime, st)
	if err != nil {
		return nil, err
	}
	if _, err := ValidateDoc(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func build(chainID string, genesisTime time.Time, st AppState) (*types.GenesisDoc, error) {
	if err := checkChainID(chainID); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	if genesisTime.IsZero() {
		return nil, errors.New("genesis: genesis time is required")
	}
	raw, err := EncodeAppState(st)
	if err != nil {
		return nil, err
	}
	cp := types.DefaultConsensusParams()
	cp.Block.MaxBytes = DefaultBlockMaxBytes
	doc := &types.GenesisDoc{
		GenesisTime:     genesisTime.Round(0).UTC(),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: cp,
		Validators:      validatorsOf(normalize(st)),
		AppState:        raw,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	return doc, nil
}

// ValidateDoc checks a whole genesis document and returns its app state:
// the chain id, a genesis time, a non-negative initial height and valid
// consensus parameters that admit Ed25519 validator keys and blocks of at
// least params.max_tx_bytes; an app_state that decodes strictly and passes
// Validate; and validators that are exactly the departments, in order
// (validators[i] has departments[i]'s key, power and id as name, and the
// address of that key). Rule violations are reported as by Validate.
func ValidateDoc(doc *types.GenesisDoc) (*AppState, error) {
	if doc == nil {
		return nil, errors.New("genesis: nil document")
	}
	var p problems
	if err := checkChainID(doc.ChainID); err != nil {
		p.add("chain_id", err)
	}
	if doc.GenesisTime.IsZero() {
		p.addf("genesis_time", "is required")
	}
	if doc.InitialHeight < 0 {
		p.addf("initial_height", "must not be negative, got %d", doc.InitialHeight)
	}
	st, err := AppStateFrom(doc)
	if err != nil {
		return nil, err
	}
	if err := Validate(*st); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		p = append(p, ve.Problems...)
	}
	if cp := doc.ConsensusParams; cp != nil {
		if err := cp.ValidateBasic(); err != nil {
			p.add("consensus_params", err)
		}
		if !types.IsValidPubkeyType(cp.Validator, types.ABCIPubKeyTypeEd25519) {
			p.addf("consensus_params.validator.pub_key_types", "must include %s", types.ABCIPubKeyTypeEd25519)
		}
		if maxBytes := cp.Block.MaxBytes; maxBytes > 0 && st.Params.MaxTxBytes > maxBytes {
			p.addf("params.max_tx_bytes", "%d exceeds consensus_params.block.max_bytes %d", st.Params.MaxTxBytes, maxBytes)
		}
	}
	checkValidators(&p, doc.Validators, st.Departments)
	if err := p.err(); err != nil {
		return nil, err
	}
	return st, nil
}

func checkValidators(p *problems, vals []types.GenesisValidator, depts []Department) {
	if len(vals) != len(depts) {
		p.addf("validators", "has %d entries, want one per department (%d)", len(vals), len(depts))
		return
	}
	for i, v := range vals {
		f := fmt.Sprintf("validators[%d]", i)
		d := depts[i]
		pk, ok := v.PubKey.(cmted25519.PubKey)
		switch {
		case !ok:
			p.addf(f+".pub_key", "must be an Ed25519 key")
		case len(pk) != cmted25519.PubKeySize:
			p.addf(f+".pub_key", "is %d bytes, want %d", len(pk), cmted25519.PubKeySize)
		case !bytes.Equal(pk, d.ValidatorPubKey):
			p.addf(f+".pub_key", "does not match departments[%d].validator_pub_key", i)
		case len(v.Address) > 0 && !bytes.Equal(v.Address, pk.Address()):
			p.addf(f+".address", "does not match its public key")
		}
		if v.Power != d.Power {
			p.addf(f+".power", "is %d, departments[%d].power is %d", v.Power, i, d.Power)
		}
		if v.Name != d.ID {
			p.addf(f+".name", "is %q, want the department id %q", v.Name, d.ID)
		}
	}
}

// ParseDoc decodes a genesis file as CometBFT does (cmtjson) and completes
// its defaults (initial height 1, default consensus parameters, validator
// addresses). Unlike CometBFT it rejects a missing genesis_time instead of
// using the current time, and validator keys other than 32-byte Ed25519
// keys. It does not apply TraceLedger's rules.
func ParseDoc(data []byte) (*types.GenesisDoc, error) {
	var doc types.GenesisDoc
	if err := cmtjson.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("genesis: decode: %w", err)
	}
	if doc.GenesisTime.IsZero() {
		return nil, errors.New("genesis: genesis_time is missing")
	}
	for i, v := range doc.Validators {
		if pk, ok := v.PubKey.(cmted25519.PubKey); !ok || len(pk) != cmted25519.PubKeySize {
			return nil, fmt.Errorf("genesis: validators[%d].pub_key must be a %d-byte Ed25519 key", i, cmted25519.PubKeySize)
		}
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	return &doc, nil
}

// Read reads a genesis file with ParseDoc, without applying TraceLedger's
// rules; editing commands use it to load drafts made by New.
func Read(path string) (*types.GenesisDoc, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := ParseDoc(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("genesis: read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("genesis: %s is larger than %d bytes", path, MaxFileSize)
	}
	return data, nil
}

// Load reads a genesis file and checks it with ValidateDoc.
func Load(path string) (*types.GenesisDoc, *AppState, error) {
	doc, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := ValidateDoc(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, st, nil
}

// Encode returns the file form of doc: cmtjson with two-space indentation
// and a final newline, as Save writes it.
func Encode(doc *types.GenesisDoc) ([]byte, error) {
	if doc == nil {
		return nil, errors.New("genesis: nil document")
	}
	b, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("genesis: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// Save writes doc to path as Encode does, with mode 0644, atomically: it
// writes a temporary file in the same directory, syncs it and renames it
// over path. It does not validate doc, so drafts can be saved.
func Save(doc *types.GenesisDoc, path string) (err error) {
	data, err := Encode(doc)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("genesis: save: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("genesis: save: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("genesis: save: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("genesis: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("genesis: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("genesis: save: %w", err)
	}
	return nil
}

// AddDepartment appends d to the departments of doc and its validator to the
// validator set. The resulting document must pass ValidateDoc; if it does
// not, doc is left unchanged and the error lists the problems.
func AddDepartment(doc *types.GenesisDoc, d Department) error {
	return edit(doc, func(st *AppState) { st.Departments = append(slices.Clone(st.Departments), d) })
}

// AddParticipant appends p to the participants of doc. The resulting
// document must pass ValidateDoc; if it does not, doc is left unchanged and
// the error lists the problems.
func AddParticipant(doc *types.GenesisDoc, p Participant) error {
	return edit(doc, func(st *AppState) { st.Participants = append(slices.Clone(st.Participants), p) })
}

// edit applies change to the app state of doc and, if the result passes
// ValidateDoc, stores it with the validator set derived from it.
func edit(doc *types.GenesisDoc, change func(*AppState)) error {
	st, err := AppStateFrom(doc)
	if err != nil {
		return err
	}
	change(st)
	raw, err := EncodeAppState(*st)
	if err != nil {
		return err
	}
	next := *doc
	next.AppState = raw
	next.Validators = validatorsOf(normalize(*st))
	if _, err := ValidateDoc(&next); err != nil {
		return err
	}
	doc.AppState = next.AppState
	doc.Validators = next.Validators
	return nil
}
