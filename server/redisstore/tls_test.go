package redisstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
)

// writeCA makes a CA and a certificate for 127.0.0.1 signed by it, in dir;
// it returns the CA's PEM.
func writeCA(t *testing.T, dir, name string) (files *redistest.TLSFiles, caPEM []byte) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey := key(), key()
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "redis"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	write := func(file, typ string, der []byte) string {
		p := filepath.Join(dir, name+"-"+file)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files = &redistest.TLSFiles{Cert: write("cert.pem", "CERTIFICATE", srvDER), Key: write("key.pem", "EC PRIVATE KEY", keyDER),
		CA: write("ca.pem", "CERTIFICATE", caDER)}
	return files, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// TestTLS: rediss:// speaks TLS to a Redis that speaks only TLS, checking
// its certificate against the CA given; a certificate from another CA, or
// the system's roots (which do not hold the test's CA), are refused, and
// so is redis:// to a TLS port.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	files, caPEM := writeCA(t, dir, "good")
	_, otherCA := writeCA(t, dir, "other")
	rs := redistest.New(t)
	rs.TLS = files
	rs.Start()
	if rs.URL(0)[:9] != "rediss://" {
		t.Fatalf("URL %s", rs.URL(0))
	}
	s := open(t, rs, 0, func(o *redisstore.Options) { o.CA = caPEM })
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping over TLS: %v", err)
	}
	var calls atomic.Int64
	k := server.Key{Kind: "pin", User: "tls-user"}
	if err := s.Update(context.Background(), k, fail(&calls)); err != nil {
		t.Fatalf("Update over TLS: %v", err)
	}
	if n := failures(t, s, k); n != 1 {
		t.Errorf("%d failures, want 1", n)
	}
	plain := "redis://" + rs.Addr() + "/0"
	for what, o := range map[string]redisstore.Options{
		"another CA":         {URL: rs.URL(0), CA: otherCA, Timeout: time.Second},
		"the system's roots": {URL: rs.URL(0), Timeout: time.Second},
		"plain redis://":     {URL: plain, Timeout: time.Second},
	} {
		st, err := redisstore.Open(o)
		if err == nil {
			err = st.Ping(context.Background())
			st.Close()
		}
		if err == nil {
			t.Errorf("%s: the store talked to the TLS Redis", what)
		}
	}
	if _, err := redisstore.Open(redisstore.Options{URL: rs.URL(0), CA: []byte("not PEM")}); err == nil {
		t.Error("a CA bundle without a certificate was accepted")
	}
}
