// SPDX-License-Identifier: Apache-2.0

package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/traceledger/traceledger/client"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TxRequest is the body of POST /v1/txs: a transaction the client signed
// (the server never sees a key).
type TxRequest struct {
	// Tx is the marshalled traceledger.v1.Tx, base64.
	Tx []byte `json:"tx"`
	// Wait is "commit" to answer once the transaction is in a block, or
	// "" / "sync" to answer once the mempool accepted it. ?wait=commit
	// does the same.
	Wait string `json:"wait,omitempty"`
}

// TxAnswer is the outcome of a submission.
type TxAnswer struct {
	// Hash is the transaction hash (hex), to look it up.
	Hash string `json:"hash"`
	// Code is 0: accepted (refusals are problem documents).
	Code uint32 `json:"code"`
	// Committed is true when the answer waited for the block; Height and
	// LogIndexes (the records the transaction appended) are then set.
	Committed  bool     `json:"committed"`
	Height     int64    `json:"height,omitempty"`
	LogIndexes []uint64 `json:"log_indexes,omitempty"`
}

// submit broadcasts a signed transaction.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	req, perr := s.decodeTx(w, r)
	if perr != nil {
		writeProblem(w, perr)
		return
	}
	res, err := s.c.RPC().BroadcastTxSync(ctx, req.Tx)
	if err != nil {
		s.fail(ctx, w, r, fmt.Errorf("broadcast: %w", err))
		return
	}
	hash := strings.ToLower(res.Hash.String())
	if res.Code != 0 {
		writeProblem(w, txProblem(txError("check", res.Code, res.Codespace, res.Log, res.Data)))
		return
	}
	if req.Wait != "commit" {
		writeJSON(w, http.StatusAccepted, TxAnswer{Hash: hash})
		return
	}
	c, err := s.c.WaitTx(ctx, res.Hash)
	var te *client.TxError
	switch {
	case errors.As(err, &te):
		writeProblem(w, txProblem(te))
	case err != nil && ctx.Err() != nil:
		// Accepted by the mempool but not yet in a block: the client
		// looks it up by hash rather than sending it again.
		writeJSON(w, http.StatusAccepted, TxAnswer{Hash: hash})
	case err != nil:
		s.fail(ctx, w, r, err)
	default:
		writeJSON(w, http.StatusOK, TxAnswer{Hash: hash, Committed: true, Height: c.Height, LogIndexes: c.Indexes})
	}
}

// decodeTx reads and checks the body of a submission.
func (s *Server) decodeTx(w http.ResponseWriter, r *http.Request) (*TxRequest, *problemError) {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var req TxRequest
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &problemError{status: http.StatusRequestEntityTooLarge, code: tlv1.CodeAPIRequestTooLarge, field: "tx",
				detail: fmt.Sprintf("the request body exceeds %d bytes", mbe.Limit), hint: "split the transaction"}
		}
		return nil, badRequest(tlv1.CodeTxDecode, "tx", `send {"tx": "<base64 of the signed traceledger.v1.Tx>"}`, "the body is not a submission: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badRequest(tlv1.CodeTxDecode, "tx", "send one JSON object", "data after the submission")
	}
	if w := r.URL.Query().Get("wait"); w != "" {
		req.Wait = w
	}
	switch req.Wait {
	case "", "sync", "commit":
	default:
		return nil, badRequest(tlv1.CodeInvalidQuery, "wait", `wait is "commit" or "sync"`, "wait %q is neither commit nor sync", req.Wait)
	}
	if len(req.Tx) == 0 {
		return nil, badRequest(tlv1.CodeEmptyTx, "tx", "put the signed transaction, base64, in tx", "no transaction")
	}
	var tx tlv1.Tx
	if err := tx.Unmarshal(req.Tx); err != nil {
		return nil, badRequest(tlv1.CodeTxDecode, "tx", "build the transaction with the client library (client.BuildTx)", "tx is not a traceledger.v1.Tx: %v", err)
	}
	return &req, nil
}

// txError is the refusal of a transaction with the facts its result's
// data carries, decoded by the contract owner (tlv1.RejectionOf), the one
// decoder of refusal facts.
func txError(stage string, code uint32, codespace, log string, data []byte) *client.TxError {
	return &client.TxError{Code: code, Codespace: codespace, Log: log, Stage: stage, Rejection: tlv1.RejectionOf(codespace, code, data)}
}

// txProblem answers a refused transaction: 422 with the stable code and
// the refusal's facts (400 when the bytes are not a transaction).
func txProblem(te *client.TxError) *problemError {
	status := http.StatusUnprocessableEntity
	code := tlv1.Code(te.Code)
	if te.Codespace != tlv1.Codespace {
		code = tlv1.CodeInternal // refused by CometBFT itself (mempool full, tx already in cache)
		status = http.StatusServiceUnavailable
	}
	switch code {
	case tlv1.CodeTxDecode:
		status = http.StatusBadRequest
	case tlv1.CodeTxTooLarge:
		status = http.StatusRequestEntityTooLarge
	}
	return &problemError{status: status, code: code, field: "tx", stage: te.Stage, detail: te.Log,
		rejection: rejectionView(te.Rejection), hint: txHint(code)}
}

// txHint says what to do about the refusals met most.
func txHint(c tlv1.Code) string {
	switch c {
	case tlv1.CodeBadSignature:
		return "sign SignBytes(body_bytes) with the key named in body.signer"
	case tlv1.CodeSequenceReplayed, tlv1.CodeSequenceGap:
		return "re-sign with rejection.next_sequence"
	case tlv1.CodeUnknownSigner:
		return "have your department register the key"
	case tlv1.CodeWrongChainID:
		return "sign for this network's chain id (GET /v1/status)"
	case tlv1.CodeEventDuplicate, tlv1.CodeEPCISDuplicateEvent:
		return "already recorded at rejection.existing_index: nothing to do"
	case tlv1.CodeInternal:
		return "the node refused it before the application saw it; retry later"
	}
	return "see docs/ERRORS.md"
}
