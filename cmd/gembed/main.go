// Command gembed embeds text with Hugging Face embedding models on the
// CPU: embed, similarity, tokenize, download, list, rm, info, serve, bench
// and version. It is pure Go (no cgo, no system library): Go-assembly
// kernels on amd64, portable Go kernels elsewhere and with -tags purego.
//
// Flags may come before or after positional arguments ("--" ends the flags,
// for texts starting with "-"), and every flag can also be set
// through the environment as GEMBED_<FLAG> (upper case, dashes as
// underscores): GEMBED_MODEL, GEMBED_MAX_LENGTH, ...
//
// Errors end the program with status 1 and at most three lines on stderr
// naming what is wrong (file, tensor, field, line number or repo id).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without os.Exit, for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	args, seen, err := permuteArgs(app, args)
	if err != nil {
		fmt.Fprintln(stderr, shortError(err))
		return 1
	}
	app.Metadata = map[string]any{cmdlineKey: seen}
	if err := app.Run(args); err != nil {
		fmt.Fprintln(stderr, shortError(err))
		return 1
	}
	return 0
}

// shortError renders err on at most three lines.
func shortError(err error) string {
	msg := strings.TrimSpace(err.Error())
	if !strings.HasPrefix(msg, "gembed") {
		msg = "gembed: " + msg
	}
	lines := strings.Split(msg, "\n")
	if len(lines) > 3 {
		lines = append(lines[:2], strings.Join(lines[2:], " "))
	}
	for i, l := range lines {
		if len(l) > 400 {
			lines[i] = l[:400] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

func usageError(c *cli.Context, err error, _ bool) error {
	name := "gembed"
	if c != nil && c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return fmt.Errorf("%v (see %s --help)", err, name)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "gembed",
		Usage:   "text embeddings with Hugging Face embedding models on the CPU (" + buildName() + " build)",
		Version: version,
		Reader:  stdin, Writer: stdout, ErrWriter: stderr,
		HideHelpCommand: true,
		// --query "Hello, world" is one query: texts hold commas.
		DisableSliceFlagSeparator: true,
		OnUsageError:              usageError,
		ExitErrHandler:            func(*cli.Context, error) {},
		Commands: []*cli.Command{
			embedCommand(), similarityCommand(), tokenizeCommand(), downloadCommand(),
			listCommand(), rmCommand(), infoCommand(), serveCommand(), benchCommand(), versionCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 && c.Args().First() == "help" { // the help command is hidden, not gone
				if c.NArg() > 1 {
					return cli.ShowCommandHelp(c, c.Args().Get(1))
				}
				return cli.ShowAppHelp(c)
			}
			if c.NArg() > 0 {
				return fmt.Errorf("unknown command %q (try gembed --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = usageError
	}
	return app
}

// errSilent has been reported already.
var errSilent = errors.New("")
