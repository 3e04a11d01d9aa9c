// Command pulumi-resource-kubernetes serves the pulumi-kubernetes provider.
//
// The upstream main package embeds schema-embed.json and
// terraform-mapping-embed.json, which upstream generates with `go generate`
// and keeps out of git, so they are missing from the module zip.
// scripts/build-tools.sh writes both files next to this one from the
// committed schema.json and terraform-mapping.json in the module cache.
// They are gitignored here too.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var packageSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, packageSchema, terraformMapping)
}
