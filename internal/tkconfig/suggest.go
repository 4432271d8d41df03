package tkconfig

import (
	"slices"
	"strings"
)

// Suggest returns the candidate that name most likely misspells: the
// nearest by edit distance (letters added, dropped, changed or swapped;
// case and '_' for '-' do not count), if it is near enough for the
// mistake to be a typo. It reports false when no candidate is, and for
// name itself being a candidate. Ties go to the earlier candidate.
func Suggest(name string, candidates []string) (string, bool) {
	if slices.Contains(candidates, name) {
		return "", false
	}
	n := normalizeKey(name)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(n, normalizeKey(c))
		if d <= typoBudget(max(len(n), len(c))) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best, bestDist >= 0
}

// typoBudget is how many edits still read as a typo in a word of length
// n: one in a short word, two in most keys, three in long ones.
func typoBudget(n int) int {
	switch {
	case n <= 4:
		return 1
	case n <= 12:
		return 2
	}
	return 3
}

func normalizeKey(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
