// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	tlv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// TraceLedger's own event context: an event's link in the agricultural
// product chain, and regulated steps CBV has no business step for. In a
// document they are event-level extension fields in the TraceLedger
// namespace, so they are part of the event (and of its hash):
//
//	"@context": [..., {"tl": "https://ns.traceledger.org/epcis/"}],
//	"tl:chainLink": "origin_exit",
//	"tl:domainStep": "gas_cylinder_filling",
//	"tl:userHash": "<64 hex digits: SHA-256(salt || real-name user id)>"
//
// On the ledger they are also a typed TraceContext beside the event, which
// the validators check against the event's fields.

// TraceLedgerNS is the namespace of TraceLedger's extension fields.
const TraceLedgerNS = "https://ns.traceledger.org/epcis/"

const (
	fieldChainLink  = "{" + TraceLedgerNS + "}chainLink"
	fieldDomainStep = "{" + TraceLedgerNS + "}domainStep"
	fieldUserHash   = "{" + TraceLedgerNS + "}userHash"
)

var chainLinkNames = map[tlv1.ChainLink]string{
	tlv1.CHAIN_LINK_ORIGIN_ENVIRONMENT_CERTIFICATION: "origin_environment_certification",
	tlv1.CHAIN_LINK_PRODUCT_CERTIFICATION:            "product_certification",
	tlv1.CHAIN_LINK_INPUT_USE:                        "input_use",
	tlv1.CHAIN_LINK_PRODUCTION_RECORD:                "production_record",
	tlv1.CHAIN_LINK_PACKAGING_LABEL:                  "packaging_label",
	tlv1.CHAIN_LINK_ORIGIN_EXIT:                      "origin_exit",
	tlv1.CHAIN_LINK_MARKET_ACCESS:                    "market_access",
}

var domainStepNames = map[tlv1.DomainStep]string{
	tlv1.DOMAIN_STEP_GAS_CYLINDER_FILLING:   "gas_cylinder_filling",
	tlv1.DOMAIN_STEP_ELEVATOR_INSTALLATION:  "elevator_installation",
	tlv1.DOMAIN_STEP_MAINTENANCE:            "maintenance",
	tlv1.DOMAIN_STEP_INSPECTION:             "inspection",
	tlv1.DOMAIN_STEP_EXPLOSIVES_USE:         "explosives_use",
	tlv1.DOMAIN_STEP_EXPLOSIVES_DESTRUCTION: "explosives_destruction",
}

// ChainLinkName returns the word for a chain link ("origin_exit"), or "".
func ChainLinkName(l tlv1.ChainLink) string { return chainLinkNames[l] }

// DomainStepName returns the word for a domain step ("maintenance"), or "".
func DomainStepName(s tlv1.DomainStep) string { return domainStepNames[s] }

// ParseChainLink returns the chain link named by word.
func ParseChainLink(word string) (tlv1.ChainLink, error) {
	for l, n := range chainLinkNames {
		if n == word {
			return l, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown chain link %q (want one of %s)", ErrInvalidValue, truncate(word, 60), wordList(chainLinkNames))
}

// ParseDomainStep returns the domain step named by word.
func ParseDomainStep(word string) (tlv1.DomainStep, error) {
	for s, n := range domainStepNames {
		if n == word {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown domain step %q (want one of %s)", ErrInvalidValue, truncate(word, 60), wordList(domainStepNames))
}

func wordList[K ~int32](m map[K]string) string {
	words := make([]string, 0, len(m))
	for k := K(1); int(k) <= len(m); k++ {
		words = append(words, m[k])
	}
	return strings.Join(words, ", ")
}

// SaltedUserHash is the privacy-preserving reference to a real-name user
// (for example the buyer of a gas cylinder filling): SHA-256(salt ||
// userID). The salt stays with the enterprise, so the ledger cannot be
// searched by identity.
func SaltedUserHash(salt []byte, userID string) [32]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(userID))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// CheckContext validates a TraceContext: known enum values, and a 32-byte
// user hash exactly for a gas cylinder filling (and never otherwise: the
// ledger takes no personal data, salted or not, where it is not needed).
func CheckContext(c *tlv1.TraceContext) error {
	if c == nil {
		return nil
	}
	if c.ChainLink != 0 && chainLinkNames[c.ChainLink] == "" {
		return fmt.Errorf("%w: context.chain_link %d is not a known chain link", ErrInvalidValue, c.ChainLink)
	}
	if c.DomainStep != 0 && domainStepNames[c.DomainStep] == "" {
		return fmt.Errorf("%w: context.domain_step %d is not a known domain step", ErrInvalidValue, c.DomainStep)
	}
	gas := c.DomainStep == tlv1.DOMAIN_STEP_GAS_CYLINDER_FILLING
	switch {
	case gas && len(c.UserHash) != 32:
		return fmt.Errorf("%w: context.user_hash must be the 32-byte salted hash of the real-name user for a gas cylinder filling, got %d bytes", ErrMissingField, len(c.UserHash))
	case !gas && len(c.UserHash) != 0:
		return fmt.Errorf("%w: context.user_hash is only for a gas cylinder filling", ErrInvalidValue)
	}
	return nil
}

// ContextFromEvent reads TraceLedger's extension fields of an event (nil
// when it has none).
func ContextFromEvent(ev Event) (*tlv1.TraceContext, error) {
	var c tlv1.TraceContext
	found := false
	for _, f := range ev.Fields {
		switch f.Name {
		case fieldChainLink, fieldDomainStep, fieldUserHash:
		default:
			continue
		}
		found = true
		v := strings.TrimSpace(f.Value)
		var err error
		switch f.Name {
		case fieldChainLink:
			c.ChainLink, err = ParseChainLink(v)
		case fieldDomainStep:
			c.DomainStep, err = ParseDomainStep(v)
		case fieldUserHash:
			var b []byte
			if b, err = hex.DecodeString(v); err == nil && len(b) != 32 {
				err = fmt.Errorf("want 64 hex digits")
			}
			if err != nil {
				err = fmt.Errorf("%w: tl:userHash: %v", ErrInvalidValue, err)
			}
			c.UserHash = b
		}
		if err == nil && len(f.Children) > 0 {
			err = fmt.Errorf("%w: has children", ErrInvalidValue)
		}
		if err != nil {
			return nil, &EventError{Index: ev.Index, Field: f.Name, Value: f.Value, Err: err}
		}
	}
	if !found {
		return nil, nil
	}
	if err := CheckContext(&c); err != nil {
		return nil, &EventError{Index: ev.Index, Field: "{" + TraceLedgerNS + "}", Err: err}
	}
	return &c, nil
}

// ContextFromProto reads TraceLedger's extension fields of a typed event.
func ContextFromProto(p *tlv1.EPCISEvent, index int) (*tlv1.TraceContext, error) {
	var fields []Field
	for _, e := range p.Extensions {
		if e != nil && strings.HasPrefix(e.Name, "{"+TraceLedgerNS+"}") {
			fields = append(fields, fromElement(e))
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	return ContextFromEvent(Event{Index: index, Fields: fields})
}

// SameContext reports whether two contexts say the same (nil is empty).
func SameContext(a, b *tlv1.TraceContext) bool {
	if a == nil {
		a = &tlv1.TraceContext{}
	}
	if b == nil {
		b = &tlv1.TraceContext{}
	}
	return a.ChainLink == b.ChainLink && a.DomainStep == b.DomainStep && string(a.UserHash) == string(b.UserHash)
}
