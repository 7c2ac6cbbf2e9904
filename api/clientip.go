// SPDX-License-Identifier: Apache-2.0

package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address a request is counted against: the peer, or,
// when the peer is a trusted proxy, the address it forwarded for.
type clientAddr struct {
	addr netip.Addr // valid when an address was found
	raw  string     // the peer's RemoteAddr when it is not an address
}

// String is the address for the access log.
func (c clientAddr) String() string {
	if c.addr.IsValid() {
		return c.addr.String()
	}
	return c.raw
}

// key is the client's rate-limit key. An IPv6 client counts by its /64,
// the smallest network an ISP hands one subscriber: one host can take any
// address of it, so counting addresses would give it millions of buckets.
func (c clientAddr) key() string {
	if c.addr.Is6() {
		if p, err := c.addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return c.String()
}

// ParseTrustedProxy parses a trusted proxy for Options.TrustedProxies: an
// address ("10.0.0.5", "::1") or a network in CIDR notation
// ("10.0.0.0/8").
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q: %w; give an address or a network such as 10.0.0.0/8", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: %w; give an address or a network such as 10.0.0.0/8", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// trusted reports whether a is one of the configured proxies.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientOf resolves the client of r. The peer is the client unless it is
// a trusted proxy; then the forwarding chain (Forwarded, RFC 7239, else
// X-Forwarded-For) is read from the right, the hop nearest to this server,
// skipping trusted proxies: the first address not a trusted proxy is the
// client. A hop that is not an address ("unknown", an obfuscated name)
// ends the walk at the proxy that wrote it. A header from a peer that is
// not trusted is ignored: anyone can write one.
func (s *Server) clientOf(r *http.Request) clientAddr {
	peer, ok := parseHostPort(r.RemoteAddr)
	if !ok {
		return clientAddr{raw: r.RemoteAddr}
	}
	if len(s.opts.TrustedProxies) == 0 || !s.trusted(peer) {
		return clientAddr{addr: peer}
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostPort(hops[i])
		if !ok {
			break
		}
		client = a
		if !s.trusted(a) {
			break
		}
	}
	return clientAddr{addr: client}
}

// forwardedFor lists the forwarding chain's addresses, the client first:
// the for= parameters of Forwarded when it is present, else the entries of
// X-Forwarded-For. Several header lines are one list in order.
func forwardedFor(h http.Header) []string {
	var hops []string
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				v := ""
				for _, pair := range strings.Split(elem, ";") {
					name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(name, "for") {
						v = strings.Trim(strings.TrimSpace(value), `"`)
					}
				}
				// An element without for= still is a hop: an unknown one.
				hops = append(hops, v)
			}
		}
		return hops
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, v := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(v))
		}
	}
	return hops
}

// parseHostPort parses an address with or without a port ("192.0.2.1",
// "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]:443"); IPv4-mapped IPv6
// addresses are unmapped. A zone is dropped.
func parseHostPort(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
