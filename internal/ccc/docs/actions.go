package docs

// Actions holds the title and description of every one of the 89 actions.
var Actions = map[string]ActionDoc{}
