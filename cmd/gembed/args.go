package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli v2 stops reading flags at the first positional argument, so
// `gembed embed x --dimensions 8` would embed "--dimensions" as a text.
// permuteArgs moves a command's flags in front of its positional
// arguments, as cobra and argparse users expect; a word starting with "-"
// is a positional argument only after "--".

// cmdlineKey is the App.Metadata key of the flags given on the command
// line (as opposed to the environment), by canonical name.
const cmdlineKey = "cmdline-flags"

// permuteArgs rewrites os.Args-style args (program, command, rest) so that
// the command's flags come first, then "--", then its positional arguments.
// It returns the names of the flags seen.
func permuteArgs(app *cli.App, args []string) ([]string, map[string]bool, error) {
	seen := map[string]bool{}
	if len(args) < 2 {
		return args, seen, nil
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args, seen, nil
	}
	kinds := flagKinds(cmd)
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		canonical, known := kinds[name]
		if !known {
			return nil, nil, fmt.Errorf("unknown flag %s for gembed %s (a text starting with \"-\" goes after \"--\")", a, cmd.Name)
		}
		seen[canonical.name] = true
		flags = append(flags, a)
		if !canonical.boolean && !hasValue {
			if i+1 >= len(rest) {
				return nil, nil, fmt.Errorf("flag %s needs a value (see gembed %s --help)", a, cmd.Name)
			}
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out, seen, nil
}

type flagKind struct {
	name    string // the flag's first name
	boolean bool   // takes no value
}

// flagKinds maps every name and alias of cmd's flags (and help) to its kind.
func flagKinds(cmd *cli.Command) map[string]flagKind {
	kinds := map[string]flagKind{"help": {"help", true}, "h": {"help", true}}
	for _, f := range cmd.Flags {
		names := f.Names()
		k := flagKind{name: names[0]}
		if _, ok := f.(*cli.BoolFlag); ok {
			k.boolean = true
		}
		for _, n := range names {
			kinds[n] = k
		}
	}
	return kinds
}

// onCommandLine reports whether flag name was given on the command line
// (not only through its GEMBED_ environment variable).
func onCommandLine(c *cli.Context, name string) bool {
	seen, _ := c.App.Metadata[cmdlineKey].(map[string]bool)
	return seen[name]
}

// noArgs fails when a command that takes no positional arguments got some:
// silently ignoring them hides mistakes like `gembed similarity "q" "d"`.
func noArgs(c *cli.Context, hint string) error {
	if c.NArg() == 0 {
		return nil
	}
	msg := fmt.Sprintf("gembed %s takes no arguments; got %q", c.Command.Name, c.Args().First())
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return errors.New(msg)
}

// modelArg returns the model named by the one optional positional argument
// or by --model. Both on the command line is an error; an argument wins
// over GEMBED_MODEL, which may be exported for the other commands.
func modelArg(c *cli.Context) (string, error) {
	switch {
	case c.NArg() > 1:
		return "", fmt.Errorf("gembed %s takes one model; got %d arguments (%q ...)", c.Command.Name, c.NArg(), c.Args().First())
	case c.NArg() == 1 && onCommandLine(c, "model"):
		return "", fmt.Errorf("give the model once: --model %s and the argument %s", c.String("model"), c.Args().First())
	case c.NArg() == 1:
		return c.Args().First(), nil
	}
	return c.String("model"), nil
}
