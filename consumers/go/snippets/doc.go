// Package snippets holds the Go of the snippets of README.md, of the guides (docs/*.md) and of the
// @examples, hand-written because jsii-rosetta's Go translations do not compile (unqualified struct names, `[]T{&T{...}}`,
// missing optional arguments). Each function is one snippet: its body, and the imports it uses,
// replace rosetta's Go in the tablet (.jsii.tabl.json) that jsii-pacmak writes the Go module's
// README from (scripts/go-snippets.ts inject). `go vet ./...` in consumers/go compiles them against
// the generated module.
//
// Each function's doc comment ends with `ts-sha256: <16 hex digits>`, the start of the SHA-256 of
// the TypeScript snippet it translates: change the TypeScript and the Go no longer matches any
// snippet, which scripts/go-snippets.ts reports as an error until the Go is updated (and its hash
// with `npx ts-node scripts/go-snippets.ts list`).
//
// The stack is `this`, as in the TypeScript and in every other Go translation on Construct Hub.
package snippets
