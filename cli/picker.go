package cli

import (
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
)

// pickIssues asks which listed issues to import. (A terminal picker comes
// next; until then every issue not imported yet is taken.)
func (a *runner) pickIssues(kind, repo string, cands []mirror.Candidate) ([]forge.Issue, error) {
	var out []forge.Issue
	for _, c := range cands {
		if !c.Here {
			out = append(out, c.Issue)
		}
	}
	return out, nil
}
