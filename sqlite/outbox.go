package sqlite

import "context"

// LockPush implements store.PushLocker: an exclusive lock on a file beside
// the database, which the kernel releases when the process dies.
func (s *Store) LockPush(ctx context.Context) (func(), error) {
	s.pushOnce.Do(func() { s.pusher = &writeQueue{path: s.path + "-push.lock"} })
	release, err := s.pusher.lock(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.fail(err)
	}
	return release, nil
}
