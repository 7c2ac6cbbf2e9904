// SPDX-License-Identifier: Apache-2.0

package main

// Encrypted disclosure (issue 18; docs/DISCLOSURE.md): `keys
// add-encryption`, `tx participant add-encryption-key|revoke-encryption-key`,
// `disclose create|open`, `tx disclosure request|refuse`, `query
// encryption-keys|disclosure-requests`.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/traceledger/traceledger/client"
	"github.com/traceledger/traceledger/client/keyring"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

func newKeysAddEncryptionCmd() *cobra.Command {
	var home string
	var pass passphraseFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "add-encryption NAME",
		Short: "Generate an X25519 encryption key (age), encrypted with a passphrase like a signing key",
		Long: `add-encryption generates an age X25519 identity and stores it in the keyring,
encrypted like a signing key. Register its recipient (shown, age1...) on the
ledger with 'traceledger tx participant add-encryption-key --key NAME'; then
others can disclose payloads to you (traceledger disclose create).`,
		Args: cobra.ExactArgs(1),
		RunE: out.run(func(cmd *cobra.Command, args []string) error {
			kr, err := keyring.Open(keyring.Dir(home))
			if err != nil {
				return err
			}
			pw, err := keyring.ReadPassphrase(cmd.Context(), pass.source("New passphrase: ", true))
			if err != nil {
				return err
			}
			info, err := kr.AddEncryption(args[0], pw)
			if err != nil {
				return err
			}
			v := map[string]any{"name": info.Name, "key_id": info.KeyID, "recipient": string(info.PublicKey), "algorithm": info.Algorithm}
			return out.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				fmt.Fprintf(w, "%-16s encryption key id %s  recipient %s\n", info.Name, info.KeyID, info.PublicKey)
			})
		}),
	}
	addHomeFlag(cmd, &home)
	pass.add(cmd)
	out.add(cmd)
	return cmd
}

func newParticipantAddEncryptionKeyCmd() *cobra.Command {
	var (
		tx                        txFlags
		keyName, recipient, repls string
	)
	cmd := &cobra.Command{
		Use:   "add-encryption-key",
		Short: "Register an encryption key (age X25519 recipient) of yours, or rotate one (--replaces)",
		Long: `add-encryption-key signs an AddEncryptionKey with --from. The recipient is the
keyring's encryption key --key (made by 'traceledger keys add-encryption'), or
given as --recipient age1.... With --replaces KEY_ID the old encryption key is
revoked ("rotated") in the same step: nothing can be disclosed to it any more.`,
		Example: `  traceledger keys add-encryption farm1-enc
  traceledger tx participant add-encryption-key --from farm1 --key farm1-enc`,
		Args: cobra.NoArgs,
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			switch {
			case keyName != "" && recipient != "":
				return &usageError{err: errors.New("give --key or --recipient, not both")}
			case keyName != "":
				kr, err := keyring.Open(keyring.Dir(tx.conn.home))
				if err != nil {
					return err
				}
				info, err := kr.Show(keyName)
				if err != nil {
					return err
				}
				if !info.IsEncryption() {
					return &usageError{err: fmt.Errorf("--key %s is a signing key; make an encryption key with 'traceledger keys add-encryption'", keyName)}
				}
				recipient = string(info.PublicKey)
			case recipient == "":
				return &usageError{err: errors.New("give --key NAME (an encryption key of the keyring) or --recipient age1...")}
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.AddEncryptionKey(cmd.Context(), s, recipient, repls)
			if err != nil {
				return err
			}
			id := tlv1.EncryptionKeyID(recipient)
			return tx.committed(cmd, res, map[string]any{"key_id": id, "recipient": recipient}, "registered encryption key "+id)
		}),
	}
	tx.add(cmd, "name of your signing key in the keyring")
	cmd.Flags().StringVar(&keyName, "key", "", "encryption key of the keyring to register")
	cmd.Flags().StringVar(&recipient, "recipient", "", "age X25519 recipient (age1...) to register")
	cmd.Flags().StringVar(&repls, "replaces", "", "key id of your encryption key this one rotates out")
	return cmd
}

func newParticipantRevokeEncryptionKeyCmd() *cobra.Command {
	var (
		tx                  txFlags
		participant, reason string
	)
	cmd := &cobra.Command{
		Use:   "revoke-encryption-key KEY_ID",
		Short: "Revoke an encryption key: your own, or (as a department) one of a participant you supervise",
		Args:  cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.RevokeEncryptionKey(cmd.Context(), s, participant, args[0], reason)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"key_id": args[0]}, "revoked encryption key "+args[0])
		}),
	}
	tx.add(cmd, "name of your signing key in the keyring")
	cmd.Flags().StringVar(&participant, "participant", "", "owner of the key (default: the signer)")
	cmd.Flags().StringVar(&reason, "reason", "", "public reason (required)")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newDiscloseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "disclose",
		Short: "Disclose the payloads behind your hashed events to named recipients, encrypted; open disclosures made to you",
		Long: `The ledger holds only payload hashes. 'disclose create' encrypts the payloads
behind some of your events once to every recipient's registered encryption
keys (age X25519), stores the ciphertext in a content-addressed store (--store)
and records a Disclosure naming the events, the ciphertext's SHA-256, the
recipients, the purpose and the legal basis. 'disclose open' fetches the
ciphertext, decrypts it with your encryption key and checks every payload
against the payload hash on the ledger before showing it. See docs/DISCLOSURE.md.`,
	}
	cmd.AddCommand(newDiscloseCreateCmd(), newDiscloseOpenCmd())
	return cmd
}

// parseIndexes reads "5,7,9" as ascending, distinct log indexes.
func parseIndexes(flag, s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, &usageError{err: fmt.Errorf("%s %q: want comma-separated log indexes", flag, s)}
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func newDiscloseCreateCmd() *cobra.Command {
	var (
		tx                                  txFlags
		events, to, purpose, legal, request string
		store, payloadDir                   string
		payloadFiles                        []string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Encrypt the payloads of your events to recipients, store the ciphertext and record the disclosure",
		Long: `create reads each event's verified record, finds its payload (--payload
INDEX=FILE, or in --payload-dir a file named by the payload's hex SHA-256, with
or without .json, as the EPCIS gateway keeps them under <home>/epcis/payloads),
refuses a payload whose SHA-256 is not the one on the ledger, encrypts all of
them once to every active encryption key of every --to participant, writes the
ciphertext to --store under its SHA-256 and records the Disclosure. With
--request it answers (and closes) a department's disclosure request.`,
		Example: `  traceledger disclose create --from farm1 --events 5 --to agri,aud1 \
      --payload 5=harvest.json --store ./blobs --purpose "residue investigation" \
      --legal-basis "Food Safety Law art. 110"`,
		Args: cobra.NoArgs,
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			idx, err := parseIndexes("--events", events)
			if err != nil {
				return err
			}
			files := map[uint64]string{}
			for _, p := range payloadFiles {
				k, v, ok := strings.Cut(p, "=")
				n, err := strconv.ParseUint(k, 10, 64)
				if !ok || err != nil {
					return &usageError{err: fmt.Errorf("--payload %q: want INDEX=FILE", p)}
				}
				files[n] = v
			}
			c, s, err := tx.signer(ctx)
			if err != nil {
				return err
			}
			var payloads []*tlv1.DisclosedPayload
			for _, i := range idx {
				ev, _, err := c.Record(ctx, i)
				if err != nil {
					return err
				}
				want, ok := client.PayloadHashOf(ev.Record)
				if !ok {
					return &usageError{err: fmt.Errorf("log index %d is a %s, not a hashed event", i, tlv1.KindOf(ev.Record))}
				}
				var data []byte
				switch f, ok := files[i]; {
				case ok:
					data, err = os.ReadFile(f)
				case payloadDir != "":
					name := filepath.Join(payloadDir, hex.EncodeToString(want))
					if data, err = os.ReadFile(name + ".json"); errors.Is(err, os.ErrNotExist) {
						data, err = os.ReadFile(name)
					}
				default:
					err = fmt.Errorf("no payload for event %d: give --payload %d=FILE or --payload-dir", i, i)
				}
				if err != nil {
					return &usageError{err: err}
				}
				if got := sha256Of(data); !slices.Equal(got, want) {
					return &usageError{err: fmt.Errorf("the payload for event %d hashes to %x, the ledger records %x: it is not the payload that was recorded", i, got, want)}
				}
				payloads = append(payloads, &tlv1.DisclosedPayload{EventIndex: i, Payload: data})
			}
			d := &tlv1.Disclose{EventIndexes: idx, Purpose: purpose, LegalBasis: legal, Request: request}
			var recipients []string
			for _, p := range strings.Split(to, ",") {
				p = strings.TrimSpace(p)
				keys, _, err := c.EncryptionKeys(ctx, p)
				if err != nil {
					return err
				}
				if len(keys) == 0 {
					return &usageError{err: fmt.Errorf("--to %s: %q has no active encryption key on the ledger (it registers one with 'tx participant add-encryption-key')", p, p)}
				}
				for _, k := range keys {
					d.Recipients = append(d.Recipients, &tlv1.DisclosureRecipient{Participant: p, KeyId: k.Id})
					recipients = append(recipients, k.Recipient)
				}
			}
			ct, err := client.SealDisclosure(c.ChainID(), payloads, recipients)
			if err != nil {
				return err
			}
			sum, err := client.BlobStore{Dir: store}.Put(ct)
			if err != nil {
				return err
			}
			d.CiphertextSha256, d.CiphertextSize = sum, uint64(len(ct))
			res, err := c.Disclose(ctx, s, d)
			if err != nil {
				return err
			}
			id := uint64(0)
			if len(res.Indexes) > 0 {
				id = res.Indexes[0]
			}
			return tx.committed(cmd, res, map[string]any{"disclosure": id, "ciphertext_sha256": hex.EncodeToString(sum), "ciphertext_size": len(ct),
				"store": store, "recipients": d.Recipients},
				fmt.Sprintf("disclosure %d: %d payloads to %s, ciphertext %x (%d bytes) in %s", id, len(payloads), to, sum, len(ct), store))
		}),
	}
	tx.add(cmd, "name of your signing key in the keyring")
	cmd.Flags().StringVar(&events, "events", "", "log indexes of your hashed events, comma-separated (required)")
	cmd.Flags().StringVar(&to, "to", "", "recipient participant ids, comma-separated (required)")
	cmd.Flags().StringVar(&purpose, "purpose", "", "purpose of the disclosure, public (required)")
	cmd.Flags().StringVar(&legal, "legal-basis", "", "legal basis, public (required)")
	cmd.Flags().StringVar(&request, "request", "", "id <department>/<number> of the disclosure request this answers")
	cmd.Flags().StringVar(&store, "store", "", "content-addressed ciphertext store directory (required)")
	cmd.Flags().StringVar(&payloadDir, "payload-dir", "", "directory of payloads named by their hex SHA-256 (e.g. <gateway home>/epcis/payloads)")
	cmd.Flags().StringArrayVar(&payloadFiles, "payload", nil, "INDEX=FILE: the payload of one event (repeatable)")
	for _, f := range []string{"events", "to", "purpose", "legal-basis", "store"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

type disclosedView struct {
	Index         uint64 `json:"event_index"`
	Subject       string `json:"subject"`
	PayloadSHA256 string `json:"payload_sha256"`
	Payload       []byte `json:"payload"`
}

func newDiscloseOpenCmd() *cobra.Command {
	var (
		q           queryFlags
		from, store string
		pass        passphraseFlags
	)
	cmd := &cobra.Command{
		Use:   "open DISCLOSURE",
		Short: "Fetch, decrypt and verify a disclosure made to you (DISCLOSURE is its log index)",
		Long: `open reads the verified disclosure record, fetches its ciphertext from --store
(it must hash to the recorded SHA-256), decrypts it with your encryption key
--from, and checks every payload against the payload hash of its verified event
record. Only then does it print "verified disclosure" with the payloads. An
altered ciphertext or payload exits 2; a key that is not a recipient exits 1.`,
		Example: `  traceledger disclose open 12 --from agri-enc --store ./blobs`,
		Args:    cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			index, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return &usageError{err: fmt.Errorf("DISCLOSURE %q: want the disclosure's log index", args[0])}
			}
			kr, pw, err := unlockKeyring(cmd.Context(), q.conn.home, from, pass)
			if err != nil {
				return err
			}
			id, err := kr.Identity(from, pw)
			if err != nil {
				return err
			}
			fetch := client.BlobStore{Dir: store}.Get
			if strings.HasPrefix(store, "http://") || strings.HasPrefix(store, "https://") {
				fetch = client.HTTPBlobFetcher(store, nil)
			}
			vd, err := c.OpenDisclosure(cmd.Context(), index, fetch, id)
			switch {
			case errors.Is(err, client.ErrCiphertextMismatch), errors.Is(err, client.ErrPayloadMismatch):
				return notVerified(fmt.Errorf("disclosure %d is NOT verified: %w", index, err))
			case errors.Is(err, client.ErrNotRecipient), errors.Is(err, client.ErrNotDisclosure):
				return &usageError{err: err}
			case err != nil:
				return err
			}
			views := make([]disclosedView, 0, len(vd.Events))
			for _, e := range vd.Events {
				h, _ := client.PayloadHashOf(e.Event.Record)
				v := disclosedView{Index: e.Event.Index, PayloadSHA256: hex.EncodeToString(h), Payload: e.Payload}
				if ev := e.Event.Record.GetEvent(); ev != nil {
					v.Subject = ev.Subject
				} else if ep := e.Event.Record.GetEpcis(); ep != nil {
					v.Subject = strings.Join(ep.Subjects, " ")
				}
				views = append(views, v)
			}
			view := map[string]any{"disclosure": index, "verified": true, "discloser": vd.Record.Record.Signer,
				"purpose": vd.Disclose.Purpose, "legal_basis": vd.Disclose.LegalBasis, "request": vd.Disclose.Request,
				"recipients": vd.Disclose.Recipients, "events": views, "height": vd.Proven.Height}
			return q.out.print(cmd.OutOrStdout(), view, func(w io.Writer) {
				fmt.Fprintf(w, "verified disclosure %d by %s: %d payloads, each matching the payload hash on the ledger\n", index, vd.Record.Record.Signer, len(views))
				fmt.Fprintf(w, "purpose: %s\nlegal basis: %s\n", vd.Disclose.Purpose, vd.Disclose.LegalBasis)
				for _, v := range views {
					fmt.Fprintf(w, "event %d  %s  payload sha256 %s\n%s\n", v.Index, v.Subject, v.PayloadSHA256, v.Payload)
				}
				provenLine(w, vd.Proven)
			})
		}),
	}
	q.add(cmd)
	cmd.Flags().StringVar(&from, "from", "", "name of your encryption key in the keyring (required)")
	cmd.Flags().StringVar(&store, "store", "", "content-addressed ciphertext store: a directory, or an API server http(s)://HOST:PORT serving GET /v1/blobs/{sha256} (required)")
	pass.add(cmd)
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("store")
	return cmd
}

func newTxDisclosureCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "disclosure",
		Short: "Disclosure requests: a department requests payloads on a legal basis; the enterprise refuses or discloses",
	}
	cmd.AddCommand(newDisclosureRequestCmd(), newDisclosureRefuseCmd())
	return cmd
}

func newDisclosureRequestCmd() *cobra.Command {
	var (
		tx                                                txFlags
		number, enterprise, lot, typ, purpose, legal, due string
		from, until                                       string
	)
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Request, as a department, that an enterprise disclose payloads (a lot, a period, an event type) by a deadline",
		Long: `request records a RequestDisclosure with id <department>/<number>. The
enterprise answers with 'disclose create --request ID' or 'tx disclosure
refuse ID'. An open request past its deadline shows in the enterprise's credit
profile (query credit) and in 'query disclosure-requests'.`,
		Example: `  traceledger tx disclosure request --from agri-admin --number Q1 --enterprise farm1 \
      --lot urn:epc:class:lgtin:6901234.500012.LOT1 --deadline 2026-12-31 \
      --purpose "residue investigation" --legal-basis "Food Safety Law art. 110"`,
		Args: cobra.NoArgs,
		RunE: tx.out.run(func(cmd *cobra.Command, _ []string) error {
			r := &tlv1.RequestDisclosure{Number: number, Enterprise: enterprise, Lot: lot, EventType: typ, Purpose: purpose, LegalBasis: legal}
			var err error
			if r.PeriodFromMs, err = parseDate("--period-from", from); err != nil {
				return &usageError{err: err}
			}
			if r.PeriodUntilMs, err = parseDate("--period-until", until); err != nil {
				return &usageError{err: err}
			}
			if r.DeadlineMs, err = parseDate("--deadline", due); err != nil {
				return &usageError{err: err}
			}
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.RequestDisclosure(cmd.Context(), s, r)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"number": number, "enterprise": enterprise}, "requested disclosure "+number+" from "+enterprise)
		}),
	}
	tx.add(cmd, "name of a department key in the keyring")
	cmd.Flags().StringVar(&number, "number", "", "request number, unique for your department (required)")
	cmd.Flags().StringVar(&enterprise, "enterprise", "", "enterprise asked (required)")
	cmd.Flags().StringVar(&lot, "lot", "", "lot or product identifier")
	cmd.Flags().StringVar(&typ, "type", "", "event type")
	cmd.Flags().StringVar(&from, "period-from", "", "start of the period (date or RFC 3339)")
	cmd.Flags().StringVar(&until, "period-until", "", "end of the period (date or RFC 3339)")
	cmd.Flags().StringVar(&due, "deadline", "", "answer deadline (date or RFC 3339; required)")
	cmd.Flags().StringVar(&purpose, "purpose", "", "purpose (required)")
	cmd.Flags().StringVar(&legal, "legal-basis", "", "legal basis (required)")
	for _, f := range []string{"number", "enterprise", "deadline", "purpose", "legal-basis"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newDisclosureRefuseCmd() *cobra.Command {
	var (
		tx     txFlags
		reason string
	)
	cmd := &cobra.Command{
		Use:   "refuse REQUEST",
		Short: "Refuse, as the enterprise asked, a disclosure request (REQUEST is <department>/<number>) with a reason",
		Args:  cobra.ExactArgs(1),
		RunE: tx.out.run(func(cmd *cobra.Command, args []string) error {
			c, s, err := tx.signer(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.RefuseDisclosure(cmd.Context(), s, args[0], reason)
			if err != nil {
				return err
			}
			return tx.committed(cmd, res, map[string]any{"request": args[0]}, "refused disclosure request "+args[0])
		}),
	}
	tx.add(cmd, "name of your signing key in the keyring")
	cmd.Flags().StringVar(&reason, "reason", "", "public reason (required)")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newQueryEncryptionKeysCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "encryption-keys PARTICIPANT",
		Short: "Show a participant's active encryption keys, verified",
		Args:  cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			keys, p, err := c.EncryptionKeys(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			err = q.out.print(cmd.OutOrStdout(), map[string]any{"participant": args[0], "keys": keys, "height": p.Height, "verified": true}, func(w io.Writer) {
				for _, k := range keys {
					fmt.Fprintf(w, "%s  %s  added at height %d\n", k.Id, k.Recipient, k.AddedHeight)
				}
				if len(keys) == 0 {
					fmt.Fprintf(w, "%s has no active encryption key (proven)\n", args[0])
				}
				provenLine(w, p)
			})
			if err == nil && len(keys) == 0 {
				return negative("%s has no active encryption key (absence proven at state height %d)", args[0], p.Height)
			}
			return err
		}),
	}
	q.add(cmd)
	return cmd
}

type requestView struct {
	ID          string `json:"id"`
	Requester   string `json:"requester"`
	Enterprise  string `json:"enterprise"`
	Lot         string `json:"lot,omitempty"`
	LegalBasis  string `json:"legal_basis"`
	Deadline    string `json:"deadline"`
	Status      string `json:"status"`
	AnswerIndex uint64 `json:"answer_index,omitempty"`
	Overdue     bool   `json:"overdue"`
}

func newQueryDisclosureRequestsCmd() *cobra.Command {
	var q queryFlags
	var overdueOnly bool
	cmd := &cobra.Command{
		Use:   "disclosure-requests PARTICIPANT",
		Short: "List the disclosure requests made to or by a participant, with their verified state (overdue ones flagged)",
		Long: `The requests come from the participant's verified, complete history
"disclosure:<id>"; each one's state (open, disclosed, refused) is read verified
from the map. A request is overdue when it is still open and its deadline is
before the verified header's time.`,
		Args: cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, p, err := c.DisclosureRequests(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			views := []requestView{}
			for _, r := range list {
				if overdueOnly && !r.Overdue {
					continue
				}
				b := r.Request.Body
				views = append(views, requestView{ID: r.ID, Requester: r.Request.Requester, Enterprise: b.GetEnterprise(), Lot: b.GetLot(),
					LegalBasis: b.GetLegalBasis(), Deadline: time.UnixMilli(b.GetDeadlineMs()).UTC().Format(time.RFC3339),
					Status: strings.ToLower(strings.TrimPrefix(r.Request.Status.String(), "DISCLOSURE_REQUEST_STATUS_")), AnswerIndex: r.Request.AnswerIndex, Overdue: r.Overdue})
			}
			return q.out.print(cmd.OutOrStdout(), map[string]any{"participant": args[0], "requests": views, "height": p.Height, "verified": true}, func(w io.Writer) {
				for _, v := range views {
					flag := ""
					if v.Overdue {
						flag = "  OVERDUE"
					}
					fmt.Fprintf(w, "%s  %s -> %s  %s  deadline %s  legal basis %q%s\n", v.ID, v.Requester, v.Enterprise, v.Status, v.Deadline, v.LegalBasis, flag)
				}
				fmt.Fprintf(w, "%d requests\n", len(views))
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	cmd.Flags().BoolVar(&overdueOnly, "overdue", false, "list only open requests past their deadline")
	return cmd
}

// describeDisclosureRecord is the subject and note `query record` shows
// for a record of the disclosure domain.
func describeDisclosureRecord(r *tlv1.DisclosureRecord) (subject, note string) {
	switch b := r.GetBody().(type) {
	case *tlv1.DisclosureRecord_EncryptionKey:
		k := b.EncryptionKey
		return k.Participant, fmt.Sprintf("encryption key %s %s %s", k.KeyId, strings.ToLower(strings.TrimPrefix(k.Action.String(), "KEY_ACTION_")), k.NewKeyId)
	case *tlv1.DisclosureRecord_Disclosure:
		d := b.Disclosure
		to := make([]string, 0, len(d.Recipients))
		for _, r := range d.Recipients {
			to = append(to, r.Participant)
		}
		return fmt.Sprint(d.EventIndexes), fmt.Sprintf("disclosed to %s for %q on %q, ciphertext %x", strings.Join(to, ","), d.Purpose, d.LegalBasis, d.CiphertextSha256)
	case *tlv1.DisclosureRecord_Request:
		q := b.Request
		return tlv1.DisclosureRequestID(q.Requester, q.Body.GetNumber()), fmt.Sprintf("request to %s on %q", q.Body.GetEnterprise(), q.Body.GetLegalBasis())
	case *tlv1.DisclosureRecord_Refused:
		return b.Refused.Request, "refused: " + b.Refused.Reason
	}
	return "", ""
}

type disclosureView struct {
	Index      uint64                      `json:"disclosure"`
	Time       string                      `json:"time"`
	Discloser  string                      `json:"discloser"`
	Events     []uint64                    `json:"event_indexes"`
	Recipients []*tlv1.DisclosureRecipient `json:"recipients"`
	Purpose    string                      `json:"purpose"`
	LegalBasis string                      `json:"legal_basis"`
	Request    string                      `json:"request,omitempty"`
	Ciphertext string                      `json:"ciphertext_sha256"`
}

func newQueryDisclosuresCmd() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "disclosures PARTICIPANT",
		Short: "List the disclosures a participant made or received (who was given which events' data), verified",
		Long: `The disclosures come from the participant's verified, complete history
"disclosure:<id>": each names the events, the recipients and the key each was
encrypted to, the purpose and the legal basis. The ledger proves who was given
the data, not what a recipient did with it (docs/DISCLOSURE.md).`,
		Args: cobra.ExactArgs(1),
		RunE: q.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			recs, p, err := c.Disclosures(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			views := []disclosureView{}
			for _, r := range recs {
				d := r.Record.GetDisclosure().GetDisclosure()
				views = append(views, disclosureView{Index: r.Index, Time: time.UnixMilli(r.Record.TimeMs).UTC().Format(time.RFC3339), Discloser: r.Record.Signer,
					Events: d.EventIndexes, Recipients: d.Recipients, Purpose: d.Purpose, LegalBasis: d.LegalBasis, Request: d.Request,
					Ciphertext: hex.EncodeToString(d.CiphertextSha256)})
			}
			return q.out.print(cmd.OutOrStdout(), map[string]any{"participant": args[0], "disclosures": views, "height": p.Height, "verified": true}, func(w io.Writer) {
				for _, v := range views {
					to := make([]string, 0, len(v.Recipients))
					for _, r := range v.Recipients {
						to = append(to, r.Participant+"/"+r.KeyId)
					}
					fmt.Fprintf(w, "%d  %s  %s -> %s  events %v  purpose %q  legal basis %q\n", v.Index, v.Time, v.Discloser, strings.Join(to, ","), v.Events, v.Purpose, v.LegalBasis)
				}
				fmt.Fprintf(w, "%d disclosures\n", len(views))
				provenLine(w, p)
			})
		}),
	}
	q.add(cmd)
	return cmd
}
