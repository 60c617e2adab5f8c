package oauth_test

import (
	"context"
	"testing"
)

// BenchmarkVerify is the per-request cost of checking an access token
// (keys cached): parse, signature, claims, principal.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []int{0, 1} {
		f := newFixtureB(b)
		k := f.idp.Keys()[alg]
		tok := f.idp.Mint(k, f.claims("alice"))
		if _, ref := f.rs.Verify(context.Background(), tok); ref != nil {
			b.Fatal(ref)
		}
		b.Run(string(k.Alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ref := f.rs.Verify(context.Background(), tok); ref != nil {
					b.Fatal(ref)
				}
			}
		})
	}
}
