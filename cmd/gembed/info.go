package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/layers"
	"github.com/urfave/cli/v2"
)

func infoCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, EnvVars: env("model"), Usage: "model id or folder (or give it as the argument)"},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", EnvVars: env("format"), Usage: `"text" or "json"`},
	}
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "info",
		Usage:     "describe a model: architecture, dimensions, layers, dtype, pooling, prompts, size",
		ArgsUsage: "[ID|DIR]",
		Flags:     flags,
		Action:    runInfo,
	}
}

// modelInfo is what `gembed info` reports.
type modelInfo struct {
	Model             string            `json:"model"`
	Dir               string            `json:"dir"`
	Architecture      string            `json:"architecture"`
	Architectures     []string          `json:"architectures,omitempty"`
	Dimensions        int               `json:"dimensions"`
	Layers            int               `json:"layers"`
	Heads             int               `json:"heads"`
	KVHeads           int               `json:"kv_heads"`
	HeadDim           int               `json:"head_dim"`
	Intermediate      int               `json:"intermediate_size"`
	Vocab             int               `json:"vocab_size"`
	MaxPositions      int               `json:"max_position_embeddings"`
	MaxLength         int               `json:"max_length"`
	DTypes            map[string]int    `json:"dtypes"` // dtype → tensors
	Parameters        int64             `json:"parameters"`
	Tensors           int               `json:"tensors"`
	Pooling           string            `json:"pooling"`
	Normalize         bool              `json:"normalize"`
	Prompts           map[string]string `json:"prompts"`
	DefaultPromptName string            `json:"default_prompt_name,omitempty"`
	SizeBytes         int64             `json:"size_bytes"`
	Build             string            `json:"build"`   // "pure Go", or the portable-kernels build
	Kernels           string            `json:"kernels"` // the kernels this binary runs on this CPU
}

func runInfo(c *cli.Context) error {
	id, err := modelArg(c)
	if err != nil {
		return err
	}
	if id == "" {
		id = embed.DefaultModel
	}
	dir, err := resolveModel(c, id)
	if err != nil {
		return err
	}
	d, err := embed.Describe(dir)
	if err != nil {
		return err
	}
	info := modelInfo{
		Model: id, Dir: dir, Architecture: d.ModelType, Architectures: d.Architectures, Dimensions: d.Dimensions, Layers: d.Layers,
		Heads: d.Heads, KVHeads: d.KVHeads, HeadDim: d.HeadDim, Intermediate: d.Intermediate,
		Vocab: d.Vocab, MaxPositions: d.MaxPositions, MaxLength: d.MaxLength,
		Pooling: string(d.Pooling), Normalize: d.Normalize, Prompts: d.Prompts,
		DefaultPromptName: d.DefaultPromptName, DTypes: d.DTypes, Parameters: d.Parameters, Tensors: d.Tensors,
		Build: buildName(), Kernels: layers.Kernels(),
	}
	if info.SizeBytes, err = diskSize(dir); err != nil {
		return err
	}
	switch c.String("format") {
	case "json":
		b, _ := json.MarshalIndent(info, "", "  ")
		_, err := fmt.Fprintf(c.App.Writer, "%s\n", b)
		return err
	case "jsonl":
		b, _ := json.Marshal(info)
		_, err := fmt.Fprintf(c.App.Writer, "%s\n", b)
		return err
	case "text":
	default:
		return fmt.Errorf("--format %q: want text or json", c.String("format"))
	}
	return writeInfo(c.App.Writer, info)
}

func writeInfo(w io.Writer, i modelInfo) error {
	arch := i.Architecture
	if len(i.Architectures) > 0 {
		arch += " (" + strings.Join(i.Architectures, ", ") + ")"
	}
	var dts []string
	for dt, n := range i.DTypes {
		dts = append(dts, fmt.Sprintf("%s (%d tensors)", dt, n))
	}
	sort.Strings(dts)
	fmt.Fprintf(w, "model:          %s\n", i.Model)
	fmt.Fprintf(w, "folder:         %s\n", i.Dir)
	fmt.Fprintf(w, "architecture:   %s\n", arch)
	fmt.Fprintf(w, "dimensions:     %d\n", i.Dimensions)
	fmt.Fprintf(w, "layers:         %d\n", i.Layers)
	fmt.Fprintf(w, "heads:          %d query, %d key/value, head dim %d\n", i.Heads, i.KVHeads, i.HeadDim)
	fmt.Fprintf(w, "intermediate:   %d\n", i.Intermediate)
	fmt.Fprintf(w, "vocabulary:     %d\n", i.Vocab)
	fmt.Fprintf(w, "parameters:     %s (%d tensors)\n", humanCount(i.Parameters), i.Tensors)
	fmt.Fprintf(w, "dtype:          %s\n", strings.Join(dts, ", "))
	fmt.Fprintf(w, "pooling:        %s\n", i.Pooling)
	fmt.Fprintf(w, "normalize:      %v\n", i.Normalize)
	fmt.Fprintf(w, "max length:     %d tokens (max_position_embeddings %d)\n", i.MaxLength, i.MaxPositions)
	if len(i.Prompts) == 0 {
		fmt.Fprintf(w, "prompts:        none\n")
	} else {
		names := make([]string, 0, len(i.Prompts))
		for n := range i.Prompts {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "prompts:\n")
		for _, n := range names {
			mark := ""
			if n == i.DefaultPromptName {
				mark = " (default)"
			}
			fmt.Fprintf(w, "  %s%s: %q\n", n, mark, i.Prompts[n])
		}
	}
	fmt.Fprintf(w, "size on disk:   %s\n", humanBytes(i.SizeBytes))
	_, err := fmt.Fprintf(w, "runs on:        %s build; kernels: %s\n", i.Build, i.Kernels)
	return err
}

// diskSize sums the files under dir, following the cache's symlinks.
func diskSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	return total, err
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", float64(n)/float64(div), "KMGTPE"[exp], n)
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
