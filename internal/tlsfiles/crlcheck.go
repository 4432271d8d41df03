package tlsfiles

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math/big"
	"time"
)

// StaleCRLs returns the CRLs of m whose next update is past at now: their
// issuer should have published a newer one, and certificates revoked since
// are not known.
func (m *Material) StaleCRLs(now time.Time) []*x509.RevocationList {
	var out []*x509.RevocationList
	for _, rl := range m.CRLs {
		if !rl.NextUpdate.IsZero() && now.After(rl.NextUpdate) {
			out = append(out, rl)
		}
	}
	return out
}

// checkCRLOrder refuses new Material holding a CRL with a lower CRL number
// than the one in use from the same issuer: an older CRL would un-revoke
// the certificates revoked since. A CRL without a number is compared as
// number zero.
func checkCRLOrder(files Files, old, m *Material) error {
	if old == nil {
		return nil
	}
	for _, rl := range m.CRLs {
		for _, cur := range old.CRLs {
			if !bytes.Equal(rl.RawIssuer, cur.RawIssuer) || crlNumber(rl).Cmp(crlNumber(cur)) >= 0 {
				continue
			}
			return &FileError{Role: RoleCRL, File: files.CRLFile, Reason: fmt.Sprintf(
				"the CRL of %q has number %s, lower than the number %s in use: an older CRL would un-revoke certificates",
				rl.Issuer, crlNumber(rl), crlNumber(cur))}
		}
	}
	return nil
}

// crlNumber is rl's CRL number, zero when it has none.
func crlNumber(rl *x509.RevocationList) *big.Int {
	if rl.Number == nil {
		return new(big.Int)
	}
	return rl.Number
}

// warnStaleCRLs logs, once a day per CRL, each CRL of m that is stale.
func (r *Reloader) warnStaleCRLs(m *Material, now time.Time) {
	for _, rl := range m.StaleCRLs(now) {
		r.expiry.Log(context.Background(), slog.LevelWarn, "crl:"+string(rl.RawIssuer),
			"tls: CRL is stale (its next update is past); certificates revoked since are not refused: publish a new CRL",
			"file", r.files.CRLFile, "issuer", rl.Issuer.String(), "next_update", rl.NextUpdate)
	}
}
