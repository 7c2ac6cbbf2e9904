// SPDX-License-Identifier: Apache-2.0

package client

import (
	"errors"
	"fmt"

	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// ErrInvalidIdentifier is wrapped by every error about an identifier that
// names nothing the ledger could have a history for (not a URI, a malformed
// GS1 key, a national code that fails its structure check). It is an input
// error: nothing was asked.
var ErrInvalidIdentifier = errors.New("invalid identifier")

// CanonicalSubject returns the key the ledger files identifier's history
// under: the canonical GS1 Digital Link URI for a GS1 key in any spelling
// (EPC URI, Digital Link on any domain, with or without a query string),
// the identifier itself for national codes that pass their structure check,
// other URIs and the ledger's own subjects (participant:, credit:, ...)
// unchanged. It is epcis.CanonicalIdentifier with the client's error.
// Every history the client asks for goes through it, so an absence is only
// ever proven for the key a record would have been filed under.
func CanonicalSubject(identifier string) (string, error) {
	c, err := epcis.CanonicalIdentifier(identifier)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v (code %d, %s)", ErrInvalidIdentifier, identifier, err,
			uint32(tlv1.CodeEPCISInvalidIdentifier), tlv1.CodeEPCISInvalidIdentifier)
	}
	return c, nil
}
