// SPDX-License-Identifier: Apache-2.0

package app

import (
	"github.com/traceledger/traceledger/epcis"
	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// One identifier, one history (issue 12).
//
// Every identifier a message names as something with a history (the
// subject of a RecordEvent, the lots, location and product class of an
// attestation, the products and lots of a recall, the source of an anchor,
// the identifiers of an EPCIS event) is filed under its canonical form,
// epcis.ParseIdentifier's: a GS1 key in any spelling (EPC URI, Digital Link
// on any domain, with or without a query string) under its canonical
// Digital Link URI, a national urn:cn: code after its structure check, any
// other URI as written. The record keeps the identifier as the signer wrote
// it (that is what the signature covers); only the history it is appended
// to, and the ABCI event naming it, use the canonical form. So no second
// history of one thing can be created, and a query for any spelling finds
// the one history.

// canonicalSubject checks an identifier named by a message field and
// returns the history key it files under. An identifier that is not a URI,
// or fails its scheme's structure check, is rejected with
// CodeEPCISInvalidIdentifier; one in a scheme reserved for the ledger's own
// records (participant:, proposal:, ...) with reservedCode.
func canonicalSubject(reservedCode tlv1.Code, field, s string) (string, error) {
	id, err := epcis.ParseIdentifier(s)
	if err != nil {
		return "", rejectf(tlv1.CodeEPCISInvalidIdentifier, "%s %q: %v; write a URI such as urn:epc:class:lgtin:6901234.500012.LOT1, a GS1 Digital Link or a urn:cn: national code", field, truncate(s, 100), err)
	}
	if tlv1.IsReservedSubject(id.Canonical) {
		return "", rejectf(reservedCode, "%s %q: the participant:, proposal: and governance: schemes are reserved for the ledger's own records", field, truncate(s, 100))
	}
	return id.Canonical, nil
}

// canonicalList checks a list of identifiers (at most limit, none twice
// once canonical) and returns their canonical forms in order.
func canonicalList(code tlv1.Code, field string, ids []string, limit int) ([]string, error) {
	if len(ids) > limit {
		return nil, rejectf(code, "%s has %d entries, the limit is %d", field, len(ids), limit)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		c, err := canonicalSubject(code, fieldIndex(field, i), id)
		if err != nil {
			return nil, err
		}
		for j := range i {
			if out[j] == c {
				return nil, rejectf(code, "%s[%d] %q is listed twice: [%d] %q names the same thing (both file under %s)", field, i, truncate(id, 100), j, truncate(ids[j], 100), c)
			}
		}
		out[i] = c
	}
	return out, nil
}

// mustCanonical returns the canonical form of an identifier the stateless
// checks already accepted.
func mustCanonical(s string) string {
	c, err := epcis.CanonicalIdentifier(s)
	if err != nil {
		// Unreachable after validation; file under the identifier as
		// written rather than panic in consensus code.
		return s
	}
	return c
}
