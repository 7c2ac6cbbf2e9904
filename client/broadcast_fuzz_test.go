// SPDX-License-Identifier: Apache-2.0

package client

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzDecodeAPITxAnswer feeds arbitrary answers of an API server to the
// decoder of POST /v1/txs: it never panics, an acceptance has a hash (and
// a height when committed), and anything else is a *TxError or an
// *APIError.
func FuzzDecodeAPITxAnswer(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"hash":"ab01","code":0,"committed":true,"height":7,"log_indexes":[3]}`))
	f.Add(202, "application/json; charset=utf-8", []byte(`{"hash":"ab01","code":0,"committed":false}`))
	f.Add(422, "application/problem+json", []byte(`{"status":422,"code":6,"name":"sequence_replayed","stage":"check","detail":"x","rejection":{"code":6,"next_sequence":4}}`))
	f.Add(503, "application/problem+json", []byte(`{"status":503,"code":91,"name":"node_unavailable","detail":"down"}`))
	f.Add(404, "text/plain", []byte("404 page not found"))
	f.Fuzz(func(t *testing.T, status int, contentType string, data []byte) {
		out, err := decodeAPITxAnswer("http://api.invalid/v1/txs", status, contentType, data)
		if err == nil {
			if out == nil || len(out.Hash) == 0 || (status != http.StatusOK && status != http.StatusAccepted) || out.Height < 0 {
				t.Fatalf("accepted %+v from status %d", out, status)
			}
			return
		}
		var te *TxError
		var ae *APIError
		if out != nil || (!errors.As(err, &te) && !errors.As(err, &ae)) {
			t.Fatalf("answer %v with error %T %v", out, err, err)
		}
		if te != nil && te.Rejection != nil && te.Rejection.Code != te.Code {
			t.Fatalf("rejection facts of code %d on a refusal of code %d", te.Rejection.Code, te.Code)
		}
	})
}
