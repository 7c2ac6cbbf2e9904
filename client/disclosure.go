// SPDX-License-Identifier: Apache-2.0

package client

// Encrypted disclosure of hashed payloads (issue 18; docs/DISCLOSURE.md).
// The payloads are encrypted once with age to every recipient's X25519
// encryption key, the ciphertext goes to a content-addressed store
// (BlobStore) and a Disclose record on the ledger names the events, the
// ciphertext's SHA-256, the recipients, the purpose and the legal basis. A
// recipient opens it with OpenDisclosure: the ciphertext must hash to the
// verified record's value, decrypt with the recipient's identity, and
// every payload must hash to the payload hash of its verified event
// record. Only then is the disclosure "verified".

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Disclosure failures callers branch on.
var (
	// ErrNotDisclosure means the record at the index is not a disclosure.
	ErrNotDisclosure = errors.New("not a disclosure record")
	// ErrCiphertextMismatch means the fetched ciphertext does not hash to
	// the value the ledger records (it was altered or is another one).
	ErrCiphertextMismatch = errors.New("ciphertext does not match the disclosure record")
	// ErrNotRecipient means none of the given identities can decrypt the
	// ciphertext.
	ErrNotRecipient = errors.New("not a recipient of this disclosure")
	// ErrPayloadMismatch means a decrypted payload does not hash to the
	// payload hash its event record carries: it is not what was recorded.
	ErrPayloadMismatch = errors.New("payload does not match the hash on the ledger")
)

// AddEncryptionKey registers recipient (an age X25519 recipient) as an
// encryption key of the signer; with replaces set it rotates that key.
func (c *Client) AddEncryptionKey(ctx context.Context, s Signer, recipient, replaces string) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_AddEncryptionKey{AddEncryptionKey: &tlv1.AddEncryptionKey{Recipient: recipient, ReplacesKeyId: replaces}}})
}

// RevokeEncryptionKey revokes an encryption key of participant (empty:
// the signer's own).
func (c *Client) RevokeEncryptionKey(ctx context.Context, s Signer, participant, keyID, reason string) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RevokeEncryptionKey{RevokeEncryptionKey: &tlv1.RevokeEncryptionKey{
		Participant: participant, KeyId: keyID, Reason: reason}}})
}

// EncryptionKeys returns the verified active encryption keys of a
// participant, in the order they were added (none when proven absent).
func (c *Client) EncryptionKeys(ctx context.Context, participant string) ([]*tlv1.EncryptionKey, Proven, error) {
	set, p, err := valueOf[tlv1.EncryptionKeySet](ctx, c, tlv1.EncryptionKeySetKey(participant), "encryption key set")
	if err != nil || set == nil {
		return nil, p, err
	}
	out := make([]*tlv1.EncryptionKey, 0, len(set.Active))
	for _, id := range set.Active {
		k, _, err := valueOf[tlv1.EncryptionKey](ctx, c, tlv1.EncryptionKeyKey(participant, id), "encryption key")
		if err != nil {
			return nil, p, err
		}
		if k == nil || k.Status != tlv1.KEY_STATUS_ACTIVE || k.Id != id || k.Participant != participant {
			return nil, p, fmt.Errorf("%w: the active encryption key %s of %q is missing or not active", ErrNotVerified, id, participant)
		}
		out = append(out, k)
	}
	return out, p, nil
}

// SealDisclosure encrypts the payloads once to every recipient and
// returns the age ciphertext of their DisclosurePlaintext.
func SealDisclosure(chainID string, payloads []*tlv1.DisclosedPayload, recipients []string) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("seal disclosure: no recipients")
	}
	rs := make([]age.Recipient, 0, len(recipients))
	for _, r := range recipients {
		x, err := age.ParseX25519Recipient(r)
		if err != nil {
			return nil, fmt.Errorf("seal disclosure: recipient %q: %w", r, err)
		}
		rs = append(rs, x)
	}
	pt, err := (&tlv1.DisclosurePlaintext{ChainId: chainID, Payloads: payloads}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("seal disclosure: %w", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, fmt.Errorf("seal disclosure: %w", err)
	}
	if _, err := w.Write(pt); err != nil {
		return nil, fmt.Errorf("seal disclosure: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal disclosure: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeDisclosurePlaintext decodes a decrypted disclosure and checks it
// against what its record names: the chain and exactly the record's
// events, in order, each once.
func DecodeDisclosurePlaintext(bz []byte, chainID string, eventIndexes []uint64) (*tlv1.DisclosurePlaintext, error) {
	var pt tlv1.DisclosurePlaintext
	if err := pt.Unmarshal(bz); err != nil {
		return nil, fmt.Errorf("disclosure plaintext does not decode: %w", err)
	}
	if pt.ChainId != chainID {
		return nil, fmt.Errorf("disclosure plaintext is for chain %q, not %q", pt.ChainId, chainID)
	}
	if len(pt.Payloads) != len(eventIndexes) {
		return nil, fmt.Errorf("disclosure plaintext holds %d payloads, the record names %d events", len(pt.Payloads), len(eventIndexes))
	}
	for i, p := range pt.Payloads {
		if p == nil || p.EventIndex != eventIndexes[i] {
			return nil, fmt.Errorf("disclosure plaintext payload %d is not for event %d", i, eventIndexes[i])
		}
	}
	return &pt, nil
}

// PayloadHashOf returns the payload hash a trace event record carries:
// record_event's payload_sha256, or a hashed EPCIS event's.
func PayloadHashOf(r *tlv1.Record) ([]byte, bool) {
	switch b := r.GetBody().(type) {
	case *tlv1.Record_Event:
		return b.Event.GetPayloadSha256(), true
	case *tlv1.Record_Epcis:
		if h := b.Epcis.GetHashed(); h != nil {
			return h.GetPayloadSha256(), true
		}
	}
	return nil, false
}

// DisclosedEvent is one payload of a verified disclosure and its event.
type DisclosedEvent struct {
	Event   *VerifiedRecord
	Payload []byte
}

// VerifiedDisclosure is an opened disclosure whose record, ciphertext
// and every payload were checked against the ledger.
type VerifiedDisclosure struct {
	Record    *VerifiedRecord
	Disclose  *tlv1.Disclose
	Recipient *tlv1.DisclosureRecipient // the recipient whose key opened it
	Events    []DisclosedEvent
	Proven    Proven
}

// Disclosure returns the verified disclosure record at a log index.
func (c *Client) Disclosure(ctx context.Context, index uint64) (*VerifiedRecord, *tlv1.Disclose, Proven, error) {
	vr, p, err := c.Record(ctx, index)
	if err != nil {
		return nil, nil, p, err
	}
	d := vr.Record.GetDisclosure().GetDisclosure()
	if d == nil {
		return nil, nil, p, fmt.Errorf("log index %d is a %s: %w", index, tlv1.KindOf(vr.Record), ErrNotDisclosure)
	}
	return vr, d, p, nil
}

// OpenDisclosure fetches, decrypts and verifies the disclosure at log
// index: the record is verified, the ciphertext from fetch must hash to
// the recorded SHA-256, identity must be one of the recipients' keys, and
// every payload must hash to its verified event's payload hash.
func (c *Client) OpenDisclosure(ctx context.Context, index uint64, fetch func(sum []byte) ([]byte, error), identity *age.X25519Identity) (*VerifiedDisclosure, error) {
	vr, d, p, err := c.Disclosure(ctx, index)
	if err != nil {
		return nil, err
	}
	ct, err := fetch(d.CiphertextSha256)
	if err != nil {
		return nil, fmt.Errorf("fetch ciphertext %x: %w", d.CiphertextSha256, err)
	}
	if sum := sha256.Sum256(ct); !bytes.Equal(sum[:], d.CiphertextSha256) || uint64(len(ct)) != d.CiphertextSize {
		return nil, fmt.Errorf("ciphertext of %d bytes hashes to %x; the record says %x (%d bytes): %w", len(ct), sum, d.CiphertextSha256, d.CiphertextSize, ErrCiphertextMismatch)
	}
	var recipient *tlv1.DisclosureRecipient
	mine := tlv1.EncryptionKeyID(identity.Recipient().String())
	for _, r := range d.Recipients {
		if r.KeyId == mine {
			recipient = r
		}
	}
	if recipient == nil {
		return nil, fmt.Errorf("encryption key %s is not among the disclosure's recipients: %w", mine, ErrNotRecipient)
	}
	rd, err := age.Decrypt(bytes.NewReader(ct), identity)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%w: %w", ErrNotRecipient, err)
		}
		return nil, fmt.Errorf("decrypt: %w: %w", ErrCiphertextMismatch, err)
	}
	bz, err := io.ReadAll(io.LimitReader(rd, tlv1.MaxDisclosureCiphertext))
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w: %w", ErrCiphertextMismatch, err)
	}
	pt, err := DecodeDisclosurePlaintext(bz, c.ChainID(), d.EventIndexes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPayloadMismatch, err)
	}
	out := &VerifiedDisclosure{Record: vr, Disclose: d, Recipient: recipient, Proven: p}
	for _, pl := range pt.Payloads {
		ev, _, err := c.Record(ctx, pl.EventIndex)
		if err != nil {
			return nil, err
		}
		want, ok := PayloadHashOf(ev.Record)
		if !ok || ev.Record.Signer != vr.Record.Signer {
			return nil, fmt.Errorf("%w: event %d is not a hashed event of %q", ErrPayloadMismatch, pl.EventIndex, vr.Record.Signer)
		}
		if got := sha256.Sum256(pl.Payload); !bytes.Equal(got[:], want) {
			return nil, fmt.Errorf("payload of event %d hashes to %x, the ledger records %x: %w", pl.EventIndex, got, want, ErrPayloadMismatch)
		}
		out.Events = append(out.Events, DisclosedEvent{Event: ev, Payload: pl.Payload})
	}
	return out, nil
}

// Disclose records a disclosure (the ciphertext must already be stored
// where the recipients can fetch it).
func (c *Client) Disclose(ctx context.Context, s Signer, d *tlv1.Disclose) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_Disclose{Disclose: d}})
}

// RequestDisclosure records a department's request for disclosure.
func (c *Client) RequestDisclosure(ctx context.Context, s Signer, r *tlv1.RequestDisclosure) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RequestDisclosure{RequestDisclosure: r}})
}

// RefuseDisclosure records an enterprise's refusal of a request.
func (c *Client) RefuseDisclosure(ctx context.Context, s Signer, request, reason string) (*Committed, error) {
	return c.Submit(ctx, s, &tlv1.Msg{Sum: &tlv1.Msg_RefuseDisclosure{RefuseDisclosure: &tlv1.RefuseDisclosure{Request: request, Reason: reason}}})
}

// DisclosureRequest returns a verified request, or nil when proven absent.
func (c *Client) DisclosureRequest(ctx context.Context, id string) (*tlv1.DisclosureRequest, Proven, error) {
	return valueOf[tlv1.DisclosureRequest](ctx, c, tlv1.DisclosureRequestKey(id), "disclosure request")
}

// RequestState is a request with its verified current state.
type RequestState struct {
	ID      string
	Request *tlv1.DisclosureRequest
	// Overdue is true when the request is still open and its deadline is
	// before the verified header's time.
	Overdue bool
}

// DisclosureRequests returns every request addressed to or made by
// participant, from its verified, complete disclosure history, each with
// its verified current state.
func (c *Client) DisclosureRequests(ctx context.Context, participant string) ([]RequestState, Proven, error) {
	h, p, err := c.History(ctx, tlv1.DisclosureSubject(participant))
	if err != nil {
		return nil, p, err
	}
	var now int64
	if p.Header != nil {
		now = p.Header.Time.UnixMilli()
	}
	var out []RequestState
	for _, r := range h.Records {
		q := r.Record.GetDisclosure().GetRequest()
		if q == nil {
			continue
		}
		id := tlv1.DisclosureRequestID(q.Requester, q.Body.GetNumber())
		cur, _, err := c.DisclosureRequest(ctx, id)
		if err != nil {
			return nil, p, err
		}
		if cur == nil {
			return nil, p, fmt.Errorf("%w: request %q is in the history but not in the map", ErrNotVerified, id)
		}
		out = append(out, RequestState{ID: id, Request: cur,
			Overdue: cur.Status == tlv1.DISCLOSURE_REQUEST_STATUS_OPEN && now > cur.Body.GetDeadlineMs()})
	}
	return out, p, nil
}

// OverdueRequests returns the requests addressed to enterprise that are
// still open past their deadline.
func (c *Client) OverdueRequests(ctx context.Context, enterprise string) ([]RequestState, error) {
	all, _, err := c.DisclosureRequests(ctx, enterprise)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(r RequestState) bool { return !r.Overdue || r.Request.Body.GetEnterprise() != enterprise }), nil
}

// Disclosures returns the verified disclosure records of participant's
// complete history "disclosure:<id>": every disclosure it made, received
// or that answered its requests, in log order. This is the audit trail of
// who was given the data behind which events.
func (c *Client) Disclosures(ctx context.Context, participant string) ([]*VerifiedRecord, Proven, error) {
	h, p, err := c.History(ctx, tlv1.DisclosureSubject(participant))
	if err != nil {
		return nil, p, err
	}
	var out []*VerifiedRecord
	for _, r := range h.Records {
		if r.Record.GetDisclosure().GetDisclosure() != nil {
			out = append(out, r)
		}
	}
	return out, p, nil
}

// BlobStore is a content-addressed directory of ciphertexts: each file is
// named by the lower-case hex SHA-256 of its bytes. It holds only
// ciphertext; Get checks the hash of what it reads.
type BlobStore struct{ Dir string }

func (s BlobStore) path(sum []byte) string { return filepath.Join(s.Dir, hex.EncodeToString(sum)) }

// Put stores data and returns its SHA-256.
func (s BlobStore) Put(data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	if err := os.MkdirAll(s.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("blob store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(sum[:])); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return sum[:], nil
}

// Get returns the blob whose SHA-256 is sum, refusing one whose bytes do
// not hash to its name.
func (s BlobStore) Get(sum []byte) ([]byte, error) {
	if len(sum) != sha256.Size {
		return nil, fmt.Errorf("blob store: %d-byte hash, want %d", len(sum), sha256.Size)
	}
	data, err := os.ReadFile(s.path(sum))
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	if got := sha256.Sum256(data); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("blob store: %s holds bytes hashing to %x: %w", s.path(sum), got, ErrCiphertextMismatch)
	}
	return data, nil
}

// HTTPBlobFetcher fetches ciphertexts from an API server's GET
// /v1/blobs/{sha256} (base is its URL, http(s)://HOST:PORT); nil hc is
// http.DefaultClient. The bytes are not trusted: OpenDisclosure checks
// them against the verified record.
func HTTPBlobFetcher(base string, hc *http.Client) func(sum []byte) ([]byte, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	return func(sum []byte) ([]byte, error) {
		u := strings.TrimRight(base, "/") + "/v1/blobs/" + hex.EncodeToString(sum)
		resp, err := hc.Get(u)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", u, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, tlv1.MaxDisclosureCiphertext+1))
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", u, err)
		}
		return data, nil
	}
}

// ParseSHA256 reads a 64-digit hex SHA-256.
func ParseSHA256(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("%q is not a hex SHA-256 (64 hex digits)", s)
	}
	return b, nil
}
