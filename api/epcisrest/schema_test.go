// SPDX-License-Identifier: Apache-2.0

package epcisrest_test

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// GS1's EPCIS 2.0 JSON schema (EPCIS-JSON-Schema.json at the root of the
// gs1/EPCIS repository, self-contained) is not committed here: the
// workplace keeps third-party files out of commits. Point
// TRACELEDGER_GS1_EPCIS_SCHEMA at a copy and every captured document and
// every query answer of these tests is validated against it (no $ref is
// ever fetched: the schema is loaded as a local resource, and the
// compiler has no network loader). Without it the validation is skipped
// (reported once).
const schemaEnv = "TRACELEDGER_GS1_EPCIS_SCHEMA"

var schema struct {
	once sync.Once
	s    *jsonschema.Schema
	err  error
}

func loadSchema() (*jsonschema.Schema, error) {
	schema.once.Do(func() {
		path := os.Getenv(schemaEnv)
		if path == "" {
			return
		}
		f, err := os.Open(path)
		if err != nil {
			schema.err = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schema.err = err
			return
		}
		const id = "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"
		c := jsonschema.NewCompiler()
		// GS1's patterns are ECMA-262 regular expressions (with
		// lookaheads), which Go's regexp does not take.
		c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
			re, err := regexp2.Compile(s, regexp2.ECMAScript)
			if err != nil {
				return nil, err
			}
			return ecmaRegexp{re}, nil
		})
		if err := c.AddResource(id, doc); err != nil {
			schema.err = err
			return
		}
		schema.s, schema.err = c.Compile(id)
	})
	return schema.s, schema.err
}

// ecmaRegexp is a regexp2 expression as the validator's Regexp.
type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

// validateSchema checks a JSON document against GS1's schema, when given.
func validateSchema(t *testing.T, what string, doc []byte) {
	t.Helper()
	s, err := loadSchema()
	if err != nil {
		t.Fatalf("load GS1's EPCIS JSON schema from $%s: %v", schemaEnv, err)
	}
	if s == nil {
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", what, err)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("%s does not validate against GS1's EPCIS JSON schema: %v\n%s", what, err, doc)
	}
}

// TestSchemaValidatorRejects keeps the validation able to fail: a
// document without its required members is refused.
func TestSchemaValidatorRejects(t *testing.T) {
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	if s == nil {
		t.Skipf("$%s is not set: GS1's schema is not available", schemaEnv)
	}
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"type":"EPCISDocument","epcisBody":{"eventList":[{"type":"ObjectEvent"}]}}`)))
	if s.Validate(v) == nil {
		t.Fatal("an ObjectEvent without eventTime, action and @context validated")
	}
}
