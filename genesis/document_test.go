// SPDX-License-Identifier: Apache-2.0

package genesis

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/secp256k1"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

var genesisTime = time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newTestDoc(t *testing.T) *types.GenesisDoc {
	t.Helper()
	doc, err := NewDoc("traceledger-test-1", genesisTime, validState())
	if err != nil {
		t.Fatalf("NewDoc: %v", err)
	}
	return doc
}

func mustHash(t *testing.T, doc *types.GenesisDoc) string {
	t.Helper()
	h, err := Hash(doc)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return h
}

func TestNewDoc(t *testing.T) {
	doc := newTestDoc(t)
	st := validState()
	if doc.ChainID != "traceledger-test-1" || doc.InitialHeight != 1 {
		t.Errorf("chain id %q, initial height %d", doc.ChainID, doc.InitialHeight)
	}
	if !doc.GenesisTime.Equal(genesisTime) || doc.GenesisTime.Location() != time.UTC {
		t.Errorf("genesis time = %v, want %v in UTC", doc.GenesisTime, genesisTime)
	}
	wantParams := types.DefaultConsensusParams()
	wantParams.Block.MaxBytes = DefaultBlockMaxBytes
	if !reflect.DeepEqual(doc.ConsensusParams, wantParams) {
		t.Errorf("consensus params are not CometBFT's defaults with TraceLedger's block size")
	}
	if len(doc.Validators) != len(st.Departments) {
		t.Fatalf("%d validators, want %d", len(doc.Validators), len(st.Departments))
	}
	for i, v := range doc.Validators {
		d := st.Departments[i]
		pk := cmted25519.PubKey(d.ValidatorPubKey)
		if v.Name != d.ID || v.Power != d.Power || !v.PubKey.Equals(pk) || !bytes.Equal(v.Address, pk.Address()) {
			t.Errorf("validators[%d] = %+v, want department %s", i, v, d.ID)
		}
	}
	want, err := EncodeAppState(st)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.AppState, want) {
		t.Errorf("app_state = %s\nwant %s", doc.AppState, want)
	}
	got, err := AppStateFrom(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, st) {
		t.Errorf("AppStateFrom = %+v\nwant %+v", *got, st)
	}
	// The genesis doc is one CometBFT accepts as it is.
	again := *doc
	if err := again.ValidateAndComplete(); err != nil {
		t.Errorf("ValidateAndComplete: %v", err)
	}
	if !bytes.Equal(doc.ValidatorHash(), types.NewValidatorSet([]*types.Validator{
		types.NewValidator(cmted25519.PubKey(st.Departments[0].ValidatorPubKey), 10),
		types.NewValidator(cmted25519.PubKey(st.Departments[1].ValidatorPubKey), 10),
	}).Hash()) {
		t.Error("validator hash differs from the departments' set")
	}
}

func TestNewDocErrors(t *testing.T) {
	bad := validState()
	bad.Participants[0].CreditCode = "91350100M000100Y47"
	tests := []struct {
		name    string
		chainID string
		time    time.Time
		st      AppState
		want    string
	}{
		{"empty chain id", "", genesisTime, validState(), "chain id is required"},
		{"long chain id", strings.Repeat("c", 51), genesisTime, validState(), "chain id is 51 characters, at most 50"},
		{"zero time", "c", time.Time{}, validState(), "genesis time is required"},
		{"invalid state", "c", genesisTime, bad, "participants[0].credit_code: check digit is 7, want 3"},
		{"empty state", "c", genesisTime, AppState{Params: DefaultParams()}, "departments: at least one department is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDoc(tt.chainID, tt.time, tt.st)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewDoc = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	doc := newTestDoc(t)
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := Save(doc, path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %o, want 644", st.Mode().Perm())
	}
	loaded, appState, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(*appState, validState()) {
		t.Errorf("loaded app state = %+v", *appState)
	}
	if h1, h2 := mustHash(t, doc), mustHash(t, loaded); h1 != h2 {
		t.Errorf("hash changed by Save/Load: %s != %s", h1, h2)
	}
	h, err := HashFile(path)
	if err != nil || h != mustHash(t, doc) {
		t.Errorf("HashFile = %s, %v", h, err)
	}
	// CometBFT itself reads the file to the same document.
	cmtDoc, err := types.GenesisDocFromFile(path)
	if err != nil {
		t.Fatalf("CometBFT cannot read the file: %v", err)
	}
	if mustHash(t, cmtDoc) != mustHash(t, doc) {
		t.Error("CometBFT reads a different document")
	}
	// Saving what was loaded gives the same bytes.
	path2 := filepath.Join(t.TempDir(), "again.json")
	if err := Save(loaded, path2); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(path)
	b2, _ := os.ReadFile(path2)
	if !bytes.Equal(b1, b2) {
		t.Error("Save(Load(Save(doc))) differs from Save(doc)")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want only genesis.json", len(entries))
	}
}

func TestHashStableAcrossEncodings(t *testing.T) {
	doc := newTestDoc(t)
	want := mustHash(t, doc)
	compact, err := cmtjson.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	indented, err := Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	var tabbed bytes.Buffer
	if err := json.Indent(&tabbed, compact, "", "\t"); err != nil {
		t.Fatal(err)
	}
	// app_state pretty-printed inside the file, and CRLF line ends.
	var prettyApp bytes.Buffer
	if err := json.Indent(&prettyApp, doc.AppState, "    ", "  "); err != nil {
		t.Fatal(err)
	}
	withPrettyApp := bytes.Replace(compact, doc.AppState, prettyApp.Bytes(), 1)
	if bytes.Equal(withPrettyApp, compact) {
		t.Fatal("test setup: app_state not found in the file")
	}
	crlf := bytes.ReplaceAll(indented, []byte("\n"), []byte("\r\n"))
	for name, data := range map[string][]byte{
		"compact": compact, "indented": indented, "tabs": tabbed.Bytes(), "pretty app_state": withPrettyApp, "crlf": crlf,
	} {
		t.Run(name, func(t *testing.T) {
			d, err := ParseDoc(data)
			if err != nil {
				t.Fatalf("ParseDoc: %v", err)
			}
			if _, err := ValidateDoc(d); err != nil {
				t.Fatalf("ValidateDoc: %v", err)
			}
			if got := mustHash(t, d); got != want {
				t.Fatalf("hash %s, want %s", got, want)
			}
		})
	}
	// The same instant in another zone is the same document.
	other, err := NewDoc(doc.ChainID, genesisTime.In(time.UTC), validState())
	if err != nil {
		t.Fatal(err)
	}
	if mustHash(t, other) != want {
		t.Error("hash depends on the time zone of genesisTime")
	}
	if len(want) != 64 || strings.ToLower(want) != want {
		t.Errorf("hash %q is not 64 lower-case hex digits", want)
	}
}

func TestHashCanonicalBytes(t *testing.T) {
	doc := newTestDoc(t)
	b, err := canonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, frag := range []string{
		`{"genesis_time":"2026-03-01T00:00:00Z","chain_id":"traceledger-test-1","initial_height":"1","consensus_params":{`,
		`"validators":[{"address":"` + cmted25519.PubKey(key(1)).Address().String() + `","pub_key":{"type":"tendermint/PubKeyEd25519","value":"`,
		`"power":"10","name":"agri"}`,
		`"app_hash":"","app_state":{"departments":[{"id":"agri",`,
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("canonical form lacks %s\n%s", frag, s)
		}
	}
	if strings.ContainsAny(s, "\n\t") {
		t.Error("canonical form has whitespace")
	}
}

func TestHashChangesWithAnyEdit(t *testing.T) {
	base := newTestDoc(t)
	baseHash := mustHash(t, base)
	edits := map[string]func(doc *types.GenesisDoc){
		"chain id":      func(doc *types.GenesisDoc) { doc.ChainID = "traceledger-test-2" },
		"genesis time":  func(doc *types.GenesisDoc) { doc.GenesisTime = doc.GenesisTime.Add(time.Nanosecond) },
		"initial value": func(doc *types.GenesisDoc) { doc.InitialHeight = 2 },
		"consensus": func(doc *types.GenesisDoc) {
			cp := *doc.ConsensusParams
			cp.Block.MaxBytes--
			doc.ConsensusParams = &cp
		},
		"validator power": func(doc *types.GenesisDoc) {
			vals := append([]types.GenesisValidator(nil), doc.Validators...)
			vals[0].Power++
			doc.Validators = vals
		},
		"app hash": func(doc *types.GenesisDoc) { doc.AppHash = []byte{1} },
		"param": func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`"max_tx_bytes":262144`), []byte(`"max_tx_bytes":262145`), 1)
		},
		"app_state key order": func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`"id":"agri","name":"Agriculture Bureau"`), []byte(`"name":"Agriculture Bureau","id":"agri"`), 1)
		},
		"add participant": func(doc *types.GenesisDoc) {
			err := AddParticipant(doc, Participant{ID: "new", Name: "New", Role: RoleAuditor, Department: "agri", Keys: [][]byte{key(300)}})
			if err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			doc := *base
			doc.AppState = bytes.Clone(base.AppState)
			before := string(doc.AppState)
			edit(&doc)
			if name != "app_state key order" && name != "param" && name != "add participant" && string(doc.AppState) != before {
				t.Fatal("test setup: edit changed app_state")
			}
			if string(doc.AppState) == before && (name == "param" || name == "app_state key order") {
				t.Fatal("test setup: edit did not apply")
			}
			if mustHash(t, &doc) == baseHash {
				t.Fatalf("hash unchanged by %s", name)
			}
		})
	}
	if mustHash(t, base) != baseHash {
		t.Fatal("edits changed the base document")
	}
}

func TestNewAndEdit(t *testing.T) {
	doc, err := New("traceledger-1", genesisTime)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if len(doc.Validators) != 0 {
		t.Fatalf("new doc has %d validators", len(doc.Validators))
	}
	if _, err := ValidateDoc(doc); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "at least one department") {
		t.Fatalf("ValidateDoc of a draft = %v", err)
	}
	st, err := AppStateFrom(doc)
	if err != nil {
		t.Fatal(err)
	}
	if st.Params != DefaultParams() || len(st.Departments) != 0 || len(st.Participants) != 0 {
		t.Fatalf("draft app state = %+v", st)
	}
	if !strings.Contains(string(doc.AppState), `"departments":[]`) {
		t.Errorf("draft app_state = %s, want empty lists as []", doc.AppState)
	}

	// A draft survives Save and Read, as the CLI uses them.
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := Save(doc, path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Load of a draft = %v, want ErrInvalid", err)
	}
	if doc, err = Read(path); err != nil {
		t.Fatalf("Read: %v", err)
	}

	want := validState()
	// Participants before their department fail and change nothing.
	before, _ := Encode(doc)
	if err := AddParticipant(doc, want.Participants[0]); !errors.Is(err, ErrUnknownDepartment) {
		t.Fatalf("AddParticipant without its department = %v", err)
	}
	if after, _ := Encode(doc); !bytes.Equal(before, after) {
		t.Fatal("failed AddParticipant changed the document")
	}
	for _, d := range want.Departments {
		if err := AddDepartment(doc, d); err != nil {
			t.Fatalf("AddDepartment(%s): %v", d.ID, err)
		}
	}
	for _, p := range want.Participants {
		if err := AddParticipant(doc, p); err != nil {
			t.Fatalf("AddParticipant(%s): %v", p.ID, err)
		}
	}
	built, err := NewDoc("traceledger-1", genesisTime, want)
	if err != nil {
		t.Fatal(err)
	}
	if mustHash(t, doc) != mustHash(t, built) {
		t.Fatal("document built by editing differs from NewDoc's")
	}

	// Invalid additions are rejected and leave the document as it was.
	before, _ = Encode(doc)
	bad := []struct {
		name string
		add  func() error
		want error
	}{
		{"duplicate department", func() error { return AddDepartment(doc, want.Departments[0]) }, ErrDuplicate},
		{"department with used validator key", func() error {
			return AddDepartment(doc, Department{ID: "health", Name: "Health", ValidatorPubKey: key(1), Power: 1, AdminKeys: [][]byte{key(400)}})
		}, ErrDuplicate},
		{"department with bad key", func() error {
			return AddDepartment(doc, Department{ID: "health", Name: "Health", ValidatorPubKey: []byte{1}, Power: 1, AdminKeys: [][]byte{key(400)}})
		}, ErrInvalid},
		{"duplicate participant", func() error { return AddParticipant(doc, want.Participants[1]) }, ErrDuplicate},
		{"participant with bad credit code", func() error {
			return AddParticipant(doc, Participant{ID: "x", Name: "X", Role: RoleEnterprise, Department: "agri", CreditCode: "91350100M000100Y40", Keys: [][]byte{key(401)}})
		}, ErrBadCreditCode},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.add(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if after, _ := Encode(doc); !bytes.Equal(before, after) {
				t.Fatal("failed edit changed the document")
			}
		})
	}
}

func TestValidateDoc(t *testing.T) {
	tests := []struct {
		name string
		edit func(doc *types.GenesisDoc)
		want string
	}{
		{"valid", func(*types.GenesisDoc) {}, ""},
		{"nil consensus params", func(doc *types.GenesisDoc) { doc.ConsensusParams = nil }, ""},
		{"missing validator", func(doc *types.GenesisDoc) { doc.Validators = doc.Validators[:1] }, "validators: has 1 entries, want one per department (2)"},
		{"validators swapped", func(doc *types.GenesisDoc) {
			doc.Validators = []types.GenesisValidator{doc.Validators[1], doc.Validators[0]}
		}, "validators[0].pub_key: does not match departments[0].validator_pub_key"},
		{"validator power", func(doc *types.GenesisDoc) {
			doc.Validators = append([]types.GenesisValidator(nil), doc.Validators...)
			doc.Validators[1].Power = 11
		}, "validators[1].power: is 11, departments[1].power is 10"},
		{"validator name", func(doc *types.GenesisDoc) {
			doc.Validators = append([]types.GenesisValidator(nil), doc.Validators...)
			doc.Validators[0].Name = "Agriculture"
		}, `validators[0].name: is "Agriculture", want the department id "agri"`},
		{"validator address", func(doc *types.GenesisDoc) {
			doc.Validators = append([]types.GenesisValidator(nil), doc.Validators...)
			doc.Validators[0].Address = cmted25519.PubKey(key(9)).Address()
		}, "validators[0].address: does not match its public key"},
		{"secp256k1 validator", func(doc *types.GenesisDoc) {
			doc.Validators = append([]types.GenesisValidator(nil), doc.Validators...)
			doc.Validators[0].PubKey = secp256k1.GenPrivKey().PubKey()
			doc.Validators[0].Address = nil
		}, "validators[0].pub_key: must be an Ed25519 key"},
		{"max tx bytes over block size", func(doc *types.GenesisDoc) {
			cp := *doc.ConsensusParams
			cp.Block.MaxBytes = 100000
			doc.ConsensusParams = &cp
		}, "params.max_tx_bytes: 262144 exceeds consensus_params.block.max_bytes 100000"},
		{"no ed25519 validators", func(doc *types.GenesisDoc) {
			cp := *doc.ConsensusParams
			cp.Validator.PubKeyTypes = []string{"secp256k1"}
			doc.ConsensusParams = &cp
		}, "consensus_params.validator.pub_key_types: must include ed25519"},
		{"bad consensus params", func(doc *types.GenesisDoc) {
			cp := *doc.ConsensusParams
			cp.Block.MaxBytes = 0
			doc.ConsensusParams = &cp
		}, "consensus_params: block.MaxBytes cannot be 0"},
		{"chain id", func(doc *types.GenesisDoc) { doc.ChainID = "" }, "chain_id: chain id is required"},
		{"time", func(doc *types.GenesisDoc) { doc.GenesisTime = time.Time{} }, "genesis_time: is required"},
		{"initial height", func(doc *types.GenesisDoc) { doc.InitialHeight = -1 }, "initial_height: must not be negative"},
		{"app state rule", func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`"role":"auditor"`), []byte(`"role":"boss"`), 1)
		}, `participants[2].role: "boss" is not one of`},
		{"app state unknown field", func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`"params":{`), []byte(`"params":{"fee":1,`), 1)
		}, `unknown field "fee"`},
		{"app state unknown top-level field", func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`{"departments"`), []byte(`{"extra":[],"departments"`), 1)
		}, `unknown field "extra"`},
		{"app state trailing data", func(doc *types.GenesisDoc) { doc.AppState = append(bytes.Clone(doc.AppState), " {}"...) }, "data after the JSON object"},
		{"app state array", func(doc *types.GenesisDoc) { doc.AppState = []byte(`[]`) }, "not a JSON object"},
		{"app state null", func(doc *types.GenesisDoc) { doc.AppState = []byte(`null`) }, "not a JSON object"},
		{"app state missing", func(doc *types.GenesisDoc) { doc.AppState = nil }, "app_state: missing"},
		{"app state wrong type", func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`"power":10`), []byte(`"power":"10"`), 1)
		}, "cannot unmarshal string"},
		{"app state key not base64", func(doc *types.GenesisDoc) {
			doc.AppState = bytes.Replace(doc.AppState, []byte(`"admin_keys":["`), []byte(`"admin_keys":["!`), 1)
		}, "illegal base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := newTestDoc(t)
			tt.edit(doc)
			st, err := ValidateDoc(doc)
			if tt.want == "" {
				if err != nil || st == nil {
					t.Fatalf("ValidateDoc = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateDoc = %v\nwant %q", err, tt.want)
			}
		})
	}
	if _, err := ValidateDoc(nil); err == nil {
		t.Error("ValidateDoc(nil) succeeded")
	}
}

func TestParseDocErrors(t *testing.T) {
	good, err := Encode(newTestDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string
	}{
		{"not json", "genesis", "genesis: decode"},
		{"no time", strings.Replace(string(good), `"genesis_time": "2026-03-01T00:00:00Z",`, "", 1), "genesis_time is missing"},
		{"no chain id", strings.Replace(string(good), `"chain_id": "traceledger-test-1",`, "", 1), "chain_id"},
		{"short validator key", `{"genesis_time":"2026-01-01T00:00:00Z","chain_id":"c","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"1"}]}`, "validators[0].pub_key must be a 32-byte Ed25519 key"},
		{"secp256k1 validator", `{"genesis_time":"2026-01-01T00:00:00Z","chain_id":"c","validators":[{"pub_key":{"type":"tendermint/PubKeySecp256k1","value":"A+uJ9ePmVJk0/bR9JqsI4JHS0nx5p8B4EhHQOGC1a/qD"},"power":"1"}]}`, "validators[0].pub_key must be a 32-byte Ed25519 key"},
		{"zero power", strings.Replace(string(good), `"power": "10"`, `"power": "0"`, 1), "no voting power"},
	}
	if !strings.Contains(string(good), `"genesis_time": "2026-03-01T00:00:00Z",`) {
		t.Fatalf("test setup: unexpected file form:\n%s", good)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDoc([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseDoc = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read missing = %v", err)
	}
	if _, _, err := Load(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load missing = %v", err)
	}
	if _, err := HashFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("HashFile missing = %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("Read bad = %v, want error naming the file", err)
	}
	if err := Save(nil, filepath.Join(dir, "nil.json")); err == nil {
		t.Error("Save(nil) succeeded")
	}
	if err := Save(newTestDoc(t), filepath.Join(dir, "no", "such", "dir.json")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if _, err := Hash(nil); err == nil {
		t.Error("Hash(nil) succeeded")
	}
	if _, err := AppStateFrom(nil); err == nil {
		t.Error("AppStateFrom(nil) succeeded")
	}
}

func TestEncodeAppStateCanonical(t *testing.T) {
	st := validState()
	st.Departments[0].AdminKeys = nil
	st.Participants = nil
	b, err := EncodeAppState(st)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, frag := range []string{`"admin_keys":[]`, `"participants":[]`, `"division_code":"350100"`} {
		if !strings.Contains(s, frag) {
			t.Errorf("encoding lacks %s: %s", frag, s)
		}
	}
	if strings.Contains(s, "null") || strings.Contains(s, `"credit_code"`) {
		t.Errorf("encoding has null or an empty optional field: %s", s)
	}
	if !strings.HasPrefix(s, `{"departments":[{"id":"agri","name":"Agriculture Bureau","validator_pub_key":"`) {
		t.Errorf("field order: %s", s)
	}
	if !strings.HasSuffix(s, `"params":{"quorum_numerator":2,"quorum_denominator":3,"max_tx_bytes":262144,"max_msgs_per_tx":1000,"max_event_future_skew_seconds":300}}`) {
		t.Errorf("params encoding: %s", s)
	}
	// The input was not modified.
	if st.Departments[0].AdminKeys != nil || st.Participants != nil {
		t.Error("EncodeAppState modified its argument")
	}
}

// TestDefaultBlockMaxBytes: a new genesis limits blocks to 4 MiB (not
// CometBFT's 21 MiB, which stalls a network under a backlog of batches),
// and the limit still holds the largest transaction.
func TestDefaultBlockMaxBytes(t *testing.T) {
	doc := newTestDoc(t)
	if got := doc.ConsensusParams.Block.MaxBytes; got != 4<<20 {
		t.Fatalf("block.max_bytes = %d, want %d", got, 4<<20)
	}
	if DefaultParams().MaxTxBytes*16 > doc.ConsensusParams.Block.MaxBytes {
		t.Fatalf("a block of %d bytes holds fewer than 16 transactions of max_tx_bytes %d", doc.ConsensusParams.Block.MaxBytes, DefaultParams().MaxTxBytes)
	}
}
