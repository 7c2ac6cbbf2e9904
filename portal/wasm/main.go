// SPDX-License-Identifier: Apache-2.0

//go:build js && wasm

// Command wasm is the portal's in-browser verifier (make wasm builds it
// into portal/assets/verifier.wasm.gz). It registers two functions on the
// page's global object and then waits:
//
//	traceledgerVerify(input: string): string
//	    input is a portal/verify Input as JSON (the genesis the page
//	    carries, the pinned hash, the proof bundle and the API answers);
//	    the result is a portal/verify Result as JSON.
//	traceledgerTrustRoot(genesis: string): string
//	    genesis is the page's genesis document (base64); the result is
//	    {chain_id, genesis_hash, validators, initial_height} or {error}.
//
// When they are registered it calls traceledgerReady() if the page
// defined it.
package main

import (
	"encoding/base64"
	"encoding/json"
	"syscall/js"

	"github.com/traceledger/traceledger/portal/verify"
	"github.com/traceledger/traceledger/proof/lightblock"
)

func main() {
	g := js.Global()
	g.Set("traceledgerVerify", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 {
			return encode(map[string]any{"verified": false, "errors": []string{"traceledgerVerify takes one argument"}})
		}
		in, err := verify.Decode([]byte(args[0].String()))
		if err != nil {
			return encode(map[string]any{"verified": false, "errors": []string{err.Error()}})
		}
		return encode(verify.Verify(in))
	}))
	g.Set("traceledgerTrustRoot", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 {
			return encode(map[string]string{"error": "traceledgerTrustRoot takes one argument"})
		}
		doc, err := base64.StdEncoding.DecodeString(args[0].String())
		if err != nil {
			return encode(map[string]string{"error": "the genesis is not base64: " + err.Error()})
		}
		root, err := lightblock.GenesisTrustRoot(doc)
		if err != nil {
			return encode(map[string]string{"error": err.Error()})
		}
		return encode(map[string]any{"chain_id": root.ChainID, "genesis_hash": root.GenesisHash,
			"validators": len(root.Validators.Validators), "initial_height": root.InitialHeight})
	}))
	if ready := g.Get("traceledgerReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// encode returns v as a JSON string.
func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"verified": false, "errors": []string{"encode the result: " + err.Error()}})
	}
	return string(b)
}
