package sandbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// A recording is kept in the run directory, beside an audit log that
// never holds a secret; a replayed request needs its input whole, secrets
// included (a SecureString's value must read back the same after a
// rebuild). So a record that carries a secret is sealed: its input, bytes
// and delivery are encrypted together with AES-256-GCM under a key the
// recorder is given (drpilot derives it from the run's signing key), and
// only its kind, moment, place, operation and request id stay readable,
// which is what resume checks the recording against the log with. A
// record carries a secret when its operation conceals one (an SSM
// PutParameter of a SecureString), or when the caller's HoldsSecret finds
// one of the texts it keeps secret (a sensitive var's value) in it.

// RecordOptions say how a recording keeps secrets.
type RecordOptions struct {
	// Key seals the records that carry a secret: 32 bytes, for
	// AES-256-GCM. Without one, every record is written as it is.
	Key []byte
	// HoldsSecret reports whether a record's members, as JSON or as the
	// bytes of a binary member, hold a secret that the sandbox cannot know
	// by itself; nil finds none.
	HoldsSecret func(data []byte) bool
}

// sealer seals records for a recorder; nil seals nothing.
type sealer struct {
	aead  cipher.AEAD
	holds func([]byte) bool
}

func newSealer(opts RecordOptions) (*sealer, error) {
	if opts.Key == nil {
		return nil, nil
	}
	aead, err := newAEAD(opts.Key)
	if err != nil {
		return nil, err
	}
	holds := opts.HoldsSecret
	if holds == nil {
		holds = func([]byte) bool { return false }
	}
	return &sealer{aead: aead, holds: holds}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("a recording's key is 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// KeyID names a recording's key in its header without revealing it, so
// that a rebuild given another key says so instead of failing on the
// first sealed record.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("drpilot sandbox recording key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// sealedPart is what a sealed record's "sealed" member encrypts.
type sealedPart struct {
	Input    json.RawMessage   `json:"input,omitempty"`
	Binary   map[string][]byte `json:"binary,omitempty"`
	Delivery *Delivery         `json:"delivery,omitempty"`
}

// seal encrypts a record's input, bytes and delivery in place when they
// carry a secret.
func (sl *sealer) seal(rec *Record) error {
	if sl == nil || (rec.Input == nil && rec.Binary == nil && rec.Delivery == nil) {
		return nil
	}
	part := sealedPart{Input: rec.Input, Binary: rec.Binary, Delivery: rec.Delivery}
	plain, err := json.Marshal(part)
	if err != nil {
		return err
	}
	if !rec.conceals && !sl.carries(plain, rec.Binary) {
		return nil
	}
	nonce := make([]byte, sl.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	rec.Sealed = sl.aead.Seal(nonce, nonce, plain, sealingContext(rec))
	rec.Input, rec.Binary, rec.Delivery = nil, nil, nil
	return nil
}

// carries reports whether a record's JSON or its bytes hold a secret: the
// JSON has the bytes in base64, where no secret text would show.
func (sl *sealer) carries(plain []byte, binary map[string][]byte) bool {
	if sl.holds(plain) {
		return true
	}
	for _, b := range binary {
		if sl.holds(b) {
			return true
		}
	}
	return false
}

// sealingContext binds a sealed part to its record: moved to another
// record, or its record's moment or id edited, it no longer opens.
func sealingContext(rec *Record) []byte {
	return fmt.Appendf(nil, "drpilot sandbox record\x00%s\x00%s\x00%s", rec.Kind, rec.RequestID, rec.SimTime.UTC().Format(time.RFC3339Nano))
}

// Sealed counts the records still sealed.
func (rec *Recording) Sealed() int {
	n := 0
	for i := range rec.Records {
		if rec.Records[i].Sealed != nil {
			n++
		}
	}
	return n
}

// Unseal opens the sealed records with the key the recording was made
// with, so that they can be replayed. A recording without sealed records
// needs no key.
func (rec *Recording) Unseal(key []byte) error {
	file := filepath.Join(rec.Dir, RecordingFile)
	n := rec.Sealed()
	if n == 0 {
		return nil
	}
	if key == nil {
		return &RecordingError{File: file, Msg: fmt.Sprintf("%d record(s) carry a secret and are sealed, and no key was given to open them", n)}
	}
	if id := KeyID(key); rec.Header.KeyID != "" && rec.Header.KeyID != id {
		return &RecordingError{File: file, Msg: fmt.Sprintf("its records are sealed with key %s, and the key given is %s: open it with the run's own signing key", rec.Header.KeyID, id)}
	}
	aead, err := newAEAD(key)
	if err != nil {
		return &RecordingError{File: file, Msg: err.Error()}
	}
	for i := range rec.Records {
		if err := rec.Records[i].unseal(aead); err != nil {
			return &RecordingError{File: file, Line: i + 2, Msg: err.Error()}
		}
	}
	return nil
}

// unseal opens a sealed record in place.
func (r *Record) unseal(aead cipher.AEAD) error {
	if r.Sealed == nil {
		return nil
	}
	ns := aead.NonceSize()
	if len(r.Sealed) < ns {
		return errors.New("the sealed part is too short to be one")
	}
	plain, err := aead.Open(nil, r.Sealed[:ns], r.Sealed[ns:], sealingContext(r))
	if err != nil {
		return errors.New("the sealed part does not open with the run's key: it was changed, or moved from another record")
	}
	var part sealedPart
	if err := strictUnmarshal(plain, &part); err != nil {
		return fmt.Errorf("the sealed part is not a record's: %v", err)
	}
	r.Input, r.Binary, r.Delivery, r.Sealed = part.Input, part.Binary, part.Delivery, nil
	return r.check()
}
