package popularity

import "context"

// topUsers returns the limit most popular users: highest karma first, ties
// broken by username, banned users left out.
//
// THIS IS THE LINE THE TUTORIAL EDITS ("Microservices In Action"): to deploy
// the slow version, move the "//" from the first of the two lines below to the
// second. Both lines compile; nothing else needs to change.
func (s *Server) topUsers(ctx context.Context, limit int) ([]User, error) {
	db := s.db
	//users, err := inefficientQuery(ctx, db, limit)
	users, err := efficientQuery(ctx, db, limit)
	return users, err
}
