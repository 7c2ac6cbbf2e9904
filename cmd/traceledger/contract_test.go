// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
	"github.com/traceledger/traceledger/testnet"
)

// leafCase says how to run one command of the tree in TestCommandTree.
type leafCase struct {
	// args is a valid invocation after the command path (it may name
	// files that do not exist where no check reaches them).
	args []string
	// conn: the command takes --home/--node/--genesis (connFlags); it is
	// run with --home of the test node against an unreachable node (exit
	// 3) and against a node of another chain (exit 2).
	conn bool
	// down and foreign are full invocations against an unreachable node
	// (exit 3) and a node of another chain (exit 2), for a command that
	// names nodes otherwise; notForeign says why there is no foreign.
	down, foreign []string
	notForeign    string
	// noOutput says why the command prints no result (and has no -o).
	noOutput string
}

// TestCommandTree walks the whole command tree, so that a new command
// cannot skip the contract: every leaf has a case here; every leaf that
// prints a result has -o/--output and refuses a format it does not know
// with exit code 1; every leaf refuses an unknown flag with exit code 1;
// every command that asks a node exits 3 when the node cannot be reached
// and 2 when the node is of another chain (chain id mismatch); every group
// refuses a mistyped subcommand with exit code 1 and "did you mean". Then
// representative commands run against a real node: success (0), bad input
// (1), failed verification (2) and negative answers (4).
func TestCommandTree(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	t.Setenv("TL_EXPORT_PASS", "export passphrase")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	a := startTestNode(t, ctx, "tree-a")
	b := startTestNode(t, ctx, "tree-b")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lot := "urn:x:tree-lot1"
	payload := write("payload.json", []byte(`{"kg":7}`))
	epcisDoc := write("doc.jsonld", []byte(traceDoc("TREE2", 2, time.Now().Add(-time.Hour).Truncate(time.Second), "")))
	var leaves []string
	for i := 0; i < 10; i++ {
		d := sha256.Sum256([]byte(fmt.Sprintf("tree reading %d", i)))
		leaves = append(leaves, fmt.Sprintf("ni:///sha-256;%x?ver=CBV2.0", d))
	}
	leafFile := write("leaves.txt", []byte(strings.Join(leaves, "\n")+"\n"))
	otherLeafFile := write("other-leaves.txt", []byte(strings.Join(leaves[:7], "\n")+"\n"))
	hashHex := strings.Repeat("ab", 32)
	// A credential whose own proof verifies, for an attestation no ledger holds.
	_, vcKey, _ := ed25519.GenerateKey(nil)
	vc, err := client.ExportVC(&tlv1.Attestation{Id: "lab9/C-1", Issuer: "lab9", Body: &tlv1.IssueAttestation{Scheme: "gap", Standard: "GB/Z 26575",
		CertificateNumber: "C-1", ValidFromMs: 1767225600000, ValidUntilMs: 1893456000000, EvidenceSha256: bytes.Repeat([]byte{1}, 32),
		Subject: &tlv1.AttestationSubject{Enterprise: "farm1"}}}, vcKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	vcFile := write("vc.json", vc)
	// A small test network (not started) for the testnet commands.
	tn := filepath.Join(dir, "net")
	if _, err := run(t, ctx, "testnet", "init", "--out", tn, "--departments", "agri", "--non-validators", "0", "--base-port", "0", "--enterprises", "farm1"); err != nil {
		t.Fatalf("testnet init: %v", err)
	}
	if _, err := run(t, ctx, "testnet", "add-node", tn, "--name", "extra"); err != nil {
		t.Fatalf("testnet add-node: %v", err)
	}
	scratch := filepath.Join(dir, "scratch")
	unreachable := "http://127.0.0.1:1"
	if _, err := run(t, ctx, "keys", "add-encryption", "tree-enc", "--home", a.home); err != nil {
		t.Fatalf("keys add-encryption: %v", err)
	}
	encID, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]leafCase{
		"keys add-encryption":                  {args: []string{"e9", "--home", a.home}},
		"tx participant add-encryption-key":    {args: []string{"--from", "farm1", "--recipient", encID.Recipient().String()}, conn: true},
		"tx participant revoke-encryption-key": {args: []string{strings.Repeat("A", 40), "--from", "farm1", "--reason", "r"}, conn: true},
		"disclose create": {args: []string{"--from", "farm1", "--events", "1", "--to", "agri", "--payload", "1=" + payload, "--store", filepath.Join(dir, "blobs"),
			"--purpose", "p", "--legal-basis", "l"}, conn: true},
		"disclose open":                          {args: []string{"1", "--from", "tree-enc", "--store", filepath.Join(dir, "blobs")}, conn: true},
		"tx disclosure request":                  {args: []string{"--from", "agri-admin", "--number", "Q9", "--enterprise", "farm1", "--lot", lot, "--deadline", "2030-01-01", "--purpose", "p", "--legal-basis", "l"}, conn: true},
		"tx disclosure refuse":                   {args: []string{"agri/Q9", "--from", "farm1", "--reason", "r"}, conn: true},
		"query encryption-keys":                  {args: []string{"farm1"}, conn: true},
		"query disclosure-requests":              {args: []string{"farm1"}, conn: true},
		"query disclosures":                      {args: []string{"farm1"}, conn: true},
		"api token add":                          {args: []string{"t9", "--participant", "farm1", "--home", a.home}},
		"api token list":                         {args: []string{"--home", a.home}},
		"api token revoke":                       {args: []string{"t9", "--home", a.home}},
		"anchor prove":                           {args: []string{leafFile, "--event", leaves[0]}, conn: true},
		"anchor root":                            {args: []string{leafFile}},
		"anchor submit":                          {args: []string{leafFile, "--from", "farm1", "--source", "urn:epc:id:giai:6901234.TREE7"}, conn: true},
		"anchor verify":                          {args: []string{filepath.Join(dir, "none.json")}},
		"attest export":                          {args: []string{"lab9/C-1", "--from", "farm1"}, conn: true},
		"attest verify":                          {args: []string{vcFile}, conn: true},
		"audit":                                  {args: []string{"--nodes", a.url, "--genesis", a.genesis, "--state", filepath.Join(dir, "audit", "a.json"), "--once"}, down: []string{"--nodes", unreachable, "--genesis", a.genesis, "--state", filepath.Join(dir, "audit-down", "a.json"), "--once"}, foreign: []string{"--nodes", b.url, "--genesis", a.genesis, "--state", filepath.Join(dir, "audit-foreign", "a.json"), "--once"}},
		"bench":                                  {args: []string{"--out", scratch}},
		"demo":                                   {noOutput: "a narrated walk-through of a network it starts itself, not a result"},
		"epcis check":                            {args: []string{epcisDoc}, conn: true},
		"epcis export":                           {args: []string{"--id", lot}, conn: true},
		"epcis hash":                             {args: []string{epcisDoc}},
		"epcis import":                           {args: []string{epcisDoc, "--from", "farm1"}, conn: true},
		"epcis show":                             {args: []string{"ni:///sha-256;" + hashHex + "?ver=CBV2.0"}, conn: true},
		"genesis add-department":                 {args: []string{filepath.Join(dir, "g.json"), "--id", "x", "--name", "X", "--validator-key", b64Key(1)}},
		"genesis add-participant":                {args: []string{filepath.Join(dir, "g.json"), "--id", "x", "--name", "X", "--department", "agri", "--key", b64Key(2)}},
		"genesis hash":                           {args: []string{a.genesis}},
		"label qr":                               {args: []string{"urn:epc:class:lgtin:6901234.500012.LOT1", "--resolver", "https://r.example", "--out", filepath.Join(dir, "label.png")}},
		"genesis new":                            {args: []string{"--chain-id", "x", "--out", filepath.Join(dir, "g.json")}},
		"genesis validate":                       {args: []string{a.genesis}},
		"init":                                   {args: []string{"--home", scratch}},
		"keys add":                               {args: []string{"k9", "--home", a.home}},
		"keys export":                            {args: []string{"farm1", "--home", a.home, "--export-passphrase-env", "TL_EXPORT_PASS"}},
		"keys import":                            {args: []string{"k8", filepath.Join(dir, "k.json"), "--home", a.home}},
		"keys list":                              {args: []string{"--home", a.home}},
		"keys show":                              {args: []string{"farm1", "--home", a.home}},
		"node health":                            {args: []string{"--node", a.url}, down: []string{"--node", unreachable, "--timeout", "2s"}, notForeign: "a liveness check: it verifies no answer, so a live node of any chain is healthy"},
		"node reset-data":                        {args: []string{"--home", scratch}},
		"node backup":                            {args: []string{"--home", a.home, "--out", filepath.Join(dir, "app.backup")}},
		"node restore":                           {args: []string{"--home", scratch, "--in", filepath.Join(dir, "none.backup"), "--rpc", a.url + "," + a.url}},
		"query upgrade":                          {conn: true},
		"testnet upgrade":                        {args: []string{tn, "--name", "v2"}},
		"tx dept propose upgrade":                {args: []string{"--from", "agri-admin", "--name", "v2", "--height", "100000", "--version", "v2.0.0", "--sha256", hashHex}, conn: true},
		"node show-validator":                    {args: []string{"--home", a.home}},
		"proof export":                           {args: []string{"--id", lot}, conn: true},
		"query attestation":                      {args: []string{"lab9/C-1"}, conn: true},
		"query credit":                           {args: []string{"farm1"}, conn: true},
		"query history":                          {args: []string{lot}, conn: true},
		"query participant":                      {args: []string{"farm1"}, conn: true},
		"query participants":                     {conn: true},
		"query proposal":                         {args: []string{"1"}, conn: true},
		"query proposals":                        {conn: true},
		"query record":                           {args: []string{"0"}, conn: true},
		"query status":                           {conn: true},
		"query validators":                       {conn: true},
		"start":                                  {args: []string{"--home", scratch}, noOutput: "runs a node in the foreground until interrupted; it prints no result"},
		"serve":                                  {args: []string{"--addr", "127.0.0.1:0"}, conn: true, noOutput: "runs the HTTP API in the foreground until interrupted; it prints no result"},
		"testnet add-node":                       {args: []string{tn, "--name", "extra2"}},
		"testnet init":                           {args: []string{"--out", filepath.Join(dir, "net2")}},
		"testnet promote":                        {args: []string{tn, "extra"}, down: []string{tn, "extra", "--node", unreachable, "--timeout", "10s"}, foreign: []string{tn, "extra", "--node", b.url, "--timeout", "10s"}},
		"testnet reset-node":                     {args: []string{tn, "agri"}},
		"testnet start":                          {args: []string{tn}},
		"testnet status":                         {args: []string{tn}},
		"testnet stop":                           {args: []string{tn}},
		"trace back":                             {args: []string{lot}, conn: true},
		"trace certs":                            {args: []string{lot}, conn: true},
		"trace forward":                          {args: []string{lot}, conn: true},
		"trace links":                            {args: []string{lot}, conn: true},
		"tx attest issue":                        {args: []string{"--from", "farm1", "--scheme", "gap", "--standard", "S", "--number", "N-1", "--enterprise", "farm1", "--valid-from", "2026-01-01", "--valid-until", "2030-01-01", "--evidence-sha256", hashHex}, conn: true},
		"tx attest status":                       {args: []string{"farm1/N-1", "--from", "farm1", "--to", "suspended", "--reason", "r"}, conn: true},
		"tx credit complaint":                    {args: []string{"farm1", "--from", "agri-admin", "--category", "safety", "--complaint-sha256", hashHex}, conn: true},
		"tx credit violation":                    {args: []string{"farm1", "--from", "agri-admin", "--kind", "residue", "--decision-sha256", hashHex}, conn: true},
		"tx dept propose accredit":               {args: []string{"--from", "agri-admin", "--certifier", "lab9", "--scheme", "gap", "--number", "A-1", "--valid-from", "2026-01-01", "--valid-until", "2030-01-01"}, conn: true},
		"tx dept propose add-department":         {args: []string{"--from", "agri-admin", "--id", "commerce", "--name", "Commerce", "--validator-key", b64Key(3), "--admin-key", b64Key(4)}, conn: true},
		"tx dept propose remove-department":      {args: []string{"--from", "agri-admin", "--department", "agri", "--successor", "agri"}, conn: true},
		"tx dept propose set-power":              {args: []string{"--from", "agri-admin", "--department", "agri", "--power", "20"}, conn: true},
		"tx dept propose set-quorum":             {args: []string{"--from", "agri-admin", "--numerator", "2", "--denominator", "3"}, conn: true},
		"tx dept propose suspend-accreditation":  {args: []string{"--from", "agri-admin", "--certifier", "lab9", "--reason", "r"}, conn: true},
		"tx dept propose withdraw-accreditation": {args: []string{"--from", "agri-admin", "--certifier", "lab9", "--reason", "r"}, conn: true},
		"tx dept vote":                           {args: []string{"1", "yes", "--from", "agri-admin"}, conn: true},
		"tx participant register":                {args: []string{"--from", "agri-admin", "--id", "farm9", "--name", "F", "--credit-code", "91520100MA6DKQ1X3R", "--key", b64Key(5)}, conn: true},
		"tx participant reinstate":               {args: []string{"farm1", "--from", "agri-admin", "--reason", "r"}, conn: true},
		"tx participant revoke-key":              {args: []string{strings.Repeat("A", 40), "--from", "farm1", "--reason", "r"}, conn: true},
		"tx participant rotate-key":              {args: []string{"--from", "farm1", "--new", "farm1-next"}, conn: true},
		"tx participant suspend":                 {args: []string{"farm1", "--from", "agri-admin", "--reason", "r"}, conn: true},
		"tx recall start":                        {args: []string{"R9", "--from", "farm1", "--enterprise", "farm1", "--lot", lot, "--reason", "r", "--hazard", "h", "--level", "2", "--period-from", "2026-01-01", "--period-until", "2026-06-01"}, conn: true},
		"tx record":                              {args: []string{"--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload}, conn: true},
		"verify":                                 {args: []string{filepath.Join(dir, "none.json"), "--genesis", a.genesis}},
		"supervise assess":                       {args: []string{"0", "--product", lot}, conn: true},
		"watch rules":                            {},
		"watch run":                              {args: []string{"--state", filepath.Join(dir, "watch", "w.json"), "--once"}, conn: true},
		"version":                                {},
	}

	root := newRootCmd()
	var leaves_, groups []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() {
			groups = append(groups, c)
		} else {
			leaves_ = append(leaves_, c)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	path := func(c *cobra.Command) []string {
		return strings.Fields(strings.TrimPrefix(c.CommandPath(), "traceledger"))
	}
	code := func(args ...string) (exitCode, string, error) {
		out, err := run(t, ctx, args...)
		return exitCodeOf(err), out, err
	}

	for _, c := range leaves_ {
		name := strings.Join(path(c), " ")
		tc, ok := cases[name]
		if !ok {
			t.Errorf("%s: no case in TestCommandTree: add one (its -o, usage, unreachable and other-chain checks)", name)
			continue
		}
		delete(cases, name)
		full := append(path(c), tc.args...)
		out := c.Flags().Lookup("output")
		switch {
		case tc.noOutput == "" && (out == nil || out.Shorthand != "o"):
			t.Errorf("%s prints a result but has no -o/--output", name)
		case tc.noOutput != "" && out != nil:
			t.Errorf("%s has -o but its case says it prints no result (%s)", name, tc.noOutput)
		case out != nil:
			if got, _, err := code(append(full, "-o", "yaml")...); got != exitUsage || !strings.Contains(fmt.Sprint(err), "--output") {
				t.Errorf("%s -o yaml: exit %d (%v), want 1 naming --output", name, got, err)
			}
		}
		if got, _, err := code(append(full, "--no-such-flag")...); got != exitUsage {
			t.Errorf("%s --no-such-flag: exit %d (%v), want 1", name, got, err)
		}
		nodes := c.Flags().Lookup("nodes") // node URLs for audit, node names for testnet start|stop
		hasNode := c.Flags().Lookup("node") != nil || (nodes != nil && strings.Contains(nodes.Usage, "URL"))
		if hasNode && !tc.conn && (tc.down == nil || (tc.foreign == nil && tc.notForeign == "")) {
			t.Errorf("%s names a node: its case needs conn, or down and foreign (or why not)", name)
		}
		var down, foreign []string
		if tc.conn {
			down = append(append([]string{}, full...), "--home", a.home, "--node", unreachable)
			foreign = append(append([]string{}, full...), "--home", a.home, "--node", b.url)
		}
		if tc.down != nil {
			down = append(path(c), tc.down...)
		}
		if tc.foreign != nil {
			foreign = append(path(c), tc.foreign...)
		}
		if down != nil {
			got, _, err := code(down...)
			if got != exitUnreachable || !strings.Contains(hint(err), "--node") {
				t.Errorf("%s against an unreachable node: exit %d (%v; hint %q), want 3 and a hint naming --node", name, got, err, hint(err))
			}
		}
		if foreign != nil {
			got, _, err := code(foreign...)
			if got != exitNotVerified || (tc.conn && !strings.Contains(fmt.Sprint(err), "chain id mismatch")) {
				t.Errorf("%s against a node of another chain: exit %d (%v), want 2 (chain id mismatch)", name, got, err)
			}
		}
	}
	for name := range cases {
		t.Errorf("case %q names no command", name)
	}
	for _, g := range groups {
		for _, sub := range g.Commands() {
			typo := []byte(sub.Name())
			switch {
			case len(typo) < 3:
				typo = append(typo, 'x')
			case typo[1] != typo[2]:
				typo[1], typo[2] = typo[2], typo[1]
			default:
				typo = typo[:len(typo)-1]
			}
			args := append(path(g), string(typo), "x")
			got, _, err := code(args...)
			if got != exitUsage || !strings.Contains(fmt.Sprint(err), "did you mean") || !strings.Contains(fmt.Sprint(err), " "+sub.Name()+"'") {
				t.Errorf("%v: exit %d (%v), want 1 and a suggestion of %s", args, got, err, sub.Name())
			}
		}
		if got, out, err := code(path(g)...); got != exitOK || !strings.Contains(out, "Available Commands") {
			t.Errorf("%v alone: exit %d (%v), want its help", path(g), got, err)
		}
	}

	// Representative commands against the real node. --home alone names
	// the node (its config.toml); no --node is given.
	conn := []string{"--home", a.home}
	bundle := filepath.Join(dir, "bundle.json")
	exported := filepath.Join(dir, "export.jsonld")
	keyFile := filepath.Join(dir, "farm1.key")
	var hashIDs []string
	hashIDs0 := func() string { return "ni:///sha-256;" + strings.Repeat("cd", 32) + "?ver=CBV2.0" } // not a leaf
	var validatorKey string
	steps := []struct {
		args  []string
		conn  bool
		want  exitCode
		check func(out string, err error) string // "" when fine
	}{
		{args: []string{"query", "status", "-o", "json"}, conn: true},
		{args: []string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload, "-o", "json"}, conn: true},
		{args: []string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload-sha256", "xyz"}, conn: true, want: exitUsage},
		{args: []string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload, "--node", "ftp://127.0.0.1:1"}, conn: true, want: exitUsage},
		// A scheme-less --node means http://.
		{args: []string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "shipping", "--payload", payload, "--node", strings.TrimPrefix(a.url, "http://")}, conn: true},
		{args: []string{"query", "history", lot}, conn: true, check: func(out string, _ error) string {
			if !strings.Contains(out, "2 records, complete") || !strings.Contains(out, "signed by 1 of 1 validators") {
				return "want 2 records and 'signed by 1 of 1 validators'"
			}
			return ""
		}},
		{args: []string{"query", "history", lot + "-NONE"}, conn: true, want: exitNegative},
		{args: []string{"query", "record", "0", "-o", "json"}, conn: true},
		{args: []string{"query", "record", "999999"}, conn: true, want: exitNegative},
		{args: []string{"query", "record", "first"}, conn: true, want: exitUsage},
		{args: []string{"query", "participant", "farm1"}, conn: true},
		{args: []string{"query", "participant", "nobody"}, conn: true, want: exitNegative},
		{args: []string{"query", "participants"}, conn: true},
		{args: []string{"query", "proposals"}, conn: true},
		{args: []string{"query", "proposal", "77"}, conn: true, want: exitNegative},
		{args: []string{"query", "credit", "farm1"}, conn: true},
		{args: []string{"query", "credit", "nobody"}, conn: true, want: exitNegative},
		{args: []string{"query", "attestation", "lab9/C-1"}, conn: true, want: exitNegative},
		{args: []string{"query", "validators", "-o", "json"}, conn: true, check: func(out string, _ error) string {
			var v struct {
				Validators []struct {
					PubKey string `json:"pub_key"`
				} `json:"validators"`
			}
			if json.Unmarshal([]byte(out), &v) != nil || len(v.Validators) != 1 {
				return "want one validator"
			}
			validatorKey = v.Validators[0].PubKey
			return ""
		}},
		{args: []string{"node", "show-validator", "--home", a.home, "-o", "json"}, check: func(out string, _ error) string {
			var v struct {
				PubKey string `json:"pub_key"`
			}
			if json.Unmarshal([]byte(out), &v) != nil || v.PubKey != validatorKey || v.PubKey == "" {
				return "want the validator key of the validator set, " + validatorKey
			}
			return ""
		}},
		{args: []string{"node", "show-validator", "--home", filepath.Join(dir, "nohome")}, want: exitUsage},
		{args: []string{"node", "health", "--node", a.url, "-o", "json"}},
		{args: []string{"trace", "forward", lot, "-o", "json"}, conn: true},
		{args: []string{"trace", "back", lot, "-o", "dot"}, conn: true},
		{args: []string{"trace", "links", lot}, conn: true},
		{args: []string{"trace", "certs", lot, "-o", "json"}, conn: true},
		{args: []string{"trace", "back", "urn:x:none"}, conn: true, want: exitNegative},
		{args: []string{"trace", "links", "urn:x:none", "-o", "json"}, conn: true, want: exitNegative},
		{args: []string{"epcis", "import", epcisDoc, "--from", "farm1", "-o", "json"}, conn: true},
		{args: []string{"epcis", "hash", epcisDoc, "-o", "json"}, check: func(out string, _ error) string {
			if json.Unmarshal([]byte(out), &hashIDs) != nil || len(hashIDs) != 2 {
				return "want two hash IDs"
			}
			return ""
		}},
		{args: []string{"epcis", "check", epcisDoc}, conn: true},
		{args: []string{"epcis", "show", "ni:///sha-256;" + hashHex + "?ver=CBV2.0"}, conn: true, want: exitNegative},
		{args: []string{"epcis", "export", "--id", "urn:epc:class:lgtin:6901234.000012.TREE2", "--out", exported, "-o", "json"}, conn: true, check: func(out string, _ error) string {
			var v struct {
				File string `json:"file"`
			}
			if json.Unmarshal([]byte(out), &v) != nil || v.File != exported {
				return "want the file in the JSON summary"
			}
			if _, err := os.Stat(exported); err != nil {
				return "no file written"
			}
			return ""
		}},
		{args: []string{"epcis", "export", "--id", "urn:epc:class:lgtin:6901234.000012.TREE2", "-o", "json"}, conn: true, check: func(out string, _ error) string {
			var v struct {
				Document struct {
					Type string `json:"type"`
				} `json:"document"`
				Verified bool `json:"verified"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil || v.Document.Type != "EPCISDocument" || !v.Verified {
				return fmt.Sprintf("want the document inside one JSON object: %v", err)
			}
			return ""
		}},
		{args: []string{"anchor", "root", leafFile, "-o", "json"}},
		{args: []string{"anchor", "submit", leafFile, "--from", "farm1", "--source", "urn:epc:id:giai:6901234.TREE7", "-o", "json"}, conn: true},
		{args: []string{"anchor", "prove", leafFile, "--event", leaves[3], "-o", "json"}, conn: true, check: func(out string, _ error) string {
			var v struct {
				Proof struct {
					LeafIndex int `json:"leafIndex"`
				} `json:"proof"`
				Verified bool `json:"verified"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil || v.Proof.LeafIndex != 3 || !v.Verified {
				return fmt.Sprintf("want the proof inside one JSON object: %v", err)
			}
			return ""
		}},
		// Leaves whose root was never anchored: a proven absence.
		{args: []string{"anchor", "prove", otherLeafFile, "--event", leaves[0]}, conn: true, want: exitNegative},
		{args: []string{"anchor", "prove", leafFile, "--event", hashIDs0()}, conn: true, want: exitUsage},
		{args: []string{"proof", "export", "--id", lot, "--out", bundle}, conn: true},
		{args: []string{"proof", "export", "--id", lot, "-o", "json"}, conn: true, check: func(out string, _ error) string {
			var v struct {
				Bundle  map[string]any `json:"bundle"`
				Records int            `json:"records"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil || v.Bundle == nil || v.Records != 2 {
				return fmt.Sprintf("want the bundle inside one JSON object: %v", err)
			}
			return ""
		}},
		{args: []string{"verify", bundle, "--genesis", a.genesis}},
		{args: []string{"verify", bundle, "--genesis", b.genesis}, want: exitNotVerified},
		{args: []string{"attest", "verify", vcFile, "--offline", "-o", "json"}},
		{args: []string{"attest", "verify", vcFile}, conn: true, want: exitNotVerified},
		{args: []string{"attest", "export", "lab9/C-1", "--from", "farm1"}, conn: true, want: exitNegative},
		{args: []string{"genesis", "hash", a.genesis, "-o", "json"}},
		{args: []string{"genesis", "hash", a.genesis, "--expect", strings.Repeat("0", 64)}, want: exitNotVerified},
		{args: []string{"genesis", "validate", a.genesis}},
		{args: []string{"version", "-o", "json"}, check: func(out string, _ error) string {
			if !json.Valid([]byte(out)) || !strings.Contains(out, `"cometbft"`) {
				return "want JSON"
			}
			return ""
		}},
		{args: []string{"keys", "show", "nobody", "--home", a.home}, want: exitUsage},
		{args: []string{"keys", "export", "farm1", "--home", a.home, "--export-passphrase-env", "TL_EXPORT_PASS", "-o", "json"}, check: func(out string, _ error) string {
			var v struct {
				KeyID  string          `json:"key_id"`
				Export json.RawMessage `json:"export"`
			}
			if json.Unmarshal([]byte(out), &v) != nil || v.KeyID == "" || len(v.Export) == 0 {
				return "want the export inside one JSON object"
			}
			return ""
		}},
		{args: []string{"keys", "export", "farm1", "--home", a.home, "--export-passphrase-env", "TL_EXPORT_PASS", "--out", keyFile}},
		{args: []string{"keys", "import", "farm1-copy", keyFile, "--home", a.home, "--export-passphrase-env", "TL_EXPORT_PASS", "-o", "json"}},
		{args: []string{"testnet", "status", tn, "-o", "json"}, check: func(out string, _ error) string {
			if !strings.Contains(out, `"role_source": "genesis"`) {
				return "a node that is down has its role from genesis"
			}
			return ""
		}},
		{args: []string{"node", "health", "--node", "http://127.0.0.1:1", "--timeout", "2s"}, want: exitUnreachable},
		{args: []string{"query", "status", "--node", "127.0.0.1:1"}, conn: true, want: exitUnreachable},
		{args: []string{"query", "status", "--node", b.url}, conn: true, want: exitNotVerified},
	}
	for _, s := range steps {
		args := s.args
		if s.conn {
			args = append(append([]string{}, args...), conn...)
		}
		got, out, err := code(args...)
		if got != s.want {
			t.Errorf("%v: exit %d, want %d (%v)\n%s", s.args, got, s.want, err, out)
			continue
		}
		if s.check != nil {
			if msg := s.check(out, err); msg != "" {
				t.Errorf("%v: %s\n%s", s.args, msg, out)
			}
		}
	}
	// The chain id mismatch of a transaction names both chains.
	_, _, err = code(append([]string{"tx", "record", "--from", "farm1", "--subject", lot, "--type", "harvest", "--payload", payload, "--node", b.url}, conn...)...)
	if !strings.Contains(fmt.Sprint(err), `chain id mismatch: node `+b.url+` is on chain "tree-b", your home/genesis says "tree-a"`) {
		t.Errorf("tx record against another chain: %v", err)
	}

	// testnet status: the role comes from the validator set the node
	// reports, not from the network file (a node made a validator by a
	// proposal shows "validator").
	nw := &testnet.Network{Nodes: []testnet.NodeInfo{{Name: "a", RPCURL: a.url, Validator: false}, {Name: "gone", RPCURL: unreachable, Validator: true}}}
	var buf bytes.Buffer
	if err := printStatus(ctx, &buf, nw, nil, &outputFlag{format: "json"}); err != nil {
		t.Fatal(err)
	}
	var rows []statusRow
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status rows: %v %s", err, buf.String())
	}
	if !rows[0].Validator || rows[0].RoleSource != "validator set" || !rows[1].Validator || rows[1].RoleSource != "genesis" {
		t.Errorf("testnet status roles: %+v", rows)
	}
}

// TestInitAllOrNothing: a failed init leaves nothing behind, and the
// corrected command then works.
func TestInitAllOrNothing(t *testing.T) {
	t.Setenv("TRACELEDGER_PASSPHRASE", "correct horse battery staple")
	ctx := context.Background()
	parent := t.TempDir()
	home := filepath.Join(parent, "agri")
	args := func(credit string) []string {
		return []string{"init", "--home", home, "--chain-id", "init-test", "--enterprise", "farm1,Green Valley Farm," + credit,
			"--rpc-laddr", "tcp://127.0.0.1:1", "--p2p-laddr", "tcp://127.0.0.1:2", "-o", "json"}
	}
	_, err := run(t, ctx, args("91520100MA6DKQ1X3A")...) // wrong check digit
	if exitCodeOf(err) != exitUsage || !strings.Contains(fmt.Sprint(err), "check digit") {
		t.Fatalf("init with a bad credit code: %v", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("a failed init left %v behind", entries)
	}
	// A bad division code is found before anything is written, too.
	bad := append(args("91520100MA6DKQ1X3R"), "--division", "52")
	if _, err := run(t, ctx, bad...); exitCodeOf(err) != exitUsage {
		t.Fatalf("init with a bad division code: %v", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("a failed init left %v behind", entries)
	}
	out, err := run(t, ctx, args("91520100MA6DKQ1X3R")...)
	if err != nil {
		t.Fatalf("the corrected init: %v", err)
	}
	var v struct {
		Home        string   `json:"home"`
		Enterprises []string `json:"enterprises"`
		GenesisHash string   `json:"genesis_hash"`
		RPC         string   `json:"rpc"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Home != home || len(v.Enterprises) != 1 || len(v.GenesisHash) != 64 || v.RPC != "http://127.0.0.1:1" {
		t.Fatalf("init output: %v %s", err, out)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Fatalf("init left %v in the parent directory", entries)
	}
	// A second init over the home is refused and changes nothing.
	before, _ := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if _, err := run(t, ctx, args("91520100MA6DKQ1X3R")...); exitCodeOf(err) != exitUsage || !strings.Contains(fmt.Sprint(err), "already exists") {
		t.Fatalf("init over a home: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if !bytes.Equal(before, after) {
		t.Fatal("a refused init changed the home")
	}
	// An empty directory is a free home.
	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o700)
	if _, err := run(t, ctx, "init", "--home", empty, "--chain-id", "init-test", "-o", "json"); err != nil {
		t.Fatalf("init into an empty directory: %v", err)
	}
}
