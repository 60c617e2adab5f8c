package policy

// globMatch reports whether name matches pattern, ignoring ASCII case.
// '*' stands for any run of characters (also none) and '?' for exactly one
// character; every other character stands for itself. It runs in
// O(len(pattern)·len(name)) time whatever the pattern, so a policy file
// cannot make the gate slow.
func globMatch(pattern, name string) bool {
	p := []rune(pattern)
	n := []rune(name)
	pi, ni := 0, 0
	star, mark := -1, 0 // last '*' seen in p, and where in n it started
	for ni < len(n) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case pi < len(p) && (p[pi] == '?' || foldASCII(p[pi]) == foldASCII(n[ni])):
			pi++
			ni++
		case star >= 0:
			// Let the last star swallow one more character and retry.
			mark++
			pi, ni = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func foldASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}
