package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/s3store/s3api"
)

// sqliteMagic opens every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// refresh brings the cached copy up to the object's current version,
// downloading it only when its ETag changed, and returns that ETag ("" when
// the bucket has no object). The caller holds the cache's lock.
func (s *Store) refresh(ctx context.Context) (string, error) {
	tag := s.cache.state()
	ifNoneMatch := tag
	if tag == absentTag {
		ifNoneMatch = ""
	}
	obj, err := s.client.Get(ctx, s.opts.Key, ifNoneMatch)
	switch {
	case err == nil:
	case s3api.IsNotModified(err):
		return tag, nil
	case s3api.IsNoSuchBucket(err):
		return "", s.noBucket(err)
	case s3api.IsNotFound(err):
		if s.opts.MustExist {
			return "", backlog.NotFoundf("there is no backlog at %s", s.name)
		}
		if tag != absentTag {
			if err := s.cache.setAbsent(); err != nil {
				return "", s.cache.failure("update", err)
			}
		}
		return "", nil
	default:
		return "", s.requestFailure(err, "read")
	}
	defer obj.Body.Close()
	if obj.ETag == "" {
		return "", backlog.Environmentf(nil, "S3 at %s sent the backlog %s without an ETag, which conditional writes need: use a server that gives one", s.client.Endpoint(), s.name)
	}
	tmp := filepath.Join(s.cache.dir, fetchName)
	defer os.Remove(tmp)
	if err := s.download(obj.Body, tmp); err != nil {
		return "", err
	}
	if err := syncFile(tmp); err != nil {
		return "", s.cache.failure("write", err)
	}
	if err := s.cache.install(tmp, obj.ETag); err != nil {
		return "", s.cache.failure("update", err)
	}
	return obj.ETag, nil
}

// errDamaged marks an object that is not a compressed backlog.
var errDamaged = errors.New("s3store: not a zstd-compressed SQLite database")

// download decompresses an object's body into the file at path, telling a
// damaged object from a connection that broke and from a full disk.
func (s *Store) download(body io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return s.cache.failure("write", err)
	}
	src := &watchedReader{r: body}
	err = decompress(src, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil:
		return nil
	case src.err != nil:
		return s.requestFailure(&s3api.Error{Op: "GET", Bucket: s.client.Bucket(), Key: s.opts.Key, Err: src.err, Network: true}, "read")
	case errors.Is(err, errDamaged):
		return backlog.Environmentf(err, "the backlog %s is damaged (it is not a zstd-compressed SQLite database): delete the object, then restore a backup into it with backlog restore --from s3://BUCKET/KEY", s.name)
	}
	return s.cache.failure("write", err)
}

// decompress writes the SQLite file a compressed object holds to w.
func decompress(r io.Reader, w io.Writer) error {
	dec, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return err
	}
	defer dec.Close()
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(dec, head); err != nil {
		return readError(err)
	}
	if !bytes.Equal(head, sqliteMagic) {
		return errDamaged
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	// Copy by hand: an error of the decoder is a damaged object, one of w
	// the machine's.
	buf := make([]byte, 256<<10)
	for {
		n, rerr := dec.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return readError(rerr)
		}
	}
}

func readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errDamaged
	}
	return errors.Join(errDamaged, err)
}

// watchedReader remembers the first error of the reader underneath, so
// that a broken connection is not taken for a damaged object.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF && w.err == nil {
		w.err = err
	}
	return n, err
}

// compressFile compresses the SQLite file at path for upload, streaming
// it through the encoder rather than reading it whole: a backlog of 10,000
// tasks is some 20 MB, its object a sixth of that. The caller holds the
// cache's lock, which makes it the encoder's only user.
func compressFile(enc *zstd.Encoder, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil {
		buf.Grow(int(st.Size() / 5))
	}
	enc.Reset(&buf)
	if _, err := io.Copy(enc, f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newEncoder is the compressor of uploads: zstd at its default level, on
// one core (a command uploads one object; the machine has other work).
func newEncoder() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err) // only for options out of range
	}
	return enc
}
