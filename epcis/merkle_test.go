// SPDX-License-Identifier: Apache-2.0

package epcis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// TestAnchorTreeGolden pins the roots and one inclusion path per size, as
// the first implementation (levels of hashes built by hand) computed them,
// so the tree over transparency-dev/merkle's compact range keeps every
// anchored root and proof unchanged. path is SHA-256 of the path's hashes
// joined (of nothing for a one-leaf tree).
func TestAnchorTreeGolden(t *testing.T) {
	tests := []struct {
		n       int
		root    string
		hashes  int
		pathSum string
	}{
		{1, "e8f3594dfde75e9ac22d03b49d7e49f5c63ee26c38337639c77438e0f4d59c6b", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{2, "88b0a1929e05c08534b69f312ec89dfb49cd50a00778b72de8f1605a35078fe1", 1, "133178d070ffc7134de52ef48f29d4a37b95183d9f28a6bb4d6754847f40532c"},
		{3, "e99992d7eaa207ac1cdc3ef31bf4fb65dccaeeb592ccc006a72e31db14d55695", 2, "7a4bf8a219fa577de46255322006fc2acc11bc4fb07783a6f55a70bcdc7d8d51"},
		{4, "21f1b3468f2ef828921a3fe284c99bd809052245a9ac98588014f06adb438f68", 2, "7e2834dba4a14f5d68bfaef0c8426373c406317368ed89e037cd0652c207fdd4"},
		{5, "a8874f133be2c2e1816e4fdfb3bc698e34ee2d72cf377617b1a202b318231d30", 3, "d37a2edc84ac87e73ff3d23e8caed8fc8281696eab756729cc442a2f6ff3e3b7"},
		{6, "c6b3bbed0c33bb28e1f19d1596838e56c72a7744ba6caf25b6c342a7f0b1a19a", 3, "1f2148ddbf6e88d050d1f54208d064be3feec4f4acc6d73891000a379b2e9ce2"},
		{7, "ac55b77000fa90ac1251175bf4f82d3d8ad9c3349b833c816fd718de32498770", 3, "3e0832c8b2016fe5ff2ead762716a50563f7672ec4b727adb1b6cedfa198d99d"},
		{8, "36f36e9215859a428ef8786e3b1ff44885a3fd1ced3085eeafee8d0441e53f4d", 3, "8802d86dd7b7561db704979730cef9bf6a01d6d56d63db97c556e76d9b5c1b28"},
		{9, "b2fa8795486e6f00c0c38ba2ed0fb1e73b5e9994ad2f80b8c3ed9b83ba696b4e", 4, "86578fc38e10a1ab5c84091e5e49c8b907af3bed55b64a4cca12a45eca37b32a"},
		{13, "e088b7fbacbaf9c845ea998fe81a4e42df16a906e8d6383845e44cf680dd6a4f", 4, "7108a13b7685e5a022f5ffe81b4363e95a3c5c381af9280012235cb0970bcc82"},
		{100, "71ad599cc3547ff7fd91cf4a454a3177bc09d9f70079fbf59c09349560d8760c", 7, "f547b7e34fe04f35cec3fb4dd5be25a50aca052e3c9663279f6420ded2f9cc75"},
		{1000, "ff7e03d158aeecc782feeb04acec5bf0e41ebf03c56495b7fe83a2a95c8cb404", 10, "5d71c46f848bae42567e9ed73866a67ca44d47a667c750d0c7a64864e9712b30"},
		{1025, "8992147b21ebe328b27298e31db162dad921f27b4db23255800a799fb270cb2a", 11, "8f2c7ca4d33b1c5bf78bc423beab2fc78ab3c8225a1701179834ffd1a36d14f7"},
	}
	for _, tc := range tests {
		digests := make([][32]byte, tc.n)
		for i := range digests {
			digests[i] = sha256.Sum256([]byte(fmt.Sprintf("event %d of %d", i, tc.n)))
		}
		tree, err := NewAnchorTree(digests)
		if err != nil {
			t.Fatal(err)
		}
		if root := tree.Root(); hex.EncodeToString(root[:]) != tc.root {
			t.Errorf("n=%d: root %x, want %s", tc.n, root, tc.root)
		}
		p, err := tree.Prove(tc.n / 3)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.New()
		for _, h := range p {
			sum.Write(h)
		}
		if len(p) != tc.hashes || hex.EncodeToString(sum.Sum(nil)) != tc.pathSum {
			t.Errorf("n=%d: path of leaf %d has %d hashes summing to %x, want %d and %s", tc.n, tc.n/3, len(p), sum.Sum(nil), tc.hashes, tc.pathSum)
		}
		// The path is the caller's: changing it leaves the tree intact.
		for _, h := range p {
			h[0] ^= 0xff
		}
		if again, _ := tree.Prove(tc.n / 3); len(again) != len(p) || (len(p) > 0 && again[0][0] == p[0][0]) {
			t.Errorf("n=%d: changing a returned path changed the tree", tc.n)
		}
	}
}
