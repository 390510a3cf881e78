// tarcheck reads a tar.gz with Go's archive/tar and compress/gzip (what Flux
// consumers use) and prints one line per entry:
//   <type> <mode octal> <uid>/<gid> <uname>/<gname> <mtime unix> <size> <sha256 of content> <name>
// It exits non-zero with a message on any read error. Test tooling only.
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tarcheck FILE.tar.gz")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		fail(err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, tr); err != nil {
			fail(err)
		}
		fmt.Printf("%c %o %d/%d %s/%s %d %d %x %s\n", hdr.Typeflag, hdr.Mode,
			hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.ModTime.Unix(),
			hdr.Size, h.Sum(nil), hdr.Name)
	}
	if _, err := io.Copy(io.Discard, gz); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tarcheck:", err)
	os.Exit(1)
}
