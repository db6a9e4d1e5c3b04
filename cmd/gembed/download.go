package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

func downloadCommand() *cli.Command {
	return &cli.Command{
		Name:      "download",
		Usage:     "fetch a model's embedding files into the Hugging Face cache; prints the snapshot folder last",
		ArgsUsage: "ORG/NAME",
		Flags:     hubFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("want one repo id, like: gembed download Qwen/Qwen3-Embedding-0.6B")
			}
			dir, err := hubClient(c).Download(c.Context, c.Args().First(), c.String("revision"))
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(c.App.Writer, dir)
			return err
		},
	}
}
