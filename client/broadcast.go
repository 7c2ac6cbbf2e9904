// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// Broadcaster is the transport that hands signed transactions to the
// network: a node's CometBFT RPC (the default) or an API server's
// POST /v1/txs (NewAPIBroadcaster), for systems that may reach only the
// API. It carries writes only; reads, and the verification of what they
// answer, stay with the client's node.
type Broadcaster interface {
	// BroadcastTx hands tx to a mempool and returns its hash. With commit,
	// a transport that can wait for the block does, and returns the
	// outcome with Height set; otherwise (or when its own wait ended
	// first) Height is 0 and the caller waits with WaitTx. A refusal is a
	// *TxError (stage "check", or "deliver" after a wait); any other error
	// means the transaction may not have been handed over.
	BroadcastTx(ctx context.Context, tx []byte, commit bool) (*Committed, error)
}

// UseBroadcaster makes the client submit through b from now on (nil: back
// to the node's RPC). Sequences already handed out stay valid: they are
// the signer's, not the transport's.
func (c *Client) UseBroadcaster(b Broadcaster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bc = b
}

// NodeBroadcaster is the default transport: the client's node's
// broadcast_tx_sync (it never waits; Submit then polls the node).
func (c *Client) NodeBroadcaster() Broadcaster { return rpcBroadcaster{c.rpc} }

// broadcaster is the transport in use.
func (c *Client) broadcaster() Broadcaster {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bc == nil {
		return c.NodeBroadcaster()
	}
	return c.bc
}

// rpcBroadcaster submits through a node's broadcast_tx_sync; it never
// waits (the client polls the node's tx index).
type rpcBroadcaster struct{ rpc *rpchttp.HTTP }

func (b rpcBroadcaster) BroadcastTx(ctx context.Context, tx []byte, _ bool) (*Committed, error) {
	res, err := b.rpc.BroadcastTxSync(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != 0 {
		return nil, newTxError("check", res.Code, res.Codespace, res.Log, res.Data)
	}
	return &Committed{Hash: res.Hash}, nil
}

// APIBroadcaster submits through an API server's POST /v1/txs (docs/API.md,
// "Submissions"). The server never sees a key: it gets the signed bytes.
// Its refusals come back as the same *TxError a node's RPC gives (code,
// stage, the Rejection facts); its other problem documents as *APIError.
type APIBroadcaster struct {
	base string
	http *http.Client
}

// maxAPIAnswerBytes caps what is read of a submission's answer.
const maxAPIAnswerBytes = 1 << 20

// NewAPIBroadcaster submits to the API server at baseURL (scheme, host and
// an optional path prefix, e.g. http://127.0.0.1:8080). hc is the HTTP
// client to use (nil: a new one; the context bounds every request).
func NewAPIBroadcaster(baseURL string, hc *http.Client) (*APIBroadcaster, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("API address %q: give http(s)://HOST:PORT[/prefix] of a TraceLedger API server, e.g. http://127.0.0.1:8080", baseURL)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &APIBroadcaster{base: strings.TrimRight(u.String(), "/"), http: hc}, nil
}

// URL is the API server's base address.
func (b *APIBroadcaster) URL() string { return b.base }

// apiTxRequest and apiTxAnswer are the JSON of POST /v1/txs, written here
// from docs/API.md (package client does not import package api).
type apiTxRequest struct {
	Tx   []byte `json:"tx"`
	Wait string `json:"wait,omitempty"`
}

type apiTxAnswer struct {
	Hash       string   `json:"hash"`
	Code       uint32   `json:"code"`
	Committed  bool     `json:"committed"`
	Height     int64    `json:"height"`
	LogIndexes []uint64 `json:"log_indexes"`
}

// apiProblem is the part of an RFC 7807 problem document a submission's
// refusal is read from.
type apiProblem struct {
	Status    int             `json:"status"`
	Detail    string          `json:"detail"`
	Code      uint32          `json:"code"`
	Name      string          `json:"name"`
	Field     string          `json:"field"`
	Hint      string          `json:"hint"`
	Stage     string          `json:"stage"`
	Rejection *tlv1.Rejection `json:"rejection"`
}

// APIError is an API server's answer to a submission that is neither an
// acceptance nor a refusal of the transaction itself: the server could
// not reach its node (503), ran out of time (504), or is no TraceLedger
// API (Code 0, the answer's text in Detail).
type APIError struct {
	// URL is the request's address, Status its HTTP status.
	URL    string
	Status int
	// Code and Name are the stable code of the problem document
	// (docs/ERRORS.md); Field, Detail and Hint its members.
	Code                uint32
	Name                string
	Field, Detail, Hint string
}

func (e *APIError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("API server %s answered %d %s: %s", e.URL, e.Status, http.StatusText(e.Status), e.Detail)
	}
	s := fmt.Sprintf("API server %s answered %d: %s (code %d): %s", e.URL, e.Status, e.Name, e.Code, e.Detail)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// BroadcastTx posts tx to /v1/txs, with wait=commit when commit is set.
func (b *APIBroadcaster) BroadcastTx(ctx context.Context, tx []byte, commit bool) (*Committed, error) {
	wait := "sync"
	if commit {
		wait = "commit"
	}
	body, err := json.Marshal(apiTxRequest{Tx: tx, Wait: wait})
	if err != nil {
		return nil, fmt.Errorf("encode the submission: %w", err)
	}
	target := b.base + "/v1/txs"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("submit to %s: %w", target, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	res, err := b.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("submit to %s: %w", target, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAPIAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", target, err)
	}
	return decodeAPITxAnswer(target, res.StatusCode, res.Header.Get("Content-Type"), data)
}

// decodeAPITxAnswer reads the answer of POST /v1/txs: an acceptance (200
// committed, 202 in the mempool), a refusal of the transaction (a problem
// document with a stage: *TxError) or another problem (*APIError).
func decodeAPITxAnswer(target string, status int, contentType string, data []byte) (*Committed, error) {
	media, _, _ := mime.ParseMediaType(contentType)
	switch {
	case (status == http.StatusOK || status == http.StatusAccepted) && media == "application/json":
		var a apiTxAnswer
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, &APIError{URL: target, Status: status, Detail: fmt.Sprintf("the answer is not a submission's outcome: %v", err)}
		}
		hash, err := hex.DecodeString(a.Hash)
		if err != nil || len(hash) == 0 {
			return nil, &APIError{URL: target, Status: status, Detail: fmt.Sprintf("the answer's hash %q is not hex", a.Hash)}
		}
		out := &Committed{Hash: hash}
		if a.Committed {
			if a.Height <= 0 {
				return nil, &APIError{URL: target, Status: status, Detail: "the answer says committed but names no height"}
			}
			out.Height, out.Indexes = a.Height, a.LogIndexes
		}
		return out, nil
	case media == "application/problem+json":
		var p apiProblem
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, &APIError{URL: target, Status: status, Detail: fmt.Sprintf("unreadable problem document: %v", err)}
		}
		if p.Stage != "" {
			// A refusal of the transaction: the same facts a node's RPC
			// gives (the API answers a refusal by CometBFT itself with
			// code internal).
			te := &TxError{Code: p.Code, Codespace: tlv1.Codespace, Log: p.Detail, Stage: p.Stage}
			if p.Rejection != nil && p.Rejection.Code == p.Code {
				te.Rejection = p.Rejection
			}
			return nil, te
		}
		return nil, &APIError{URL: target, Status: status, Code: p.Code, Name: p.Name, Field: p.Field, Detail: p.Detail, Hint: p.Hint}
	}
	text := strings.TrimSpace(string(data))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	return nil, &APIError{URL: target, Status: status, Detail: fmt.Sprintf("not a TraceLedger API answer (%s): %s", contentType, text)}
}
