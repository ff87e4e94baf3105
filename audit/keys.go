package audit

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// NoteName is the signer name in checkpoint notes and verifier keys.
const NoteName = "drpilot"

// KeyEnv names the environment variable that locates the signing key.
const KeyEnv = "DRPILOT_KEY"

// ErrKeyExists is returned when keygen would overwrite a key.
var ErrKeyExists = errors.New("key file already exists")

// DefaultKeyPath is $XDG_CONFIG_HOME/drpilot/signing-key.pem, or the
// platform's user configuration directory when XDG_CONFIG_HOME is unset.
func DefaultKeyPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory: %w (set XDG_CONFIG_HOME, or give --key)", err)
	}
	return filepath.Join(dir, "drpilot", "signing-key.pem"), nil
}

// KeyPath picks the signing key's path: the --key flag, else $DRPILOT_KEY,
// else the default path. It says which one it used.
func KeyPath(flag string) (path, source string, err error) {
	if flag != "" {
		return flag, "--key", nil
	}
	if env := os.Getenv(KeyEnv); env != "" {
		return env, "$" + KeyEnv, nil
	}
	p, err := DefaultKeyPath()
	return p, "the default path", err
}

// GenerateKey makes a new Ed25519 signing key.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

// WriteKey writes priv to path as a PKCS#8 PEM file of mode 0600, and its
// public key to path+".pub" as PEM. It never overwrites a key.
func WriteKey(path string, priv ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	pub, err := PublicKeyPEM(priv.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	for _, p := range []string{path, path + ".pub"} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s: %w; keep it, or choose another path with --out", p, ErrKeyExists)
		}
	}
	if err := writeExclusive(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	return writeExclusive(path+".pub", pub, 0o644)
}

// writeExclusive creates path with data, failing if it exists, and syncs.
func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrKeyExists)
		}
		return err
	}
	return writeSyncClose(f, data)
}

// ReadKey loads a signing key, refusing a file that group or others may
// read: a signing key anyone on the machine can copy proves nothing.
func ReadKey(path string) (ed25519.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s is readable by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s is not a PEM private key (PKCS#8); make one with drpilot keygen", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T key; drpilot signs with Ed25519 (drpilot keygen)", path, key)
	}
	return priv, nil
}

// PublicKeyPEM encodes an Ed25519 public key as PEM (SubjectPublicKeyInfo),
// the form openssl reads.
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey decodes a PEM public key, or a note verifier key
// ("drpilot+<hash>+<base64>"), so that reviewers may pass either.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, NoteName+"+") {
		return parseVerifierKey(text)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM public key (-----BEGIN PUBLIC KEY-----) or a note verifier key")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T public key; drpilot signs with Ed25519", key)
	}
	return pub, nil
}

func parseVerifierKey(vkey string) (ed25519.PublicKey, error) {
	if _, err := note.NewVerifier(vkey); err != nil {
		return nil, fmt.Errorf("malformed note verifier key: %w", err)
	}
	parts := strings.Split(vkey, "+")
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, errors.New("malformed note verifier key: not Ed25519")
	}
	return ed25519.PublicKey(raw[1:]), nil
}

// VerifierKey is the public key in note-verifier form.
func VerifierKey(pub ed25519.PublicKey) (string, error) {
	return note.NewEd25519VerifierKey(NoteName, pub)
}

// Fingerprint names a public key briefly: the first 16 hex digits of the
// SHA-256 of its SubjectPublicKeyInfo, as `openssl pkey -pubin -outform
// DER | sha256sum` prints it.
func Fingerprint(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// noteSigner turns an Ed25519 key into a note.Signer. The note package
// builds signers from its own key encoding, so the key is put in that
// form; its hash comes from the verifier key, which the package computes.
func noteSigner(priv ed25519.PrivateKey) (note.Signer, error) {
	vkey, err := VerifierKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	parts := strings.Split(vkey, "+")
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", NoteName, parts[1],
		base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...)))
	return note.NewSigner(skey)
}

func noteVerifier(pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := VerifierKey(pub)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

// DeriveKey derives a 32-byte key for one purpose from a run's signing
// key (HKDF-SHA256 of its seed, info = purpose): what a run keeps secret
// beside its log (the sandbox's recording) is readable by whoever can sign
// for the run, which resume must anyway, and by nobody who has only the
// run directory's public part. Each purpose names the run, so two runs
// signed with one key never share a derived key.
func DeriveKey(key ed25519.PrivateKey, purpose string) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: derive a key: not an Ed25519 private key")
	}
	return hkdf.Key(sha256.New, key.Seed(), nil, purpose, 32)
}
