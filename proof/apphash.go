package proof

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	traceledgerv1 "github.com/traceledger/traceledger/proto/traceledger/v1"
)

// appHashDomain is the domain separation prefix of the app hash.
const appHashDomain = "traceledger/apphash/v1"

// AppHash returns the app hash of a state whose log has logSize leaves and
// root logRoot and whose map has root mapRoot:
// SHA-256("traceledger/apphash/v1" || 0x00 || u64be(logSize) || logRoot || mapRoot).
func AppHash(logSize uint64, logRoot, mapRoot [32]byte) [32]byte {
	var buf [len(appHashDomain) + 1 + 8 + 2*HashSize]byte
	n := copy(buf[:], appHashDomain)
	buf[n] = 0x00
	n++
	binary.BigEndian.PutUint64(buf[n:], logSize)
	n += 8
	n += copy(buf[n:], logRoot[:])
	copy(buf[n:], mapRoot[:])
	return sha256.Sum256(buf[:])
}

// AppHashOf returns the app hash of the roots r. It fails with
// ErrMalformedProof when r is nil or a root is not 32 bytes long.
func AppHashOf(r *traceledgerv1.StateRoots) ([32]byte, error) {
	if r == nil {
		return [32]byte{}, fmt.Errorf("%w: nil state roots", ErrMalformedProof)
	}
	logRoot, err := hashFromSlice(r.LogRoot, "log root of state roots", 0)
	if err != nil {
		return [32]byte{}, err
	}
	mapRoot, err := hashFromSlice(r.MapRoot, "map root of state roots", 0)
	if err != nil {
		return [32]byte{}, err
	}
	return AppHash(r.LogSize, logRoot, mapRoot), nil
}
