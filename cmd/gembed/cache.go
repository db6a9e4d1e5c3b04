package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the models in the Hugging Face cache: revisions, refs and sizes",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cache-dir", EnvVars: env("cache-dir"), Usage: "Hugging Face cache folder (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", EnvVars: env("format"), Usage: `"text" or "json"`},
		},
		Action: runList,
	}
}

type listedRevision struct {
	Commit    string   `json:"commit"`
	Refs      []string `json:"refs"`
	Files     int      `json:"files"`
	SizeBytes int64    `json:"size_bytes"`
	Dir       string   `json:"dir"`
}

type listedModel struct {
	Model     string           `json:"model"`
	SizeBytes int64            `json:"size_bytes"`
	Modified  string           `json:"modified"`
	Dir       string           `json:"dir"`
	Revisions []listedRevision `json:"revisions"`
}

func runList(c *cli.Context) error {
	if err := noArgs(c, ""); err != nil {
		return err
	}
	models, err := hubClient(c).ScanCache()
	if err != nil {
		return err
	}
	out := make([]listedModel, len(models))
	for i, m := range models {
		out[i] = listedModel{Model: m.RepoID, SizeBytes: m.SizeBytes, Dir: m.Dir, Revisions: []listedRevision{}}
		if !m.Modified.IsZero() {
			out[i].Modified = m.Modified.UTC().Format("2006-01-02 15:04")
		}
		for _, r := range m.Revisions {
			refs := r.Refs
			if refs == nil {
				refs = []string{}
			}
			out[i].Revisions = append(out[i].Revisions, listedRevision{Commit: r.Commit, Refs: refs, Files: r.Files, SizeBytes: r.SizeBytes, Dir: r.Dir})
		}
	}
	switch c.String("format") {
	case "json", "jsonl":
		b, _ := json.MarshalIndent(out, "", "  ")
		_, err := fmt.Fprintf(c.App.Writer, "%s\n", b)
		return err
	case "text":
	default:
		return fmt.Errorf("--format %q: want text or json", c.String("format"))
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tREVISION\tREFS\tFILES\tSIZE\tMODIFIED")
	for _, m := range out {
		if len(m.Revisions) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t0\t%s\t%s\n", m.Model, shortBytes(m.SizeBytes), m.Modified)
		}
		for _, r := range m.Revisions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.Model, r.Commit[:min(12, len(r.Commit))], strings.Join(r.Refs, ","), r.Files, shortBytes(r.SizeBytes), m.Modified)
		}
	}
	return tw.Flush()
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove a model (or one revision of it) from the Hugging Face cache",
		ArgsUsage: "ORG/NAME[@REVISION]...",
		Description: "Without @REVISION the model's whole cache folder goes. With it (a commit or a ref like main),\n" +
			"that snapshot, the refs naming it and the blobs no other snapshot uses. Links are removed,\n" +
			"never followed out of the cache.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cache-dir", EnvVars: env("cache-dir"), Usage: "Hugging Face cache folder (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)"},
		},
		Action: runRm,
	}
}

func runRm(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New("want a model, like: gembed rm Qwen/Qwen3-Embedding-0.6B (or ORG/NAME@REVISION)")
	}
	hc := hubClient(c)
	for _, arg := range c.Args().Slice() {
		repo, rev, _ := strings.Cut(arg, "@")
		r, err := hc.RemoveFromCache(repo, rev)
		if err != nil {
			return err
		}
		what := repo
		if rev != "" {
			what += "@" + rev
		}
		fmt.Fprintf(c.App.Writer, "removed %s: %d revision(s), %s freed (%s)\n", what, len(r.Revisions), shortBytes(r.FreedBytes), r.Dir)
	}
	return nil
}

// shortBytes is humanBytes without the exact count.
func shortBytes(n int64) string {
	s, _, _ := strings.Cut(humanBytes(n), " (")
	return s
}
