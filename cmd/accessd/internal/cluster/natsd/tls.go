package natsd

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles names PEM files. Keys are read when the server starts and
// are never logged.
type TLSFiles struct {
	CertFile string // this server's certificate (chain)
	KeyFile  string // its private key
	CAFile   string // the CA that signs every peer's certificate
}

// serverConfig is the listeners' TLS: this server's certificate and, with
// a CA, a client certificate signed by it required of every peer.
func (f TLSFiles) serverConfig() (*tls.Config, error) {
	if f.CertFile == "" || f.KeyFile == "" {
		return nil, errors.New("tls needs cert_file and key_file")
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls cert_file/key_file: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if f.CAFile != "" {
		pool, err := loadCA(f.CAFile)
		if err != nil {
			return nil, err
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// clientConfig is a remote's TLS: the hub's certificate checked against
// the CA (else the system's roots), this server's certificate presented.
func (f TLSFiles) clientConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CertFile != "" || f.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls cert_file/key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if f.CAFile != "" {
		pool, err := loadCA(f.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	return c, nil
}

// ClientConfig is the TLS a client of an external server uses.
func (f TLSFiles) ClientConfig() (*tls.Config, error) { return f.clientConfig() }

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tls ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls ca_file %s: no PEM certificate in it", path)
	}
	return pool, nil
}
