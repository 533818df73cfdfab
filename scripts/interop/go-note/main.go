// Opens a C2SP signed note with Go's golang.org/x/mod/sumdb/note: the log's key through
// note.NewVerifier, each witness's cosignature/v1 key through a small verifier written here
// from c2sp.org/tlog-cosignature. Usage: interop NOTE_FILE LOG_VKEY [WITNESS_VKEY...]
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosigner struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (c cosigner) Name() string    { return c.name }
func (c cosigner) KeyHash() uint32 { return c.hash }
func (c cosigner) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	return ed25519.Verify(c.pub, signed, sig[8:])
}

func parseCosigner(vkey string) cosigner {
	parts := strings.SplitN(vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		panic("not a cosignature/v1 key: " + vkey)
	}
	sum := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	hash := binary.BigEndian.Uint32(sum[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		panic("key ID mismatch: " + vkey)
	}
	return cosigner{parts[0], hash, ed25519.PublicKey(raw[1:])}
}

func main() {
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	logVerifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		panic(err)
	}
	verifiers := []note.Verifier{logVerifier}
	for _, vkey := range os.Args[3:] {
		verifiers = append(verifiers, parseCosigner(vkey))
	}
	opened, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Println("REJECTED:", err)
		os.Exit(1)
	}
	for _, sig := range opened.Sigs {
		raw, _ := base64.StdEncoding.DecodeString(sig.Base64)
		if sig.Name == logVerifier.Name() {
			fmt.Printf("verified log signature %s+%08x\n", sig.Name, sig.Hash)
		} else {
			fmt.Printf("verified cosignature %s+%08x at %d\n", sig.Name, sig.Hash, binary.BigEndian.Uint64(raw[4:12]))
		}
	}
	if len(opened.Sigs) != len(verifiers) {
		fmt.Printf("only %d of %d keys signed\n", len(opened.Sigs), len(verifiers))
		os.Exit(1)
	}
}
