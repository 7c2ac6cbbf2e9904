// SPDX-License-Identifier: Apache-2.0

package traceledgerv1

// RejectionOf decodes the facts of a refused transaction from its result
// (ResponseCheckTx or ExecTxResult): nil unless the result is one of this
// application's refusals (codespace Codespace) and its data is a Rejection
// for the same code.
func RejectionOf(codespace string, code uint32, data []byte) *Rejection {
	if codespace != Codespace || code == 0 || len(data) == 0 {
		return nil
	}
	var r Rejection
	if r.Unmarshal(data) != nil || r.Code != code {
		return nil
	}
	return &r
}
