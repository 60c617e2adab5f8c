package schema

// MaxProblems is maxProblems, for the external tests.
const MaxProblems = maxProblems
