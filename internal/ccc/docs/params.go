package docs

// Glossary describes parameters that mean the same thing in every action.
var Glossary = map[string]string{
	"InstanceId": "ID of the CCC instance (call center). Find it with list_instances_of_user.",
	"PageNumber": "Page to return, starting at 1.",
	"PageSize":   "Rows per page.",
}

// Overrides describe a parameter whose meaning depends on the action.
var Overrides = map[string]map[string]string{}

// Enums are the closed sets of values the CCC API documents. Keys are
// "Action.Param", or "*.Param" for every action with that parameter.
var Enums = map[string][]string{}

// Bounds are integer ranges. ListCallDetailRecords PageNumber ≤ 5000 comes
// from the spec file itself and is applied by the generator.
var Bounds = map[string]Bound{
	"*.PageNumber": {Min: i64(1)},
}
